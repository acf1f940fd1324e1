//! Unit tests of the escalation policy: the ladder sweep, quiet hours, documents, the digest.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

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
