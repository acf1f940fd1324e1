//! Portal duties on their calendars: when a duty's window opens (Palmetto's user
//! recertification 30 days before its 360th day, Noridian's 45), the sweeper opens one
//! `recertify` task for the portal's administrators, due at the duty's deadline, listing the
//! accounts to recertify; it climbs the practice's ladder like any task. A duty on the
//! administrator accounts themselves (the organisation loses the portal if none recertifies)
//! escalates from day one: the whole escalation chain hears of it when the window opens.
//! Doing the task records the duty met, so the next cycle counts from then.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::payloads::SweepContext;
use crate::domain::actor::Actor;
use crate::domain::duty::DutyState;
use crate::domain::escalation::{Alert, Step};
use crate::domain::ladder::{first_alert_at, task_window};
use crate::domain::task::{EventKind, TaskKind};
use crate::store::calendar_tasks::CalendarTask;
use crate::store::duties::PortalDuty;
use crate::store::outbox::NewEvent;
use crate::store::{Practice, StoreError, TenantStore, WriteTx};

/// Accounts named in a task's instructions; the rest are counted.
const LISTED: usize = 25;

/// Opens the `recertify` task of every duty whose window is open and has none yet for its
/// deadline. Returns how many it opened.
pub(super) async fn open_due(
    store: &TenantStore<'_>,
    practice: &Practice,
    now: DateTime<Utc>,
    base_url: &str,
) -> Result<usize, StoreError> {
    let due: Vec<PortalDuty> = store
        .duties(None, now)
        .await?
        .into_iter()
        .filter(|d| d.state != DutyState::Ok)
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let actor = Actor::system(now);
    let tz = practice.time_zone.tz();
    let mut opened = 0;
    for duty in due {
        let tx = store.begin_write().await?;
        if store
            .duty_task_exists_in(&tx, &duty.portal, &duty.key, duty.due_at)
            .await?
        {
            continue;
        }
        let policy = store.escalation_policy_in_tx(&tx).await?.document;
        let window = task_window(
            TaskKind::Recertify,
            EventKind::Duty,
            false,
            now,
            duty.due_at,
        );
        let new = CalendarTask {
            id: Uuid::now_v7(),
            person_id: None,
            portal: duty.portal.clone(),
            kind: TaskKind::Recertify,
            cause: EventKind::Duty,
            action: instructions(store, &tx, &duty, tz).await?,
            due_at: duty.due_at,
            next_alert_at: first_alert_at(&policy, &window, now, tz),
            duty_key: Some(duty.key.clone()),
            portal_username: None,
        };
        store.open_calendar_task_in(&tx, &new, &actor).await?;
        if duty.escalates_from_day_one {
            let row = store.task_in(&tx, new.id).await?;
            let context = SweepContext {
                practice,
                policy: &policy,
                admins: store.practice_admins(&tx).await?,
                base_url,
                now,
            };
            for (number, contact) in policy.chain.iter().enumerate() {
                let alert = Alert {
                    step: Step::Escalation { level: 0 },
                    threshold: now,
                    contact: contact.clone(),
                };
                let event = NewEvent {
                    key: format!("task:{}:day-one:{number}", row.id),
                    event_type: alert.step.event_type(),
                    task: Some(row.id),
                    payload: context.task_payload(&row, "", &alert, 0),
                };
                let detail = json!({"step": "day-one", "contact": contact.to_string(), "due_at": row.due_at});
                store
                    .notify(&tx, event, &format!("task {}", row.id), detail, &actor)
                    .await?;
            }
        }
        tx.commit().await?;
        opened += 1;
    }
    Ok(opened)
}

/// What the administrator is asked to do, with the accounts to recertify.
async fn instructions(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    duty: &PortalDuty,
    tz: chrono_tz::Tz,
) -> Result<String, StoreError> {
    let accounts: Vec<_> = store
        .access_rows_in_tx(tx)
        .await?
        .into_iter()
        .filter(|a| a.portal == duty.portal)
        .collect();
    let people: Vec<Uuid> = accounts.iter().map(|a| a.person_id).collect();
    let names = store.display_names_in_tx(tx, &people).await?;
    let listed: Vec<String> = accounts
        .iter()
        .take(LISTED)
        .map(|a| {
            let who = names.get(&a.person_id).cloned().unwrap_or_default();
            match &a.username {
                Some(username) => format!("{username} ({who})"),
                None => who,
            }
        })
        .collect();
    let more = accounts.len().saturating_sub(LISTED);
    let due = duty.due_at.with_timezone(&tz).format("%a %-d %b %Y");
    Ok(format!(
        "{} in {} by {due}. {}. Accounts on record ({}): {}{}. Decide them in an access review of \
         this portal (its page: \"Review this portal's accounts\"), recertify or remove them in \
         the portal, then mark this task done: that records the duty met.",
        duty.name,
        duty.portal_name,
        duty.consequence.trim_end_matches('.'),
        accounts.len(),
        if listed.is_empty() {
            "none".to_owned()
        } else {
            listed.join(", ")
        },
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
    ))
}
