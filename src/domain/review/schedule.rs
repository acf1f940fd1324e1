//! When access reviews run by themselves, and when an open campaign next needs the sweeper:
//! the practice's schedule (quarterly by default: the first Monday of January, April, July
//! and October, in the practice's time zone), the period a date falls in, and a campaign's
//! reminders before its deadline, the escalation at the deadline and the close after it.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{NoAnswer, ReviewScope};
use crate::domain::escalation::Interval;
use crate::domain::sla::to_utc;

/// How often a review opens by itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// The first Monday of January, April, July and October.
    #[default]
    Quarterly,
    /// Every `months` months from the date `from`.
    EveryMonths,
    /// Once, on the date `from`.
    Once,
    /// Never: reviews are opened by hand.
    Off,
}

/// A practice's review schedule. Every field has a default, so `{}` is the quarterly review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewSchedule {
    #[serde(default)]
    pub cadence: Cadence,
    /// `every_months`: months between reviews, 1 to 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u8>,
    /// `every_months`: the first review's date; `once`: the review's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Days reviewers have: the deadline is this many days after the start (default 30).
    #[serde(default = "default_open_days")]
    pub open_days: u16,
    /// Days after the deadline (while the fallback reviewers decide what is left) until the
    /// review closes by itself (default 7).
    #[serde(default = "default_close_after_days")]
    pub close_after_days: u16,
    #[serde(default)]
    pub no_answer: NoAnswer,
    /// Which accounts: every account when left out.
    #[serde(default)]
    pub scope: ReviewScope,
    /// Reminders to reviewers with undecided items, this long before the deadline
    /// (default `["7d", "48h"]`).
    #[serde(default = "default_reminders")]
    #[schema(value_type = Vec<String>, example = json!(["7d", "48h"]))]
    pub reminders: Vec<Interval>,
}

fn default_open_days() -> u16 {
    30
}

fn default_close_after_days() -> u16 {
    7
}

pub fn default_reminders() -> Vec<Interval> {
    vec![Interval(Duration::days(7)), Interval(Duration::hours(48))]
}

impl Default for ReviewSchedule {
    fn default() -> Self {
        Self {
            cadence: Cadence::Quarterly,
            months: None,
            from: None,
            open_days: default_open_days(),
            close_after_days: default_close_after_days(),
            no_answer: NoAnswer::default(),
            scope: ReviewScope::default(),
            reminders: default_reminders(),
        }
    }
}

/// Reviewing starts at this local time on the start date; decisions are due at
/// [`DEADLINE_AT`] on the deadline date (working hours, so a reminder is not sent at night).
const STARTS_AT: NaiveTime = NaiveTime::from_hms_opt(8, 0, 0).expect("valid time");
const DEADLINE_AT: NaiveTime = NaiveTime::from_hms_opt(17, 0, 0).expect("valid time");

/// One scheduled review: its key (unique per practice), start, deadline and automatic close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Period {
    /// `2027-Q1`, `every-2027-02-01`, `once-2027-03-15`.
    pub key: String,
    pub starts_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("review schedule: {0}")]
pub struct InvalidSchedule(pub String);

impl ReviewSchedule {
    /// What types alone cannot say.
    pub fn check(&self) -> Result<(), InvalidSchedule> {
        let invalid = |m: &str| Err(InvalidSchedule(m.to_owned()));
        match self.cadence {
            Cadence::EveryMonths => {
                if !self.months.is_some_and(|m| (1..=24).contains(&m)) {
                    return invalid("`every_months` needs `months` between 1 and 24");
                }
                if self.from.is_none() {
                    return invalid("`every_months` needs `from`, the first review's date");
                }
            }
            Cadence::Once if self.from.is_none() => {
                return invalid("`once` needs `from`, the review's date");
            }
            _ => {}
        }
        if !(1..=180).contains(&self.open_days) {
            return invalid("`open_days` must be between 1 and 180");
        }
        if self.close_after_days > 60 {
            return invalid("`close_after_days` must be between 0 and 60");
        }
        if self.reminders.len() > 5 {
            return invalid("at most 5 reminders");
        }
        if self
            .reminders
            .iter()
            .any(|r| r.0 >= Duration::days(i64::from(self.open_days)))
        {
            return invalid("each reminder must come after the start: shorter than `open_days`");
        }
        Ok(())
    }

