//! OpenID Connect sign-ins in flight (`console_oidc_login`), and the session that ends one:
//! what the provider's answer must match is kept here, by the SHA-256 of `state`, bound to the
//! browser that started the sign-in, used once.

use chrono::{DateTime, Duration, Utc};
use entities::{admin_identity, console_oidc_login};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::console::{ConsoleSession, SignInMethod};
use super::{PracticeId, Store, StoreError};
use crate::domain::session::{Secret, SessionLimits, secret_sha256};

/// How long a sign-in may spend at the provider before its return is refused.
pub const OIDC_LOGIN_TTL: Duration = Duration::minutes(10);

/// What the provider's answer must match.
#[derive(Debug, Clone)]
pub struct PendingOidcLogin {
    pub practice: PracticeId,
    pub nonce: String,
    pub code_verifier: String,
}

/// A return that matches no sign-in in flight, in words for the page.
const LOGIN_SPENT: &str = "this sign-in has expired, was already used, or was started in \
                           another browser: start again from the sign-in page";

impl Store {
    /// Remembers a sign-in sent to the provider. Sign-ins older than their time are swept
    /// here, so the table holds minutes of traffic.
    pub async fn begin_oidc_login(
        &self,
        practice: PracticeId,
        state: &str,
        browser: &str,
        pending: (&str, &str),
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (nonce, code_verifier) = pending;
        console_oidc_login::Entity::delete_many()
            .filter(console_oidc_login::Column::ExpiresAt.lt(now))
            .exec(self.connection())
            .await?;
        console_oidc_login::Entity::insert(console_oidc_login::ActiveModel {
            state_sha256: Set(secret_sha256(state).to_vec()),
            practice_id: Set(practice.as_uuid()),
            browser_sha256: Set(secret_sha256(browser).to_vec()),
            nonce: Set(nonce.to_owned()),
            code_verifier: Set(code_verifier.to_owned()),
            created_at: Set(now),
            expires_at: Set(now + OIDC_LOGIN_TTL),
            used_at: Set(None),
        })
        .exec_without_returning(self.connection())
        .await?;
        Ok(())
    }

    /// Takes the sign-in a provider's answer names: once, in time, from the same browser.
    pub async fn take_oidc_login(
        &self,
        state: &str,
        browser: &str,
        now: DateTime<Utc>,
    ) -> Result<PendingOidcLogin, StoreError> {
        let hash = secret_sha256(state).to_vec();
        // One conditional UPDATE: of two returns with the same state, at most one goes on.
        let taken = console_oidc_login::Entity::update_many()
            .col_expr(console_oidc_login::Column::UsedAt, Expr::value(now))
            .filter(console_oidc_login::Column::StateSha256.eq(hash.clone()))
            .filter(console_oidc_login::Column::BrowserSha256.eq(secret_sha256(browser).to_vec()))
            .filter(console_oidc_login::Column::UsedAt.is_null())
            .filter(console_oidc_login::Column::ExpiresAt.gt(now))
            .exec(self.connection())
            .await?;
        if taken.rows_affected != 1 {
            return Err(StoreError::Refused(LOGIN_SPENT.into()));
        }
        let row = console_oidc_login::Entity::find_by_id(hash)
            .one(self.connection())
            .await?
            .ok_or_else(|| StoreError::Refused(LOGIN_SPENT.into()))?;
        Ok(PendingOidcLogin {
            practice: PracticeId(row.practice_id),
            nonce: row.nonce,
            code_verifier: row.code_verifier,
        })
    }

    /// Opens a session for the administrator the provider proved: the one already bound to
    /// this provider account (`iss`, `sub`), else the active administrator of `practice` with
    /// the e-mail address it proved, who is then bound to it. An administrator bound to
    /// another account at the same provider is refused (a reassigned address does not take
    /// over the person). Their role is the practice's record, never the provider's.
    pub async fn open_oidc_session(
        &self,
        practice: PracticeId,
        identity: OidcProof<'_>,
        limits: SessionLimits,
        now: DateTime<Utc>,
        request_id: Option<String>,
    ) -> Result<(Secret, ConsoleSession), StoreError> {
        let not_admin = || {
            StoreError::Refused(format!(
                "the address {} does not belong to an active administrator of this \
                 practice in Portcullis; ask the practice's operator to add you (portcullis \
                 admin create)",
                identity.email
            ))
        };
        let tenant = self.tenant(practice);
        let tx = tenant.begin_write().await?;
        let bound = admin_identity::Entity::find_by_id((
            identity.issuer.to_owned(),
            identity.subject.to_owned(),
        ))
        .one(&tx.tx)
        .await?;
        let admin_id = match bound {
            Some(binding) => binding.admin_id,
            None => {
                let (admin, _) =
                    self.active_member(identity.email, practice)
                        .await
                        .map_err(|e| match e {
                            StoreError::NotFound(_) | StoreError::Refused(_) => not_admin(),
                            other => other,
                        })?;
                let elsewhere = admin_identity::Entity::find()
                    .filter(admin_identity::Column::AdminId.eq(admin.id))
                    .filter(admin_identity::Column::Issuer.eq(identity.issuer))
                    .one(&tx.tx)
                    .await?;
                if elsewhere.is_some() {
                    return Err(StoreError::Refused(format!(
                        "{} is linked to another account at your identity provider; ask the \
                         operator who runs Portcullis",
                        admin.email
                    )));
                }
                admin_identity::Entity::insert(admin_identity::ActiveModel {
                    issuer: Set(identity.issuer.to_owned()),
                    subject: Set(identity.subject.to_owned()),
                    admin_id: Set(admin.id),
                    created_at: Set(now),
                })
                .exec_without_returning(&tx.tx)
                .await
                .map_err(|e| super::map_unique(e, "this identity provider account"))?;
                admin.id
            }
        };
        let method = SignInMethod::Oidc {
            issuer: identity.issuer,
            subject: identity.subject,
        };
        let session = self
            .open_session(&tx, admin_id, practice, method, limits, now, request_id)
            .await
            .map_err(|e| match e {
                StoreError::Refused(_) => not_admin(),
                other => other,
            })?;
        tx.commit().await?;
        Ok(session)
    }
}

/// What a practice's identity provider proved about who signed in.
#[derive(Debug, Clone, Copy)]
pub struct OidcProof<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: &'a str,
}
