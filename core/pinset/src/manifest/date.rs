//! The strict `YYYY-MM-DD` calendar date of `expires`.

use std::fmt;
use std::ops::Range;

/// A calendar date written strictly as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Four-digit year.
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=31, valid for the month.
    pub day: u8,
}

impl Date {
    /// Parses strictly: exactly four-digit year, two-digit month and day, a real calendar date.
    /// `24-01-01`, `2024-1-1` and `2024-01-01T00:00` are all rejected (Android would read the
    /// first as the year 24 and silently expire the pins).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let month_enum = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
        let year = i32::try_from(year).ok()?;
        time::Date::from_calendar_date(year, month_enum, u8::try_from(day).ok()?).ok()?;
        Some(Self {
            year: u16::try_from(year).ok()?,
            month: month_enum as u8,
            day: u8::try_from(day).ok()?,
        })
    }

    /// Seconds since the Unix epoch at 00:00:00 UTC on this date.
    pub fn midnight_utc(&self) -> i64 {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        time::Date::from_calendar_date(i32::from(self.year), month, self.day)
            .map(|d| d.midnight().assume_utc().unix_timestamp())
            .unwrap_or(i64::MIN)
    }

    /// The UTC calendar date containing the given Unix time.
    pub fn from_unix(secs: i64) -> Option<Self> {
        let dt = time::OffsetDateTime::from_unix_timestamp(secs).ok()?;
        Some(Self {
            year: u16::try_from(dt.year()).ok()?,
            month: dt.month() as u8,
            day: dt.day(),
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_dates() {
        assert_eq!(
            Date::parse("2027-06-01"),
            Some(Date {
                year: 2027,
                month: 6,
                day: 1
            })
        );
        for bad in [
            "24-01-01",
            "2024-1-1",
            "2024-01-01T00:00",
            " 2024-01-01",
            "2024-02-30",
            "2024-13-01",
            "2024-00-10",
            "２０２４-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Date::parse("1970-01-02").map(|d| d.midnight_utc()),
            Some(86_400)
        );
        assert_eq!(Date::from_unix(86_399), Date::parse("1970-01-01"));
    }
}
