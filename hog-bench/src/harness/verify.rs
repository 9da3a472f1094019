//! Reading a run's output back with hog's own fregion reader and checking
//! it: every record of the workload exactly once, in order, each value
//! whole. Lost and duplicated records are counted, not only detected.

use std::path::{Path, PathBuf};

use hog_core::fregion::{FileBytes, Reader};
use hog_core::types::{Type, Value};

use crate::workload::{p3_index, s256_index, Workload};

/// What the output holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Values of the workload's series, in every file.
    pub total: u64,
    /// Different indices among them.
    pub distinct: u64,
    /// Values not above the one before them in their file.
    pub out_of_order: u64,
    /// Values that are no record of the workload (or beyond the count).
    pub malformed: u64,
    /// Entries of the files' `log` series (one per record).
    pub log_entries: u64,
    /// Values in the files that have a `log` (compressed files, hog -z,
    /// have none).
    pub logged: u64,
}

impl Tally {
    /// Records that never arrived.
    pub fn lost(&self, expected: u64) -> u64 {
        expected.saturating_sub(self.distinct)
    }

    /// Records stored more than once.
    pub fn duplicated(&self) -> u64 {
        self.total - self.distinct - self.malformed
    }

    /// Whether the output is exactly records `0..expected` in order.
    pub fn exact(&self, expected: u64) -> Result<(), String> {
        if self.total == expected
            && self.distinct == expected
            && self.out_of_order == 0
            && self.malformed == 0
            && self.log_entries == self.logged
        {
            Ok(())
        } else {
            Err(format!(
                "output is not exact: expected {expected}, found {self:?} ({} lost, {} duplicated)",
                self.lost(expected),
                self.duplicated()
            ))
        }
    }
}

/// The data files under `dir` (`dir/<group>/<date>/*.log`), sorted.
pub fn data_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(dir, 0, &mut out);
    out.sort();
    out
}

fn collect(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && depth < 2 {
            collect(&path, depth + 1, out);
        } else if depth == 2 && path.extension().is_some_and(|x| x == "log") {
            out.push(path);
        }
    }
}

/// Records of `workload` in the files under `dir` now (0 for a file not
/// readable yet), for polling a growing output.
pub fn count(dir: &Path, workload: Workload) -> u64 {
    data_files(dir)
        .iter()
        .filter_map(|f| Reader::open(f).ok())
        .filter_map(|r| r.series(workload.name()).and_then(|s| s.len()).ok())
        .sum()
}

/// Bytes of the data files under `dir`.
pub fn output_bytes(dir: &Path) -> u64 {
    data_files(dir)
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// Reads every data file under `dir` and tallies records `0..expected`.
pub fn tally(dir: &Path, workload: Workload, expected: u64) -> Result<Tally, String> {
    tally_files(&data_files(dir), workload, expected)
}

/// Reads `files` and tallies records `0..expected` in them.
pub fn tally_files(files: &[PathBuf], workload: Workload, expected: u64) -> Result<Tally, String> {
    let mut seen = vec![0u64; expected.div_ceil(64) as usize];
    let mut t = Tally::default();
    for file in files {
        let reader = Reader::open(file).map_err(|e| e.to_string())?;
        let at = |e: hog_core::fregion::FormatError| format!("{}: {e}", file.display());
        if reader.binding(workload.name()).is_none() {
            continue;
        }
        let logged = reader.binding("log").is_some();
        if logged {
            t.log_entries += reader.series("log").and_then(|s| s.len()).map_err(at)?;
        }
        let before = t.total;
        let mut prev: Option<u64> = None;
        for_each_index(&reader, workload, |index| {
            t.total += 1;
            let Some(i) = index.filter(|&i| i < expected) else {
                t.malformed += 1;
                return;
            };
            if prev.is_some_and(|p| i <= p) {
                t.out_of_order += 1;
            }
            prev = Some(i);
            let (word, bit) = ((i / 64) as usize, 1u64 << (i % 64));
            if seen[word] & bit == 0 {
                seen[word] |= bit;
                t.distinct += 1;
            }
        })
        .map_err(|e| format!("{}: {e}", file.display()))?;
        if logged {
            t.logged += t.total - before;
        }
    }
    Ok(t)
}

/// Calls `f` with the index each value of the workload's series holds
/// (`None` for a value that is not one of its records), in time order.
fn for_each_index(
    reader: &Reader<FileBytes>,
    workload: Workload,
    mut f: impl FnMut(Option<u64>),
) -> Result<(), String> {
    if let Ok(series) = reader.compressed(workload.name()) {
        for value in series.iter() {
            f(index_of(workload, &value.map_err(|e| e.to_string())?));
        }
        return Ok(());
    }
    let series = reader.series(workload.name()).map_err(|e| e.to_string())?;
    let elem = series.ty().elem.clone();
    let bytes = reader.bytes();
    let int_at = |at: u64| -> Option<i64> {
        let b = bytes.get(at as usize..at as usize + 4)?;
        Some(i32::from_le_bytes(b.try_into().ok()?).into())
    };
    let p3_offsets = p3_offsets(&elem);
    let mut slots = series.iter();
    while let Some(slot) = slots.next_slot() {
        let at = slot.map_err(|e| e.to_string())?;
        let index = match workload {
            Workload::P3 => {
                let (x, y, z) = p3_offsets.ok_or("p3 is not a struct {x:int, y:int, z:int}")?;
                (|| p3_index(int_at(at + x)?, int_at(at + y)?, int_at(at + z)?))()
            }
            Workload::I64 => bytes
                .get(at as usize..at as usize + 8)
                .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                .filter(|&v| v >= 0 && elem == Type::prim("long"))
                .map(|v| v as u64),
            Workload::S256 => match reader.value_at(&elem, at) {
                Ok(Value::Chars { bytes, .. }) => s256_index(&bytes),
                _ => None,
            },
        };
        f(index);
    }
    Ok(())
}

/// The index a decoded value of the workload holds.
fn index_of(workload: Workload, v: &Value) -> Option<u64> {
    match (workload, v) {
        (Workload::P3, Value::Record(f)) => match f.as_slice() {
            [(_, Value::Int(x)), (_, Value::Int(y)), (_, Value::Int(z))] => {
                p3_index((*x).into(), (*y).into(), (*z).into())
            }
            _ => None,
        },
        (Workload::I64, Value::Long(v)) => u64::try_from(*v).ok(),
        (Workload::S256, Value::Chars { bytes, .. }) => s256_index(bytes),
        _ => None,
    }
}

/// Where `x`, `y` and `z` are in a stored p3 value.
fn p3_offsets(elem: &Type) -> Option<(u64, u64, u64)> {
    let Type::Struct(fields) = elem else {
        return None;
    };
    let at = |name: &str| {
        fields
            .iter()
            .find(|f| f.name == name && f.ty == Type::prim("int"))
            .map(|f| u64::from(f.offset))
    };
    (fields.len() == 3).then_some(())?;
    Some((at("x")?, at("y")?, at("z")?))
}
