//! Series: append-only sequences stored as a list of batches.
//!
//! A series binding's value is an 8-byte root cell holding the offset of
//! the first list node. A node is 24 bytes: `u32` tag (0 nil, 1 cons; read
//! only the low 32 bits), then the offset of a batch and of the next node.
//! A batch is `u64 count` followed by `capacity` slots starting at +8.
//!
//! hog (hobbes' series writer) prepends: the root points at the newest
//! batch. fregion.H appends before a trailing nil node: the root points at
//! the oldest. Only the type tells them apart: hog's `fseq` representation
//! refers to its type variables, fregion.H's has them substituted.

use std::collections::HashSet;

use crate::types::Type;

use super::error::{u32_at, u64_at, FormatError, SeriesTypeError};
use super::layout::{self, app_name, Layout};

/// Size of a list node.
pub const NODE_SIZE: u64 = 24;

/// Which way a file's batch lists run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOrder {
    /// The root points at the newest batch (hog).
    NewestFirst,
    /// The root points at the oldest batch (fregion.H).
    OldestFirst,
}

/// What a series type says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesType {
    /// Type of each element.
    pub elem: Type,
    /// Layout of each element (its slot size is `elem_layout.size`).
    pub elem_layout: Layout,
    /// Slots per batch.
    pub capacity: u64,
    /// Order of the batch list.
    pub order: BatchOrder,
}

impl SeriesType {
    /// Recognises `fseq T n`: `None` if `ty` is not a series, an error if it
    /// is one that cannot be read.
    pub fn of(ty: &Type) -> Option<Result<SeriesType, SeriesTypeError>> {
        match app_name(ty) {
            Some(("fseq", args)) => Some(Self::parse(ty, args)),
            _ => None,
        }
    }

    fn parse(ty: &Type, args: &[Type]) -> Result<SeriesType, SeriesTypeError> {
        let [elem, Type::Size(capacity)] = args else {
            return Err(SeriesTypeError::Arguments(ty.clone()));
        };
        if *capacity == 0 {
            return Err(SeriesTypeError::EmptyBatch(ty.clone()));
        }
        let elem_layout = layout::layout(elem)?;
        let order = match ty {
            Type::App(f, _) => match &**f {
                Type::Prim(_, Some(rep)) => match &**rep {
                    Type::Abs(params, body)
                        if params.first().is_some_and(|t| layout::mentions(body, t)) =>
                    {
                        BatchOrder::NewestFirst
                    }
                    _ => BatchOrder::OldestFirst,
                },
                _ => BatchOrder::OldestFirst,
            },
            _ => BatchOrder::OldestFirst,
        };
        Ok(SeriesType {
            elem: elem.clone(),
            elem_layout,
            capacity: *capacity,
            order,
        })
    }

    /// Bytes a batch occupies (hobbes' allocation size).
    pub fn batch_bytes(&self) -> Option<u64> {
        let a = self.elem_layout.align;
        let start = layout::align_up(8, a)?;
        let body = self.elem_layout.size.checked_mul(self.capacity)?;
        layout::align_up(start.checked_add(body)?, a.max(8))
    }
}

/// One node of a batch list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// Offset of the node.
    pub at: u64,
    /// Offset of its batch.
    pub batch: u64,
    /// Offset of the next node (0 = none).
    pub next: u64,
}

/// Reads the node at `at`: `None` for a nil node.
pub fn node(bytes: &[u8], at: u64) -> Result<Option<Node>, FormatError> {
    match u32_at(bytes, at, "series node tag")? {
        0 => Ok(None),
        1 => Ok(Some(Node {
            at,
            batch: u64_at(bytes, at + 8, "series batch reference")?,
            next: u64_at(bytes, at + 16, "series next node")?,
        })),
        tag => Err(FormatError::new(
            at,
            format!("series node tag {tag} is neither nil nor cons"),
        )),
    }
}

/// The batches of the series whose root cell is at `root`, in list order
/// (root first). Detects cycles and references past the end.
pub fn batch_list(bytes: &[u8], root: u64) -> Result<Vec<u64>, FormatError> {
    let mut at = u64_at(bytes, root, "series root")?;
    let mut seen = HashSet::new();
    let mut batches = Vec::new();
    let max_nodes = bytes.len() as u64 / NODE_SIZE;
    while at != 0 {
        if at
            .checked_add(NODE_SIZE)
            .is_none_or(|end| end > bytes.len() as u64)
        {
            return Err(FormatError::new(at, "series node past the end of the file"));
        }
        if !seen.insert(at) || seen.len() as u64 > max_nodes {
            return Err(FormatError::new(at, "series batch list has a cycle"));
        }
        match node(bytes, at)? {
            None => break,
            Some(n) => {
                batches.push(n.batch);
                at = n.next;
            }
        }
    }
    Ok(batches)
}

/// The count of the batch at `batch`, checked against the capacity and the
/// file size.
pub fn batch_count(bytes: &[u8], ty: &SeriesType, batch: u64) -> Result<u64, FormatError> {
    let count = u64_at(bytes, batch, "batch count")?;
    if count > ty.capacity {
        return Err(FormatError::new(
            batch,
            format!(
                "batch holds {count} values, more than its capacity {}",
                ty.capacity
            ),
        ));
    }
    let end = ty
        .elem_layout
        .size
        .checked_mul(ty.capacity)
        .and_then(|body| body.checked_add(8))
        .and_then(|n| n.checked_add(batch));
    if end.is_none_or(|end| end > bytes.len() as u64) {
        return Err(FormatError::new(
            batch,
            "batch runs past the end of the file",
        ));
    }
    Ok(count)
}
