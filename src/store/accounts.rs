//! Portal accounts: what a person really has in a portal. Administrators record existing
//! accounts (onboarding a practice's current state); recording one that policy does not grant
//! raises the work to fix it, in the same transaction.

use entities::portal_account;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::audit;
use super::vocabulary::text;
use super::{StoreError, TenantStore, WriteTx};
use crate::domain::actor::Actor;
use crate::domain::lifecycle::Account;
use crate::domain::task::AccountStatus;

impl TenantStore<'_> {
    /// How many accounts the practice records as active, in the caller's transaction (the
    /// mass-revocation guard's denominator).
    pub(crate) async fn active_account_count(&self, tx: &WriteTx) -> Result<u64, StoreError> {
        Ok(portal_account::Entity::find()
            .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_account::Column::Status.eq(text(AccountStatus::Active)))
            .count(&tx.tx)
            .await?)
    }

    /// Records (or replaces) the person's account in a portal, audited, in the caller's
    /// transaction (`engine::accounts` then reconciles their tasks).
    pub(crate) async fn put_account(
        &self,
        tx: &WriteTx,
        person: Uuid,
        record: &Account,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        // The person must be one of ours (a tombstoned leaver's account may still be recorded).
        entities::scim_user::Entity::find_by_id(person)
            .filter(entities::scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("person"))?;
        self.upsert_account(&tx.tx, person, record, AccountStatus::Active, actor.at)
            .await?;
        audit::append(&tx.tx, self.practice, actor, "account.recorded", &format!("person {person}"),
            Some(json!({"portal": record.portal, "username": record.username, "roles": record.roles}))).await?;
        Ok(())
    }

    /// Writes the person's one account row for a portal, inserting or replacing it.
    pub(crate) async fn upsert_account(
        &self,
        db: &impl ConnectionTrait,
        person: Uuid,
        record: &Account,
        status: AccountStatus,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        portal_account::Entity::insert(portal_account::ActiveModel {
            id: Set(Uuid::now_v7()),
            practice_id: Set(self.practice.as_uuid()),
            person_id: Set(person),
            portal_slug: Set(record.portal.clone()),
            username: Set(record.username.clone()),
            roles: Set(json!(record.roles)),
            status: Set(text(status)),
            other_affiliations: Set(record.other_affiliations),
            // Learned from portal lists (`set_account_npi`), never overwritten here.
            npi: Set(None),
            last_login_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(1),
        })
        .on_conflict(
            OnConflict::columns([
                portal_account::Column::PracticeId,
                portal_account::Column::PersonId,
                portal_account::Column::PortalSlug,
            ])
            .update_columns([
                portal_account::Column::Username,
                portal_account::Column::Roles,
                portal_account::Column::Status,
                portal_account::Column::OtherAffiliations,
                portal_account::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        Ok(())
    }

    pub async fn accounts_of(&self, person: Uuid) -> Result<Vec<Account>, StoreError> {
        self.active_accounts(self.db, person).await
    }
}
