//! Deadlines: `due_at = event time + SLA`, where an SLA is wall-clock time or business time in
//! the practice's time zone and hours. Instants are UTC; local time is only used to find the
//! edges of business days, so a DST change moves the UTC deadline, never the local one.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::practice::BusinessHours;

/// How long a task may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sla {
    /// Wall-clock time: the presets `1h` (the 2025 HIPAA NPRM), `24h`, `72h`, or an ISO 8601
    /// duration such as `PT2S` (drills and tests) or `P2D`.
    Elapsed(Duration),
    /// By close of business on the day of the event, or of the next business day when the
    /// event comes after hours.
    SameBusinessDay,
    /// This many hours of business time, e.g. `4bh`.
    BusinessHours(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an SLA: use 1h, 24h, 72h, same_business_day, a number of business hours like 4bh, or an ISO 8601 duration like PT2S"
)]
pub struct InvalidSla(pub String);

impl Sla {
    pub fn parse(text: &str) -> Result<Self, InvalidSla> {
        let t = text.trim();
        let invalid = || InvalidSla(text.to_owned());
        let hours = |n: &str| n.parse::<u32>().ok().filter(|h| (1..=24 * 365).contains(h));
        if t.eq_ignore_ascii_case("same_business_day") {
            return Ok(Sla::SameBusinessDay);
        }
        if let Some(n) = t.strip_suffix("bh") {
            return hours(n).map(Sla::BusinessHours).ok_or_else(invalid);
        }
        if let Some(n) = t.strip_suffix('h')
            && !t.starts_with(['P', 'p'])
        {
            return hours(n)
                .map(|h| Sla::Elapsed(Duration::hours(i64::from(h))))
                .ok_or_else(invalid);
        }
        iso8601(t)
            .filter(|d| *d > Duration::zero() && *d <= max_sla())
            .map(Sla::Elapsed)
            .ok_or_else(invalid)
    }

    /// The deadline for an event at `at`.
    pub fn due(&self, at: DateTime<Utc>, tz: Tz, hours: &BusinessHours) -> DateTime<Utc> {
        match self {
            Sla::Elapsed(d) => at.checked_add_signed(*d).unwrap_or(at),
            Sla::SameBusinessDay => {
                let local = at.with_timezone(&tz).naive_local();
                let mut day = local.date();
                if !(is_business_day(day, hours) && local.time() < hours.closes) {
                    day = next_business_day(day, hours);
                }
                to_utc(tz, day.and_time(hours.closes))
            }
            Sla::BusinessHours(n) => {
                let mut remaining = Duration::hours(i64::from(*n));
                let local = at.with_timezone(&tz).naive_local();
                let mut day = local.date();
                let mut from = local.time();
                loop {
                    if is_business_day(day, hours) && from < hours.closes {
                        let start = from.max(hours.opens);
                        let available = hours.closes - start;
                        if remaining <= available {
                            return to_utc(tz, day.and_time(start) + remaining);
                        }
                        remaining -= available;
                    }
                    day = next_business_day(day, hours);
                    from = NaiveTime::MIN;
                }
            }
        }
    }
}

impl fmt::Display for Sla {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sla::SameBusinessDay => f.write_str("same_business_day"),
            Sla::BusinessHours(n) => write!(f, "{n}bh"),
            // The text must parse back to the same value: it is how SLAs are stored.
            Sla::Elapsed(d) if d.num_milliseconds() % 3_600_000 == 0 => {
                write!(f, "{}h", d.num_hours())
            }
            Sla::Elapsed(d) if d.num_milliseconds() % 1000 == 0 => {
                write!(f, "PT{}S", d.num_seconds())
            }
            Sla::Elapsed(d) => write!(
                f,
                "PT{}.{:03}S",
                d.num_seconds(),
                d.num_milliseconds() % 1000
            ),
        }
    }
}

