//! The sweeper's storage side: for each practice, in one write transaction, move every due task
//! along its escalation ladder and record each alert in the outbox with its audit record; record
//! the daily digest; notice a practice portal falling below its minimum administrator count.
//!
//! Exactly once: a practice's sweep holds its write lock (SQLite's single writer, the practice
//! row on PostgreSQL), re-reads what is due under it, and every outbox event has a unique key. Two
//! instances sweeping together serialise per practice; the second finds nothing left to do.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    admin, admin_membership, audit_event, outbox_event, portal_account, practice_portal, task,
};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit;
use super::outbox::{self, Fanout, NewEvent};
use super::tasks::{TaskFilter, TaskRow};
use super::{Practice, Store, StoreError, TenantStore};
use crate::domain::actor::Actor;
use crate::domain::escalation::{Alert, Contact, EscalationPolicy, LadderPosition};
use crate::domain::ladder::{ladder_finished, task_window};
use crate::domain::task::TaskState;

/// Tasks swept per batch, and batches per practice per pass (the rest waits one interval).
const BATCH: u64 = 200;
const MAX_BATCHES: usize = 50;

/// What one pass recorded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub alerts: usize,
    pub digests: usize,
    pub admin_alerts: usize,
}

impl std::ops::AddAssign for SweepReport {
    fn add_assign(&mut self, other: Self) {
        self.alerts += other.alerts;
        self.digests += other.digests;
        self.admin_alerts += other.admin_alerts;
    }
}

impl Store {
    /// One pass over every practice. A practice whose sweep fails is logged and retried next
    /// pass; it does not hold up the others.
    pub async fn sweep(
        &self,
        now: DateTime<Utc>,
        base_url: &str,
    ) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        for practice in self.list_practices().await? {
            match self
                .tenant(practice.id)
                .sweep(&practice, now, base_url)
                .await
            {
                Ok(done) => report += done,
                Err(err) => {
                    tracing::warn!(practice = %practice.slug.as_str(), error = %err, "sweep failed")
                }
            }
        }
        Ok(report)
    }
}

