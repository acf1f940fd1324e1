//! Named administrators and their roles per practice. Creating and deactivating them is an
//! operator act (the CLI); a practice's portal administrator adds administrators to the
//! practice and takes them off it (the console, audited); authentication looks up the role
//! of a token's administrator.

use chrono::{DateTime, Utc};
use entities::{admin, admin_membership, api_token, console_session};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use serde_json::json;

use super::{PracticeId, Store, StoreError, TenantStore, WriteTx, audit};
use crate::domain::actor::Actor;
use crate::domain::admin::AdminRole;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub active: bool,
}

impl From<admin::Model> for Admin {
    fn from(m: admin::Model) -> Self {
        Self {
            id: m.id,
            email: m.email,
            name: m.name,
            active: m.active,
        }
    }
}

impl Store {
    /// Operator: creates the administrator if the e-mail is new, and gives them `role` in the
    /// practice (replacing a previous role there).
    pub async fn add_admin(
        &self,
        practice: PracticeId,
        email: &str,
        name: &str,
        role: AdminRole,
        now: DateTime<Utc>,
    ) -> Result<Admin, StoreError> {
        let tx = self.begin_write().await?;
        let (found, _) = upsert_membership(&tx, practice, email, name, role, now).await?;
        tx.commit().await?;
        // A role change changes what the administrator's tokens may do.
        self.forget_credentials();
        Ok(found)
    }

    pub async fn admin_by_email(&self, email: &str) -> Result<Admin, StoreError> {
        admin::Entity::find()
            .filter(admin::Column::EmailKey.eq(email.trim().to_lowercase()))
            .one(self.connection())
            .await?
            .map(Admin::from)
            .ok_or(StoreError::NotFound("administrator"))
    }

