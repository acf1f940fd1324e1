//! Changing the access policy: a new version is stored and everyone's tasks are recomputed
//! against it (cause `policy`) in the same transaction, behind the mass-revocation guard: a
//! change that would take access from more than a set share of the practice's accounts (an
//! empty rule list would take it from everyone) needs the number confirmed.

use uuid::Uuid;

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
/// unconfirmed, the number the request confirms, if any, and the version it was made
/// against, if the caller knows it (checked in the write transaction).
#[derive(Debug, Clone, Copy)]
pub struct RevocationGuard {
    pub max_share: f64,
    pub confirmed: Option<usize>,
    pub based_on: Option<i32>,
}

/// A document's rules must name the practice's enabled portals and their roles; a refusal
/// names the rule at fault. The API and the console both check through here.
pub async fn validate(
    store: &TenantStore<'_>,
    document: &PolicyDocument,
) -> Result<(), StoreError> {
    let portals = store.practice_portals().await?;
    document
        .validate(|slug| {
            portals
                .get(slug)
                .map(|p| p.portal.roles.iter().map(|r| r.slug.clone()).collect())
        })
        .map_err(|e| StoreError::Refused(e.to_string()))
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
    let (version, impact) = apply(store, &tx, document, actor, guard.based_on).await?;
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
    let (_, impact) = apply(store, &tx, document, actor, None).await?;
    tx.rollback().await?;
    Ok(impact)
}

/// One role a person would gain or lose if a proposed policy replaced the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessChange {
    pub person: Uuid,
    pub name: String,
    pub portal: String,
    pub role: String,
    /// Gained (`true`) or lost.
    pub gained: bool,
    /// The rules that grant it: under the proposal for a gain, under the current policy
    /// for a loss.
    pub rules: Vec<String>,
}

/// Who would gain and who would lose which role if `proposed` replaced the current policy,
/// for every active person, by name. Reads only.
pub async fn access_changes(
    store: &TenantStore<'_>,
    proposed: &PolicyDocument,
) -> Result<Vec<AccessChange>, StoreError> {
    let current = store.policy().await?.document;
    let mut changes = Vec::new();
    for (person, name, facts) in store.active_people_facts().await? {
        let before = current.entitlements(&facts);
        let after = proposed.entitlements(&facts);
        let mut change = |portal: &str, role: &str, gained: bool, rules: &[String]| {
            changes.push(AccessChange {
                person,
                name: name.clone(),
                portal: portal.to_owned(),
                role: role.to_owned(),
                gained,
                rules: rules.to_vec(),
            });
        };
        for (portal, roles) in &after {
            for (role, rules) in roles {
                if !before.get(portal).is_some_and(|r| r.contains_key(role)) {
                    change(portal, role, true, rules);
                }
            }
        }
        for (portal, roles) in &before {
            for (role, rules) in roles {
                if !after.get(portal).is_some_and(|r| r.contains_key(role)) {
                    change(portal, role, false, rules);
                }
            }
        }
    }
    Ok(changes)
}

async fn apply(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    document: &PolicyDocument,
    actor: &Actor,
    based_on: Option<i32>,
) -> Result<(i32, PolicyImpact), StoreError> {
    let accounts = store.active_account_count(tx).await?;
    let version = store.put_policy_in(tx, document, actor, based_on).await?;
    let people = store.live_people(tx).await?;
    // Loaded after the new version is stored, so everyone is planned against it.
    let ctx = store.planning_context(tx).await?;
    let trigger = Trigger::around(EventKind::Policy);
    let removals = react::react_all(store, tx, &ctx, &people, trigger, actor).await?;
    Ok((version, PolicyImpact { removals, accounts }))
}
