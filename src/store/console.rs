//! The console's sign-in rows: one-time links and server-side sessions, kept by the SHA-256 of
//! their secrets (`domain::session`). Signing in, signing out and making a link are audited in
//! the practice's trail.

use chrono::{DateTime, Duration, Utc};
use entities::{admin, admin_membership, console_session, console_sign_in_link};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::admins::Admin;
use super::{Practice, PracticeId, Store, StoreError, audit};
use crate::domain::actor::{Actor, admin_actor_name};
use crate::domain::admin::AdminRole;
use crate::domain::session::{Secret, SessionLimits, new_secret, secret_sha256};

/// What the sign-in page shows about a link before it is used.
#[derive(Debug, Clone)]
pub struct SignInLink {
    pub admin: Admin,
    pub practice: Practice,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

/// A session as the console sees it on each request.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub id: Uuid,
    pub admin: Admin,
    /// The practice being worked in, and the administrator's role there.
    pub practice: Practice,
    pub role: AdminRole,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended: bool,
    /// How the administrator signed in: `link` or `oidc`.
    pub method: String,
}

impl ConsoleSession {
    /// How records name the person behind the session.
    pub fn actor_name(&self) -> String {
        admin_actor_name(&self.admin.name, &self.admin.email, self.role)
    }
}

/// How an administrator proved who they are; recorded on the session and in the audit trail.
#[derive(Debug, Clone, Copy)]
pub enum SignInMethod<'a> {
    /// A one-time link an operator made.
    Link,
    /// The practice's identity provider, with who it says signed in.
    Oidc { issuer: &'a str, subject: &'a str },
}

impl SignInMethod<'_> {
    fn name(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Oidc { .. } => "oidc",
        }
    }

    fn details(self, session: Uuid) -> serde_json::Value {
        match self {
            Self::Link => json!({"method": "link", "session": session}),
            Self::Oidc { issuer, subject } => json!({
                "method": "oidc", "session": session, "issuer": issuer, "subject": subject,
            }),
        }
    }
}

/// A sign-in that did not happen, in words for the page.
const LINK_SPENT: &str =
    "this sign-in link has already been used or has expired: ask your operator for a new one";

impl Store {
    /// Operator: a one-time sign-in link for an active administrator of the practice, valid
    /// for `ttl`. Returns the secret for the URL (shown once).
    pub async fn create_sign_in_link(
        &self,
        practice: &Practice,
        email: &str,
        ttl: Duration,
        actor: &Actor,
    ) -> Result<String, StoreError> {
        let (found, _) = self.active_member(email, practice.id).await?;
        let secret = new_secret();
        let tenant = self.tenant(practice.id);
        let tx = tenant.begin_write().await?;
        let id = Uuid::now_v7();
        console_sign_in_link::Entity::insert(console_sign_in_link::ActiveModel {
            secret_sha256: Set(secret.sha256.to_vec()),
            id: Set(id),
            admin_id: Set(found.id),
            practice_id: Set(practice.id.as_uuid()),
            created_at: Set(actor.at),
            expires_at: Set(actor.at + ttl),
            used_at: Set(None),
        })
        .exec_without_returning(&tx.tx)
        .await?;
        audit::append(
            &tx.tx,
            practice.id,
            actor,
            "console.sign_in_link.created",
            &format!("admin {}", found.email),
            Some(json!({"link": id, "expires_at": actor.at + ttl})),
        )
        .await?;
        tx.commit().await?;
        Ok(secret.text)
    }

    /// The link a sign-in page was opened with, if it exists (used or not).
    pub async fn sign_in_link(&self, secret: &str) -> Result<Option<SignInLink>, StoreError> {
        let Some(link) = console_sign_in_link::Entity::find_by_id(secret_sha256(secret).to_vec())
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        let admin = admin::Entity::find_by_id(link.admin_id)
            .one(self.connection())
            .await?
            .ok_or(StoreError::Corrupt("sign-in link"))?;
        let practice = self.tenant(PracticeId(link.practice_id)).practice().await?;
        Ok(Some(SignInLink {
            admin: admin.into(),
            practice,
            expires_at: link.expires_at,
            used: link.used_at.is_some(),
        }))
    }

