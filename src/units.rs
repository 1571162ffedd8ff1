//! Units shared by every part: timestamps (unix seconds, UTC), durations, and their
//! text forms. Holds no state and does no I/O.
//!
//! | type        | unit                                  |
//! |-------------|---------------------------------------|
//! | `Timestamp` | seconds since 1970-01-01T00:00:00Z    |
//! | durations   | seconds (`i64`)                       |
//!
//! Money (`Usd`, token amounts) joins this module with the engine's ledger.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Seconds since the unix epoch, UTC.
pub type Timestamp = i64;

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;
pub const WEEK: i64 = 7 * DAY;
/// A year for annualisation: 365 days.
pub const YEAR: i64 = 365 * DAY;

/// A duration as a strategy file writes it (`"7d"`), parsed when the file is read: its
/// text, which is what it serialises back to (a file's hash and the report's parameters
/// show what the user wrote), and its seconds or why the text is not a duration. The
/// reason is kept rather than failing the whole file's parse, so that the error can name
/// the parameter (`interval: duration '0h' must be positive`): each strategy checks its
/// durations with `secs_of` when it is built, which reading a strategy file does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration {
    text: String,
    secs: Result<i64, String>,
}

impl Duration {
    /// Its seconds, or why its text is not a duration, naming the parameter `name`.
    pub fn secs_of(&self, name: &str) -> Result<i64, String> {
        self.secs.clone().map_err(|m| format!("{name}: {m}"))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// `1d`.
    pub fn day() -> Duration {
        Duration {
            text: "1d".into(),
            secs: Ok(DAY),
        }
    }
}

impl std::str::FromStr for Duration {
    type Err = String;

    /// A valid duration (an invalid text is an error here, unlike in a file).
    fn from_str(text: &str) -> Result<Duration, String> {
        Ok(Duration {
            secs: Ok(parse_duration(text)?),
            text: text.to_string(),
        })
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Duration {
            secs: parse_duration(&text),
            text,
        })
    }
}

/// Parses a duration such as `90s`, `30m`, `1h`, `2d`, `1w` (a whole number and one unit)
/// into seconds. Zero and negative durations are refused.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("duration '{text}' has no unit: write e.g. '1h', '2d', '30m'"))?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("duration '{text}' must start with a whole number, e.g. '1h'"))?;
    let mult = match unit {
        "s" => 1,
        "m" | "min" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        "w" => WEEK,
        _ => {
            return Err(format!(
                "duration '{text}' has unknown unit '{unit}': use s, m, h, d or w"
            ))
        }
    };
    if n <= 0 {
        return Err(format!("duration '{text}' must be positive"));
    }
    match n.checked_mul(mult) {
        Some(d) if d <= MAX_DURATION => Ok(d),
        _ => Err(format!(
            "duration '{text}' must be at most {}d (200 years)",
            MAX_DURATION / DAY
        )),
    }
}

/// A number as a user would write it: plain where that is short (`-5`, `0.25`,
/// `10000`), scientific otherwise (`5e-324`, `1e308`).
pub fn format_number(x: f64) -> String {
    let plain = format!("{x}");
    if plain.len() <= 16 {
        plain
    } else {
        format!("{x:e}")
    }
}

/// Longest duration any field accepts: 200 years. Bounded where it is parsed, so that
/// timestamps plus durations, and small multiples of them, never overflow downstream.
pub const MAX_DURATION: i64 = 200 * 365 * DAY;

/// Formats seconds as the shortest exact text: `1h`, `2d`, `90m`, `45s`, `1d6h`.
pub fn format_duration(secs: i64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let sign = if secs < 0 { "-" } else { "" };
    let mut s = secs.unsigned_abs();
    let mut out = String::from(sign);
    for (unit, len) in [
        ("d", DAY as u64),
        ("h", HOUR as u64),
        ("m", MINUTE as u64),
        ("s", 1),
    ] {
        if s >= len {
            out.push_str(&format!("{}{}", s / len, unit));
            s %= len;
        }
    }
    out
}

/// Formats a timestamp as ISO-8601 UTC, `2022-01-01T00:00:00Z`.
pub fn format_ts(ts: Timestamp) -> String {
    match DateTime::from_timestamp(ts, 0) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => format!("{ts} (out of the calendar range)"),
    }
}

