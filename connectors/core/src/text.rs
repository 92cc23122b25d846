//! Reading the text values of XML wire formats (Yardi, RealPage), exactly: dates in the forms
//! those PMSs write them, and amounts in cents without a float on the way.

use chrono::NaiveDate;

/// `YYYY-MM-DD` (with an optional time: `2024-08-05T00:00:00`), `MM/DD/YYYY` (with an optional
/// time); `0001-01-01` (and `01/01/0001`), .NET's empty date, is no date.
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, String> {
    let text = text.trim();
    let day = text.split(['T', ' ']).next().unwrap_or(text);
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(day, "%m/%d/%Y"))
        .map_err(|_| format!("`{text}` is not a date (YYYY-MM-DD or MM/DD/YYYY)"))?;
    Ok((date > NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN)).then_some(date))
}

/// An amount such as `850.000000`, `1,000.00`, `$25` or `-25` in cents, exactly (half up on the
/// third decimal); `None` for anything else.
pub fn parse_cents(text: &str) -> Option<i64> {
    let cleaned: String = text.trim().chars().filter(|c| !matches!(c, ',' | '$')).collect();
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let cents_digits = fraction.chars().chain(std::iter::repeat('0')).take(2).collect::<String>();
    let round_up = fraction.chars().nth(2).is_some_and(|c| c >= '5');
    let cents: i64 = cents_digits.parse().ok()?;
    let total = whole.checked_mul(100)?.checked_add(cents)?.checked_add(i64::from(round_up))?;
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
    }

    #[test]
    fn dates_and_amounts_are_read_exactly() {
        assert_eq!(parse_date("2011-06-24"), Ok(Some(date(2011, 6, 24))));
        assert_eq!(parse_date("06/24/2011"), Ok(Some(date(2011, 6, 24))));
        assert_eq!(parse_date("2023-10-04T09:10:59"), Ok(Some(date(2023, 10, 4))));
        assert_eq!(parse_date("0001-01-01T00:00:00"), Ok(None));
        assert!(parse_date("13/45/2024").is_err());
        assert_eq!(parse_cents("850.000000"), Some(85_000));
        assert_eq!(parse_cents("1,000.00"), Some(100_000));
        assert_eq!(parse_cents("-25.5"), Some(-2_550));
        assert_eq!(parse_cents("0.005"), Some(1));
        assert_eq!(parse_cents("abc"), None);
        assert_eq!(parse_cents(""), None);
    }
}
