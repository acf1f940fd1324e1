//! The policy's times: the interval between escalation steps, a local time of day (the
//! digest's), and quiet hours in the practice's time zone.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::duration;
use crate::domain::sla::to_utc;

/// A positive span between escalation steps: `4h`, `30m`, `PT4H` (at most 30 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Interval(pub Duration);

impl TryFrom<String> for Interval {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let t = text.trim();
        duration::parse(t)
            .ok()
            .filter(|d| *d >= Duration::seconds(1) && *d <= Duration::days(30))
            .map(Interval)
            .ok_or_else(|| {
                format!(
                    "interval `{t}`: write {} (1 second to 30 days)",
                    duration::FORMS
                )
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