    /// Uses a link: once, before it expires, for an administrator still active in the
    /// practice. Returns the new session's secret (for the cookie) and the session.
    pub async fn redeem_sign_in_link(
        &self,
        secret: &str,
        limits: SessionLimits,
        now: DateTime<Utc>,
        request_id: Option<String>,
    ) -> Result<(Secret, ConsoleSession), StoreError> {
        let hash = secret_sha256(secret).to_vec();
        let link = console_sign_in_link::Entity::find_by_id(hash.clone())
            .one(self.connection())
            .await?
            .ok_or_else(|| StoreError::Refused(LINK_SPENT.into()))?;
        let practice = PracticeId(link.practice_id);
        let tenant = self.tenant(practice);
        let tx = tenant.begin_write().await?;
        // One conditional UPDATE: of two clicks at once, exactly one signs in.
        let spent = console_sign_in_link::Entity::update_many()
            .col_expr(console_sign_in_link::Column::UsedAt, Expr::value(now))
            .filter(console_sign_in_link::Column::SecretSha256.eq(hash))
            .filter(console_sign_in_link::Column::UsedAt.is_null())
            .filter(console_sign_in_link::Column::ExpiresAt.gt(now))
            .exec(&tx.tx)
            .await?;
        if spent.rows_affected != 1 {
            return Err(StoreError::Refused(LINK_SPENT.into()));
        }
        let session = self
            .open_session(
                &tx,
                link.admin_id,
                practice,
                SignInMethod::Link,
                limits,
                now,
                request_id,
            )
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Opens a session for an administrator who has just proved who they are (by link or by
    /// their IdP), in `tx`, audited as their sign-in.
    #[allow(clippy::too_many_arguments)] // Each is one fact of the sign-in.
    pub(super) async fn open_session(
        &self,
        tx: &super::WriteTx,
        admin_id: Uuid,
        practice: PracticeId,
        method: SignInMethod<'_>,
        limits: SessionLimits,
        now: DateTime<Utc>,
        request_id: Option<String>,
    ) -> Result<(Secret, ConsoleSession), StoreError> {
        let Some((found, role)) = self.admin_role(admin_id, practice).await? else {
            return Err(StoreError::Refused(
                "this administrator is no longer active in the practice".into(),
            ));
        };
        let secret = new_secret();
        let id = Uuid::now_v7();
        console_session::Entity::insert(console_session::ActiveModel {
            secret_sha256: Set(secret.sha256.to_vec()),
            id: Set(id),
            admin_id: Set(admin_id),
            practice_id: Set(practice.as_uuid()),
            method: Set(method.name().to_owned()),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(now + limits.max_age),
            ended_at: Set(None),
        })
        .exec_without_returning(&tx.tx)
        .await?;
        let session = ConsoleSession {
            id,
            practice: self.tenant(practice).practice().await?,
            admin: found,
            role,
            created_at: now,
            last_seen_at: now,
            expires_at: now + limits.max_age,
            ended: false,
            method: method.name().to_owned(),
        };
        let actor = Actor {
            name: session.actor_name(),
            admin_email: Some(session.admin.email.clone()),
            request_id,
            at: now,
        };
        audit::append(
            &tx.tx,
            practice,
            &actor,
            "console.signed_in",
            &format!("admin {}", session.admin.email),
            Some(method.details(id)),
        )
        .await?;
        Ok((secret, session))
    }

    /// The session a cookie names, with its administrator's current role in its practice;
    /// `None` when there is no such session or the administrator may no longer act there.
    pub async fn console_session(
        &self,
        secret: &str,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let Some(row) = console_session::Entity::find_by_id(secret_sha256(secret).to_vec())
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        let practice = PracticeId(row.practice_id);
        let Some((admin, role)) = self.admin_role(row.admin_id, practice).await? else {
            return Ok(None);
        };
        Ok(Some(ConsoleSession {
            id: row.id,
            admin,
            practice: self.tenant(practice).practice().await?,
            role,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
            ended: row.ended_at.is_some(),
            method: row.method,
        }))
    }

    /// Records activity on a session (for the idle timeout).
    pub async fn touch_console_session(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        console_session::Entity::update_many()
            .col_expr(console_session::Column::LastSeenAt, Expr::value(now))
            .filter(console_session::Column::Id.eq(id))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Ends a session (sign out, or found idle or expired), audited in its practice.
    pub async fn end_console_session(
        &self,
        session: &ConsoleSession,
        why: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let tx = self.tenant(session.practice.id).begin_write().await?;
        let ended = console_session::Entity::update_many()
            .col_expr(console_session::Column::EndedAt, Expr::value(actor.at))
            .filter(console_session::Column::Id.eq(session.id))
            .filter(console_session::Column::EndedAt.is_null())
            .exec(&tx.tx)
            .await?;
        if ended.rows_affected == 1 {
            audit::append(
                &tx.tx,
                session.practice.id,
                actor,
                "console.signed_out",
                &format!("admin {}", session.admin.email),
                Some(json!({"session": session.id, "why": why})),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves a session to another practice the administrator has a role in.
    pub async fn switch_console_practice(
        &self,
        session: &ConsoleSession,
        practice: PracticeId,
    ) -> Result<(), StoreError> {
        if self.admin_role(session.admin.id, practice).await?.is_none() {
            return Err(StoreError::NotFound("practice"));
        }
        console_session::Entity::update_many()
            .col_expr(
                console_session::Column::PracticeId,
                Expr::value(practice.as_uuid()),
            )
            .filter(console_session::Column::Id.eq(session.id))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// The practices an administrator has a role in, for the practice picker.
    pub async fn practices_of_admin(
        &self,
        admin_id: Uuid,
    ) -> Result<Vec<(Practice, AdminRole)>, StoreError> {
        let memberships = admin_membership::Entity::find()
            .filter(admin_membership::Column::AdminId.eq(admin_id))
            .filter(admin_membership::Column::EndedAt.is_null())
            .all(self.connection())
            .await?;
        let mut practices = Vec::with_capacity(memberships.len());
        for m in memberships {
            let role = m
                .role
                .parse()
                .map_err(|_| StoreError::Corrupt("administrator role"))?;
            let practice = self.tenant(PracticeId(m.practice_id)).practice().await?;
            practices.push((practice, role));
        }
        practices.sort_by(|a, b| a.0.name.as_str().cmp(b.0.name.as_str()));
        Ok(practices)
    }

    /// The administrator with `email`, active and with a role in `practice`.
    pub(super) async fn active_member(
        &self,
        email: &str,
        practice: PracticeId,
    ) -> Result<(Admin, AdminRole), StoreError> {
        let found = self.admin_by_email(email).await?;
        self.admin_role(found.id, practice).await?.ok_or_else(|| {
            StoreError::Refused(format!(
                "{} is not an active administrator of this practice",
                found.email
            ))
        })
    }
}
