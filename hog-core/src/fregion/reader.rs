//! Reading a file: the validated page table and bindings, plain values and
//! series in time order, one value at a time.

use std::fs::File;
use std::path::Path;

use memmap2::Mmap;

use crate::types::{Type, Value};

use super::cseq::{CSeqType, CSeries};
use super::env::{self, Binding};
use super::error::{FormatError, ReadError};
use super::series::{self, BatchOrder, SeriesType};
use super::toc::PageTable;
use super::value;

/// A file's bytes: mapped, or owned when the file is too small to map.
#[derive(Debug)]
pub enum FileBytes {
    /// A read-only mapping of the whole file.
    Mapped(Mmap),
    /// The bytes, read into memory.
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Owned(v) => v,
        }
    }
}

/// What a binding holds.
#[derive(Debug, Clone, PartialEq)]
pub enum BindingKind<'a> {
    /// An internal cell (name starting with `.` or no type).
    Internal,
    /// A series.
    Series(SeriesType),
    /// A compressed series.
    Compressed(CSeqType),
    /// A plain value of this type (a top-level `[T]` is an inline array).
    Value(&'a Type),
}

/// A validated fregion file.
#[derive(Debug)]
pub struct Reader<B> {
    bytes: B,
    table: PageTable,
    bindings: Vec<Binding>,
}

impl Reader<FileBytes> {
    /// Opens and validates the file at `path` (mapped read-only).
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let len = file.metadata().map_err(|e| ReadError::io(path, e))?.len();
        let bytes = if len < 4096 {
            FileBytes::Owned(std::fs::read(path).map_err(|e| ReadError::io(path, e))?)
        } else {
            // SAFETY: the mapping is read-only. Writers of these files only
            // grow them while they are open and never rewrite pages a reader
            // can reach through the page table it read at open; a file
            // truncated under us by someone else would fault, as any mapped
            // reader would.
            FileBytes::Mapped(unsafe { Mmap::map(&file) }.map_err(|e| ReadError::io(path, e))?)
        };
        Reader::new(bytes).map_err(|e| ReadError::format(path, e))
    }
}

impl<B: AsRef<[u8]>> Reader<B> {
    /// Validates the header, page table and environment of `bytes`.
    pub fn new(bytes: B) -> Result<Self, FormatError> {
        let table = PageTable::read(bytes.as_ref())?;
        let bindings = env::read(bytes.as_ref(), &table)?;
        Ok(Self {
            bytes,
            table,
            bindings,
        })
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// The page table.
    pub fn page_table(&self) -> &PageTable {
        &self.table
    }

    /// Every binding, in the order of the environment.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The binding called `name`.
    pub fn binding(&self, name: &str) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.name == name)
    }

    /// What `b` holds; an error for a series that cannot be read.
    pub fn kind<'a>(&self, b: &'a Binding) -> Result<BindingKind<'a>, FormatError> {
        let Some(ty) = b.ty.as_ref().filter(|_| !b.name.starts_with('.')) else {
            return Ok(BindingKind::Internal);
        };
        let bad =
            |e: &dyn std::fmt::Display| FormatError::new(b.record_at, format!("'{}': {e}", b.name));
        match (SeriesType::of(ty), CSeqType::of(ty)) {
            (Some(s), _) => s.map(BindingKind::Series).map_err(|e| bad(&e)),
            (_, Some(c)) => c.map(BindingKind::Compressed).map_err(|e| bad(&e)),
            (None, None) => Ok(BindingKind::Value(ty)),
        }
    }

    /// The value of a plain binding.
    pub fn value(&self, b: &Binding) -> Result<Value, FormatError> {
        match self.kind(b)? {
            BindingKind::Value(Type::Array(elem)) => {
                value::read_array(self.bytes(), elem, b.offset)
            }
            BindingKind::Value(ty) => value::read(self.bytes(), ty, b.offset),
            BindingKind::Series(_) | BindingKind::Compressed(_) => Err(FormatError::new(
                b.record_at,
                format!("'{}' is a series, not a value", b.name),
            )),
            BindingKind::Internal => Err(FormatError::new(
                b.record_at,
                format!("'{}' is an internal cell", b.name),
            )),
        }
    }

    /// The series called `name`, its batches put in time order.
    pub fn series(&self, name: &str) -> Result<Series<'_>, FormatError> {
        let b = self
            .binding(name)
            .ok_or_else(|| FormatError::new(0, format!("no binding named '{name}'")))?;
        let BindingKind::Series(ty) = self.kind(b)? else {
            return Err(FormatError::new(
                b.record_at,
                format!("'{name}' is not a series"),
            ));
        };
        let list = series::batch_list(self.bytes(), b.offset)?;
        Ok(Series {
            bytes: self.bytes(),
            ty,
            list,
        })
    }

    /// The compressed series called `name`.
    pub fn compressed(&self, name: &str) -> Result<CSeries<'_>, FormatError> {
        let b = self
            .binding(name)
            .ok_or_else(|| FormatError::new(0, format!("no binding named '{name}'")))?;
        let BindingKind::Compressed(ty) = self.kind(b)? else {
            return Err(FormatError::new(
                b.record_at,
                format!("'{name}' is not a compressed series"),
            ));
        };
        CSeries::new(self.bytes(), ty, b.offset)
    }

    /// The values of series `name`, raw or compressed, in time order.
    pub fn values(&self, name: &str) -> Result<Values<'_>, FormatError> {
        Ok(if self.is_compressed(name) {
            Box::new(self.compressed(name)?.iter())
        } else {
            Box::new(self.series(name)?.iter().map(|x| x.map(|(_, v)| v)))
        })
    }

    /// How many values series `name` (raw or compressed) holds.
    pub fn count(&self, name: &str) -> Result<u64, FormatError> {
        if self.is_compressed(name) {
            self.compressed(name)?.len()
        } else {
            self.series(name)?.len()
        }
    }

    /// Whether `name` is bound to a compressed series.
    fn is_compressed(&self, name: &str) -> bool {
        self.binding(name)
            .is_some_and(|b| matches!(self.kind(b), Ok(BindingKind::Compressed(_))))
    }

    /// The value stored at `at` with stored type `ty`.
    pub fn value_at(&self, ty: &Type, at: u64) -> Result<Value, FormatError> {
        value::read(self.bytes(), ty, at)
    }
}

