//! Sweeping: for each practice, run its access reviews (`engine::review_alerts`: open the
//! scheduled one, remind, escalate, close, complete), move every task whose next alert is due
//! along its escalation ladder (`domain::escalation`) and record each alert in the outbox
//! with its audit record;
//! record the daily signed checkpoint of the audit chain and the daily digest; notice a practice portal falling below (or back to) its minimum
//! administrator count. Each batch is one write transaction under the practice's lock, so an
//! alert is decided once and recorded with its task's new position.

mod duties;
mod lockouts;
mod payloads;
mod reviews;
mod training;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use payloads::{DigestFigures, SweepContext};

use crate::domain::actor::Actor;
use crate::domain::audit::checkpoint::{AuditSigner, Reason};
use crate::domain::escalation::LadderPosition;
use crate::domain::ladder::task_window;
use crate::engine::checkpoint::{chain_moved, checkpoint_in, daily_due};
use crate::store::outbox::NewEvent;
use crate::store::tasks::{TaskFilter, TaskRecord};
use crate::store::{Practice, Store, StoreError, TenantStore, WriteTx};
use reviews::ReviewSweep;

/// Tasks swept per batch, and batches per practice per pass (the rest waits one interval).
const BATCH: u64 = 200;
const MAX_BATCHES: usize = 50;

/// What one pass recorded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub alerts: usize,
    pub digests: usize,
    pub admin_alerts: usize,
    /// Signed checkpoints of audit chains.
    pub checkpoints: usize,
    /// Access reviews opened, alerted, closed and completed.
    pub reviews: ReviewSweep,
    /// `recertify` tasks opened as portal duties' windows opened.
    pub duty_tasks: usize,
    /// `training` tasks opened for trainings about to lapse.
    pub training_tasks: usize,
    /// `practice_portal.admin_lockout_soon` alerts for administrator accounts a week from
    /// their portal's inactivity lockout.
    pub lockout_alerts: usize,
}

impl std::ops::AddAssign for SweepReport {
    fn add_assign(&mut self, other: Self) {
        self.alerts += other.alerts;
        self.digests += other.digests;
        self.admin_alerts += other.admin_alerts;
        self.checkpoints += other.checkpoints;
        self.reviews.opened += other.reviews.opened;
        self.reviews.alerts += other.reviews.alerts;
        self.reviews.closed += other.reviews.closed;
        self.reviews.completed += other.reviews.completed;
        self.duty_tasks += other.duty_tasks;
        self.training_tasks += other.training_tasks;
        self.lockout_alerts += other.lockout_alerts;
    }
}

/// One pass over every practice. A practice whose sweep fails is logged and retried next
/// pass; it does not hold up the others.
pub async fn sweep(
    store: &Store,
    now: DateTime<Utc>,
    base_url: &str,
    signer: &AuditSigner,
) -> Result<SweepReport, StoreError> {
    let mut report = SweepReport::default();
    for practice in store.list_practices().await? {
        let tenant = store.tenant(practice.id);
        match sweep_practice(&tenant, &practice, now, base_url, signer).await {
            Ok(done) => report += done,
            Err(err) => {
                tracing::warn!(practice = %practice.slug.as_str(), error = %err, "sweep failed")
            }
        }
    }
    Ok(report)
}

async fn sweep_practice(
    store: &TenantStore<'_>,
    practice: &Practice,
    now: DateTime<Utc>,
    base_url: &str,
    signer: &AuditSigner,
) -> Result<SweepReport, StoreError> {
    let reviews = reviews::sweep(store, practice, now, base_url).await?;
    // Before the ladder, so a duty task opened now gets its alerts in this very pass.
    let duty_tasks = duties::open_due(store, practice, now, base_url).await?;
    let training_tasks = training::open_renewals(store, practice, now).await?;
    let lockout_alerts = lockouts::alert_lockouts(store, practice, now).await?;
    let tz = practice.time_zone.tz();
    // Cheap reads first: most passes find nothing, and take no lock.
    let tasks_due = !store.tasks_due(now, 1).await?.is_empty();
    let digest = match store
        .escalation_policy()
        .await?
        .document
        .digest_date(now, tz)
    {
        Some(date) if !store.event_recorded(&digest_key(date)).await? => Some(date),
        _ => None,
    };
    let admin_changes = store.admin_counts().await?.iter().any(crosses_minimum);
    let head_seq = store.audit_head().await?.map_or(0, |(seq, _)| seq);
    let checkpoint = daily_due(
        store.latest_audit_checkpoint().await?.as_ref(),
        head_seq,
        now,
    );
    if !tasks_due && digest.is_none() && !admin_changes && !checkpoint {
        return Ok(SweepReport {
            reviews,
            duty_tasks,
            training_tasks,
            lockout_alerts,
            ..SweepReport::default()
        });
    }

    let actor = Actor::system(now);
    let mut report = SweepReport {
        reviews,
        duty_tasks,
        training_tasks,
        lockout_alerts,
        ..SweepReport::default()
    };
    // One transaction per batch, so the practice's lock (on SQLite, the one writer) is never
    // held for long. Each batch reads the policy under the lock, so a policy replaced
    // meanwhile applies at once.
    for _ in 0..MAX_BATCHES {
        let tx = store.begin_write().await?;
        let policy = store.escalation_policy_in_tx(&tx).await?.document;
        let context = SweepContext {
            practice,
            policy: &policy,
            admins: store.practice_admins(&tx).await?,
            base_url,
            now,
        };
        let batch = store.tasks_due_in(&tx, now, BATCH).await?;
        let people: Vec<Uuid> = batch.iter().filter_map(|t| t.person_id).collect();
        let names = store.display_names_in_tx(&tx, &people).await?;
        for row in &batch {
            let person = row
                .person_id
                .and_then(|p| names.get(&p))
                .map_or("", String::as_str);
            report.alerts += sweep_task(store, &tx, &context, row, person, &actor).await?;
        }
        let more = batch.len() as u64 == BATCH;
        if !more {
            report.admin_alerts += record_admin_counts(store, &tx, &context, &actor).await?;
            // Signed after everything this pass recorded; a digest carries the latest
            // checkpoint, made now if the chain moved since.
            let head_seq = store.audit_head_in(&tx).await?.map_or(0, |(seq, _)| seq);
            let latest = store.latest_audit_checkpoint_in(&tx).await?;
            let sign = if digest.is_some() {
                chain_moved(latest.as_ref(), head_seq)
            } else {
                daily_due(latest.as_ref(), head_seq, now)
            };
            if sign {
                checkpoint_in(store, &tx, signer, &actor, Reason::Daily).await?;
                report.checkpoints += 1;
            }
            if let Some(date) = digest {
                report.digests += record_digest(store, &tx, &context, date, &actor).await?;
            }
        }
        tx.commit().await?;
        if !more {
            break;
        }
    }
    Ok(report)
}

