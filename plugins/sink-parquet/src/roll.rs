//! A roll: the Parquet files of one stream for a run of its transactions,
//! one per statement, built in a hidden directory and published by
//! renaming the directory.
//!
//! A published roll is the directory
//! `<stream>-<first>-<end>-<records>` (20-digit numbers) in the group's
//! directory: it holds transactions `first..end` of the stream, whose
//! records end at record number `records`. It is renamed into place only
//! once every file in it is complete and synced, so a reader sees whole
//! rolls or nothing, and the published rolls say how far the stream is
//! durable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hog_core::types::{Cursor, Type, Value};
use hog_export::shape::Shape;
use hog_export::table::{output_path, Layout, Position, Table};
use hog_export::OutputFormat;

/// A statement of a stream, ready to be written.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Its name.
    pub name: String,
    /// The type of its records.
    pub ty: Type,
    /// Its columns.
    pub layout: Layout,
}

impl Statement {
    /// The statement `name` of type `ty`, if its records can be written.
    pub fn new(name: &str, ty: Type) -> Result<Statement, String> {
        let layout = Shape::of(&ty).and_then(|s| Layout::new(s, &ty.to_string(), true))?;
        Ok(Statement {
            name: name.to_string(),
            ty,
            layout,
        })
    }
}

/// Where a published roll ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Its first transaction.
    pub first: u64,
    /// One past its last transaction.
    pub end: u64,
    /// One past its last record.
    pub records: u64,
}

impl Published {
    /// The directory name of a roll of `stream`.
    pub fn name(&self, stream: u64) -> String {
        format!(
            "{stream:020}-{:020}-{:020}-{:020}",
            self.first, self.end, self.records
        )
    }

    /// The roll a directory name stands for, if it is one of `stream`'s.
    pub fn parse(name: &str, stream: u64) -> Option<Published> {
        let parts: Vec<u64> = name
            .split('-')
            .map(|p| p.parse().ok().filter(|_| p.len() == 20))
            .collect::<Option<_>>()?;
        match parts.as_slice() {
            &[s, first, end, records] if s == stream && first <= end => Some(Published {
                first,
                end,
                records,
            }),
            _ => None,
        }
    }

    /// The published rolls of `stream` in `dir`, in order.
    pub fn all(dir: &Path, stream: u64) -> std::io::Result<Vec<Published>> {
        let mut rolls = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name();
            if let Some(p) = Published::parse(&name.to_string_lossy(), stream) {
                rolls.push(p);
            }
        }
        rolls.sort_by_key(|p| p.first);
        Ok(rolls)
    }
}

/// The hidden directory a roll of `stream` starting at `first` is built in.
pub fn part_dir(dir: &Path, stream: u64, first: u64) -> PathBuf {
    dir.join(format!(".{stream:020}-{first:020}.part"))
}

/// Whether `name` is the name of a roll of `stream` being built.
pub fn is_part_of(name: &str, stream: u64) -> bool {
    name.starts_with(&format!(".{stream:020}-")) && name.ends_with(".part")
}

/// A roll being built.
pub struct Roll {
    part: PathBuf,
    first: u64,
    end: u64,
    records: u64,
    tables: HashMap<u32, Table>,
    /// Transaction bytes in the roll.
    pub bytes: u64,
    /// When its first transaction arrived.
    pub started: Instant,
}

impl Roll {
    /// Starts a roll at transaction `first` and record `records`.
    pub fn start(dir: &Path, stream: u64, first: u64, records: u64) -> std::io::Result<Roll> {
        let part = part_dir(dir, stream, first);
        if part.exists() {
            std::fs::remove_dir_all(&part)?;
        }
        std::fs::create_dir(&part)?;
        Ok(Roll {
            part,
            first,
            end: first,
            records,
            tables: HashMap::new(),
            bytes: 0,
            started: Instant::now(),
        })
    }

    /// One past the last transaction in the roll.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// One past the last record in the roll.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Transactions in the roll.
    pub fn transactions(&self) -> u64 {
        self.end - self.first
    }

    /// Adds transaction `seq` (received at `time`), whose records are
    /// `bytes`. On an error the roll must be dropped.
    pub fn add(
        &mut self,
        seq: u64,
        time: i64,
        bytes: &[u8],
        statements: &HashMap<u32, Statement>,
    ) -> Result<(), String> {
        if seq != self.end {
            return Err(format!("transaction {seq} where {} comes next", self.end));
        }
        let mut cursor = Cursor::new(bytes);
        while cursor.remaining() > 0 {
            let id = cursor.u32("statement id").map_err(|e| e.to_string())?;
            let s = statements
                .get(&id)
                .ok_or_else(|| format!("transaction {seq}: no statement has id {id}"))?;
            let value = Value::read(&s.ty, &mut cursor)
                .map_err(|e| format!("transaction {seq}, statement '{}': {e}", s.name))?;
            let table = match self.tables.entry(id) {
                std::collections::hash_map::Entry::Occupied(t) => t.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let path = output_path(&self.part, &s.name, OutputFormat::Parquet)?;
                    v.insert(Table::create(
                        &path,
                        s.layout.clone(),
                        OutputFormat::Parquet,
                    )?)
                }
            };
            let at = Position {
                seq: self.records as i64,
                txn: Some((seq as i64, time)),
            };
            table.push(at, &value)?;
            self.records += 1;
        }
        self.end += 1;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Completes every file, then publishes the roll into `dir` under its
    /// final name. Returns what was published.
    pub fn publish(self, dir: &Path, stream: u64) -> Result<Published, String> {
        let io = |e: std::io::Error| format!("{}: {e}", self.part.display());
        let published = Published {
            first: self.first,
            end: self.end,
            records: self.records,
        };
        for (_, table) in self.tables {
            table.finish()?;
        }
        std::fs::File::open(&self.part)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        std::fs::rename(&self.part, dir.join(published.name(stream))).map_err(io)?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        Ok(published)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_names_round_trip_and_belong_to_one_stream() {
        let p = Published {
            first: 5,
            end: 9,
            records: 12,
        };
        let name = p.name(7);
        assert_eq!(
            name,
            "00000000000000000007-00000000000000000005-00000000000000000009-00000000000000000012"
        );
        assert_eq!(Published::parse(&name, 7), Some(p));
        assert_eq!(Published::parse(&name, 8), None);
        assert_eq!(Published::parse("7-5-9-12", 7), None);
        assert!(is_part_of(
            part_dir(Path::new("d"), 7, 5)
                .file_name()
                .unwrap()
                .to_str()
                .unwrap(),
            7
        ));
    }
}
