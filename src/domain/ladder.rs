//! Where a task's escalation ladder starts and ends: the facts its ladder depends on, and the
//! first alert time a new task is stored with.

use chrono::{DateTime, TimeZone, Utc};

use super::escalation::{EscalationPolicy, LadderPosition, TaskWindow};
use super::task::{Cause, EventKind, TaskKind};

/// Stored as a task's `next_alert_at` once its ladder is finished, so the sweeper's index skips it.
pub fn ladder_finished() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The facts a task's ladder depends on. A revocation takes access away: a leaver's work, a
/// revoking kind, or a mover's roles to remove.
pub fn task_window(
    kind: TaskKind,
    cause: Cause,
    removes_roles: bool,
    created_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> TaskWindow {
    TaskWindow {
        created_at,
        due_at,
        revocation: kind.revokes() || cause == EventKind::Leaver || removes_roles,
    }
}

/// A new task's `next_alert_at`: its ladder's first step, worked out when it is created so the
/// sweeper never has to visit (under the practice's lock) every task a bulk import made.
/// `None` (the sweeper works it out on its next pass) if a step is due at once.
pub fn first_alert_at(
    policy: &EscalationPolicy,
    window: &TaskWindow,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Option<DateTime<Utc>> {
    let sweep = policy.sweep(window, LadderPosition::default(), now, tz);
    if !sweep.alerts.is_empty() {
        return None;
    }
    match sweep.next_alert_at {
        None => Some(ladder_finished()),
        Some(at) if at > now => Some(at),
        Some(_) => None,
    }
}