impl TenantStore<'_> {
    async fn sweep(
        &self,
        practice: &Practice,
        now: DateTime<Utc>,
        base_url: &str,
    ) -> Result<SweepReport, StoreError> {
        let tz = practice.time_zone.tz();
        // Cheap reads first: most passes find nothing, and take no lock.
        let tasks_due = !self.tasks_due(self.db, now, 1).await?.is_empty();
        let digest = match self
            .escalation_policy()
            .await?
            .document
            .digest_date(now, tz)
        {
            Some(date) if !self.event_recorded(self.db, &digest_key(date)).await? => Some(date),
            _ => None,
        };
        let admin_changes = !self.admin_count_changes(self.db).await?.is_empty();
        if !tasks_due && digest.is_none() && !admin_changes {
            return Ok(SweepReport::default());
        }

        let actor = Actor::system(now);
        let mut report = SweepReport::default();
        // One transaction per batch, so the practice's lock (on SQLite, the one writer) is
        // never held for long. Each batch reads the policy under the lock, so a policy
        // replaced meanwhile applies at once.
        for _ in 0..MAX_BATCHES {
            let tx = self.begin_write().await?;
            let policy = self.escalation_policy_in(&tx.tx).await?.document;
            let context = SweepContext {
                practice,
                policy: &policy,
                admins: self.practice_admins(&tx.tx).await?,
                base_url,
                now,
            };
            let batch = self.tasks_due(&tx.tx, now, BATCH).await?;
            let people: Vec<Uuid> = batch.iter().map(|t| t.person_id).collect();
            let names = self.display_names(&people).await?;
            for row in &batch {
                let person = names.get(&row.person_id).map_or("", String::as_str);
                report.alerts += self
                    .sweep_task(&tx.tx, &context, row, person, &actor)
                    .await?;
            }
            let more = batch.len() as u64 == BATCH;
            if !more {
                if let Some(date) = digest {
                    report.digests += self.record_digest(&tx.tx, &context, date, &actor).await?;
                }
                report.admin_alerts += self.record_admin_counts(&tx.tx, &context, &actor).await?;
            }
            tx.commit().await?;
            if !more {
                break;
            }
        }
        Ok(report)
    }

    /// Pending tasks whose next alert is due, or not worked out yet.
    async fn tasks_due(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<TaskRow>, StoreError> {
        Ok(task::Entity::find()
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::State.is_in(TaskState::PENDING))
            .filter(
                Condition::any()
                    .add(task::Column::NextAlertAt.is_null())
                    .add(task::Column::NextAlertAt.lte(now)),
            )
            .order_by_asc(task::Column::DueAt)
            .order_by_asc(task::Column::Id)
            .limit(limit)
            .into_model::<TaskRow>()
            .all(db)
            .await?)
    }

    /// Records the alerts `row` is owed and moves it along its ladder. Its version is left
    /// alone: an alert is not a change an administrator acting on the task could conflict with.
    async fn sweep_task(
        &self,
        db: &impl ConnectionTrait,
        context: &SweepContext<'_>,
        row: &TaskRow,
        person: &str,
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let removes_roles = row.roles_remove.as_array().is_some_and(|r| !r.is_empty());
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
        let sweep =
            context
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
            if self
                .notify(db, event, &format!("task {}", row.id), detail, actor)
                .await?
            {
                recorded += 1;
            }
        }
        task::Entity::update_many()
            .col_expr(
                task::Column::RemindersSent,
                Expr::value(sweep.position.reminders_sent as i32),
            )
            .col_expr(
                task::Column::EscalationLevel,
                Expr::value(sweep.position.escalation_level as i32),
            )
            .col_expr(
                task::Column::NextAlertAt,
                // Always later than now, so no time-zone quirk can make one pass pick the
                // same task again and again.
                Expr::value(sweep.next_alert_at.map_or_else(ladder_finished, |at| {
                    at.max(context.now + chrono::Duration::seconds(1))
                })),
            )
            .filter(task::Column::Id.eq(row.id))
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .exec(db)
            .await?;
        Ok(recorded)
    }

    async fn event_recorded(
        &self,
        db: &impl ConnectionTrait,
        key: &str,
    ) -> Result<bool, StoreError> {
        Ok(outbox_event::Entity::find()
            .select_only()
            .column(outbox_event::Column::Id)
            .filter(outbox_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(outbox_event::Column::EventKey.eq(key))
            .into_tuple::<Uuid>()
            .one(db)
            .await?
            .is_some())
    }

    /// The day's digest: what is open and overdue, by portal, the oldest overdue item, and the
    /// audit trail's head (a copy of it outside the database anchors the chain).
    async fn record_digest(
        &self,
        db: &impl ConnectionTrait,
        context: &SweepContext<'_>,
        date: NaiveDate,
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let counts = self.task_counts(context.now).await?;
        let mut by_portal: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (state, _, portal, n) in &counts.by_state_kind_portal {
            if TaskState::PENDING.contains(state) {
                by_portal
                    .entry(portal.clone().unwrap_or_default())
                    .or_default()
                    .0 += n;
            }
        }
        for (portal, n) in &counts.overdue_by_portal {
            by_portal
                .entry(portal.clone().unwrap_or_default())
                .or_default()
                .1 += n;
        }
        let oldest = self
            .tasks(&TaskFilter {
                overdue_at: Some(context.now),
                limit: 1,
                ..TaskFilter::default()
            })
            .await?
            .into_iter()
            .next();
        let head = audit_event::Entity::find()
            .filter(audit_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_desc(audit_event::Column::PracticeSeq)
            .one(db)
            .await?;
        let payload = json!({
            "practice": context.practice_json(),
            "digest": {
                "date": date,
                "open": by_portal.values().map(|c| c.0).sum::<u64>(),
                "overdue": by_portal.values().map(|c| c.1).sum::<u64>(),
                "by_portal": by_portal.iter().map(|(portal, (open, overdue))| json!({
                    "portal": (!portal.is_empty()).then_some(portal),
                    "open": open,
                    "overdue": overdue,
                })).collect::<Vec<_>>(),
                "oldest_overdue": oldest.map(|t| json!({
                    "id": t.id,
                    "kind": t.kind,
                    "portal": t.portal,
                    "person": t.person_display,
                    "due_at": t.due_at,
                    "overdue_seconds": (context.now - t.due_at).num_seconds().max(0),
                    "url": format!("{}/api/v1/tasks/{}", context.base_url, t.id),
                })),
                "audit_head": head.map(|h| json!({"seq": h.practice_seq, "hash": hex::encode(h.hash)})),
            },
            "url": format!("{}/api/v1/queue", context.base_url),
        });
        let event = NewEvent {
            key: digest_key(date),
            event_type: "digest.daily",
            task: None,
            payload,
        };
        let new = self
            .notify(db, event, &format!("digest {date}"), json!({}), actor)
            .await?;
        Ok(usize::from(new))
    }

    /// Practice portals whose administrator count crossed `min_admins` since the last look:
    /// (row, administrators now, below now).
    async fn admin_count_changes(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<(practice_portal::Model, u32, bool)>, StoreError> {
        let rows = practice_portal::Entity::find()
            .filter(practice_portal::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(practice_portal::Column::MinAdmins.is_not_null())
            .all(db)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let portals = self.practice_portals_in(db).await?;
        let mut changes = Vec::new();
        for row in rows {
            let (Some(min), Some(portal)) = (row.min_admins, portals.get(&row.portal_slug)) else {
                continue;
            };
            let accounts: Vec<Value> = portal_account::Entity::find()
                .select_only()
                .column(portal_account::Column::Roles)
                .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(portal_account::Column::PortalSlug.eq(row.portal_slug.clone()))
                .filter(portal_account::Column::Status.eq("active"))
                .into_tuple()
                .all(db)
                .await?;
            let admins = accounts
                .iter()
                .filter(|roles| {
                    roles.as_array().is_some_and(|roles| {
                        roles
                            .iter()
                            .filter_map(Value::as_str)
                            .any(|r| portal.portal.role(r).is_some_and(|role| role.is_admin))
                    })
                })
                .count() as u32;
            let below = i64::from(admins) < i64::from(min);
            if below != row.admins_below_min_since.is_some() {
                changes.push((row, admins, below));
            }
        }
        Ok(changes)
    }

    /// Alerts once when a portal drops below its minimum administrator count (and records when
    /// it recovers, re-arming the alert).
    async fn record_admin_counts(
        &self,
        db: &impl ConnectionTrait,
        context: &SweepContext<'_>,
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let mut alerts = 0;
        for (row, admins, below) in self.admin_count_changes(db).await? {
            let since = below.then_some(context.now);
            practice_portal::Entity::update_many()
                .col_expr(
                    practice_portal::Column::AdminsBelowMinSince,
                    Expr::value(since),
                )
                .filter(practice_portal::Column::Id.eq(row.id))
                .filter(practice_portal::Column::PracticeId.eq(self.practice.as_uuid()))
                .exec(db)
                .await?;
            let (event_type, key) = if below {
                (
                    "practice_portal.below_min_admins",
                    format!(
                        "min_admins:{}:{}:below",
                        row.portal_slug,
                        context.now.timestamp_micros()
                    ),
                )
            } else {
                (
                    "practice_portal.admins_restored",
                    format!(
                        "min_admins:{}:{}:restored",
                        row.portal_slug,
                        context.now.timestamp_micros()
                    ),
                )
            };
            let payload = json!({
                "practice": context.practice_json(),
                "practice_portal": {
                    "portal": row.portal_slug,
                    "min_admins": row.min_admins,
                    "admins": admins,
                },
                "url": format!("{}/api/v1/practice-portals", context.base_url),
            });
            let event = NewEvent {
                key,
                event_type,
                task: None,
                payload,
            };
            let detail = json!({"admins": admins, "min_admins": row.min_admins});
            if self
                .notify(db, event, &row.portal_slug, detail, actor)
                .await?
            {
                alerts += usize::from(below);
            }
        }
        Ok(alerts)
    }

    /// Records `event` for every subscribed webhook and, when it is new, its `notify.<type>`
    /// audit record (`detail` plus the event's id), in `db`. Returns whether it was new.
    async fn notify(
        &self,
        db: &impl ConnectionTrait,
        event: NewEvent<'_>,
        target: &str,
        mut detail: Value,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let action = format!("notify.{}", event.event_type);
        let fanout = Fanout::Subscribers { except: None };
        let Some(event_id) = outbox::record(db, self.practice, event, fanout, actor.at).await?
        else {
            return Ok(false);
        };
        detail["event"] = json!(event_id);
        audit::append(db, self.practice, actor, &action, target, Some(detail)).await?;
        Ok(true)
    }

    /// The practice's active administrators and their roles, for naming contacts.
    async fn practice_admins(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<AdminContact>, StoreError> {
        let memberships = admin_membership::Entity::find()
            .filter(admin_membership::Column::PracticeId.eq(self.practice.as_uuid()))
            .all(db)
            .await?;
        let ids: Vec<Uuid> = memberships.iter().map(|m| m.admin_id).collect();
        let admins: BTreeMap<Uuid, admin::Model> = admin::Entity::find()
            .filter(admin::Column::Id.is_in(ids))
            .filter(admin::Column::Active.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(memberships
            .into_iter()
            .filter_map(|m| {
                admins.get(&m.admin_id).map(|a| AdminContact {
                    name: a.name.clone(),
                    email: a.email.clone(),
                    role: m.role,
                })
            })
            .collect())
    }
}

fn digest_key(date: NaiveDate) -> String {
    format!("digest:{date}")
}

#[derive(Debug, Clone)]
struct AdminContact {
    name: String,
    email: String,
    role: String,
}

/// What every alert of one practice's sweep shares.
struct SweepContext<'a> {
    practice: &'a Practice,
    policy: &'a EscalationPolicy,
    admins: Vec<AdminContact>,
    base_url: &'a str,
    now: DateTime<Utc>,
}

impl SweepContext<'_> {
    fn practice_json(&self) -> Value {
        json!({"slug": self.practice.slug.as_str(), "name": self.practice.name.as_str()})
    }

    /// The people a contact stands for. The assignee is whoever the task is assigned to or
    /// claimed by; with nobody, the practice's portal administrators.
    fn people(&self, contact: &Contact, row: &TaskRow) -> Vec<Value> {
        let admin_json = |a: &AdminContact| json!({"name": a.name, "email": a.email});
        let with_role = |role: &str| -> Vec<Value> {
            self.admins
                .iter()
                .filter(|a| a.role == role)
                .map(admin_json)
                .collect()
        };
        match contact {
            Contact::Assignee => match row.assignee.as_ref().or(row.claimed_by.as_ref()) {
                Some(who) => vec![
                    self.admins
                        .iter()
                        .find(|a| {
                            who.eq_ignore_ascii_case(&a.email)
                                || who.contains(&format!("<{}>", a.email))
                        })
                        .map_or_else(|| json!({"name": who}), admin_json),
                ],
                None => with_role("portal_admin"),
            },
            Contact::Role(role) => with_role(role),
            Contact::Email(email) => vec![json!({"email": email})],
        }
    }

    fn task_payload(&self, row: &TaskRow, person: &str, alert: &Alert, level: u32) -> Value {
        json!({
            "practice": self.practice_json(),
            "task": {
                "id": row.id,
                "kind": row.kind,
                "state": row.state,
                "portal": row.portal_slug,
                "person": {"id": row.person_id, "display_name": person},
                "action": row.action,
                "due_at": row.due_at,
                "overdue_seconds": (self.now - row.due_at).num_seconds().max(0),
                "escalation_level": level,
                "assignee": row.assignee.as_ref().or(row.claimed_by.as_ref()),
                "url": format!("{}/api/v1/tasks/{}", self.base_url, row.id),
            },
            "step": {"name": alert.step.key(), "due": alert.threshold},
            "notify": {
                "contact": alert.contact.to_string(),
                "people": self.people(&alert.contact, row),
            },
        })
    }
}
