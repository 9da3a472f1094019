//! Time spans and byte sizes as hog's command line and configuration write
//! them, with the units of the hobbes hog.
//!
//! Time: a sum of `<digits><unit>` pieces (`1m30s`), units `us`, `ms`, `s`,
//! `m`/`min`, `h`/`hour`, `d`/`day`; a number without a unit is microseconds,
//! as in hobbes (`-p 1000000 …` is one second). Size: digits with an
//! optional `B`, `KB`, `MB` or `GB` (1024-based, any case). Unlike hobbes,
//! anything else is an error rather than a silent zero or microseconds.

use std::time::Duration;

/// A value that could not be read as a time span or size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} '{input}': {reason}")]
pub struct UnitError {
    what: &'static str,
    input: String,
    reason: String,
}

fn error(what: &'static str, input: &str, reason: impl Into<String>) -> UnitError {
    UnitError {
        what,
        input: input.to_string(),
        reason: reason.into(),
    }
}

/// Parses a time span such as `2s`, `500ms`, `1m30s` or `1000000` (µs).
pub fn parse_timespan(input: &str) -> Result<Duration, UnitError> {
    const WHAT: &str = "time span";
    let s = input.trim();
    if s.is_empty() {
        return Err(error(WHAT, input, "empty"));
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(error(WHAT, input, format!("expected a number at '{rest}'")));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| error(WHAT, input, "number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let micros_per = match &rest[..unit_len] {
            "" | "us" => 1,
            "ms" => 1_000,
            "s" => 1_000_000,
            "m" | "min" => 60_000_000,
            "h" | "hour" => 3_600_000_000,
            "d" | "day" => 86_400_000_000,
            unit => {
                return Err(error(
                    WHAT,
                    input,
                    format!("unknown unit '{unit}' (use us, ms, s, m, h or d)"),
                ))
            }
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(micros_per)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| error(WHAT, input, "too large"))?;
    }
    Ok(Duration::from_micros(total))
}

/// Parses a byte size such as `10MB`, `512KB`, `4096` or `1GB`.
pub fn parse_size(input: &str) -> Result<u64, UnitError> {
    const WHAT: &str = "size";
    let s = input.trim();
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(error(WHAT, input, "expected a number"));
    }
    let n: u64 = s[..digits]
        .parse()
        .map_err(|_| error(WHAT, input, "number too large"))?;
    let factor = match s[digits..].trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" | "K" | "KIB" => 1 << 10,
        "MB" | "M" | "MIB" => 1 << 20,
        "GB" | "G" | "GIB" => 1 << 30,
        unit => {
            return Err(error(
                WHAT,
                input,
                format!("unknown unit '{unit}' (use B, KB, MB or GB)"),
            ))
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| error(WHAT, input, "too large"))
}

/// A time span in settings, written with units (`"200ms"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

/// A byte size in settings, written with units (`"4MB"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

/// Permission bits in settings, written in octal (`"0640"`, `"027"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions(pub u32);

/// Reads permission bits written in octal: 1 to 4 digits, at most `0777`.
pub fn parse_mode(input: &str) -> Result<u32, UnitError> {
    const WHAT: &str = "permission bits";
    let digits = input.trim().trim_start_matches("0o");
    if digits.is_empty() || digits.len() > 4 {
        return Err(error(WHAT, input, "expected 1 to 4 octal digits, as 0640"));
    }
    let bits = u32::from_str_radix(digits, 8)
        .map_err(|_| error(WHAT, input, "expected octal digits (0-7), as 0640"))?;
    if bits > 0o777 {
        return Err(error(
            WHAT,
            input,
            "only the permission bits (at most 0777)",
        ));
    }
    Ok(bits)
}

impl serde::Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:04o}", self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Permissions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_mode(&text)
            .map(Permissions)
            .map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_timespan(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_timespan(&text)
            .map(Span)
            .map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Size {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_size(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_size(&text)
            .map(Size)
            .map_err(serde::de::Error::custom)
    }
}

/// Formats a size the way [`parse_size`] reads it back.
pub fn format_size(n: u64) -> String {
    for (unit, per) in [("GB", 1u64 << 30), ("MB", 1 << 20), ("KB", 1 << 10)] {
        if n >= per && n.is_multiple_of(per) {
            return format!("{}{unit}", n / per);
        }
    }
    format!("{n}B")
}

/// Formats a duration the way [`parse_timespan`] reads it back.
pub fn format_timespan(d: Duration) -> String {
    let us = d.as_micros();
    for (unit, per) in [
        ("d", 86_400_000_000u128),
        ("h", 3_600_000_000),
        ("m", 60_000_000),
        ("s", 1_000_000),
        ("ms", 1_000),
    ] {
        if us >= per && us.is_multiple_of(per) {
            return format!("{}{unit}", us / per);
        }
    }
    format!("{us}us")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_sum_their_pieces_and_default_to_microseconds() {
        let us = |s| parse_timespan(s).unwrap().as_micros();
        assert_eq!(us("1000000"), 1_000_000);
        assert_eq!(us("1s"), 1_000_000);
        assert_eq!(us("500ms"), 500_000);
        assert_eq!(us("1m30s"), 90_000_000);
        assert_eq!(us("2min"), 120_000_000);
        assert_eq!(us("1hour1d"), 3_600_000_000 + 86_400_000_000);
        assert_eq!(us("7us"), 7);
        assert_eq!(us("0"), 0);
    }

    #[test]
    fn bad_timespans_say_what_is_wrong() {
        assert!(parse_timespan("").is_err());
        assert!(parse_timespan("s")
            .unwrap_err()
            .to_string()
            .contains("expected a number"));
        assert!(parse_timespan("5parsecs")
            .unwrap_err()
            .to_string()
            .contains("unknown unit 'parsecs'"));
        assert!(parse_timespan("99999999999999999999").is_err());
        assert!(parse_timespan("999999999999d").is_err());
    }

    #[test]
    fn modes_are_octal_permission_bits() {
        assert_eq!(parse_mode("0640").unwrap(), 0o640);
        assert_eq!(parse_mode("027").unwrap(), 0o27);
        assert_eq!(parse_mode("0o600").unwrap(), 0o600);
        for bad in ["", "0648", "1777", "rw-r-----", "00000"] {
            assert!(parse_mode(bad).is_err(), "{bad}");
        }
        assert!(parse_mode("9").unwrap_err().to_string().contains("octal"));
    }

    #[test]
    fn sizes_are_1024_based() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("10MB").unwrap(), 10 << 20);
        assert_eq!(parse_size("10mb").unwrap(), 10 << 20);
        assert_eq!(parse_size("2KB").unwrap(), 2048);
        assert_eq!(parse_size("1GB").unwrap(), 1 << 30);
        assert!(parse_size("abc").is_err());
        assert!(parse_size("10XB")
            .unwrap_err()
            .to_string()
            .contains("unknown unit"));
        assert!(parse_size("99999999999GB").is_err());
    }

    #[test]
    fn formatted_timespans_read_back() {
        for s in ["2s", "500ms", "90s", "7us", "1d"] {
            let d = parse_timespan(s).unwrap();
            assert_eq!(parse_timespan(&format_timespan(d)).unwrap(), d);
        }
        assert_eq!(format_timespan(Duration::from_secs(120)), "2m");
    }
}
