//! The alerts of access reviews: a review opened, a reminder to the reviewers with
//! undecided items, the escalation to the fallback reviewers (the practice's managers, else
//! its portal administrators), a review completed. Each goes through the outbox to the
//! webhooks, like task alerts, with the link to the reviewer's page; when each is due is the
//! sweeper's business (`engine::sweep::reviews`).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::actor::Actor;
use crate::domain::admin::AdminRole;
use crate::domain::escalation::Interval;
use crate::store::outbox::NewEvent;
use crate::store::sweep::AdminContact;
use crate::store::{Practice, StoreError, TenantStore, WriteTx};

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
