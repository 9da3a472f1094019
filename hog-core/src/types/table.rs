//! A statement table: from a record's `u32` statement id to its name and
//! type, and the splitting of a transaction into its records.

use crate::plugin::Statement;

use super::value::{fixed_size, value_len};
use super::DecodeError;
use super::Type;

/// Largest statement id accepted (producers number them from 0).
pub const MAX_STATEMENT_ID: u32 = 1 << 16;

/// One statement with its decoded type.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The statement as the producer declared it.
    pub statement: Statement,
    /// Its payload type.
    pub ty: Type,
    /// The payload size when every value has the same size.
    pub fixed: Option<usize>,
}

/// Statements by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementTable {
    by_id: Vec<Option<Entry>>,
}

/// Why a statement table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// A statement's type description is malformed.
    #[error("statement '{name}' (id {id}): type description {source}")]
    Type {
        /// Statement name.
        name: String,
        /// Statement id.
        id: u32,
        /// What was wrong.
        source: DecodeError,
    },
    /// A statement id is too large or appears twice.
    #[error("statement '{name}': id {id} is {why}")]
    Id {
        /// Statement name.
        name: String,
        /// The id.
        id: u32,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// One record of a transaction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a> {
    /// The statement it belongs to.
    pub entry: &'a Entry,
    /// Offset of the record (its id) in the transaction.
    pub offset: usize,
    /// The encoded payload.
    pub payload: &'a [u8],
}

impl StatementTable {
    /// Builds the table, decoding every statement's type description.
    pub fn new(statements: &[Statement]) -> Result<Self, TableError> {
        let mut by_id: Vec<Option<Entry>> = Vec::new();
        for s in statements {
            let name = s.name.to_string();
            if s.id >= MAX_STATEMENT_ID {
                return Err(TableError::Id {
                    name,
                    id: s.id,
                    why: "too large",
                });
            }
            let ty = Type::decode(&s.type_desc).map_err(|source| TableError::Type {
                name: name.clone(),
                id: s.id,
                source,
            })?;
            let i = s.id as usize;
            if by_id.len() <= i {
                by_id.resize(i + 1, None);
            }
            if by_id[i].is_some() {
                return Err(TableError::Id {
                    name,
                    id: s.id,
                    why: "used twice",
                });
            }
            let fixed = fixed_size(&ty);
            by_id[i] = Some(Entry {
                statement: s.clone(),
                ty,
                fixed,
            });
        }
        Ok(Self { by_id })
    }

    /// The statement with `id`.
    pub fn get(&self, id: u32) -> Option<&Entry> {
        self.by_id.get(id as usize).and_then(Option::as_ref)
    }

    /// Every statement, by id.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.by_id.iter().flatten()
    }

    /// The records of `transaction` (`u32` id + payload, back to back). A
    /// malformed record ends the iteration with an error: what follows it
    /// cannot be located.
    pub fn records<'a>(
        &'a self,
        transaction: &'a [u8],
    ) -> impl Iterator<Item = Result<Record<'a>, DecodeError>> + 'a {
        let mut offset = 0;
        let mut failed = false;
        std::iter::from_fn(move || {
            if failed || offset >= transaction.len() {
                return None;
            }
            let result = self.record_at(transaction, offset);
            match &result {
                Ok(r) => offset = r.offset + 4 + r.payload.len(),
                Err(_) => failed = true,
            }
            Some(result)
        })
    }

    /// How many records `transaction` holds, checked as [`records`] checks
    /// them (the same error for the first malformed record).
    ///
    /// [`records`]: Self::records
    pub fn count(&self, transaction: &[u8]) -> Result<u64, DecodeError> {
        let (mut offset, mut n) = (0, 0);
        while offset < transaction.len() {
            // Records of fixed size are stepped over here; the others, and
            // anything malformed, go through `record_at`.
            let fixed = transaction
                .get(offset..offset + 4)
                .and_then(|id| self.get(u32::from_le_bytes(id.try_into().ok()?))?.fixed)
                .filter(|len| offset + 4 + len <= transaction.len());
            offset = match fixed {
                Some(len) => offset + 4 + len,
                None => {
                    let r = self.record_at(transaction, offset)?;
                    r.offset + 4 + r.payload.len()
                }
            };
            n += 1;
        }
        Ok(n)
    }

    fn record_at<'a>(&'a self, txn: &'a [u8], offset: usize) -> Result<Record<'a>, DecodeError> {
        let err = |what: String| DecodeError { offset, what };
        let id_bytes = txn.get(offset..offset + 4).ok_or_else(|| {
            err(format!(
                "{} trailing bytes are not a record id",
                txn.len() - offset
            ))
        })?;
        let id = u32::from_le_bytes(id_bytes.try_into().expect("4 bytes"));
        let entry = self
            .get(id)
            .ok_or_else(|| err(format!("record id {id} names no statement")))?;
        let rest = &txn[offset + 4..];
        let len = match entry.fixed {
            Some(n) if n <= rest.len() => n,
            _ => value_len(&entry.ty, rest).map_err(|e| {
                err(format!(
                    "record of '{}' at byte {}: {}",
                    entry.statement.name,
                    offset + 4 + e.offset,
                    e.what
                ))
            })?,
        };
        Ok(Record {
            entry,
            offset,
            payload: &rest[..len],
        })
    }
}
