//! Changing the access policy: a new version is stored and everyone's tasks are recomputed
//! against it (cause `policy`) in the same transaction, behind the mass-revocation guard: a
//! change that would take access from more than a set share of the practice's accounts (an
//! empty rule list would take it from everyone) needs the number confirmed.

use super::react::{self, Trigger};
use crate::domain::actor::Actor;
use crate::domain::policy::PolicyDocument;
use crate::domain::task::EventKind;
use crate::store::{StoreError, TenantStore, WriteTx};

/// What a policy change does: the removal tasks it opens (deprovisions, and modifications that
/// take roles away), against the accounts the practice records as active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyImpact {
    pub removals: usize,
    pub accounts: u64,
}

impl PolicyImpact {
    /// Whether the change takes access from more than `max_share` of the accounts.
    pub fn exceeds(&self, max_share: f64) -> bool {
        self.removals as f64 > max_share * self.accounts as f64
    }
}

/// How a change is let through the guard: the largest share of accounts it may revoke
/// unconfirmed, and the number the request confirms, if any.
#[derive(Debug, Clone, Copy)]
pub struct RevocationGuard {
    pub max_share: f64,
    pub confirmed: Option<usize>,
}

/// Stores a new policy version and plans everyone against it. Returns the new version; a
/// change the guard stops is [`StoreError::MassRevocation`] and stores nothing.
pub async fn replace_policy(
    store: &TenantStore<'_>,
    document: &PolicyDocument,
    actor: &Actor,
    guard: RevocationGuard,
) -> Result<i32, StoreError> {
    let tx = store.begin_write().await?;
    let (version, impact) = apply(store, &tx, document, actor).await?;
    if impact.exceeds(guard.max_share) && guard.confirmed != Some(impact.removals) {
        // Dropping the transaction rolls the new version and its tasks back.
        return Err(StoreError::MassRevocation {
            removals: impact.removals,
            accounts: impact.accounts,
            max_share: guard.max_share,
        });
    }
    tx.commit().await?;
    Ok(version)
}

/// What `document` would do if it replaced the policy now: the same planning as
/// [`replace_policy`], in a transaction that is rolled back.
pub async fn policy_impact(
    store: &TenantStore<'_>,
    document: &PolicyDocument,
    actor: &Actor,
) -> Result<PolicyImpact, StoreError> {
    let tx = store.begin_write().await?;
    let (_, impact) = apply(store, &tx, document, actor).await?;
    tx.rollback().await?;
    Ok(impact)
}

async fn apply(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    document: &PolicyDocument,
    actor: &Actor,
) -> Result<(i32, PolicyImpact), StoreError> {
    let accounts = store.active_account_count(tx).await?;
    let version = store.put_policy_in(tx, document, actor).await?;
    let people = store.live_people(tx).await?;
    // Loaded after the new version is stored, so everyone is planned against it.
    let ctx = store.planning_context(tx).await?;
    let trigger = Trigger::around(EventKind::Policy);
    let removals = react::react_all(store, tx, &ctx, &people, trigger, actor).await?;
    Ok((version, PolicyImpact { removals, accounts }))
}
