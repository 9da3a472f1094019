//! `hog ls FILE` and `hog cat FILE`: what a data file holds, and its
//! records in time order.
//!
//! Both work on any fregion file (written by this hog, the C++ hog or
//! fregion.H). `cat` streams: it decodes one record at a time from the
//! mapped file, so its memory does not grow with the file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone};
use hog_core::fregion::{BindingKind, CSeqType, FileBytes, Reader, SeriesType};
use hog_core::types::{TimeOf, TimeRange, Type, Value};
use serde_json::{json, Value as Json};

/// Output format of `hog cat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// One JSON value per line.
    #[default]
    Json,
    /// Comma-separated values with a header line.
    Csv,
}

/// What `hog cat` prints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CatArgs {
    /// The file.
    pub file: PathBuf,
    /// One binding; default: `log`, else `transactions`, else every series.
    pub series: Option<String>,
    /// Output format.
    pub format: Format,
    /// Only records at or after this time (µs since the epoch).
    pub from: Option<i64>,
    /// Only records before this time (µs since the epoch).
    pub to: Option<i64>,
}

/// Why a file could not be listed or printed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct InspectError {
    message: String,
    closed: bool,
}

impl InspectError {
    /// Whether the output was closed by the reader (`hog cat … | head`),
    /// which is not a failure.
    pub fn output_closed(&self) -> bool {
        self.closed
    }
}

/// A time `--from` or `--to` cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Neither microseconds nor a date and time.
    #[error(
        "invalid time '{0}': use microseconds since the epoch or YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|+HH:MM]"
    )]
    Invalid(String),
    /// A local time skipped by a clock change.
    #[error("'{0}' does not exist in the local time zone")]
    NotLocal(String),
}

fn fail(e: impl std::fmt::Display) -> InspectError {
    InspectError {
        message: e.to_string(),
        closed: false,
    }
}

impl From<io::Error> for InspectError {
    fn from(e: io::Error) -> Self {
        write_failed(e)
    }
}

fn write_failed(e: io::Error) -> InspectError {
    InspectError {
        closed: e.kind() == io::ErrorKind::BrokenPipe,
        message: format!("writing the output: {e}"),
    }
}

/// Parses a time for `--from`/`--to`: µs since the epoch, or
/// `YYYY-MM-DD[THH:MM[:SS[.ffffff]]]` with an optional `Z` or `±HH:MM`
/// offset (local time without one).
pub fn parse_time(s: &str) -> Result<i64, TimeError> {
    if let Ok(us) = s.parse::<i64>() {
        return Ok(us);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    let local = |n: NaiveDateTime| {
        Local
            .from_local_datetime(&n)
            .earliest()
            .map(|t| t.timestamp_micros())
            .ok_or_else(|| TimeError::NotLocal(s.to_string()))
    };
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return local(n);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return local(d.and_hms_opt(0, 0, 0).expect("midnight"));
    }
    Err(TimeError::Invalid(s.to_string()))
}

fn open(path: &Path) -> Result<Reader<FileBytes>, InspectError> {
    Reader::open(path).map_err(fail)
}

