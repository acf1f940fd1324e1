//! A practice is a tenant: every row, token and admin belongs to one.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveTime, Weekday};

/// URL-safe practice identifier: lowercase letters, digits and `-`, 2–63 characters, starting with
/// a letter. No `_`: Okta refuses SCIM base URLs that contain one, and slugs may appear in URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PracticeSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "practice slug `{0}` is invalid: use 2-63 lowercase letters, digits or '-', starting with a letter"
)]
pub struct InvalidSlug(String);

impl PracticeSlug {
    pub fn parse(s: &str) -> Result<Self, InvalidSlug> {
        let valid = (2..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.ends_with('-');
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidSlug(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PracticeSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A practice's display name: trimmed, 1–200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("practice name must be 1-200 characters without control characters")]
pub struct InvalidName;

impl PracticeName {
    pub fn parse(s: &str) -> Result<Self, InvalidName> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
            return Err(InvalidName);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone (`America/Chicago`). Deadlines in business hours are computed in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IANA time zone name (e.g. America/New_York)")]
pub struct InvalidTimeZone(String);

impl TimeZone {
    pub fn parse(s: &str) -> Result<Self, InvalidTimeZone> {
        chrono_tz::Tz::from_str(s.trim())
            .map(Self)
            .map_err(|_| InvalidTimeZone(s.to_owned()))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

/// When the practice's staff work: which weekdays, and from when to when in its time zone.
/// Written `mon-fri 08:00-17:00` or `mon,tue,thu 07:30-16:00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    pub days: Vec<Weekday>,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("business hours `{0}` are invalid: write e.g. `mon-fri 08:00-17:00`")]
pub struct InvalidBusinessHours(String);

impl Default for BusinessHours {
    fn default() -> Self {
        Self {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            opens: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            closes: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
        }
    }
}

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn weekday_abbrev(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

impl BusinessHours {
    pub fn parse(text: &str) -> Result<Self, InvalidBusinessHours> {
        let err = || InvalidBusinessHours(text.to_owned());
        let (days_text, hours_text) = text.trim().split_once(' ').ok_or_else(err)?;
        let day = |s: &str| {
            WEEK.into_iter()
                .position(|d| weekday_abbrev(d) == s.trim().to_ascii_lowercase())
                .ok_or_else(err)
        };
        let mut days = Vec::new();
        for part in days_text.split(',') {
            match part.split_once('-') {
                Some((from, to)) => {
                    let (from, to) = (day(from)?, day(to)?);
                    if from > to {
                        return Err(err());
                    }
                    days.extend(&WEEK[from..=to]);
                }
                None => days.push(WEEK[day(part)?]),
            }
        }
        days.sort_by_key(Weekday::num_days_from_monday);
        days.dedup();
        let (opens, closes) = hours_text.trim().split_once('-').ok_or_else(err)?;
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| err());
        let (opens, closes) = (time(opens)?, time(closes)?);
        if opens >= closes {
            return Err(err());
        }
        Ok(Self {
            days,
            opens,
            closes,
        })
    }

    /// The canonical text form, which is also how it is stored.
    pub fn to_text(&self) -> String {
        let days: Vec<_> = self.days.iter().map(|d| weekday_abbrev(*d)).collect();
        format!(
            "{} {}-{}",
            days.join(","),
            self.opens.format("%H:%M"),
            self.closes.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(PracticeSlug::parse("acme-clinic-2").is_ok());
        for bad in ["a", "Acme", "acme_clinic", "9lives", "acme-", "", "ac me"] {
            assert!(PracticeSlug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn business_hours_round_trip() {
        let hours = BusinessHours::parse("mon-wed,fri 07:30-16:00").unwrap();
        assert_eq!(hours.to_text(), "mon,tue,wed,fri 07:30-16:00");
        assert_eq!(BusinessHours::parse(&hours.to_text()).unwrap(), hours);
        assert_eq!(
            BusinessHours::default().to_text(),
            "mon,tue,wed,thu,fri 08:00-17:00"
        );
        for bad in [
            "mon-fri",
            "fri-mon 08:00-17:00",
            "mon-fri 17:00-08:00",
            "xyz 08:00-09:00",
        ] {
            assert!(BusinessHours::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_zones() {
        assert_eq!(
            TimeZone::parse("America/Chicago").unwrap().name(),
            "America/Chicago"
        );
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }
}
