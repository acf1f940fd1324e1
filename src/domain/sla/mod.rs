//! Deadlines: `due_at = event time + SLA`, where an SLA is wall-clock time or business time in
//! the practice's time zone and hours. Instants are UTC; local time is only used to find the
//! edges of business days, so a DST change moves the UTC deadline, never the local one.
//!
//! What an SLA is and how it is written are here; `business_time.rs` computes deadlines,
//! `iso_duration.rs` reads ISO 8601 durations, and `settings.rs` holds a practice's SLAs per
//! kind of work.

mod business_time;
mod iso_duration;
mod settings;

use std::fmt;

use chrono::Duration;
use serde::{Deserialize, Serialize};

pub(crate) use business_time::to_utc;
pub(crate) use iso_duration::iso8601;
pub use settings::{SlaKey, SlaOverrides, SlaSettings};

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

/// The longest SLA: a year. Longer is a mistake, and bounds keep deadline arithmetic safe.
fn max_sla() -> Duration {
    Duration::days(365)
}

#[cfg(test)]
mod tests;
