//! Instants a request may name: years 1 to 9999. PostgreSQL's `timestamptz` cannot hold every
//! instant chrono can (it ends at 4713 BC), so an instant outside these years is refused at the
//! edge, naming its parameter, on both backends alike, before anything is read or streamed.

use chrono::{DateTime, Datelike, Utc};

use super::errors::WireError;

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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

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