    /// The review due at `now`: its period has started, its deadline has not passed, and it
    /// started after `since` (a practice created mid-quarter waits for the next one).
    pub fn due(&self, now: DateTime<Utc>, tz: Tz, since: DateTime<Utc>) -> Option<Period> {
        let today = now.with_timezone(&tz).date_naive();
        let start = self.start_on_or_before(today)?;
        let period = self.period(start, tz);
        (period.starts_at <= now && now < period.deadline && period.starts_at > since)
            .then_some(period)
    }

    /// The next review to open after `now`, if the schedule has one.
    pub fn next(&self, now: DateTime<Utc>, tz: Tz) -> Option<Period> {
        let mut day = now.with_timezone(&tz).date_naive();
        // At most a few steps: each start found is at or after `day`.
        for _ in 0..4 {
            let start = self.start_on_or_after(day)?;
            let period = self.period(start, tz);
            if period.starts_at > now {
                return Some(period);
            }
            day = start.succ_opt()?;
        }
        None
    }

    fn period(&self, start: NaiveDate, tz: Tz) -> Period {
        let key = match self.cadence {
            Cadence::Quarterly => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
            Cadence::Once => format!("once-{start}"),
            Cadence::EveryMonths | Cadence::Off => format!("every-{start}"),
        };
        let deadline_day = start + Duration::days(i64::from(self.open_days));
        let deadline = to_utc(tz, deadline_day.and_time(DEADLINE_AT));
        Period {
            key,
            starts_at: to_utc(tz, start.and_time(STARTS_AT)),
            deadline,
            closes_at: deadline + Duration::days(i64::from(self.close_after_days)),
        }
    }

    /// The latest start date on or before `day`.
    fn start_on_or_before(&self, day: NaiveDate) -> Option<NaiveDate> {
        match self.cadence {
            Cadence::Off => None,
            Cadence::Once => self.from.filter(|from| *from <= day),
            Cadence::Quarterly => {
                let this = quarter_start(day.year(), day.month0() / 3)?;
                if this <= day {
                    Some(this)
                } else if day.month0() / 3 == 0 {
                    quarter_start(day.year() - 1, 3)
                } else {
                    quarter_start(day.year(), day.month0() / 3 - 1)
                }
            }
            Cadence::EveryMonths => {
                let (from, step) = (self.from?, u32::from(self.months?));
                if from > day {
                    return None;
                }
                let elapsed =
                    (day.year() - from.year()) * 12 + day.month() as i32 - from.month() as i32;
                let mut k = u32::try_from(elapsed.max(0)).ok()? / step;
                // The month count overshoots when `day` is earlier in its month than `from`.
                loop {
                    let start = from.checked_add_months(Months::new(k * step))?;
                    if start <= day || k == 0 {
                        return Some(start);
                    }
                    k -= 1;
                }
            }
        }
    }

    /// The first start date on or after `day`.
    fn start_on_or_after(&self, day: NaiveDate) -> Option<NaiveDate> {
        match self.cadence {
            Cadence::Off => None,
            Cadence::Once => self.from.filter(|from| *from >= day),
            Cadence::Quarterly => {
                let this = quarter_start(day.year(), day.month0() / 3)?;
                if this >= day {
                    Some(this)
                } else if day.month0() / 3 == 3 {
                    quarter_start(day.year() + 1, 0)
                } else {
                    quarter_start(day.year(), day.month0() / 3 + 1)
                }
            }
            Cadence::EveryMonths => {
                let (from, step) = (self.from?, self.months?);
                if from >= day {
                    return Some(from);
                }
                let before = self.start_on_or_before(day)?;
                if before == day {
                    Some(before)
                } else {
                    before.checked_add_months(Months::new(u32::from(step)))
                }
            }
        }
    }
}

/// The first Monday of quarter `q` (0–3) of `year`.
fn quarter_start(year: i32, q: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, q * 3 + 1, Weekday::Mon, 1)
}