    /// Operator: deactivates an administrator, revokes every token they hold and ends their
    /// console sessions.
    pub async fn deactivate_admin(
        &self,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<Admin, StoreError> {
        let found = self.admin_by_email(email).await?;
        let tx = self.begin_write().await?;
        admin::Entity::update_many()
            .col_expr(admin::Column::Active, Expr::value(false))
            .col_expr(admin::Column::UpdatedAt, Expr::value(now))
            .filter(admin::Column::Id.eq(found.id))
            .exec(&tx.tx)
            .await?;
        api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(now))
            .filter(api_token::Column::AdminId.eq(found.id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(&tx.tx)
            .await?;
        // Their console sessions end at once, not at the idle timeout.
        console_session::Entity::update_many()
            .col_expr(console_session::Column::EndedAt, Expr::value(now))
            .filter(console_session::Column::AdminId.eq(found.id))
            .filter(console_session::Column::EndedAt.is_null())
            .exec(&tx.tx)
            .await?;
        tx.commit().await?;
        self.forget_credentials();
        Ok(Admin {
            active: false,
            ..found
        })
    }

    /// Authentication: the administrator behind a token and their role in the token's
    /// practice; `None` when they are inactive or no longer have a role there.
    pub async fn admin_role(
        &self,
        admin: Uuid,
        practice: PracticeId,
    ) -> Result<Option<(Admin, AdminRole)>, StoreError> {
        let Some(found) = admin::Entity::find_by_id(admin)
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        if !found.active {
            return Ok(None);
        }
        let membership = admin_membership::Entity::find()
            .filter(admin_membership::Column::AdminId.eq(admin))
            .filter(admin_membership::Column::PracticeId.eq(practice.as_uuid()))
            .filter(admin_membership::Column::EndedAt.is_null())
            .one(self.connection())
            .await?;
        Ok(membership
            .and_then(|m| m.role.parse::<AdminRole>().ok())
            .map(|role| (found.into(), role)))
    }
}

/// Creates the administrator if the e-mail is new and gives them `role` in the practice (a
/// removed membership comes back). Returns them and their previous role there, if any.
async fn upsert_membership(
    tx: &WriteTx,
    practice: PracticeId,
    email: &str,
    name: &str,
    role: AdminRole,
    now: DateTime<Utc>,
) -> Result<(Admin, Option<String>), StoreError> {
    let key = email.trim().to_lowercase();
    admin::Entity::insert(admin::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.trim().to_owned()),
        email_key: Set(key.clone()),
        name: Set(name.trim().to_owned()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(admin::Column::EmailKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&tx.tx)
    .await?;
    let found = admin::Entity::find()
        .filter(admin::Column::EmailKey.eq(key))
        .one(&tx.tx)
        .await?
        .ok_or(StoreError::NotFound("administrator"))?;
    let previous = admin_membership::Entity::find()
        .filter(admin_membership::Column::AdminId.eq(found.id))
        .filter(admin_membership::Column::PracticeId.eq(practice.as_uuid()))
        .filter(admin_membership::Column::EndedAt.is_null())
        .one(&tx.tx)
        .await?
        .map(|m| m.role);
    admin_membership::Entity::insert(admin_membership::ActiveModel {
        admin_id: Set(found.id),
        practice_id: Set(practice.as_uuid()),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now),
        ended_at: Set(None),
    })
    .on_conflict(
        OnConflict::columns([
            admin_membership::Column::AdminId,
            admin_membership::Column::PracticeId,
        ])
        // Adding someone the practice had removed gives them their place back.
        .update_columns([
            admin_membership::Column::Role,
            admin_membership::Column::EndedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(&tx.tx)
    .await?;
    Ok((found.into(), previous))
}

impl TenantStore<'_> {
    /// A portal administrator adds an administrator to the practice (or changes their role
    /// there), audited under their name. A deactivated administrator cannot be added back
    /// here: that is the operator's decision.
    pub async fn add_practice_admin(
        &self,
        email: &str,
        name: &str,
        role: AdminRole,
        actor: &Actor,
    ) -> Result<Admin, StoreError> {
        let tx = self.begin_write().await?;
        let (found, previous) =
            upsert_membership(&tx, self.practice, email, name, role, actor.at).await?;
        // Dropping `tx` on a refusal rolls the membership back.
        if !found.active {
            return Err(StoreError::Refused(format!(
                "{} cannot be added here; ask the operator who runs Portcullis",
                found.email
            )));
        }
        if previous.is_some()
            && actor
                .admin_email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&found.email))
        {
            return Err(StoreError::Refused(
                "you cannot change your own role; ask another portal administrator".into(),
            ));
        }
        let demoted = previous.as_deref() == Some(AdminRole::PortalAdmin.as_str())
            && role != AdminRole::PortalAdmin;
        if demoted
            && self
                .admins_with_role(&tx, AdminRole::PortalAdmin)
                .await?
                .is_empty()
        {
            return Err(StoreError::Refused(format!(
                "{} is the practice's only active portal administrator; add another first",
                found.email
            )));
        }
        let action = if previous.is_some() {
            "admin.role_changed"
        } else {
            "admin.added"
        };
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            action,
            &format!("admin {}", found.email),
            Some(json!({"role": role.as_str(), "previous_role": previous, "name": found.name})),
        )
        .await?;
        tx.commit().await?;
        self.store.forget_credentials();
        Ok(found)
    }

    /// A portal administrator takes an administrator off the practice's list: their role
    /// here ends, their tokens for this practice are revoked and their console sessions here
    /// end at once; their work for other practices is untouched. The practice keeps at least
    /// one active portal administrator, and nobody removes themselves.
    pub async fn remove_practice_admin(
        &self,
        admin_id: Uuid,
        actor: &Actor,
    ) -> Result<Admin, StoreError> {
        let tx = self.begin_write().await?;
        let membership = admin_membership::Entity::find()
            .filter(admin_membership::Column::AdminId.eq(admin_id))
            .filter(admin_membership::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(admin_membership::Column::EndedAt.is_null())
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("administrator"))?;
        let found: Admin = admin::Entity::find_by_id(admin_id)
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("administrator"))?
            .into();
        if actor
            .admin_email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(&found.email))
        {
            return Err(StoreError::Refused(
                "you cannot remove yourself; ask another portal administrator".into(),
            ));
        }
        if membership.role == AdminRole::PortalAdmin.as_str() {
            let others = self
                .admins_with_role(&tx, AdminRole::PortalAdmin)
                .await?
                .into_iter()
                .filter(|a| a.id != admin_id)
                .count();
            if others == 0 {
                return Err(StoreError::Refused(format!(
                    "{} is the practice's only active portal administrator; add another first",
                    found.email
                )));
            }
        }
        admin_membership::Entity::update_many()
            .col_expr(admin_membership::Column::EndedAt, Expr::value(actor.at))
            .filter(admin_membership::Column::AdminId.eq(admin_id))
            .filter(admin_membership::Column::PracticeId.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(actor.at))
            .filter(api_token::Column::AdminId.eq(admin_id))
            .filter(api_token::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(&tx.tx)
            .await?;
        console_session::Entity::update_many()
            .col_expr(console_session::Column::EndedAt, Expr::value(actor.at))
            .filter(console_session::Column::AdminId.eq(admin_id))
            .filter(console_session::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(console_session::Column::EndedAt.is_null())
            .exec(&tx.tx)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "admin.removed",
            &format!("admin {}", found.email),
            Some(json!({"role": membership.role})),
        )
        .await?;
        tx.commit().await?;
        self.store.forget_credentials();
        Ok(found)
    }