/// Parses a calendar date or date-time as UTC seconds. Accepted forms:
/// `2022-01-01`, `2022-01-01T13:00:00Z`, `2022-01-01 13:00:00`, `2022-01-01T13:00`,
/// fractional seconds, and explicit offsets such as `+02:00` (converted to UTC).
/// A date-time without an offset is read as UTC. Fractional seconds are truncated.
pub fn parse_datetime(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    // The common fixed shapes first, read digit by digit (chrono re-reads a format string
    // on every call): YYYY-MM-DD, then YYYY-MM-DD[T ]HH:MM:SS with an optional Z.
    if let Some(ts) = parse_fixed(t.as_bytes()) {
        return Some(ts);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp());
    }
    if let Ok(dt) = DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%:z") {
        return Some(dt.timestamp());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(dt.and_utc().timestamp());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp())
}

/// A stated timestamp format (a manifest's `timestamp_format`): chrono's strftime
/// specifiers, e.g. Dune's default `%Y-%m-%d %H:%M:%S%.f UTC`. A format with an offset
/// (`%z`, `%:z`) converts to UTC; one without is read as UTC; one without a time of day
/// is midnight UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeFormat {
    text: String,
    shape: FormatShape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormatShape {
    Offset,
    DateTime,
    Date,
}

