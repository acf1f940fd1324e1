//! The ladder rule: which alerts a task is owed at an instant, where it then stands on its
//! ladder, and when to look again.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::{Contact, EscalationPolicy};

impl EscalationPolicy {
    /// When reminder `index` (0-based) is due.
    fn reminder_at(&self, task: &TaskWindow, index: usize) -> Option<DateTime<Utc>> {
        let percent = i32::from(*self.reminders_at_percent.get(index)?);
        let window = (task.due_at - task.created_at).max(Duration::zero());
        Some(task.created_at + window * percent / 100)
    }

    /// When escalation `level` (1 = the overdue alert) is due.
    fn escalation_at(&self, task: &TaskWindow, level: u32) -> DateTime<Utc> {
        task.due_at + self.interval.0 * (level.saturating_sub(1) as i32)
    }

    fn contact_for_level(&self, level: u32) -> Contact {
        let index = (level.max(1) - 1) as usize;
        self.chain
            .get(index)
            .or(self.chain.last())
            .cloned()
            .unwrap_or(Contact::Assignee)
    }

    /// The alerts `task` is owed at `now`, where it then stands, and when to look again.
    ///
    /// - Every escalation step reached is sent, in order (each is a different contact).
    /// - Of several reminders reached at once (the service was down), only the latest is sent;
    ///   once the task is overdue, pending reminders are moot and none is sent.
    /// - During quiet hours reminders wait, and so does the escalation of work that is not a
    ///   revocation; a leaver's overdue alert never waits.
    pub fn sweep(
        &self,
        task: &TaskWindow,
        from: LadderPosition,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Sweep {
        let quiet_now = self.quiet_hours.is_some_and(|q| q.contains(now, tz));
        let mut at = from;
        let mut alerts = Vec::new();
        let top = self.chain.len() as u32;

        let reached = (1..=top)
            .take_while(|&level| self.escalation_at(task, level) <= now)
            .last()
            .unwrap_or(0);
        if reached > at.escalation_level && (task.revocation || !quiet_now) {
            for level in at.escalation_level + 1..=reached {
                alerts.push(Alert {
                    step: if level == 1 {
                        Step::Overdue
                    } else {
                        Step::Escalation { level }
                    },
                    threshold: self.escalation_at(task, level),
                    contact: self.contact_for_level(level),
                });
            }
            at.escalation_level = reached;
        }
        if at.escalation_level > 0 {
            at.reminders_sent = at
                .reminders_sent
                .max(self.reminders_at_percent.len() as u32);
        } else if !quiet_now {
            let due = (0..self.reminders_at_percent.len())
                .take_while(|&i| self.reminder_at(task, i).is_some_and(|t| t <= now))
                .count() as u32;
            if due > at.reminders_sent {
                let index = (due - 1) as usize;
                alerts.push(Alert {
                    step: Step::Reminder {
                        number: due,
                        percent: self.reminders_at_percent[index],
                    },
                    threshold: self.reminder_at(task, index).unwrap_or(now),
                    contact: self.contact_for_level(1),
                });
                at.reminders_sent = due;
            }
        }

        // When to look again: the next step, moved past quiet hours if it would wait.
        let release = |t: DateTime<Utc>, holdable: bool| match self.quiet_hours {
            Some(q) if holdable => q.release(t.max(now), tz),
            _ => t,
        };
        let next_reminder = (at.escalation_level == 0)
            .then(|| self.reminder_at(task, at.reminders_sent as usize))
            .flatten()
            .map(|t| release(t, true));
        let next_escalation = (at.escalation_level < top).then(|| {
            release(
                self.escalation_at(task, at.escalation_level + 1),
                !task.revocation,
            )
        });
        let next_alert_at = match (next_reminder, next_escalation) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Sweep {
            alerts,
            position: at,
            next_alert_at,
        }
    }
}

/// The facts about a task its ladder depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskWindow {
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Taking access away (a leaver's or a removal): its alerts never wait for quiet hours.
    pub revocation: bool,
}

/// Where a task stands on its ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LadderPosition {
    pub reminders_sent: u32,
    /// 0 none; 1 the overdue alert; n the (n-1)th escalation.
    pub escalation_level: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    pub alerts: Vec<Alert>,
    pub position: LadderPosition,
    /// `None`: the ladder is finished.
    pub next_alert_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub step: Step,
    /// When the step was due (the alert may leave later, e.g. after quiet hours).
    pub threshold: DateTime<Utc>,
    pub contact: Contact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Reminder { number: u32, percent: u8 },
    Overdue,
    Escalation { level: u32 },
}

impl Step {
    /// The event type webhooks subscribe to.
    pub fn event_type(self) -> &'static str {
        match self {
            Step::Reminder { .. } => "task.reminder",
            Step::Overdue => "task.overdue",
            Step::Escalation { .. } => "task.escalated",
        }
    }

    /// What makes the step unique for its task (the outbox key's suffix).
    pub fn key(self) -> String {
        match self {
            Step::Reminder { number, .. } => format!("reminder:{number}"),
            Step::Overdue => "overdue".to_owned(),
            Step::Escalation { level } => format!("escalation:{level}"),
        }
    }
}
