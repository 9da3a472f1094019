//! The environment: records binding names to typed values.
//!
//! A record is `u64` value offset, `u64`-prefixed name, `u64`-prefixed
//! binary type description, packed without alignment into environment
//! pages. A run of records starts at the first byte of an environment page
//! and ends with the record that ends exactly at the used size of the page
//! it ends in; a record too large for one page spans consecutive pages.

use std::collections::HashSet;

use crate::types::Type;

use super::error::{slice, u64_at, FormatError};
use super::toc::{PageKind, PageTable};

/// Longest binding name accepted.
pub(super) const MAX_NAME: u64 = 1 << 16;
/// Longest type description accepted.
pub(super) const MAX_TYPE: u64 = 1 << 20;

/// A named value in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The name (names starting with `.` are internal).
    pub name: String,
    /// File offset of the value.
    pub offset: u64,
    /// The binary type description (empty for internal cells).
    pub type_bytes: Vec<u8>,
    /// The decoded type, `None` when the description is empty.
    pub ty: Option<Type>,
    /// File offset of the record itself.
    pub record_at: u64,
}

impl Binding {
    /// Whether the binding is internal (its name starts with `.` or it has
    /// no type): hobbes' readers do not show those.
    pub fn is_internal(&self) -> bool {
        self.name.starts_with('.') || self.ty.is_none()
    }
}

/// The encoded environment record for a binding.
pub(super) fn record(name: &str, type_bytes: &[u8], offset: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + name.len() + type_bytes.len());
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&(name.len() as u64).to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&(type_bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(type_bytes);
    out
}

/// Reads every binding of the file, validating each record.
pub(super) fn read(bytes: &[u8], table: &PageTable) -> Result<Vec<Binding>, FormatError> {
    let p_size = table.page_size;
    let mut bindings = Vec::new();
    let mut names = HashSet::new();
    let mut p = 0;
    while p < table.len() {
        if table.kind(p) != Some(PageKind::Env) || table.used(p) == 0 {
            p += 1;
            continue;
        }
        let start = p * p_size;
        let mut at = start;
        loop {
            let (binding, end) = read_record(bytes, table, p, at)?;
            if !names.insert(binding.name.clone()) {
                return Err(FormatError::new(
                    at,
                    format!("the name '{}' is bound twice", binding.name),
                ));
            }
            bindings.push(binding);
            let last = end - 1;
            let (tp, rp) = (last / p_size, last % p_size + 1);
            if rp == table.used(tp) {
                p += (end - start).div_ceil(p_size);
                break;
            }
            at = end;
        }
    }
    Ok(bindings)
}

/// Reads the record at `at` in the run that started at env page `first`;
/// returns it and the offset just past it.
fn read_record(
    bytes: &[u8],
    table: &PageTable,
    first: u64,
    at: u64,
) -> Result<(Binding, u64), FormatError> {
    let offset = u64_at(bytes, at, "binding value offset")?;
    let mut pos = at + 8;
    let mut string = |what: &str, max: u64| -> Result<&[u8], FormatError> {
        let len = u64_at(bytes, pos, what)?;
        let left = bytes.len() as u64 - (pos + 8);
        if len > max || len > left {
            return Err(FormatError::new(
                pos,
                format!(
                    "{what}: length {len} exceeds the {} bytes left",
                    left.min(max)
                ),
            ));
        }
        let s = slice(bytes, pos + 8, len, what)?;
        pos += 8 + len;
        Ok(s)
    };
    let name = String::from_utf8_lossy(string("binding name", MAX_NAME)?).into_owned();
    let type_bytes = string("binding type", MAX_TYPE)?.to_vec();
    let end = pos;
    // The record must stay inside the page table, in environment pages, and
    // within the used bytes of the page it ends in.
    let p_size = table.page_size;
    let last_page = (end - 1) / p_size;
    if last_page >= table.len() {
        return Err(FormatError::new(
            at,
            format!("binding '{name}' runs into page {last_page}, past the page table"),
        ));
    }
    for q in first..=last_page {
        if table.kind(q) != Some(PageKind::Env) {
            return Err(FormatError::new(
                at,
                format!("binding '{name}' runs into page {q}, which is not an environment page"),
            ));
        }
    }
    let rp = (end - 1) % p_size + 1;
    if rp > table.used(last_page) {
        return Err(FormatError::new(
            at,
            format!("binding '{name}' runs past the used bytes of page {last_page}"),
        ));
    }
    let ty = if type_bytes.is_empty() {
        None
    } else {
        Some(Type::decode(&type_bytes).map_err(|e| {
            FormatError::new(
                at,
                format!(
                    "binding '{name}': type description at byte {}: {}",
                    e.offset, e.what
                ),
            )
        })?)
    };
    Ok((
        Binding {
            name,
            offset,
            type_bytes,
            ty,
            record_at: at,
        },
        end,
    ))
}
