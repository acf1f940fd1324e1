//! ISO 8601 durations, as SLAs and escalation intervals may be written.

use chrono::Duration;

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
