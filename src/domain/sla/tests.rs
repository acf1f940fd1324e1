//! Unit tests of SLAs: parsing and spelling, deadlines in business time, overrides.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::domain::practice::BusinessHours;

fn chicago(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::America::Chicago
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn refusals_name_the_rule_broken() {
    assert_eq!(
        Sla::parse("PT0S").unwrap_err().to_string(),
        "`PT0S` is no time at all: an SLA must be longer than zero"
    );
    assert_eq!(
        Sla::parse("400d").unwrap_err().to_string(),
        "`400d` is longer than a year: an SLA may be at most 365 days"
    );
    assert!(
        Sla::parse("0bh")
            .unwrap_err()
            .to_string()
            .contains("1 to 8760")
    );
    assert!(
        Sla::parse("soon")
            .unwrap_err()
            .to_string()
            .contains("30m, 4h, 2d or PT2S")
    );
}

#[test]
fn parses_presets_and_iso_durations() {
    assert_eq!(Sla::parse("1h").unwrap(), Sla::Elapsed(Duration::hours(1)));
    assert_eq!(
        Sla::parse("72h").unwrap(),
        Sla::Elapsed(Duration::hours(72))
    );
    assert_eq!(
        Sla::parse("same_business_day").unwrap(),
        Sla::SameBusinessDay
    );
    assert_eq!(Sla::parse("4bh").unwrap(), Sla::BusinessHours(4));
    assert_eq!(
        Sla::parse("PT2S").unwrap(),
        Sla::Elapsed(Duration::seconds(2))
    );
    assert_eq!(
        Sla::parse("P1DT2H30M").unwrap(),
        Sla::Elapsed(Duration::minutes(26 * 60 + 30))
    );
    assert_eq!(
        Sla::parse("PT0.5S").unwrap(),
        Sla::Elapsed(Duration::milliseconds(500))
    );
    assert_eq!(Sla::parse("P1W").unwrap(), Sla::Elapsed(Duration::days(7)));
    // The same forms as every other duration (`--expires-in 90d`, escalation intervals).
    assert_eq!(Sla::parse("2d").unwrap(), Sla::Elapsed(Duration::days(2)));
    assert_eq!(
        Sla::parse("30m").unwrap(),
        Sla::Elapsed(Duration::minutes(30))
    );
    assert_eq!(
        Sla::parse("1.5h").unwrap(),
        Sla::Elapsed(Duration::minutes(90))
    );
    for bad in [
        "", "soon", "0h", "P", "PT", "P1M", "P1Y", "-1h", "PT-5S", "h", "bh", "PT0S",
    ] {
        assert!(Sla::parse(bad).is_err(), "{bad}");
    }
    for text in [
        "1h",
        "same_business_day",
        "8bh",
        "PT2S",
        "PT0.500S",
        "8760h",
    ] {
        assert_eq!(Sla::parse(text).unwrap().to_string(), text);
    }
    // Every accepted value's stored form parses back to it (a practice once got locked
    // out by PT0.5S stored as PT0S, and P400D stored as 9600h).
    for text in ["PT0.5S", "P300D", "PT90M", "P1DT0.25S"] {
        let sla = Sla::parse(text).unwrap();
        assert_eq!(Sla::parse(&sla.to_string()).unwrap(), sla, "{text}");
    }
    for too_much in [
        "P400D",
        "P100000000WT1S",
        "P99999999999999999999W99999999999999999999D",
        "8761h",
    ] {
        assert!(Sla::parse(too_much).is_err(), "{too_much}");
    }
}

#[test]
fn elapsed_time_ignores_business_hours() {
    let friday_night = chicago(2026, 11, 20, 22, 0);
    assert_eq!(
        Sla::parse("1h").unwrap().due(
            friday_night,
            chrono_tz::America::Chicago,
            &BusinessHours::default()
        ),
        friday_night + Duration::hours(1)
    );
}

#[test]
fn same_business_day_rolls_over_weekends() {
    let tz = chrono_tz::America::Chicago;
    let hours = BusinessHours::default();
    // Tuesday 10:00 → Tuesday 17:00.
    assert_eq!(
        Sla::SameBusinessDay.due(chicago(2026, 11, 17, 10, 0), tz, &hours),
        chicago(2026, 11, 17, 17, 0)
    );
    // Friday 18:30 (after close) → Monday 17:00.
    assert_eq!(
        Sla::SameBusinessDay.due(chicago(2026, 11, 20, 18, 30), tz, &hours),
        chicago(2026, 11, 23, 17, 0)
    );
    // Saturday → Monday.
    assert_eq!(
        Sla::SameBusinessDay.due(chicago(2026, 11, 21, 9, 0), tz, &hours),
        chicago(2026, 11, 23, 17, 0)
    );
}

#[test]
fn business_hours_span_a_weekend_and_a_dst_change() {
    let tz = chrono_tz::America::Chicago;
    let hours = BusinessHours::default();
    // Friday 2026-10-30 15:00 CDT + 8 business hours: 2 on Friday, 6 on Monday 2026-11-02,
    // which is after DST ended (Sunday Nov 1): Monday 14:00 CST = 20:00 UTC.
    let due = Sla::BusinessHours(8).due(chicago(2026, 10, 30, 15, 0), tz, &hours);
    assert_eq!(due, chicago(2026, 11, 2, 14, 0));
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 2, 20, 0, 0).unwrap());
    // The same wall-clock span a week earlier is one UTC hour shorter (CDT, UTC-5).
    let before = Sla::BusinessHours(8).due(chicago(2026, 10, 23, 15, 0), tz, &hours);
    assert_eq!(
        before,
        Utc.with_ymd_and_hms(2026, 10, 26, 19, 0, 0).unwrap()
    );
    // Starting before opening counts from opening.
    assert_eq!(
        Sla::BusinessHours(1).due(chicago(2026, 11, 17, 6, 0), tz, &hours),
        chicago(2026, 11, 17, 9, 0)
    );
    // Spring forward: same_business_day on the Monday after 2027-03-14 closes at 17:00 CDT.
    assert_eq!(
        Sla::SameBusinessDay.due(chicago(2027, 3, 13, 12, 0), tz, &hours),
        Utc.with_ymd_and_hms(2027, 3, 15, 22, 0, 0).unwrap()
    );
}

#[test]
fn overrides_win() {
    let settings = SlaSettings::default();
    let overrides: SlaOverrides = [("deprovision".to_owned(), Sla::SameBusinessDay)].into();
    assert_eq!(
        settings.for_key(SlaKey::Deprovision, &overrides),
        Sla::SameBusinessDay
    );
    assert_eq!(
        settings.for_key(SlaKey::Provision, &overrides),
        Sla::Elapsed(Duration::hours(72))
    );
}
