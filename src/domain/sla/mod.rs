//! Deadlines: `due_at = event time + SLA`, where an SLA is wall-clock time or business time in
//! the practice's time zone and hours. Instants are UTC; local time is only used to find the
//! edges of business days, so a DST change moves the UTC deadline, never the local one.
//!
//! What an SLA is and how it is written are here (durations as everywhere else, see
//! `domain::duration`); `business_time.rs` computes deadlines, and `settings.rs` holds a
//! practice's SLAs per kind of work.

mod business_time;
mod settings;

use std::fmt;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::domain::duration;

pub(crate) use business_time::to_utc;
pub use settings::{SlaChanges, SlaKey, SlaOverrides, SlaSettings};

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

/// Why a text is not an SLA; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSla {
    #[error(
        "`{0}` is not an SLA: write {forms}, a number of business hours such as 4bh, or same_business_day",
        forms = duration::FORMS
    )]
    Unreadable(String),
    #[error("`{0}` is no time at all: an SLA must be longer than zero")]
    Zero(String),
    #[error("`{0}` is longer than a year: an SLA may be at most 365 days")]
    TooLong(String),
    #[error("`{0}`: business hours must be a whole number from 1 to 8760, e.g. 4bh")]
    BusinessHours(String),
}

impl Sla {
    pub fn parse(text: &str) -> Result<Self, InvalidSla> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("same_business_day") {
            return Ok(Sla::SameBusinessDay);
        }
        if let Some(n) = t.strip_suffix("bh") {
            return n
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|h| (1..=24 * 365).contains(h))
                .map(Sla::BusinessHours)
                .ok_or_else(|| InvalidSla::BusinessHours(t.to_owned()));
        }
        let elapsed = duration::parse(t).map_err(|_| InvalidSla::Unreadable(t.to_owned()))?;
        if elapsed <= Duration::zero() {
            return Err(InvalidSla::Zero(t.to_owned()));
        }
        if elapsed > max_sla() {
            return Err(InvalidSla::TooLong(t.to_owned()));
        }
        Ok(Sla::Elapsed(elapsed))
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
