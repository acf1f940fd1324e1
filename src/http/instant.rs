//! Instants a request may name: years 1 to 9999. PostgreSQL's `timestamptz` cannot hold every
//! instant chrono can (it ends at 4713 BC), so an instant outside these years is refused at the
//! edge, naming its parameter, on both backends alike, before anything is read or streamed.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};

use super::errors::WireError;

/// Which end of a period a parameter names. A date in `from` is the start of that day; in
/// `to` (exclusive) the start of the next, so `from=2026-11-01&to=2026-11-30` is November.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodEdge {
    Start,
    End,
}

/// A query parameter naming an instant: RFC 3339 (`2026-12-01T09:00:00Z`) or a date
/// (`2026-12-01`, a day in the practice's time zone `tz`). Else a 400 naming the parameter and
/// both forms.
pub fn instant_param(
    parameter: &str,
    text: Option<&str>,
    tz: chrono_tz::Tz,
    edge: PeriodEdge,
) -> Result<Option<DateTime<Utc>>, WireError> {
    let Some(text) = text.map(str::trim) else {
        return Ok(None);
    };
    let refused = || {
        WireError::bad_request(format!(
            "`{parameter}` must be a date such as 2026-12-01 (a day in the practice's time \
             zone, {}) or an RFC 3339 instant such as 2026-12-01T09:00:00Z",
            tz.name()
        ))
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return in_range(parameter, at.with_timezone(&Utc)).map(Some);
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| refused())?;
    let day = match edge {
        PeriodEdge::Start => Some(date),
        PeriodEdge::End => date.checked_add_days(Days::new(1)),
    }
    .ok_or_else(refused)?;
    in_range(parameter, day_start(day, tz)).map(Some)
}

/// When `day` begins in time zone `tz`.
pub fn day_start(day: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    // Where midnight does not exist (a DST jump at 00:00), the day starts at the first
    // instant that does: the same wall time read as UTC is never later than that by a day.
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// `at`, if it falls in years 1 to 9999; else a 400 naming `parameter`.
pub fn in_range(parameter: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>, WireError> {
    if (1..=9999).contains(&at.year()) {
        Ok(at)
    } else {
        Err(WireError::bad_request(format!(
            "`{parameter}` must be an instant between the years 1 and 9999"
        )))
    }
}

/// [`in_range`] for an optional parameter.
pub fn optional_in_range(
    parameter: &str,
    at: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, WireError> {
    at.map(|at| in_range(parameter, at)).transpose()
}

/// Without `from`, a report covers this many days before `to`: a quarter, the period of an
/// access review.
pub const DEFAULT_REPORT_DAYS: u64 = 90;

/// A report's period from its `from` and `to` parameters: by default whole days in the
/// practice's time zone, the last [`DEFAULT_REPORT_DAYS`] with today included.
pub fn report_period(
    from: Option<&str>,
    to: Option<&str>,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), WireError> {
    let today = now.with_timezone(&tz).date_naive();
    let to = match instant_param("to", to, tz, PeriodEdge::End)? {
        Some(to) => to,
        None => day_start(today + Days::new(1), tz),
    };
    let from = match instant_param("from", from, tz, PeriodEdge::Start)? {
        Some(from) => from,
        None => to
            .with_timezone(&tz)
            .date_naive()
            .checked_sub_days(Days::new(DEFAULT_REPORT_DAYS))
            .map(|day| day_start(day, tz))
            .ok_or_else(|| WireError::bad_request("`to` is too early: give `from` as well"))
            .and_then(|from| in_range("from", from))?,
    };
    if from >= to {
        return Err(WireError::bad_request("`from` must come before `to`"));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn dates_are_days_in_the_practice_time_zone_and_instants_pass_through() {
        let chicago = chrono_tz::America::Chicago;
        let from = instant_param("from", Some("2026-12-01"), chicago, PeriodEdge::Start);
        assert_eq!(
            from.unwrap(),
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 6, 0, 0).unwrap())
        );
        let to = instant_param("to", Some("2026-12-01"), chicago, PeriodEdge::End);
        assert_eq!(
            to.unwrap(),
            Some(Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap())
        );
        let at = instant_param("to", Some("2026-12-01T09:00:00Z"), chicago, PeriodEdge::End);
        assert_eq!(
            at.unwrap(),
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap())
        );
        assert_eq!(
            instant_param("to", None, chicago, PeriodEdge::End).unwrap(),
            None
        );
        let err = instant_param("from", Some("yesterday"), chicago, PeriodEdge::Start).unwrap_err();
        assert!(
            err.detail
                .starts_with("`from` must be a date such as 2026-12-01"),
            "{}",
            err.detail
        );
        assert!(err.detail.contains("America/Chicago"), "{}", err.detail);
        let err = instant_param(
            "to",
            Some("-5000-01-01T00:00:00Z"),
            chicago,
            PeriodEdge::End,
        );
        assert!(err.is_err());
    }

    #[test]
    fn years_one_to_9999_pass_and_others_name_their_parameter() {
        let ok = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(in_range("from", ok).unwrap(), ok);
        let late = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(in_range("to", late).unwrap(), late);
        let ancient = Utc.with_ymd_and_hms(-5000, 1, 1, 0, 0, 0).unwrap();
        let err = in_range("from", ancient).unwrap_err();
        assert!(err.detail.contains("`from`"), "{}", err.detail);
        assert_eq!(optional_in_range("to", None).unwrap(), None);
    }
}
