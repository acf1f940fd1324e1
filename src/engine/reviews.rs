//! Deciding access reviews: a decision is recorded and, when it takes access away, becomes an
//! exclusion the planner honours and the remediation tasks it implies (cause `review`, due on
//! the removal SLAs), in one transaction, through the same planner as every other change.
//! Changing a decision back to "Keep" lifts the exclusion and the planner cancels what is
//! moot. Closing a campaign settles undecided items by its `no_answer` rule.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::react::{self, Trigger};
use crate::domain::actor::Actor;
use crate::domain::review::{CampaignState, Decision, checked_decision};
use crate::domain::task::EventKind;
use crate::store::reviews::Item;
use crate::store::{StoreError, TenantStore, WriteTx};

/// Who is deciding: the administrator, and whether they oversee the practice (a manager or
/// portal administrator may decide any item but their own; a reviewer decides theirs).
#[derive(Debug, Clone, Copy)]
pub struct Decider {
    pub admin_id: Uuid,
    pub oversees: bool,
}

/// One decision as asked for.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    pub item: Uuid,
    pub decision: Decision,
    pub remove: Vec<String>,
    pub comment: Option<String>,
}

/// Records decisions (one, or several at once: `bulk`), each checked, all or none.
pub async fn decide(
    store: &TenantStore<'_>,
    requests: &[DecisionRequest],
    decider: Decider,
    bulk: bool,
    actor: &Actor,
) -> Result<Vec<Item>, StoreError> {
    let tx = store.begin_write().await?;
    let mut touched = BTreeSet::new();
    let mut decided = Vec::new();
    for request in requests {
        let (item, state) = store.review_item_in(&tx, request.item).await?;
        if state != CampaignState::Open.as_str() {
            return Err(StoreError::Refused(
                "this review is closed: its decisions are final".into(),
            ));
        }
        let own = item.reviewer_id == Some(decider.admin_id);
        if !own && !decider.oversees {
            return Err(StoreError::Refused(
                "this item is another reviewer's to decide".into(),
            ));
        }
        if is_own_access(store, &tx, &item, decider.admin_id).await? {
            return Err(StoreError::Refused(
                "nobody reviews their own access".into(),
            ));
        }
        let held: BTreeSet<String> = item.roles.iter().cloned().collect();
        let removed = checked_decision(
            request.decision,
            &request.remove,
            &held,
            request.comment.as_deref(),
            bulk,
        )
        .map_err(|e| StoreError::Refused(e.to_string()))?;
        store
            .record_decision_in(
                &tx,
                &item,
                Some((request.decision.as_str(), &removed)),
                request.comment.as_deref(),
                actor,
            )
            .await?;
        let exclusion = match request.decision {
            Decision::Keep => None,
            Decision::Revoke => Some(None),
            Decision::Reduce => Some(Some(&removed)),
        };
        store
            .set_exclusion_in(&tx, &item, exclusion, actor.at)
            .await?;
        touched.insert(item.person_id);
        decided.push(item.id);
    }
    replan(store, &tx, &touched, actor).await?;
    tx.commit().await?;
    let mut out = Vec::with_capacity(decided.len());
    for id in decided {
        out.push(store.review_item(id).await?);
    }
    Ok(out)
}

/// Closes a campaign; undecided items of a `revoke` campaign lose their access as if decided.
pub async fn close(
    store: &TenantStore<'_>,
    campaign: Uuid,
    actor: &Actor,
) -> Result<(), StoreError> {
    let tx = store.begin_write().await?;
    let to_revoke = store.close_campaign_in(&tx, campaign, actor).await?;
    let mut touched = BTreeSet::new();
    for item in &to_revoke {
        store
            .set_exclusion_in(&tx, item, Some(None), actor.at)
            .await?;
        touched.insert(item.person_id);
    }
    replan(store, &tx, &touched, actor).await?;
    tx.commit().await
}

/// Plans the people whose exclusions changed, against the practice's new configuration.
async fn replan(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    people: &BTreeSet<Uuid>,
    actor: &Actor,
) -> Result<(), StoreError> {
    if people.is_empty() {
        return Ok(());
    }
    let ctx = store.planning_context(tx).await?;
    let people: Vec<Uuid> = people.iter().copied().collect();
    react::react_all(
        store,
        tx,
        &ctx,
        &people,
        Trigger::around(EventKind::Review),
        actor,
    )
    .await?;
    Ok(())
}

/// Whether the item is the decider's own access (their address is the person's).
async fn is_own_access(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    item: &Item,
    admin: Uuid,
) -> Result<bool, StoreError> {
    store.is_person_admin_in(tx, item.person_id, admin).await
}
