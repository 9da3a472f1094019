//! hobbes' time types: opaque aliases of a `long` count of microseconds,
//! named `datetime`, `timespan` and `time` as hobbes names them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::output::Output;
use crate::store::Store;
use crate::types::Type;

/// A point in time: microseconds since the Unix epoch, UTC (`datetime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Datetime(pub i64);

/// A duration in microseconds (`timespan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespan(pub i64);

/// A time of day: microseconds since midnight (`time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

impl Datetime {
    /// The current time.
    pub fn now() -> Datetime {
        Datetime::from(SystemTime::now())
    }
}

impl From<SystemTime> for Datetime {
    fn from(t: SystemTime) -> Datetime {
        Datetime(match t.duration_since(UNIX_EPOCH) {
            Ok(after) => micros(after),
            Err(before) => -micros(before.duration()),
        })
    }
}

impl From<Duration> for Timespan {
    fn from(d: Duration) -> Timespan {
        Timespan(micros(d))
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

macro_rules! alias {
    ($($t:ident => $name:literal),*) => {$(
        impl Store for $t {
            const FIXED_SIZE: Option<usize> = Some(8);

            fn hobbes_type() -> Type {
                Type::alias($name, Type::prim("long"))
            }

            #[inline]
            fn size(&self) -> usize {
                8
            }

            #[inline]
            fn store<S: Output + ?Sized>(&self, out: &mut S) {
                self.0.store(out);
            }
        }
    )*};
}

alias!(Datetime => "datetime", Timespan => "timespan", Time => "time");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_microsecond_longs_under_their_alias() {
        let hex: String = Datetime::hobbes_type()
            .encode()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "0000000008000000000000006461746574696d6501000000000400000000000000\
             6c6f6e6700"
        );
        assert_eq!(
            crate::encode(&Datetime(1_700_000_000_123_456)),
            1_700_000_000_123_456i64.to_le_bytes()
        );
        assert_eq!(
            Timespan::from(Duration::from_secs(90)),
            Timespan(90_000_000)
        );
        assert!(Datetime::now().0 > 1_600_000_000_000_000);
    }
}
