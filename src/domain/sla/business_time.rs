//! Deadlines: the wall-clock or business time an SLA allows, counted in the practice's time
//! zone and business hours, and local wall time back to UTC.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc,
};
use chrono_tz::Tz;

use super::Sla;
use crate::domain::practice::BusinessHours;

impl Sla {
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
