//! The documented bodies of the alerts a sweep records: a task's ladder step, the daily
//! digest, and a practice portal's administrator count; and who each contact stands for.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::domain::escalation::{Alert, Contact, EscalationPolicy};
use crate::domain::task::TaskState;
use crate::store::Practice;
use crate::store::audit::CheckpointInfo;
use crate::store::sweep::{AdminContact, AdminCount};
use crate::store::tasks::{TaskCounts, TaskRecord};

/// What the daily digest reports, as read from the store.
pub(super) struct DigestFigures {
    pub counts: TaskCounts,
    /// The most overdue open task, if any.
    pub oldest: Option<TaskRecord>,
    /// The audit chain's head: `(seq, hash)`.
    pub head: Option<(i64, Vec<u8>)>,
    /// The audit chain's latest signed checkpoint.
    pub checkpoint: Option<CheckpointInfo>,
}

/// What every alert of one practice's sweep shares.
pub(super) struct SweepContext<'a> {
    pub practice: &'a Practice,
    pub policy: &'a EscalationPolicy,
    pub admins: Vec<AdminContact>,
    pub base_url: &'a str,
    pub now: DateTime<Utc>,
}

impl SweepContext<'_> {
    fn practice_json(&self) -> Value {
        json!({"slug": self.practice.slug.as_str(), "name": self.practice.name.as_str()})
    }

    /// The people a contact stands for. The assignee is whoever the task is assigned to or
    /// claimed by; with nobody, the practice's portal administrators.
    fn people(&self, contact: &Contact, row: &TaskRecord) -> Vec<Value> {
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

    /// A task's ladder step (`task.reminder`, `task.overdue`, `task.escalated`).
    pub fn task_payload(&self, row: &TaskRecord, person: &str, alert: &Alert, level: u32) -> Value {
        json!({
            "practice": self.practice_json(),
            "task": {
                "id": row.id,
                "kind": row.kind,
                "state": row.state,
                "portal": row.portal,
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

    /// The day's digest (`digest.daily`): open and overdue work by portal, the oldest overdue
    /// task, the audit chain's head and its latest signed checkpoint.
    pub fn digest_payload(&self, date: NaiveDate, figures: DigestFigures) -> Value {
        let DigestFigures {
            counts,
            oldest,
            head,
            checkpoint,
        } = figures;
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
        json!({
            "practice": self.practice_json(),
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
                    "overdue_seconds": (self.now - t.due_at).num_seconds().max(0),
                    "url": format!("{}/api/v1/tasks/{}", self.base_url, t.id),
                })),
                "audit_head": head.map(|(seq, hash)| json!({"seq": seq, "hash": hex::encode(hash)})),
                "audit_checkpoint": checkpoint,
            },
            // Who reads the day's digest: those who clear the queue and those who oversee it.
            "notify": {"people": self.admins.iter()
                .filter(|a| a.role == "portal_admin" || a.role == "manager")
                .map(|a| json!({"name": a.name, "email": a.email}))
                .collect::<Vec<_>>()},
            "url": format!("{}/api/v1/queue", self.base_url),
        })
    }

    /// A practice portal below (or back to) its minimum administrator count.
    pub fn admin_count_payload(&self, count: &AdminCount) -> Value {
        json!({
            "practice": self.practice_json(),
            "practice_portal": {
                "portal": count.portal,
                "min_admins": count.min_admins,
                "admins": count.admins,
            },
            "url": format!("{}/api/v1/practice-portals", self.base_url),
        })
    }
}