/// Lists the bindings of `path` with their types and counts (internal ones
/// too with `all`).
pub fn ls(path: &Path, all: bool, out: &mut dyn Write) -> Result<(), InspectError> {
    let r = open(path)?;
    let t = r.page_table();
    writeln!(
        out,
        "{}: {} pages of {} bytes",
        path.display(),
        t.len(),
        t.page_size
    )
    .map_err(write_failed)?;
    let mut rows = Vec::new();
    for b in r.bindings() {
        let shown =
            b.ty.as_ref()
                .map_or_else(|| "-".to_string(), Type::to_string);
        let what = match r.kind(b) {
            Ok(BindingKind::Internal) if !all => continue,
            Ok(BindingKind::Internal) => "internal".to_string(),
            Ok(BindingKind::Series(s)) => match r
                .series(&b.name)
                .and_then(|x| Ok((x.len()?, x.batches_in_list_order().len())))
            {
                Ok((n, batches)) => format!(
                    "{n} {} in {batches} {}{}",
                    plural(n, "record", "records"),
                    plural(batches as u64, "batch", "batches"),
                    order(&s)
                ),
                Err(e) => format!("unreadable: {e}"),
            },
            Ok(BindingKind::Compressed(_)) => match r
                .compressed(&b.name)
                .and_then(|x| Ok((x.len()?, x.batches().len())))
            {
                Ok((n, batches)) => format!(
                    "{n} {} in {batches} compressed {}",
                    plural(n, "record", "records"),
                    plural(batches as u64, "batch", "batches"),
                ),
                Err(e) => format!("unreadable: {e}"),
            },
            Ok(BindingKind::Value(Type::Array(_))) => match r.value(b) {
                Ok(Value::Array(v)) => format!(
                    "{} {}",
                    v.len(),
                    plural(v.len() as u64, "element", "elements")
                ),
                Ok(Value::Chars { bytes, .. }) => format!("{} chars", bytes.len()),
                Ok(_) => "array".into(),
                Err(e) => format!("unreadable: {e}"),
            },
            Ok(BindingKind::Value(_)) => "value".into(),
            Err(e) => e.what,
        };
        rows.push((b.name.clone(), shown, what));
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    for (name, ty, what) in rows {
        writeln!(out, "{name:width$}  {ty}  ({what})").map_err(write_failed)?;
    }
    Ok(())
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn order(s: &SeriesType) -> &'static str {
    match s.order {
        hog_core::fregion::BatchOrder::NewestFirst => ", newest batch first",
        hog_core::fregion::BatchOrder::OldestFirst => ", oldest batch first",
    }
}

/// Prints records of `args.file` in time order.
pub fn cat(args: &CatArgs, out: &mut dyn Write) -> Result<(), InspectError> {
    let r = open(&args.file)?;
    let range = TimeRange {
        from: args.from,
        to: args.to,
    };
    let filtering = range.is_bounded();
    let names: Vec<String> = match &args.series {
        Some(name) => vec![name.clone()],
        None => ["log", "transactions"]
            .iter()
            .find(|n| r.binding(n).is_some())
            .map(|n| vec![n.to_string()])
            .unwrap_or_else(|| {
                r.bindings()
                    .iter()
                    .filter(|b| {
                        // Series, and series this hog cannot read (which
                        // then say why).
                        !b.is_internal() && !matches!(r.kind(b), Ok(BindingKind::Value(_)))
                    })
                    .map(|b| b.name.clone())
                    .collect()
            }),
    };
    let tagged = args.series.is_none() && names.len() != 1;
    let mut csv = CsvOut::default();
    for name in &names {
        let b = r.binding(name).ok_or_else(|| {
            fail(format!(
                "{}: no binding named '{name}'",
                args.file.display()
            ))
        })?;
        let kind = r
            .kind(b)
            .map_err(|e| fail(format!("{}: {e}", args.file.display())))?;
        let emit = |v: &Value, out: &mut dyn Write, csv: &mut CsvOut| -> io::Result<()> {
            let json = if tagged {
                json!({"series": name, "value": v.to_json()})
            } else {
                v.to_json()
            };
            match args.format {
                Format::Json => writeln!(out, "{json}"),
                Format::Csv => csv.row(&json, out),
            }
        };
        match kind {
            BindingKind::Series(SeriesType { ref elem, .. })
            | BindingKind::Compressed(CSeqType { ref elem, .. }) => {
                let values = r.values(name).map_err(fail)?;
                let when = if filtering {
                    Some(TimeOf::of(elem).ok_or_else(|| {
                        fail(format!(
                            "{}: '{name}' ({elem}) has no datetime to filter on",
                            args.file.display(),
                        ))
                    })?)
                } else {
                    None
                };
                for item in values {
                    let v = item.map_err(|e| fail(format!("{}: {e}", args.file.display())))?;
                    if when.is_some_and(|how| !range.holds(how.time(&v))) {
                        continue;
                    }
                    emit(&v, out, &mut csv).map_err(write_failed)?;
                }
            }
            BindingKind::Value(_) if filtering => {
                return Err(fail(format!(
                    "{}: '{name}' is not a series; --from/--to apply to series",
                    args.file.display()
                )));
            }
            BindingKind::Value(_) => match r.value(b).map_err(fail)? {
                Value::Array(items) => {
                    for v in &items {
                        emit(v, out, &mut csv).map_err(write_failed)?;
                    }
                }
                v => emit(&v, out, &mut csv).map_err(write_failed)?,
            },
            BindingKind::Internal => {
                return Err(fail(format!(
                    "{}: '{name}' is an internal cell",
                    args.file.display()
                )))
            }
        }
    }
    Ok(())
}

/// CSV output: a header, then one line per record. The columns are the
/// first record's fields (or `value` for records that are not objects);
/// nested values are cells of JSON text.
#[derive(Default)]
struct CsvOut {
    columns: Option<Vec<String>>,
}

impl CsvOut {
    fn row(&mut self, v: &Json, out: &mut dyn Write) -> io::Result<()> {
        if self.columns.is_none() {
            let columns: Vec<String> = match v {
                Json::Object(m) => m.keys().cloned().collect(),
                _ => vec!["value".into()],
            };
            let header: Vec<String> = columns.iter().map(|c| cell(&json!(c))).collect();
            writeln!(out, "{}", header.join(","))?;
            self.columns = Some(columns);
        }
        let columns = self.columns.as_deref().unwrap_or_default();
        let cells: Vec<String> = match v {
            Json::Object(m) if m.keys().eq(columns.iter()) => m.values().map(cell).collect(),
            Json::Object(m) if columns != ["value"] => columns
                .iter()
                .map(|c| cell(m.get(c).unwrap_or(&Json::Null)))
                .collect(),
            other => vec![cell(other)],
        };
        writeln!(out, "{}", cells.join(","))
    }
}

fn cell(v: &Json) -> String {
    let text = match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}
