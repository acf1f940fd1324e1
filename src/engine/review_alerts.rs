//! Access reviews that run by themselves, driven by the sweeper: a scheduled campaign opens
//! when its period starts; reviewers with undecided items hear of it when it opens and at
//! each reminder before the deadline (7 days and 48 hours by default); at the deadline what
//! is undecided escalates to the fallback reviewers (the practice's managers, else its portal
//! administrators); at `closes_at` the campaign closes with its `no_answer` rule; once every
//! removal is verified the campaign completes, its report frozen and the report's SHA-256 in
//! the audit trail. Every alert goes through the outbox to the webhooks, like task alerts,
//! each with the link to the reviewer's page.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::reviews;
use crate::domain::actor::Actor;
use crate::domain::admin::AdminRole;
use crate::domain::escalation::Interval;
use crate::domain::review::schedule::campaign_alerts;
use crate::store::outbox::NewEvent;
use crate::store::reviews::NewCampaign;
use crate::store::sweep::AdminContact;
use crate::store::{Practice, StoreError, TenantStore, WriteTx};

/// What one pass did for a practice's reviews.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReviewSweep {
    pub opened: usize,
    pub alerts: usize,
    pub closed: usize,
    pub completed: usize,
}

/// Which review alert to record.
#[derive(Debug)]
pub enum ReviewEvent<'a> {
    /// A campaign opened: each reviewer and their item count.
    Opened(&'a BTreeMap<Option<Uuid>, u64>),
    /// Reminder `index` (this long before the deadline): reviewers with undecided items.
    Reminder {
        index: usize,
        before: Interval,
        undecided: &'a BTreeMap<Option<Uuid>, u64>,
    },
    /// The deadline passed with items undecided: to the fallback reviewers.
    Escalated(&'a BTreeMap<Option<Uuid>, u64>),
    /// Closed and every removal verified: the report's SHA-256.
    Completed { report_sha256: &'a str },
}

impl ReviewEvent<'_> {
    fn event_type(&self) -> &'static str {
        match self {
            ReviewEvent::Opened(_) => "review.opened",
            ReviewEvent::Reminder { .. } => "review.reminder",
            ReviewEvent::Escalated(_) => "review.escalated",
            ReviewEvent::Completed { .. } => "review.completed",
        }
    }

    /// The outbox key: one alert per campaign and step, however often a pass runs.
    fn key(&self, campaign: Uuid) -> String {
        match self {
            ReviewEvent::Reminder { index, .. } => format!("review:{campaign}:reminder:{index}"),
            other => format!("review:{campaign}:{}", other.event_type()),
        }
    }
}

/// Records a review alert for every subscribed webhook, with its audit record. Returns
/// whether it was new (an alert is recorded once per campaign and step).
pub(crate) async fn record(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    practice: &Practice,
    campaign: Uuid,
    event: ReviewEvent<'_>,
    base_url: &str,
    actor: &Actor,
) -> Result<bool, StoreError> {
    let facts = store.campaign_facts_in(tx, campaign).await?;
    let admins = store.practice_admins(tx).await?;
    let page = format!("{base_url}/console/reviews/{campaign}");
    let person = |a: &AdminContact, n: u64| json!({"name": a.name, "email": a.email, "items": n, "url": format!("{page}?mine=1")});
    let reviewers = |counts: &BTreeMap<Option<Uuid>, u64>| -> Vec<Value> {
        counts
            .iter()
            .filter_map(|(id, n)| {
                let id = (*id)?;
                admins.iter().find(|a| a.id == id).map(|a| person(a, *n))
            })
            .collect()
    };
    let unassigned = |counts: &BTreeMap<Option<Uuid>, u64>| counts.get(&None).copied();
    let (people, detail) = match &event {
        ReviewEvent::Opened(counts) => {
            (reviewers(counts), json!({"unassigned": unassigned(counts)}))
        }
        ReviewEvent::Reminder {
            index,
            before,
            undecided,
        } => (
            reviewers(undecided),
            json!({"reminder": index + 1, "before": String::from(*before),
                   "undecided": undecided.values().sum::<u64>()}),
        ),
        ReviewEvent::Escalated(undecided) => {
            let fallback = fallback_reviewers(&admins);
            (
                fallback.iter().map(|a| person(a, 0)).collect(),
                json!({"late_reviewers": reviewers(undecided),
                       "undecided": undecided.values().sum::<u64>()}),
            )
        }
        ReviewEvent::Completed { report_sha256 } => (
            Vec::new(),
            json!({"report_sha256": report_sha256,
                   "report_url": format!("{base_url}/api/v1/reviews/{campaign}/report")}),
        ),
    };
    if people.is_empty() && !matches!(event, ReviewEvent::Completed { .. }) {
        // Nobody to tell (every item decided): no alert.
        return Ok(false);
    }
    let payload = json!({
        "practice": {"slug": practice.slug.as_str(), "name": practice.name.as_str()},
        "review": {
            "id": campaign,
            "name": facts.name,
            "deadline": facts.deadline,
            "url": page,
        },
        "detail": detail,
        "notify": {"people": people},
        "url": page,
    });
    let audit_detail = json!({"review": campaign, "notified": people.len()});
    store
        .notify(
            tx,
            NewEvent {
                key: event.key(campaign),
                event_type: event.event_type(),
                task: None,
                payload,
            },
            &format!("review {campaign}"),
            audit_detail,
            actor,
        )
        .await
}

