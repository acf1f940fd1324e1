//! Access reviews that run by themselves: a scheduled campaign opens when its period starts;
//! reviewers with undecided items hear of it when it opens and at each reminder before the
//! deadline (7 days and 48 hours by default); at the deadline what is undecided escalates to
//! the fallback reviewers; at `closes_at` the campaign closes with its `no_answer` rule; once
//! every removal is verified the campaign completes, its report frozen and the report's
//! SHA-256 in the audit trail. The alerts themselves are `engine::review_alerts`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::actor::Actor;
use crate::domain::review::schedule::campaign_alerts;
use crate::engine::review_alerts::{ReviewEvent, record};
use crate::engine::reviews;
use crate::store::reviews::NewCampaign;
use crate::store::{Practice, StoreError, TenantStore};

/// What one pass did for a practice's reviews.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReviewSweep {
    pub opened: usize,
    pub alerts: usize,
    pub closed: usize,
    pub completed: usize,
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
