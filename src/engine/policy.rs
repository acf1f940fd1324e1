//! Changing the access policy: a new version is stored and everyone's tasks are recomputed
//! against it (cause `policy`) in the same transaction.

use super::react::{self, Trigger};
use crate::domain::actor::Actor;
use crate::domain::policy::PolicyDocument;
use crate::domain::task::EventKind;
use crate::store::{StoreError, TenantStore};

/// Stores a new policy version and plans everyone against it. Returns the new version.
pub async fn replace_policy(
    store: &TenantStore<'_>,
    document: &PolicyDocument,
    actor: &Actor,
) -> Result<i32, StoreError> {
    let tx = store.begin_write().await?;
    let version = store.put_policy_in(&tx, document, actor).await?;
    let people = store.live_people(&tx).await?;
    // Loaded after the new version is stored, so everyone is planned against it.
    let ctx = store.planning_context(&tx).await?;
    let trigger = Trigger::around(EventKind::Policy);
    react::react_all(store, &tx, &ctx, &people, trigger, actor).await?;
    tx.commit().await?;
    Ok(version)
}
