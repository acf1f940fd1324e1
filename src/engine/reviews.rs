//! Deciding access reviews: a decision is recorded and, when it takes access away, becomes an
//! exclusion the planner honours and the remediation tasks it implies (cause `review`, due on
//! the removal SLAs), in one transaction, through the same planner as every other change.
//! Changing a decision back to "Keep" lifts the exclusion and the planner cancels what is
//! moot. Closing a campaign settles undecided items by its `no_answer` rule.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::react::{self, Trigger};
use super::review_alerts::{self, ReviewEvent};
use crate::domain::actor::Actor;
use crate::domain::review::{CampaignState, Decision, checked_decision};
use crate::domain::task::EventKind;
use crate::store::reviews::{Campaign, Item, NewCampaign};
use crate::store::{Practice, StoreError, TenantStore, WriteTx};

/// Opens a campaign: its snapshot, and the `review.opened` alert naming each reviewer with
/// the link to their page, in one transaction.
pub async fn open(
    store: &TenantStore<'_>,
    practice: &Practice,
    new: NewCampaign,
    actor: &Actor,
    base_url: &str,
) -> Result<Campaign, StoreError> {
    let tx = store.begin_write().await?;
    let (id, per_reviewer) = store.open_campaign_in(&tx, new, actor).await?;
    review_alerts::record(
        store,
        &tx,
        practice,
        id,
        ReviewEvent::Opened(&per_reviewer),
        base_url,
        actor,
    )
    .await?;
    tx.commit().await?;
    store.campaign(id).await
}

/// Hands an item to another administrator: its reviewer or an overseer may, while the
/// review is open; never to the person under review.
pub async fn delegate(
    store: &TenantStore<'_>,
    item: Uuid,
    to: Uuid,
    comment: Option<&str>,
    decider: Decider,
    actor: &Actor,
) -> Result<Item, StoreError> {
    let tx = store.begin_write().await?;
    let (found, state) = store.review_item_in(&tx, item).await?;
    if state != CampaignState::Open.as_str() {
        return Err(StoreError::Refused(
            "this review is closed: its items can no longer be handed over".into(),
        ));
    }
    if found.reviewer_id != Some(decider.admin_id) && !decider.oversees {
        return Err(StoreError::Refused(
            "only the item's reviewer, a manager or a portal administrator may hand it over".into(),
        ));
    }
    if comment.is_some_and(|c| c.chars().count() > 2000) {
        return Err(StoreError::Refused(
            "a comment is at most 2,000 characters".into(),
        ));
    }
    store.delegate_in(&tx, &found, to, comment, actor).await?;
    tx.commit().await?;
    store.review_item(item).await
}

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
/// The sweeper closes a scheduled campaign by itself at its `closes_at`.
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

/// What happened to one item, for the auditor: the decision and, for a removal, the task that
/// carried it out.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ReportLine {
    pub item_id: Uuid,
    pub person: String,
    pub user_name: String,
    pub portal: String,
    pub username: Option<String>,
    pub roles: Vec<String>,
    pub reviewer_id: Option<Uuid>,
    pub decision: Option<String>,
    pub removed_roles: Vec<String>,
    pub comment: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Once closed: kept, revoked, reduced, flagged.
    pub outcome: Option<String>,
    /// The person left after the snapshot: when.
    pub left_during_review: Option<chrono::DateTime<chrono::Utc>>,
    /// For a removal: the task, its state, who did it and who verified it.
    pub task_id: Option<Uuid>,
    pub task_state: Option<String>,
    pub done_by: Option<String>,
    pub done_at: Option<chrono::DateTime<chrono::Utc>>,
    pub verified_by: Option<String>,
    pub verified_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Evidence recorded on completion (note, confirmation number, files with SHA-256).
    #[schema(value_type = Option<Object>)]
    pub evidence: Option<serde_json::Value>,
    /// A removal decided but not yet verified: "revoked, not yet removed", for this long.
    pub not_yet_removed_days: Option<i64>,
}

/// A campaign's report: the campaign, each item's line, the counts, and whether it is
/// complete (closed, and every removal verified).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Report {
    #[schema(value_type = Object)]
    pub review: serde_json::Value,
    pub lines: Vec<ReportLine>,
    #[schema(value_type = Object)]
    pub counts: std::collections::BTreeMap<String, u64>,
    /// Items kept without an answer (`flagged`): the exceptions.
    pub exceptions: u64,
    pub complete: bool,
}

