//! The escalation policy — reminder ladder, overdue alert, escalation chain, quiet hours, daily
//! digest — and the pure rule that says which alerts a task is owed at a given instant.
//!
//! A task's ladder, for a window from creation to `due_at`:
//! reminders at `reminders_at_percent` of the window → the overdue alert at `due_at` (to the
//! first contact of the chain) → one escalation per further contact, `interval` apart.
//! Where a task stands is two counters (`reminders_sent`, `escalation_level`), so a policy
//! change never re-sends a step already taken.
//!
//! The document and its check live here; `sweep.rs` holds the ladder rule, `contact.rs` who
//! is on the chain, and `timing.rs` the interval, quiet hours and digest time.

mod contact;
mod sweep;
mod timing;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use contact::Contact;
pub use sweep::{Alert, LadderPosition, Step, Sweep, TaskWindow};
pub use timing::{Interval, LocalTime, QuietHours};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationPolicy {
    /// Reminders before the deadline, as percentages of the task's window (creation to
    /// `due_at`), ascending, each 1–99. Default `[50, 90]`.
    #[serde(default = "default_reminders")]
    pub reminders_at_percent: Vec<u8>,
    /// Who hears of an overdue task, in order: the first at `due_at`, each next one
    /// `interval` later. `assignee`, `role:portal_admin`, `role:manager`, `role:auditor`, or
    /// an e-mail address. Default `["assignee", "role:manager"]`.
    #[serde(default = "default_chain")]
    #[schema(value_type = Vec<String>)]
    pub chain: Vec<Contact>,
    /// Time between escalation steps: `4h`, `30m`, or ISO 8601 like `PT4H`. Default `4h`.
    #[serde(default = "default_interval")]
    #[schema(value_type = String, example = "4h")]
    pub interval: Interval,
    /// Local hours (practice time zone) when reminders, and overdue alerts of work that is not
    /// a revocation, wait until the end: e.g. `20:00-07:00`. Overdue leaver alerts never wait.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "20:00-07:00")]
    pub quiet_hours: Option<QuietHours>,
    /// Local time of the daily digest, e.g. `07:00`; null for none. Default `07:00`.
    #[serde(default = "default_digest")]
    #[schema(value_type = Option<String>, example = "07:00")]
    pub digest_at: Option<LocalTime>,
}

fn default_reminders() -> Vec<u8> {
    vec![50, 90]
}

fn default_chain() -> Vec<Contact> {
    vec![Contact::Assignee, Contact::Role("manager".to_owned())]
}

fn default_interval() -> Interval {
    Interval(Duration::hours(4))
}

fn default_digest() -> Option<LocalTime> {
    NaiveTime::from_hms_opt(7, 0, 0).map(LocalTime)
}

impl Default for EscalationPolicy {
    fn default() -> Self {
        Self {
            reminders_at_percent: default_reminders(),
            chain: default_chain(),
            interval: default_interval(),
            quiet_hours: None,
            digest_at: default_digest(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("escalation policy: {0}")]
pub struct InvalidEscalationPolicy(pub String);

impl EscalationPolicy {
    /// What types alone cannot say.
    pub fn check(&self) -> Result<(), InvalidEscalationPolicy> {
        let invalid = |m: &str| Err(InvalidEscalationPolicy(m.to_owned()));
        if self.reminders_at_percent.len() > 5 {
            return invalid("at most 5 reminders");
        }
        if self
            .reminders_at_percent
            .iter()
            .any(|p| !(1..=99).contains(p))
        {
            return invalid("reminders_at_percent must each be between 1 and 99");
        }
        if self.reminders_at_percent.windows(2).any(|w| w[0] >= w[1]) {
            return invalid("reminders_at_percent must be strictly ascending");
        }
        if self.chain.is_empty() || self.chain.len() > 10 {
            return invalid("chain must name between 1 and 10 contacts");
        }
        Ok(())
    }

    /// The local date whose digest is due at `now`, if the digest time has passed today.
    pub fn digest_date(&self, now: DateTime<Utc>, tz: Tz) -> Option<chrono::NaiveDate> {
        let at = self.digest_at?;
        let local = now.with_timezone(&tz).naive_local();
        (local.time() >= at.0).then_some(local.date())
    }
}

#[cfg(test)]
mod tests;
