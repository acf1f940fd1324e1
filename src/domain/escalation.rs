//! The escalation policy — reminder ladder, overdue alert, escalation chain, quiet hours, daily
//! digest — and the pure rule that says which alerts a task is owed at a given instant.
//!
//! A task's ladder, for a window from creation to `due_at`:
//! reminders at `reminders_at_percent` of the window → the overdue alert at `due_at` (to the
//! first contact of the chain) → one escalation per further contact, `interval` apart.
//! Where a task stands is two counters (`reminders_sent`, `escalation_level`), so a policy
//! change never re-sends a step already taken.

use std::fmt;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::sla::{iso8601, to_utc};

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

    /// The local date whose digest is due at `now`, if the digest time has passed today.
    pub fn digest_date(&self, now: DateTime<Utc>, tz: Tz) -> Option<chrono::NaiveDate> {
        let at = self.digest_at?;
        let local = now.with_timezone(&tz).naive_local();
        (local.time() >= at.0).then_some(local.date())
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

/// Someone on the escalation chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Contact {
    /// Whoever the task is assigned to (or claimed by); the practice's portal admins if nobody.
    Assignee,
    /// Every active administrator of the practice with this role.
    Role(String),
    /// A named person outside the admin list, e.g. a compliance officer.
    Email(String),
}

impl TryFrom<String> for Contact {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let t = text.trim();
        if t == "assignee" {
            return Ok(Contact::Assignee);
        }
        if let Some(role) = t.strip_prefix("role:") {
            return match role {
                "portal_admin" | "manager" | "auditor" => Ok(Contact::Role(role.to_owned())),
                _ => Err(format!(
                    "`{t}`: roles are role:portal_admin, role:manager, role:auditor"
                )),
            };
        }
        match t.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && domain.contains('.') && t.len() <= 254 =>
            {
                Ok(Contact::Email(t.to_owned()))
            }
            _ => Err(format!(
                "`{t}` is not a contact: use assignee, role:manager (or another role), or an e-mail address"
            )),
        }
    }
}

impl From<Contact> for String {
    fn from(c: Contact) -> String {
        c.to_string()
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Assignee => f.write_str("assignee"),
            Contact::Role(role) => write!(f, "role:{role}"),
            Contact::Email(email) => f.write_str(email),
        }
    }
}

/// A positive span between escalation steps: `4h`, `30m`, `PT4H` (at most 30 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Interval(pub Duration);

impl TryFrom<String> for Interval {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let t = text.trim();
        let parsed = if t.starts_with(['P', 'p']) {
            iso8601(t)
        } else {
            humantime::parse_duration(t)
                .ok()
                .and_then(|d| Duration::from_std(d).ok())
        };
        parsed
            .filter(|d| *d >= Duration::seconds(1) && *d <= Duration::days(30))
            .map(Interval)
            .ok_or_else(|| {
                format!("interval `{t}`: write e.g. 4h, 30m or PT4H (1 second to 30 days)")
            })
    }
}

impl From<Interval> for String {
    fn from(i: Interval) -> String {
        match i.0.to_std() {
            Ok(d) => humantime::format_duration(d).to_string(),
            Err(_) => format!("PT{}S", i.0.num_seconds()),
        }
    }
}

/// A local time of day, `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalTime(pub NaiveTime);

impl TryFrom<String> for LocalTime {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        NaiveTime::parse_from_str(text.trim(), "%H:%M")
            .map(LocalTime)
            .map_err(|_| format!("`{text}` is not a time of day: write HH:MM, e.g. 07:00"))
    }
}

impl From<LocalTime> for String {
    fn from(t: LocalTime) -> String {
        t.0.format("%H:%M").to_string()
    }
}

/// `HH:MM-HH:MM` in the practice's time zone; may wrap midnight (`20:00-07:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl TryFrom<String> for QuietHours {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let bad = || format!("quiet hours `{text}`: write HH:MM-HH:MM, e.g. 20:00-07:00");
        let (start, end) = text.trim().split_once('-').ok_or_else(bad)?;
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (time(start)?, time(end)?);
        if start == end {
            return Err(bad());
        }
        Ok(QuietHours { start, end })
    }
}

impl From<QuietHours> for String {
    fn from(q: QuietHours) -> String {
        format!("{}-{}", q.start.format("%H:%M"), q.end.format("%H:%M"))
    }
}

