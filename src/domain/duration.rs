//! How a duration is written, everywhere one is read: SLAs, escalation intervals, token
//! lifetimes (`--expires-in`) and configuration settings. One grammar, so `2d` that works in
//! one place works in every other.

use chrono::Duration;

/// `90d`, `2d`, `4h`, `30m`, `15s`, `2w`, combinations such as `1h30m` or `1h 30m`, or ISO 8601
/// (`PT2S`, `P2D`, `PT1H30M`).
pub fn parse(text: &str) -> Result<Duration, NotADuration> {
    let t = text.trim();
    let parsed = if t.starts_with(['P', 'p']) {
        iso8601(t)
    } else {
        humantime::parse_duration(t)
            .ok()
            .and_then(|d| Duration::from_std(d).ok())
    };
    parsed.ok_or_else(|| NotADuration(t.to_owned()))
}

/// What every duration error tells the user to write.
pub const FORMS: &str = "a duration such as 30m, 4h, 2d or PT2S";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not {FORMS}")]
pub struct NotADuration(pub String);

/// `P[nW][nD][T[nH][nM][nS]]`. Years and months are refused: their length varies.
fn iso8601(text: &str) -> Option<Duration> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads_the_same_everywhere() {
        assert_eq!(parse("2d"), Ok(Duration::days(2)));
        assert_eq!(parse("90d"), Ok(Duration::days(90)));
        assert_eq!(parse("P2D"), Ok(Duration::days(2)));
        assert_eq!(parse("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse(" PT1H30M "), Ok(Duration::minutes(90)));
        assert_eq!(parse("PT2S"), Ok(Duration::seconds(2)));
        assert_eq!(parse("15s"), Ok(Duration::seconds(15)));
        assert_eq!(parse("2w"), Ok(Duration::weeks(2)));
        assert_eq!(parse("PT0S"), Ok(Duration::zero()));
        let err = parse("soon").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`soon` is not a duration such as 30m, 4h, 2d or PT2S"
        );
        assert!(parse("P1Y").is_err(), "years vary in length");
        assert!(parse("").is_err());
    }
}