/// The values of a series, raw or compressed ([`Reader::values`]).
pub type Values<'a> = Box<dyn Iterator<Item = Result<Value, FormatError>> + 'a>;

/// A series of a file.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    bytes: &'a [u8],
    ty: SeriesType,
    list: Vec<u64>,
}

impl<'a> Series<'a> {
    /// Element type, capacity and list order.
    pub fn ty(&self) -> &SeriesType {
        &self.ty
    }

    /// Batch offsets in the order of the list (root first).
    pub fn batches_in_list_order(&self) -> &[u64] {
        &self.list
    }

    /// Batch offsets in time order.
    pub fn batches(&self) -> Vec<u64> {
        let mut batches = self.list.clone();
        if self.ty.order == BatchOrder::NewestFirst {
            batches.reverse();
        }
        batches
    }

    /// The count of every batch, in list order.
    pub fn batch_counts_in_list_order(&self) -> Result<Vec<u64>, FormatError> {
        self.list
            .iter()
            .map(|&b| series::batch_count(self.bytes, &self.ty, b))
            .collect()
    }

    /// Number of values.
    pub fn len(&self) -> Result<u64, FormatError> {
        Ok(self.batch_counts_in_list_order()?.iter().sum())
    }

    /// Whether the series holds no value.
    pub fn is_empty(&self) -> Result<bool, FormatError> {
        self.len().map(|n| n == 0)
    }

    /// The values in time order, each with its slot offset.
    pub fn iter(&self) -> SeriesIter<'a> {
        SeriesIter {
            bytes: self.bytes,
            ty: self.ty.clone(),
            batches: self.batches(),
            next_batch: 0,
            slot: 0,
            count: 0,
            current: 0,
            failed: false,
        }
    }
}

/// The values of a series in time order, read one at a time.
#[derive(Debug)]
pub struct SeriesIter<'a> {
    bytes: &'a [u8],
    ty: SeriesType,
    batches: Vec<u64>,
    next_batch: usize,
    slot: u64,
    count: u64,
    current: u64,
    failed: bool,
}

impl SeriesIter<'_> {
    /// The next slot offset in time order, without decoding its value.
    pub fn next_slot(&mut self) -> Option<Result<u64, FormatError>> {
        if self.failed {
            return None;
        }
        while self.slot == self.count {
            let &batch = self.batches.get(self.next_batch)?;
            self.next_batch += 1;
            match series::batch_count(self.bytes, &self.ty, batch) {
                Ok(count) => (self.current, self.slot, self.count) = (batch, 0, count),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        let at = self.current + 8 + self.slot * self.ty.elem_layout.size;
        self.slot += 1;
        Some(Ok(at))
    }
}

impl Iterator for SeriesIter<'_> {
    type Item = Result<(u64, Value), FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        let at = match self.next_slot()? {
            Ok(at) => at,
            Err(e) => return Some(Err(e)),
        };
        let result = value::read(self.bytes, &self.ty.elem, at).map(|v| (at, v));
        if result.is_err() {
            self.failed = true;
        }
        Some(result)
    }
}
