//! RFC 3339 timestamps as protobuf JSON writes them (`2026-12-02T07:00:00Z`, optional fraction,
//! `Z` or a numeric offset), and closed validity intervals.

/// An instant with nanosecond precision, in Unix time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Instant {
    pub(crate) secs: i64,
    pub(crate) nanos: u32,
}

impl Instant {
    pub(crate) fn from_secs(secs: i64) -> Self {
        Self { secs, nanos: 0 }
    }
}

/// A validity window; both ends are inclusive, a missing end is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) start: Instant,
    pub(crate) end: Option<Instant>,
}

impl Window {
    /// True when `t` lies in `[start, end]`.
    pub(crate) fn contains(&self, t: Instant) -> bool {
        self.start <= t && self.end.is_none_or(|end| t <= end)
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}, ", format_unix(self.start.secs))?;
        match self.end {
            Some(end) => write!(f, "{}]", format_unix(end.secs)),
            None => f.write_str("open]"),
        }
    }
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0i64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(i64::from(d - b'0'))
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) of a Unix time.
pub(crate) fn format_unix(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Parses an RFC 3339 date-time; `None` when it is not one.
pub(crate) fn parse_rfc3339(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, se) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let month_days = [
        31,
        28 + i64::from(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || d < 1 || d > month_days[usize::try_from(mo - 1).ok()?] {
        return None;
    }
    if h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        let frac = u32::try_from(digits(&rest[1..=n])?).ok()?;
        nanos = frac * 10u32.pow(u32::try_from(9 - n).ok()?);
        rest = &rest[1 + n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
            let (oh, om) = (digits(&[*oh1, *oh2])?, digits(&[*om1, *om2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset;
    Some(Instant { secs, nanos })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:00Z"),
            Some(Instant::from_secs(0))
        );
        assert_eq!(
            parse_rfc3339("2021-03-07T03:20:29.000Z"),
            Some(Instant::from_secs(1_615_087_229))
        );
        assert_eq!(
            parse_rfc3339("2021-03-07T04:20:29.5+01:00"),
            Some(Instant {
                secs: 1_615_087_229,
                nanos: 500_000_000
            })
        );
        for bad in [
            "2021-02-29T00:00:00Z",
            "2021-03-07 03:20:29Z",
            "2021-03-07T03:20:29",
            "2021-03-07T24:00:00Z",
            "2021-03-07T03:20:29.Z",
            "x",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(format_unix(1_615_087_229), "2021-03-07T03:20:29Z");
    }

    #[test]
    fn windows_are_closed() {
        let w = Window {
            start: Instant::from_secs(10),
            end: Some(Instant::from_secs(20)),
        };
        assert!(w.contains(Instant::from_secs(10)));
        assert!(w.contains(Instant::from_secs(20)));
        assert!(!w.contains(Instant::from_secs(9)));
        assert!(!w.contains(Instant::from_secs(21)));
        assert!(!w.contains(Instant { secs: 20, nanos: 1 }));
        let open = Window {
            start: Instant::from_secs(10),
            end: None,
        };
        assert!(open.contains(Instant::from_secs(i64::MAX)));
    }
}