    /// The practice's active administrators with `role`, ordered by e-mail; read in the
    /// transaction of the change they decide.
    pub(crate) async fn admins_with_role(
        &self,
        tx: &WriteTx,
        role: AdminRole,
    ) -> Result<Vec<Admin>, StoreError> {
        let ids: Vec<Uuid> = admin_membership::Entity::find()
            .filter(admin_membership::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(admin_membership::Column::Role.eq(role.as_str()))
            .filter(admin_membership::Column::EndedAt.is_null())
            .all(&tx.tx)
            .await?
            .into_iter()
            .map(|m| m.admin_id)
            .collect();
        Ok(admin::Entity::find()
            .filter(admin::Column::Id.is_in(ids))
            .filter(admin::Column::Active.eq(true))
            .order_by_asc(admin::Column::EmailKey)
            .all(&tx.tx)
            .await?
            .into_iter()
            .map(Admin::from)
            .collect())
    }
}

/// An administrator as a practice sees them: who, their role there, since when, and whether
/// they may still act (a deactivated administrator stays listed: they are part of the record).
#[derive(Debug, Clone)]
pub struct PracticeAdmin {
    pub admin: Admin,
    pub role: AdminRole,
    pub member_since: DateTime<Utc>,
    /// When the practice took them off its list.
    pub removed_at: Option<DateTime<Utc>>,
}

impl TenantStore<'_> {
    /// Every administrator with a role in the practice, active or not, ordered by e-mail.
    pub async fn list_admins(&self) -> Result<Vec<PracticeAdmin>, StoreError> {
        let memberships = admin_membership::Entity::find()
            .filter(admin_membership::Column::PracticeId.eq(self.practice.as_uuid()))
            .all(self.db)
            .await?;
        let admins = admin::Entity::find()
            .filter(admin::Column::Id.is_in(memberships.iter().map(|m| m.admin_id)))
            .order_by_asc(admin::Column::EmailKey)
            .all(self.db)
            .await?;
        admins
            .into_iter()
            .map(|a| {
                let membership = memberships
                    .iter()
                    .find(|m| m.admin_id == a.id)
                    .ok_or(StoreError::Corrupt("administrator membership"))?;
                Ok(PracticeAdmin {
                    role: membership
                        .role
                        .parse()
                        .map_err(|_| StoreError::Corrupt("administrator role"))?,
                    member_since: membership.created_at,
                    removed_at: membership.ended_at,
                    admin: a.into(),
                })
            })
            .collect()
    }
}