/// Builds a campaign's report at `now`.
pub async fn report(
    store: &TenantStore<'_>,
    campaign: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Report, StoreError> {
    let review = store.campaign(campaign).await?;
    let items = store
        .review_items(campaign, &crate::store::reviews::ItemFilter::default())
        .await?;
    let people: Vec<Uuid> = items
        .iter()
        .map(|i| i.person_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let tasks = store.review_tasks(&people).await?;
    let mut counts = std::collections::BTreeMap::new();
    let mut lines = Vec::with_capacity(items.len());
    let mut complete = review.state == crate::domain::review::CampaignState::Closed.as_str();
    for item in items {
        let key = item
            .outcome
            .clone()
            .or_else(|| item.decision.clone())
            .unwrap_or_else(|| "undecided".to_owned());
        *counts.entry(key).or_insert(0u64) += 1;
        let removal = matches!(item.outcome.as_deref(), Some("revoked" | "reduced"))
            || (item.outcome.is_none()
                && matches!(item.decision.as_deref(), Some("revoke" | "reduce")));
        // The review's task for this account: the latest one since the decision (or close).
        let since = item.decided_at.or(review.closed_at);
        let task = removal
            .then(|| {
                tasks.iter().rev().find(|t| {
                    t.person_id == Some(item.person_id)
                        && t.portal.as_deref() == Some(item.portal.as_str())
                        && since.is_none_or(|s| t.created_at >= s)
                })
            })
            .flatten();
        let verified = task.is_some_and(|t| t.verified_at.is_some());
        if removal && !verified {
            complete = false;
        }
        let text = |key: &str| item.context[key].as_str().unwrap_or_default().to_owned();
        lines.push(ReportLine {
            item_id: item.id,
            person: text("person"),
            user_name: text("user_name"),
            portal: item.portal.clone(),
            username: item.username.clone(),
            roles: item.roles.clone(),
            reviewer_id: item.reviewer_id,
            decision: item.decision.clone(),
            removed_roles: item.removed_roles.clone(),
            comment: item.comment.clone(),
            decided_by: item.decided_by.clone(),
            decided_at: item.decided_at,
            outcome: item.outcome.clone(),
            left_during_review: item.left_during_review,
            task_id: task.map(|t| t.id),
            task_state: task.map(|t| t.state.as_str().to_owned()),
            done_by: task.and_then(|t| t.done_by.clone()),
            done_at: task.and_then(|t| t.done_at),
            verified_by: task.and_then(|t| t.verified_by.clone()),
            verified_at: task.and_then(|t| t.verified_at),
            evidence: task.and_then(|t| t.evidence.clone()),
            not_yet_removed_days: (removal && !verified)
                .then(|| since.map(|s| (now - s).num_days()))
                .flatten(),
        });
    }
    let exceptions = counts.get("flagged").copied().unwrap_or(0);
    Ok(Report {
        review: serde_json::to_value(&review).unwrap_or_default(),
        lines,
        counts,
        exceptions,
        complete,
    })
}

/// The report of a completed campaign as it was frozen (with the bytes and their SHA-256), or
/// else the report as it stands at `now`.
pub async fn stored_or_live_report(
    store: &TenantStore<'_>,
    campaign: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Report, Option<(String, String)>), StoreError> {
    if let Some(bytes) = store.completed_report(campaign).await? {
        let frozen: Report =
            serde_json::from_str(&bytes).map_err(|_| StoreError::Corrupt("review report"))?;
        let sha = store
            .campaign(campaign)
            .await?
            .report_sha256
            .unwrap_or_default();
        return Ok((frozen, Some((bytes, sha))));
    }
    Ok((report(store, campaign, now).await?, None))
}

impl Report {
    /// One CSV line per item, for a spreadsheet: the decision, who, when and why, and for a
    /// removal its task, who did it, who verified it, and how long it has waited.
    pub fn csv(&self) -> String {
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| t.to_rfc3339()).unwrap_or_default()
        };
        let text = |t: &Option<String>| t.clone().unwrap_or_default();
        crate::domain::csv::csv_document(
            &[
                "person",
                "user_name",
                "portal",
                "username",
                "roles",
                "decision",
                "removed_roles",
                "comment",
                "decided_by",
                "decided_at",
                "outcome",
                "task_id",
                "task_state",
                "done_by",
                "done_at",
                "verified_by",
                "verified_at",
                "not_yet_removed_days",
            ],
            self.lines.iter().map(|l| {
                vec![
                    l.person.clone(),
                    l.user_name.clone(),
                    l.portal.clone(),
                    text(&l.username),
                    l.roles.join(" "),
                    text(&l.decision),
                    l.removed_roles.join(" "),
                    text(&l.comment),
                    text(&l.decided_by),
                    time(l.decided_at),
                    text(&l.outcome),
                    l.task_id.map(|t| t.to_string()).unwrap_or_default(),
                    text(&l.task_state),
                    text(&l.done_by),
                    time(l.done_at),
                    text(&l.verified_by),
                    time(l.verified_at),
                    l.not_yet_removed_days
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                ]
            }),
        )
    }
}
