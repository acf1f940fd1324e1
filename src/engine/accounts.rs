//! Recording an account a person already has in a portal (onboarding a practice's current
//! state): the store writes it, and the engine reconciles the person's tasks with policy in
//! the same transaction, so an account policy does not grant raises the work to fix it.

use uuid::Uuid;

use super::react::{self, Trigger};
use crate::domain::actor::Actor;
use crate::domain::lifecycle::Account;
use crate::domain::task::EventKind;
use crate::store::{StoreError, TenantStore};

/// Records (or replaces) the person's account in a portal, then reconciles their tasks.
pub async fn record_account(
    store: &TenantStore<'_>,
    person: Uuid,
    record: Account,
    actor: &Actor,
) -> Result<(), StoreError> {
    let tx = store.begin_write().await?;
    store.put_account(&tx, person, &record, actor).await?;
    let ctx = store.planning_context(&tx).await?;
    let trigger = Trigger::around(EventKind::AccountRecord);
    react::react_all(store, &tx, &ctx, &[person], trigger, actor).await?;
    tx.commit().await
}
