//! Training that lapses: 30 days before a person's training for a portal that requires it
//! runs out, the sweeper opens one `training` task for the portal administrator to have the
//! person renew it, due when it lapses; it climbs the practice's ladder like any task. Doing
//! the task (or recording the training anew) records the renewal.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::actor::Actor;
use crate::domain::ladder::{first_alert_at, task_window};
use crate::domain::task::{EventKind, TaskKind};
use crate::store::calendar_tasks::CalendarTask;
use crate::store::{Practice, StoreError, TenantStore};

/// Opens the renewal task of every lapsing training that has none for this lapse. Returns
/// how many it opened.
pub(super) async fn open_renewals(
    store: &TenantStore<'_>,
    practice: &Practice,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let lapsing = store.lapsing_training(now).await?;
    if lapsing.is_empty() {
        return Ok(0);
    }
    let actor = Actor::system(now);
    let tz = practice.time_zone.tz();
    let portals = store.practice_portals().await?;
    let people: Vec<Uuid> = lapsing.iter().map(|l| l.person_id).collect();
    let names = store.display_names(&people).await?;
    let tx = store.begin_write().await?;
    let policy = store.escalation_policy_in_tx(&tx).await?.document;
    for due in &lapsing {
        let portal = portals
            .get(&due.portal)
            .map_or(due.portal.as_str(), |p| p.portal.name.as_str());
        let who = names.get(&due.person_id).cloned().unwrap_or_default();
        let lapses = due.expires_at.with_timezone(&tz).format("%a %-d %b %Y");
        let window = task_window(
            TaskKind::Training,
            EventKind::Training,
            false,
            now,
            due.expires_at,
        );
        let new = CalendarTask {
            id: Uuid::now_v7(),
            person_id: Some(due.person_id),
            portal: due.portal.clone(),
            kind: TaskKind::Training,
            cause: EventKind::Training,
            duty_key: None,
            portal_username: None,
            action: format!(
                "{who}'s {portal} training lapses {lapses}. Have them complete it again, then \
                 mark this task done (that records the training, valid from then) or record it \
                 on their page."
            ),
            due_at: due.expires_at,
            next_alert_at: first_alert_at(&policy, &window, now, tz),
        };
        store.open_calendar_task_in(&tx, &new, &actor).await?;
    }
    tx.commit().await?;
    Ok(lapsing.len())
}