/// Who decides what a late reviewer left: the practice's managers, else its portal
/// administrators.
fn fallback_reviewers(admins: &[AdminContact]) -> Vec<&AdminContact> {
    let with = |role: AdminRole| -> Vec<&AdminContact> {
        admins.iter().filter(|a| a.role == role.as_str()).collect()
    };
    let managers = with(AdminRole::Manager);
    if managers.is_empty() {
        with(AdminRole::PortalAdmin)
    } else {
        managers
    }
}

/// One pass over a practice's reviews at `now`: open the scheduled one, send what each open
/// campaign is owed, close what is due, and complete what is finished.
pub async fn sweep(
    store: &TenantStore<'_>,
    practice: &Practice,
    now: DateTime<Utc>,
    base_url: &str,
) -> Result<ReviewSweep, StoreError> {
    let mut done = ReviewSweep::default();
    let actor = Actor::system(now);
    let schedule = &practice.review_schedule;
    if let Some(period) = schedule.due(now, practice.time_zone.tz(), practice.created_at)
        && !store.period_opened(&period.key).await?
    {
        let new = NewCampaign {
            name: format!("Access review {}", period.key),
            scope: schedule.scope.clone(),
            starts_at: period.starts_at,
            deadline: period.deadline,
            no_answer: schedule.no_answer,
            portal_reviewers: BTreeMap::new(),
            period_key: Some(period.key.clone()),
            reminders: schedule.reminders.clone(),
            closes_at: Some(period.closes_at),
        };
        match reviews::open(store, practice, new, &actor, base_url).await {
            Ok(_) => done.opened += 1,
            // Another instance opened it first: the unique period key says so.
            Err(StoreError::Conflict(_)) => {}
            Err(err) => return Err(err),
        }
    }
    for campaign in store.campaigns_due(now).await? {
        let tx = store.begin_write().await?;
        let facts = store.campaign_facts_in(&tx, campaign).await?;
        let offsets: Vec<chrono::Duration> = facts.reminders.iter().map(|r| r.0).collect();
        let due = campaign_alerts(
            &offsets,
            facts.reminders_sent,
            facts.deadline,
            facts.escalated_at.is_some(),
            facts.closes_at,
            now,
        );
        if due.reminder.is_some() || due.escalate {
            let undecided = store.undecided_by_reviewer_in(&tx, campaign).await?;
            let event = match due.reminder {
                Some(index) => ReviewEvent::Reminder {
                    index,
                    before: facts.reminders[index],
                    undecided: &undecided,
                },
                None => ReviewEvent::Escalated(&undecided),
            };
            if record(store, &tx, practice, campaign, event, base_url, &actor).await? {
                done.alerts += 1;
            }
        }
        store
            .advance_campaign_in(
                &tx,
                campaign,
                due.reminders_sent,
                due.escalate.then_some(now),
                due.next_at,
            )
            .await?;
        tx.commit().await?;
        if due.close {
            reviews::close(store, campaign, &actor).await?;
            done.closed += 1;
        }
    }
    for campaign in store.campaigns_incomplete().await? {
        let report = reviews::report(store, campaign, now).await?;
        if !report.complete {
            continue;
        }
        let bytes = serde_json::to_string(&report).map_err(|_| StoreError::Corrupt("report"))?;
        let sha = hex::encode(Sha256::digest(bytes.as_bytes()));
        let tx = store.begin_write().await?;
        if store
            .complete_campaign_in(&tx, campaign, &bytes, &sha, report.lines.len(), &actor)
            .await?
        {
            let event = ReviewEvent::Completed {
                report_sha256: &sha,
            };
            record(store, &tx, practice, campaign, event, base_url, &actor).await?;
            done.completed += 1;
        }
        tx.commit().await?;
    }
    Ok(done)
}