impl Serialize for Sla {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Sla {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Sla::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn is_business_day(day: NaiveDate, hours: &BusinessHours) -> bool {
    hours.days.contains(&day.weekday())
}

fn next_business_day(day: NaiveDate, hours: &BusinessHours) -> NaiveDate {
    let mut next = day;
    for _ in 0..7 {
        next = next.succ_opt().unwrap_or(next);
        if is_business_day(next, hours) {
            return next;
        }
    }
    next
}

/// Local wall time to UTC; a time skipped by a DST change moves forward an hour.
pub(crate) fn to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// The longest SLA: a year. Longer is a mistake, and bounds keep deadline arithmetic safe.
fn max_sla() -> Duration {
    Duration::days(365)
}

/// `P[nW][nD][T[nH][nM][nS]]`. Years and months are refused: their length varies.
pub(crate) fn iso8601(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix(['P', 'p'])?;
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = Duration::zero();
    let mut any = false;
    let mut parse = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let &(_, seconds) = units.iter().find(|(u, _)| u.eq_ignore_ascii_case(&c))?;
            let value: f64 = number.parse().ok()?;
            let millis = value * seconds as f64 * 1000.0;
            // Anything beyond a year is refused later; beyond this, the arithmetic is unsafe.
            if !millis.is_finite() || millis > 1e15 {
                return None;
            }
            total = total.checked_add(&Duration::milliseconds(millis.round() as i64))?;
            number.clear();
            any = true;
        }
        number.is_empty().then_some(())
    };
    parse(date, &[('W', 7 * 86_400), ('D', 86_400)])?;
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        parse(time, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(total)
}

/// The SLAs a practice works to, per kind of work. Values are preset names or durations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    /// Deprovisioning a leaver. Default `1h`.
    #[schema(value_type = String, example = "1h")]
    pub deprovision: Sla,
    /// Removing roles from a mover. Default `24h`.
    #[schema(value_type = String, example = "24h")]
    pub modify_removal: Sla,
    /// Creating accounts and adding roles. Default `72h`.
    #[schema(value_type = String, example = "72h")]
    pub provision: Sla,
    /// Handing a leaver's portal-administrator role to someone else. Default `4h`.
    #[schema(value_type = String, example = "4h")]
    pub transfer_admin: Sla,
    /// Telling a vendor or billing company that their user left. Default `24h`.
    #[schema(value_type = String, example = "24h")]
    pub notify_third_party: Sla,
}

impl Default for SlaSettings {
    fn default() -> Self {
        Self {
            deprovision: Sla::Elapsed(Duration::hours(1)),
            modify_removal: Sla::Elapsed(Duration::hours(24)),
            provision: Sla::Elapsed(Duration::hours(72)),
            transfer_admin: Sla::Elapsed(Duration::hours(4)),
            notify_third_party: Sla::Elapsed(Duration::hours(24)),
        }
    }
}

/// Per-practice-portal overrides of some SLAs, same keys as [`SlaSettings`].
pub type SlaOverrides = BTreeMap<String, Sla>;

impl SlaSettings {
    /// The SLA for a key, with a practice portal's override when it has one.
    pub fn for_key(&self, key: SlaKey, overrides: &SlaOverrides) -> Sla {
        if let Some(sla) = overrides.get(key.as_str()) {
            return *sla;
        }
        match key {
            SlaKey::Deprovision => self.deprovision,
            SlaKey::ModifyRemoval => self.modify_removal,
            SlaKey::Provision => self.provision,
            SlaKey::TransferAdmin => self.transfer_admin,
            SlaKey::NotifyThirdParty => self.notify_third_party,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaKey {
    Deprovision,
    ModifyRemoval,
    Provision,
    TransferAdmin,
    NotifyThirdParty,
}

impl SlaKey {
    pub const ALL: [SlaKey; 5] = [
        SlaKey::Deprovision,
        SlaKey::ModifyRemoval,
        SlaKey::Provision,
        SlaKey::TransferAdmin,
        SlaKey::NotifyThirdParty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaKey::Deprovision => "deprovision",
            SlaKey::ModifyRemoval => "modify_removal",
            SlaKey::Provision => "provision",
            SlaKey::TransferAdmin => "transfer_admin",
            SlaKey::NotifyThirdParty => "notify_third_party",
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn chicago(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::America::Chicago
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
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
        for bad in [
            "", "soon", "0h", "P", "PT", "P1M", "P1Y", "-1h", "PT-5S", "1.5h", "h", "bh", "PT0S",
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
}