/// Records the alerts `row` is owed and moves it along its ladder.
async fn sweep_task(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    context: &SweepContext<'_>,
    row: &TaskRecord,
    person: &str,
    actor: &Actor,
) -> Result<usize, StoreError> {
    let removes_roles = !row.roles_remove.0.is_empty();
    let window = task_window(
        row.kind,
        row.cause,
        removes_roles,
        row.created_at,
        row.due_at,
    );
    let from = LadderPosition {
        reminders_sent: u32::try_from(row.reminders_sent).unwrap_or(0),
        escalation_level: u32::try_from(row.escalation_level).unwrap_or(0),
    };
    let sweep = context
        .policy
        .sweep(&window, from, context.now, context.practice.time_zone.tz());
    let mut recorded = 0;
    for alert in &sweep.alerts {
        let payload = context.task_payload(row, person, alert, sweep.position.escalation_level);
        let event = NewEvent {
            key: format!("task:{}:{}", row.id, alert.step.key()),
            event_type: alert.step.event_type(),
            task: Some(row.id),
            payload,
        };
        let detail = json!({
            "step": alert.step.key(),
            "contact": alert.contact.to_string(),
            "due_at": row.due_at,
        });
        if store
            .notify(tx, event, &format!("task {}", row.id), detail, actor)
            .await?
        {
            recorded += 1;
        }
    }
    // Always later than now, so no time-zone quirk can make one pass pick the same task again
    // and again.
    let next = sweep
        .next_alert_at
        .map(|at| at.max(context.now + chrono::Duration::seconds(1)));
    store
        .advance_ladder(tx, row.id, sweep.position, next)
        .await?;
    Ok(recorded)
}

/// The day's digest: what is open and overdue, by portal, the oldest overdue item, the audit
/// trail's head and its latest signed checkpoint (a copy of either outside the database
/// anchors the chain).
async fn record_digest(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    context: &SweepContext<'_>,
    date: NaiveDate,
    actor: &Actor,
) -> Result<usize, StoreError> {
    let figures = DigestFigures {
        counts: store.task_counts(context.now).await?,
        oldest: store
            .tasks(&TaskFilter {
                overdue_at: Some(context.now),
                limit: 1,
                ..TaskFilter::default()
            })
            .await?
            .into_iter()
            .next(),
        head: store.audit_head_in(tx).await?,
        checkpoint: store.latest_audit_checkpoint_in(tx).await?,
    };
    let payload = context.digest_payload(date, figures);
    let event = NewEvent {
        key: digest_key(date),
        event_type: "digest.daily",
        task: None,
        payload,
    };
    let new = store
        .notify(tx, event, &format!("digest {date}"), json!({}), actor)
        .await?;
    Ok(usize::from(new))
}

/// Whether a practice portal's administrator count crossed its minimum since the last look.
fn crosses_minimum(count: &crate::store::sweep::AdminCount) -> bool {
    let below = i64::from(count.admins) < i64::from(count.min_admins);
    below != count.below_since.is_some()
}

/// Alerts once when a portal drops below its minimum administrator count (and records when it
/// recovers, re-arming the alert).
async fn record_admin_counts(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    context: &SweepContext<'_>,
    actor: &Actor,
) -> Result<usize, StoreError> {
    let mut alerts = 0;
    for count in store.admin_counts_in(tx).await? {
        if !crosses_minimum(&count) {
            continue;
        }
        let below = i64::from(count.admins) < i64::from(count.min_admins);
        store
            .set_admins_below_since(tx, count.id, below.then_some(context.now))
            .await?;
        let (event_type, change) = if below {
            ("practice_portal.below_min_admins", "below")
        } else {
            ("practice_portal.admins_restored", "restored")
        };
        let key = format!(
            "min_admins:{}:{}:{change}",
            count.portal,
            context.now.timestamp_micros()
        );
        let event = NewEvent {
            key,
            event_type,
            task: None,
            payload: context.admin_count_payload(&count),
        };
        let detail = json!({"admins": count.admins, "min_admins": count.min_admins});
        if store
            .notify(tx, event, &count.portal, detail, actor)
            .await?
        {
            alerts += usize::from(below);
        }
    }
    Ok(alerts)
}

fn digest_key(date: NaiveDate) -> String {
    format!("digest:{date}")
}