impl TimeFormat {
    /// Checks a format: every specifier known, and the format able to read back a
    /// time it wrote (so it names at least a year, month and day).
    pub fn new(text: &str) -> Result<TimeFormat, String> {
        use chrono::format::{Item, StrftimeItems};
        let items: Vec<Item> = StrftimeItems::new(text).collect();
        if items.iter().any(|i| matches!(i, Item::Error)) {
            return Err(format!(
                "'{text}' has a specifier chrono does not know (see https://docs.rs/chrono/latest/chrono/format/strftime; Dune's default is \"%Y-%m-%d %H:%M:%S%.f UTC\")"
            ));
        }
        let has = |specs: &[&str]| specs.iter().any(|s| text.contains(s));
        let shape = if has(&["%z", "%:z", "%::z", "%#z", "%+"]) {
            FormatShape::Offset
        } else if has(&["%H", "%I", "%k", "%l", "%T", "%R", "%X", "%s", "%c"]) {
            FormatShape::DateTime
        } else {
            FormatShape::Date
        };
        let f = TimeFormat {
            text: text.to_string(),
            shape,
        };
        // 2021-03-04T05:06:00Z, written with the format and read back (whole minutes,
        // so a format without seconds reads it back too).
        let sample: Timestamp = 1_614_834_360;
        let written = DateTime::from_timestamp(sample, 0)
            .map(|d| d.format(text).to_string())
            .unwrap_or_default();
        let want = if shape == FormatShape::Date {
            sample - sample.rem_euclid(86_400)
        } else {
            sample
        };
        if f.parse(&written) != Some(want) {
            return Err(format!(
                "'{text}' cannot read back the time it writes ('{written}'): a format needs at least %Y, %m and %d, and %H:%M for a time of day"
            ));
        }
        Ok(f)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The UTC seconds of a cell in this format.
    pub fn parse(&self, cell: &str) -> Option<Timestamp> {
        let t = cell.trim();
        match self.shape {
            FormatShape::Offset => DateTime::parse_from_str(t, &self.text)
                .ok()
                .map(|d| d.timestamp()),
            FormatShape::DateTime => NaiveDateTime::parse_from_str(t, &self.text)
                .ok()
                .map(|d| d.and_utc().timestamp()),
            FormatShape::Date => NaiveDate::parse_from_str(t, &self.text)
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().timestamp()),
        }
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DD[T ]HH:MM:SS[Z]`, validated through chrono's calendar.
fn parse_fixed(b: &[u8]) -> Option<Timestamp> {
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
        })
    };
    let date = match b.len() {
        10 | 19 | 20 if b[4] == b'-' && b[7] == b'-' => {
            NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?
        }
        _ => return None,
    };
    if b.len() == 10 {
        return date.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc().timestamp());
    }
    if !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
        || (b.len() == 20 && b[19] != b'Z')
    {
        return None;
    }
    date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)
        .map(|dt| dt.and_utc().timestamp())
}

/// A decimal as text with at least one digit after the point (`0.0`, `100000.0`), so
/// that CSV readers that infer types read it as a float whatever its value.
pub fn decimal_text(d: rust_decimal::Decimal) -> String {
    let t = d.normalize().to_string();
    if t.contains('.') {
        t
    } else {
        t + ".0"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_duration_keeps_its_text_and_names_its_parameter_when_invalid() {
        #[derive(serde::Deserialize, serde::Serialize)]
        struct P {
            every: Duration,
        }
        let p: P = toml::from_str("every = \"7d\"").unwrap();
        assert_eq!(p.every.secs_of("every"), Ok(7 * DAY));
        assert_eq!(toml::to_string(&p).unwrap().trim(), "every = \"7d\"");
        let bad: P = toml::from_str("every = \"0h\"").unwrap();
        assert_eq!(
            bad.every.secs_of("every"),
            Err("every: duration '0h' must be positive".into())
        );
        assert!("0h".parse::<Duration>().is_err());
    }

    use super::*;

    #[test]
    fn documented_timestamp_formats_read_their_examples() {
        // docs/manifest.md, "Timestamp formats".
        for (cell, format, want) in [
            (
                "2021-01-01 00:00:00.000 UTC",
                "%Y-%m-%d %H:%M:%S%.f UTC",
                1_609_459_200,
            ),
            ("03/27/2022 23:01", "%m/%d/%Y %H:%M", 1_648_422_060),
            (
                "2022-03-27 23:01:15 +0200",
                "%Y-%m-%d %H:%M:%S %z",
                1_648_414_875,
            ),
            ("27.03.2022", "%d.%m.%Y", 1_648_339_200),
        ] {
            let f = TimeFormat::new(format).unwrap();
            assert_eq!(f.parse(cell), Some(want), "{cell} as {format}");
        }
        assert!(TimeFormat::new("%Y-%m").is_err());
        assert!(TimeFormat::new("%Y-%m-%d %Q").is_err());
    }

    #[test]
    fn fixed_shapes_parse_like_chrono() {
        for t in [
            "2022-07-19",
            "2022-07-19 13:05:09",
            "2022-07-19T13:05:09",
            "2022-07-19T13:05:09Z",
            "2024-02-29 23:59:59",
        ] {
            let chrono = DateTime::parse_from_rfc3339(&format!(
                "{}Z",
                t.trim_end_matches('Z').replace(' ', "T")
            ))
            .map(|d| d.timestamp())
            .ok()
            .or_else(|| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp())
            });
            assert_eq!(parse_fixed(t.as_bytes()), chrono, "{t}");
        }
        assert_eq!(parse_fixed(b"2023-02-29"), None);
        assert_eq!(parse_fixed(b"2022-07-19 25:00:00"), None);
        assert_eq!(parse_fixed(b"2022-07-19x13:05:09"), None);
        assert_eq!(parse_fixed(b"2022-7-19"), None);
    }

    #[test]
    fn durations_round_trip() {
        assert_eq!(parse_duration("1h"), Ok(3600));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert_eq!(parse_duration("30m"), Ok(1800));
        assert_eq!(parse_duration("1w"), Ok(604_800));
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("3").unwrap_err().contains("no unit"));
        assert!(parse_duration("3y").unwrap_err().contains("unknown unit"));
        assert_eq!(format_duration(3600), "1h");
        assert_eq!(format_duration(DAY + 6 * HOUR), "1d6h");
        assert_eq!(format_duration(1800), "30m");
    }

    #[test]
    fn datetimes_parse_as_utc() {
        assert_eq!(parse_datetime("2022-01-01"), Some(1_640_995_200));
        assert_eq!(parse_datetime("2022-01-01T00:00:00Z"), Some(1_640_995_200));
        assert_eq!(parse_datetime("2022-01-01 01:00:00"), Some(1_640_998_800));
        assert_eq!(
            parse_datetime("2022-01-01T02:00:00+02:00"),
            Some(1_640_995_200)
        );
        assert_eq!(
            parse_datetime("2022-01-01T00:00:00.75Z"),
            Some(1_640_995_200)
        );
        assert_eq!(parse_datetime("01/02/2022"), None);
        assert_eq!(format_ts(1_640_995_200), "2022-01-01T00:00:00Z");
    }
}