impl QuietHours {
    pub fn contains(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let t = at.with_timezone(&tz).time();
        if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// `at` itself outside quiet hours; otherwise the first instant after them.
    pub fn release(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        if !self.contains(at, tz) {
            return at;
        }
        let local = at.with_timezone(&tz).naive_local();
        let day = if self.start > self.end && local.time() >= self.start {
            local.date().succ_opt().unwrap_or(local.date())
        } else {
            local.date()
        };
        // Around a DST change the local end time can map back into the quiet window (a
        // repeated hour) or not exist (a skipped one): step on until outside, never before.
        let mut end = to_utc(tz, day.and_time(self.end)).max(at + Duration::minutes(1));
        for _ in 0..(4 * 26) {
            if !self.contains(end, tz) {
                break;
            }
            end += Duration::minutes(15);
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    /// Created 10:00, due 12:00 (UTC; the practice is in UTC for these tests).
    fn task(revocation: bool) -> TaskWindow {
        TaskWindow {
            created_at: at(10, 0),
            due_at: at(12, 0),
            revocation,
        }
    }

    fn policy() -> EscalationPolicy {
        EscalationPolicy {
            chain: vec![
                Contact::Assignee,
                Contact::Email("backup@acme.example".into()),
                Contact::Role("manager".into()),
            ],
            interval: Interval(Duration::hours(1)),
            ..EscalationPolicy::default()
        }
    }

    fn steps(sweep: &Sweep) -> Vec<Step> {
        sweep.alerts.iter().map(|a| a.step).collect()
    }

    #[test]
    fn the_ladder_fires_each_step_once_in_order() {
        let p = policy();
        let t = task(true);
        let mut pos = LadderPosition::default();
        let mut fired = Vec::new();
        let mut now = at(9, 0);
        while now <= at(16, 0) {
            let s = p.sweep(&t, pos, now, Tz::UTC);
            fired.extend(s.alerts.iter().map(|a| (a.step, a.contact.to_string())));
            pos = s.position;
            now += Duration::minutes(5);
        }
        assert_eq!(
            fired,
            vec![
                (
                    Step::Reminder {
                        number: 1,
                        percent: 50
                    },
                    "assignee".into()
                ),
                (
                    Step::Reminder {
                        number: 2,
                        percent: 90
                    },
                    "assignee".into()
                ),
                (Step::Overdue, "assignee".into()),
                (Step::Escalation { level: 2 }, "backup@acme.example".into()),
                (Step::Escalation { level: 3 }, "role:manager".into()),
            ]
        );
        assert_eq!(p.sweep(&t, pos, at(23, 0), Tz::UTC).next_alert_at, None);
    }

    #[test]
    fn next_alert_at_is_the_next_threshold() {
        let p = policy();
        let s = p.sweep(&task(true), LadderPosition::default(), at(10, 1), Tz::UTC);
        assert!(s.alerts.is_empty());
        assert_eq!(s.next_alert_at, Some(at(11, 0)));
        let s = p.sweep(&task(true), s.position, at(11, 0), Tz::UTC);
        assert_eq!(
            steps(&s),
            vec![Step::Reminder {
                number: 1,
                percent: 50
            }]
        );
        assert_eq!(s.next_alert_at, Some(at(11, 48)));
    }

    #[test]
    fn a_late_sweep_sends_every_escalation_but_no_stale_reminder() {
        let s = policy().sweep(&task(true), LadderPosition::default(), at(13, 30), Tz::UTC);
        assert_eq!(
            steps(&s),
            vec![Step::Overdue, Step::Escalation { level: 2 }]
        );
        assert_eq!(
            s.position,
            LadderPosition {
                reminders_sent: 2,
                escalation_level: 2
            }
        );
        let s = policy().sweep(&task(true), LadderPosition::default(), at(11, 55), Tz::UTC);
        assert_eq!(
            steps(&s),
            vec![Step::Reminder {
                number: 2,
                percent: 90
            }]
        );
    }

    #[test]
    fn quiet_hours_hold_reminders_and_joiner_alerts_but_not_leaver_alerts() {
        let p = EscalationPolicy {
            quiet_hours: Some(QuietHours::try_from("10:30-12:30".to_owned()).unwrap()),
            ..policy()
        };
        // Reminder due at 11:00 waits until 12:30.
        let s = p.sweep(&task(false), LadderPosition::default(), at(11, 0), Tz::UTC);
        assert!(s.alerts.is_empty());
        assert_eq!(s.next_alert_at, Some(at(12, 30)));
        // Overdue at 12:00: a joiner's waits, a leaver's does not.
        let s = p.sweep(&task(false), LadderPosition::default(), at(12, 0), Tz::UTC);
        assert!(s.alerts.is_empty());
        let s = p.sweep(&task(true), LadderPosition::default(), at(12, 0), Tz::UTC);
        assert_eq!(steps(&s), vec![Step::Overdue]);
        // At 12:30 the joiner's overdue alert goes; the moot reminders never do.
        let s = p.sweep(&task(false), LadderPosition::default(), at(12, 30), Tz::UTC);
        assert_eq!(steps(&s), vec![Step::Overdue]);
    }

    #[test]
    fn quiet_hours_wrap_midnight_in_local_time() {
        let q = QuietHours::try_from("20:00-07:00".to_owned()).unwrap();
        let ny: Tz = "America/New_York".parse().unwrap();
        // 02:00 UTC on 2 March is 21:00 in New York (EST, UTC-5): quiet until 07:00 local.
        let night = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap();
        assert!(q.contains(night, ny));
        assert_eq!(
            q.release(night, ny),
            Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap()
        );
        let noon = Utc.with_ymd_and_hms(2026, 3, 2, 17, 0, 0).unwrap();
        assert!(!q.contains(noon, ny));
        assert_eq!(q.release(noon, ny), noon);
    }

    #[test]
    fn quiet_hours_end_outside_themselves_across_dst_changes() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let q = QuietHours::try_from("00:00-01:30".to_owned()).unwrap();
        // 1 November 2026, clocks fall back at 02:00 EDT: 01:10 happens twice. 06:10 UTC is
        // the second 01:10 (EST), inside quiet hours.
        let repeated = Utc.with_ymd_and_hms(2026, 11, 1, 6, 10, 0).unwrap();
        assert!(q.contains(repeated, ny));
        let end = q.release(repeated, ny);
        assert!(end > repeated && !q.contains(end, ny), "{end}");
        // 8 March 2026, clocks spring forward at 02:00: 02:30 does not exist.
        let q = QuietHours::try_from("22:00-02:30".to_owned()).unwrap();
        let night = Utc.with_ymd_and_hms(2026, 3, 8, 5, 0, 0).unwrap(); // 00:00 EST
        let end = q.release(night, ny);
        assert!(end > night && !q.contains(end, ny), "{end}");
    }

    #[test]
    fn documents_parse_and_are_checked() {
        let p: EscalationPolicy = serde_json::from_value(serde_json::json!({
            "reminders_at_percent": [25, 75],
            "chain": ["assignee", "role:portal_admin", "compliance@acme.example"],
            "interval": "PT30M",
            "quiet_hours": "21:00-06:30",
            "digest_at": "06:45"
        }))
        .unwrap();
        p.check().unwrap();
        assert_eq!(p.interval.0, Duration::minutes(30));
        let back = serde_json::to_value(&p).unwrap();
        assert_eq!(back["interval"], "30m");
        assert_eq!(back["quiet_hours"], "21:00-06:30");
        assert_eq!(serde_json::from_value::<EscalationPolicy>(back).unwrap(), p);

        for bad in [
            serde_json::json!({"chain": ["role:owner"]}),
            serde_json::json!({"chain": ["nobody"]}),
            serde_json::json!({"interval": "0s"}),
            serde_json::json!({"quiet_hours": "25:00-07:00"}),
            serde_json::json!({"surprise": true}),
        ] {
            assert!(
                serde_json::from_value::<EscalationPolicy>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        for bad in [
            serde_json::json!({"reminders_at_percent": [90, 50]}),
            serde_json::json!({"reminders_at_percent": [0]}),
            serde_json::json!({"chain": []}),
        ] {
            let p: EscalationPolicy = serde_json::from_value(bad.clone()).unwrap();
            assert!(p.check().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_digest_is_due_after_its_local_time() {
        let p = EscalationPolicy::default();
        assert_eq!(p.digest_date(at(6, 59), Tz::UTC), None);
        assert_eq!(
            p.digest_date(at(7, 0), Tz::UTC),
            Some(at(7, 0).date_naive())
        );
    }
}
