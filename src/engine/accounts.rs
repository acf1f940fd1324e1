//! Recording an account a person already has in a portal (onboarding a practice's current
//! state): the store writes it, and the engine reconciles the person's tasks with policy in
//! the same transaction, so an account policy does not grant raises the work to fix it.

use uuid::Uuid;

use super::react::{self, Trigger};
use crate::domain::actor::Actor;
use crate::domain::lifecycle::Account;
use crate::domain::task::EventKind;
use crate::store::{StoreError, TenantStore};

/// Records (or replaces) the person's account in a portal, then reconciles their tasks. The
/// portal must be one the practice uses and the roles its roles (`Refused` says which not).
pub async fn record_account(
    store: &TenantStore<'_>,
    person: Uuid,
    record: Account,
    actor: &Actor,
) -> Result<(), StoreError> {
    let portals = store.practice_portals().await?;
    let portal = portals.get(&record.portal).ok_or_else(|| {
        StoreError::Refused(format!(
            "the practice does not use portal `{}`",
            record.portal
        ))
    })?;
    if let Some(role) = record
        .roles
        .iter()
        .find(|r| portal.portal.role(r).is_none())
    {
        return Err(StoreError::Refused(format!(
            "portal `{}` has no role `{role}`",
            record.portal
        )));
    }
    let tx = store.begin_write().await?;
    store.put_account(&tx, person, &record, actor).await?;
    let ctx = store.planning_context(&tx).await?;
    let trigger = Trigger::around(EventKind::AccountRecord);
    react::react_all(store, &tx, &ctx, &[person], trigger, actor).await?;
    tx.commit().await
}