/// What the sweeper owes an open campaign at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CampaignAlerts {
    /// The reminder to send now (its index), when one is due; earlier ones that were missed
    /// are skipped, not sent in a burst.
    pub reminder: Option<usize>,
    /// How many reminders count as sent after this pass.
    pub reminders_sent: usize,
    /// The deadline passed: escalate what is undecided to the fallback reviewers.
    pub escalate: bool,
    /// The automatic close is due.
    pub close: bool,
    /// When to look again.
    pub next_at: Option<DateTime<Utc>>,
}

/// A campaign's alert clock: `reminders` are offsets before `deadline`, longest first;
/// `sent` reminders and the escalation (`escalated`) have gone; `closes_at` closes it.
pub fn campaign_alerts(
    reminders: &[Duration],
    sent: usize,
    deadline: DateTime<Utc>,
    escalated: bool,
    closes_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CampaignAlerts {
    let mut out = CampaignAlerts {
        reminders_sent: sent,
        ..CampaignAlerts::default()
    };
    if now < deadline {
        let due: Vec<usize> = (sent..reminders.len())
            .filter(|i| deadline - reminders[*i] <= now)
            .collect();
        if let Some(last) = due.last() {
            out.reminder = Some(*last);
            out.reminders_sent = last + 1;
        }
    } else {
        out.reminders_sent = reminders.len().max(sent);
        out.escalate = !escalated;
    }
    out.close = closes_at.is_some_and(|at| at <= now);
    let next_reminder = reminders
        .get(out.reminders_sent)
        .map(|offset| deadline - *offset)
        .filter(|at| *at < deadline);
    out.next_at = if out.close {
        None
    } else if now < deadline {
        Some(next_reminder.unwrap_or(deadline))
    } else {
        closes_at
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn chicago() -> Tz {
        "America/Chicago".parse().unwrap()
    }

    #[test]
    fn quarterly_reviews_open_on_the_first_monday_of_the_quarter_in_local_time() {
        let schedule = ReviewSchedule::default();
        let tz = chicago();
        let since = date(2026, 1, 1).and_hms_opt(0, 0, 0).unwrap().and_utc();
        // 2027-01-04 is the first Monday of 2027; 08:00 in Chicago is 14:00 UTC.
        let opening = date(2027, 1, 4).and_hms_opt(14, 0, 0).unwrap().and_utc();
        // A minute before, October's review is long past its deadline: nothing is due.
        assert_eq!(
            schedule.due(opening - Duration::minutes(1), tz, since),
            None
        );
        assert_eq!(
            schedule
                .due(
                    date(2026, 10, 6).and_hms_opt(0, 0, 0).unwrap().and_utc(),
                    tz,
                    since
                )
                .map(|p| p.key),
            Some("2026-Q4".into())
        );
        let period = schedule.due(opening, tz, since).unwrap();
        assert_eq!(period.key, "2027-Q1");
        assert_eq!(period.starts_at, opening);
        assert_eq!(
            period.deadline,
            date(2027, 2, 3).and_hms_opt(23, 0, 0).unwrap().and_utc()
        );
        assert_eq!(period.closes_at, period.deadline + Duration::days(7));
        // After the deadline nothing is due until April's first Monday.
        assert_eq!(schedule.due(period.deadline, tz, since), None);
        let next = schedule.next(period.deadline, tz).unwrap();
        assert_eq!(next.key, "2027-Q2");
        assert_eq!(next.starts_at.date_naive(), date(2027, 4, 5));
    }

    #[test]
    fn a_practice_created_mid_quarter_waits_for_the_next_review() {
        let schedule = ReviewSchedule::default();
        let created = date(2027, 1, 10).and_hms_opt(0, 0, 0).unwrap().and_utc();
        let now = created + Duration::days(1);
        assert_eq!(schedule.due(now, chrono_tz::UTC, created), None);
        assert_eq!(schedule.next(now, chrono_tz::UTC).unwrap().key, "2027-Q2");
    }

    #[test]
    fn every_n_months_counts_from_its_date_and_once_happens_once() {
        let every = ReviewSchedule {
            cadence: Cadence::EveryMonths,
            months: Some(2),
            from: Some(date(2027, 1, 15)),
            ..ReviewSchedule::default()
        };
        every.check().unwrap();
        let utc = chrono_tz::UTC;
        let since = date(2026, 1, 1).and_hms_opt(0, 0, 0).unwrap().and_utc();
        let at = |y, m, d| date(y, m, d).and_hms_opt(12, 0, 0).unwrap().and_utc();
        assert_eq!(every.due(at(2027, 1, 14), utc, since), None);
        assert_eq!(
            every.due(at(2027, 3, 20), utc, since).unwrap().key,
            "every-2027-03-15"
        );
        // 2027-05-10 is before May's start (the 15th): March's deadline has passed.
        assert_eq!(every.due(at(2027, 5, 10), utc, since), None);
        assert_eq!(
            every.next(at(2027, 5, 10), utc).unwrap().key,
            "every-2027-05-15"
        );
        let once = ReviewSchedule {
            cadence: Cadence::Once,
            from: Some(date(2027, 3, 1)),
            ..ReviewSchedule::default()
        };
        assert_eq!(
            once.due(at(2027, 3, 2), utc, since).unwrap().key,
            "once-2027-03-01"
        );
        assert_eq!(once.next(at(2027, 3, 2), utc), None);
        let off = ReviewSchedule {
            cadence: Cadence::Off,
            ..ReviewSchedule::default()
        };
        assert_eq!(off.due(at(2027, 1, 4), utc, since), None);
        assert_eq!(off.next(at(2027, 1, 4), utc), None);
    }

    #[test]
    fn a_schedule_names_what_it_lacks() {
        for bad in [
            ReviewSchedule {
                cadence: Cadence::EveryMonths,
                from: Some(date(2027, 1, 1)),
                ..ReviewSchedule::default()
            },
            ReviewSchedule {
                cadence: Cadence::Once,
                ..ReviewSchedule::default()
            },
            ReviewSchedule {
                open_days: 0,
                ..ReviewSchedule::default()
            },
            ReviewSchedule {
                open_days: 5,
                ..ReviewSchedule::default()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        let parsed: ReviewSchedule = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, ReviewSchedule::default());
        assert!(serde_json::from_str::<ReviewSchedule>(r#"{"cadence":"weekly"}"#).is_err());
    }

    #[test]
    fn reminders_then_escalation_then_close_and_a_late_start_skips_to_the_last_reminder() {
        let deadline = date(2027, 2, 3).and_hms_opt(23, 0, 0).unwrap().and_utc();
        let closes = deadline + Duration::days(7);
        let offsets = [Duration::days(7), Duration::hours(48)];
        let early = deadline - Duration::days(20);
        let a = campaign_alerts(&offsets, 0, deadline, false, Some(closes), early);
        assert_eq!((a.reminder, a.escalate, a.close), (None, false, false));
        assert_eq!(a.next_at, Some(deadline - Duration::days(7)));
        let a = campaign_alerts(
            &offsets,
            0,
            deadline,
            false,
            Some(closes),
            deadline - Duration::days(6),
        );
        assert_eq!((a.reminder, a.reminders_sent), (Some(0), 1));
        assert_eq!(a.next_at, Some(deadline - Duration::hours(48)));
        // Opened a day before the deadline: one reminder, the last, not two.
        let a = campaign_alerts(
            &offsets,
            0,
            deadline,
            false,
            Some(closes),
            deadline - Duration::days(1),
        );
        assert_eq!((a.reminder, a.reminders_sent), (Some(1), 2));
        assert_eq!(a.next_at, Some(deadline));
        let a = campaign_alerts(&offsets, 2, deadline, false, Some(closes), deadline);
        assert_eq!((a.reminder, a.escalate, a.close), (None, true, false));
        assert_eq!(a.next_at, Some(closes));
        let a = campaign_alerts(&offsets, 2, deadline, true, Some(closes), closes);
        assert_eq!((a.escalate, a.close, a.next_at), (false, true, None));
        // Closed by hand only: nothing to look at after the escalation.
        let a = campaign_alerts(&offsets, 2, deadline, true, None, closes);
        assert_eq!((a.close, a.next_at), (false, None));
    }
}
