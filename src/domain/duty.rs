//! A portal's standing duties (DESIGN.md "Portal facts"): recertifying every user (Palmetto
//! and CGS every 360 days, CMS IDM and Noridian every year), recertifying the administrator
//! accounts themselves (Palmetto ends the organisation's account when no administrator
//! recertifies), and yearly security training. Each has a cadence and a window that opens
//! before its deadline; the catalogue says what the portal requires and a practice may
//! correct a value a source contradicts. Here: the rule that says when a duty is next due.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a duty asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DutyKind {
    /// Confirm (or remove) every user of the organisation's account.
    RecertifyUsers,
    /// Confirm the administrator accounts: the organisation loses everything if none does.
    RecertifyAdmins,
    /// Security-awareness training every user must complete.
    Training,
}

/// A duty as the catalogue states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Duty {
    /// Stable identifier within the portal, e.g. `user-recertification`.
    pub key: String,
    pub name: String,
    pub kind: DutyKind,
    /// Days between deadlines.
    pub every_days: u32,
    /// Days before the deadline when it can be met (the portal's window; default 30).
    #[serde(default = "default_window_days")]
    pub window_days: u32,
    /// What happens when it is missed.
    pub consequence: String,
    /// A `training` duty the portal requires before it grants an account at all (not only
    /// yearly for the users it has).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub before_access: bool,
}

fn default_window_days() -> u32 {
    30
}

impl Duty {
    /// What types alone cannot say of its days (the catalogue checks its key is a slug).
    pub fn check(&self) -> Result<(), String> {
        check_days(self.every_days, self.window_days)
            .map_err(|e| format!("duty `{}`: {e}", self.key))
    }

    /// Whether a late duty alarms from the day its window opens: missing it costs the
    /// organisation the whole portal account.
    pub fn escalates_from_day_one(&self) -> bool {
        self.kind == DutyKind::RecertifyAdmins
    }
}

/// A cadence of 1 to 1,095 days and a window no longer than it.
pub fn check_days(every_days: u32, window_days: u32) -> Result<(), String> {
    if !(1..=1095).contains(&every_days) {
        return Err("every_days must be between 1 and 1095".into());
    }
    if window_days == 0 || window_days > every_days {
        return Err("window_days must be between 1 and every_days".into());
    }
    Ok(())
}

/// Where a duty stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DutyState {
    /// Met for now; the window is not open yet.
    Ok,
    /// The window is open: it can, and should, be met now.
    WindowOpen,
    /// The deadline passed.
    Overdue,
}

/// A duty's next deadline and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DutyCalendar {
    pub due_at: DateTime<Utc>,
    pub window_opens_at: DateTime<Utc>,
    pub state: DutyState,
}

/// The next deadline: `every_days` after it was last met, or, never recorded as met, after
/// the portal was added (`since`), so an unknown history is due soonest rather than never.
pub fn calendar(
    every_days: u32,
    window_days: u32,
    last_met: Option<DateTime<Utc>>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DutyCalendar {
    let due_at = last_met.unwrap_or(since) + Duration::days(i64::from(every_days));
    let window_opens_at = due_at - Duration::days(i64::from(window_days));
    let state = if now >= due_at {
        DutyState::Overdue
    } else if now >= window_opens_at {
        DutyState::WindowOpen
    } else {
        DutyState::Ok
    };
    DutyCalendar {
        due_at,
        window_opens_at,
        state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_palmetto_recertification_opens_30_days_before_its_360th_day() {
        let met: DateTime<Utc> = "2026-01-10T15:00:00Z".parse().unwrap();
        let due: DateTime<Utc> = "2027-01-05T15:00:00Z".parse().unwrap();
        let at = |now: DateTime<Utc>| calendar(360, 30, Some(met), met, now);
        assert_eq!(at(met).due_at, due);
        assert_eq!(
            at(due - Duration::days(30) - Duration::seconds(1)).state,
            DutyState::Ok
        );
        assert_eq!(at(due - Duration::days(30)).state, DutyState::WindowOpen);
        assert_eq!(at(due).state, DutyState::Overdue);
        // Never recorded as met: counted from when the portal was added.
        let added: DateTime<Utc> = "2026-11-24T12:00:00Z".parse().unwrap();
        assert_eq!(
            calendar(365, 45, None, added, added).window_opens_at,
            added + Duration::days(320)
        );
    }

    #[test]
    fn days_are_checked() {
        assert!(check_days(360, 30).is_ok());
        for (every, window) in [(0, 1), (2000, 30), (30, 0), (30, 31)] {
            assert!(check_days(every, window).is_err(), "{every} {window}");
        }
    }
}
