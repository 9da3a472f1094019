//! Where a record's time is: the value itself when it is a `datetime`, or
//! its first `datetime` field; and the range `hog cat --from/--to` and
//! `hog export` filter on.

use super::{Type, Value};

/// How to find a record's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOf {
    /// The record is a datetime.
    Itself,
    /// The record's field at this index is.
    Field(usize),
}

impl TimeOf {
    /// Where the time of a record of type `ty` is, if it has one.
    pub fn of(ty: &Type) -> Option<TimeOf> {
        match ty {
            t if is_datetime(t) => Some(TimeOf::Itself),
            Type::Struct(fields) => fields
                .iter()
                .position(|f| is_datetime(&f.ty))
                .map(TimeOf::Field),
            _ => None,
        }
    }

    /// The time of `v` (µs since the epoch), if it is where `self` says.
    pub fn time(self, v: &Value) -> Option<i64> {
        match (self, v) {
            (TimeOf::Itself, Value::Long(t)) => Some(*t),
            (TimeOf::Field(i), Value::Record(fields)) => match fields.get(i) {
                Some((_, Value::Long(t))) => Some(*t),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The records `hog cat --from/--to` and `hog export` keep: times in
/// `[from, to)`, µs since the epoch, either end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// The first time kept.
    pub from: Option<i64>,
    /// The first time no longer kept.
    pub to: Option<i64>,
}

impl TimeRange {
    /// Whether either end is set (otherwise every record is kept).
    pub fn is_bounded(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }

    /// Whether a record at time `t` is kept; one without a time is not.
    pub fn holds(&self, t: Option<i64>) -> bool {
        t.is_some_and(|t| self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|x| t < x))
    }
}

/// Whether `ty` is hobbes' `datetime` (µs since the epoch).
pub fn is_datetime(ty: &Type) -> bool {
    matches!(ty, Type::Prim(n, Some(_)) if n == "datetime")
}

/// Whether `ty` is hobbes' `timespan` (µs).
pub fn is_timespan(ty: &Type) -> bool {
    matches!(ty, Type::Prim(n, Some(_)) if n == "timespan")
}
