//! Appending to a series the way hog does.
//!
//! A new series is a root cell pointing at a nil node, then a first batch
//! consed in front of it. When a batch fills, the next batch is consed in
//! front of the list and the root moved to it, so the list runs newest
//! first. A value is written into its slot first; the batch count is then
//! published with release ordering, so a reader never sees a slot before
//! its value.

use std::io;

use crate::types::Type;

use super::error::FormatError;
use super::layout::hog_series;
use super::series::{self, SeriesType, NODE_SIZE};
use super::writer::Writer;

/// The write position of one series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesAppender {
    root: u64,
    node: u64,
    batch: u64,
    count: u64,
    ty: SeriesType,
}

impl SeriesAppender {
    /// Creates the series `name` of `elem` values (batches of `capacity`)
    /// and binds it, with hog's type description.
    pub fn create(w: &mut Writer, name: &str, elem: &Type, capacity: u64) -> io::Result<Self> {
        let ty = hog_series(elem.clone(), capacity);
        let series = SeriesType::of(&ty)
            .expect("a series type")
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("'{name}': {e}")))?;
        let root = w.alloc(8, 8)?;
        let nil = w.alloc(NODE_SIZE, 8)?;
        w.write_u64(root, nil);
        w.bind(name, &ty.encode(), root)?;
        let mut s = SeriesAppender {
            root,
            node: nil,
            batch: 0,
            count: 0,
            ty: series,
        };
        s.cons_batch(w)?;
        Ok(s)
    }

    /// Resumes the series whose root cell is at `root` (hog's list order).
    pub fn open(w: &mut Writer, root: u64, ty: SeriesType) -> io::Result<Self> {
        let bad = |e: FormatError| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
        let node_at = series::batch_list(w.bytes(), root).map_err(bad)?;
        let head = w.read_u64(root);
        let mut s = SeriesAppender {
            root,
            node: head,
            batch: 0,
            count: 0,
            ty,
        };
        match node_at.first() {
            Some(&batch) => {
                s.batch = batch;
                s.count = series::batch_count(w.bytes(), &s.ty, batch).map_err(bad)?;
            }
            None => s.cons_batch(w)?,
        }
        Ok(s)
    }

    /// Offset of the root cell.
    pub fn root(&self) -> u64 {
        self.root
    }

    /// The series type.
    pub fn ty(&self) -> &SeriesType {
        &self.ty
    }

    /// The head node and its batch's count: what [`restore`] takes back.
    ///
    /// [`restore`]: Self::restore
    pub fn position(&self) -> (u64, u64) {
        (self.node, self.count)
    }

    /// The slot the next value goes into, starting a new batch if the
    /// current one is full. The value is not visible until [`publish`].
    ///
    /// [`publish`]: Self::publish
    pub fn next_slot(&mut self, w: &mut Writer) -> io::Result<u64> {
        if self.count == self.ty.capacity {
            self.cons_batch(w)?;
        }
        Ok(self.batch + 8 + self.count * self.ty.elem_layout.size)
    }

    /// Room for up to `max` (≥ 1) values in a row: the first slot and how
    /// many consecutive slots follow it in the current batch (a new batch
    /// is started if the current one is full). Nothing is visible until
    /// [`publish_many`].
    ///
    /// [`publish_many`]: Self::publish_many
    pub fn run(&mut self, w: &mut Writer, max: u64) -> io::Result<(u64, u64)> {
        let first = self.next_slot(w)?;
        Ok((first, max.min(self.ty.capacity - self.count)))
    }

    /// Makes the `n` values written into the slots of [`run`] visible.
    ///
    /// [`run`]: Self::run
    pub fn publish_many(&mut self, w: &mut Writer, n: u64) {
        debug_assert!(self.count + n <= self.ty.capacity);
        self.count += n;
        w.publish_u64(self.batch, self.count);
    }

    /// Makes the value written into the slot of [`next_slot`] visible.
    ///
    /// [`next_slot`]: Self::next_slot
    pub fn publish(&mut self, w: &mut Writer) {
        self.publish_many(w, 1);
    }

    /// Rolls the series back to an earlier [`position`]: the root points at
    /// `node` again, its batch holds `count` values, and the slots after
    /// them are zeroed.
    ///
    /// [`position`]: Self::position
    pub fn restore(&mut self, w: &mut Writer, node: u64, count: u64) -> io::Result<()> {
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        let n = series::node(w.bytes(), node)
            .map_err(|e| bad(e.to_string()))?
            .ok_or_else(|| bad(format!("node {node} is nil")))?;
        let visible =
            series::batch_count(w.bytes(), &self.ty, n.batch).map_err(|e| bad(e.to_string()))?;
        if count > self.ty.capacity {
            return Err(bad(format!("count {count} exceeds the batch capacity")));
        }
        w.publish_u64(n.batch, count);
        let size = self.ty.elem_layout.size;
        if visible > count {
            let zeros = vec![0u8; ((visible - count) * size) as usize];
            w.write(n.batch + 8 + count * size, &zeros);
        }
        w.publish_u64(self.root, node);
        (self.node, self.batch, self.count) = (node, n.batch, count);
        Ok(())
    }

    fn cons_batch(&mut self, w: &mut Writer) -> io::Result<()> {
        let bytes = self
            .ty
            .batch_bytes()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "batch too large"))?;
        let batch = w.alloc(bytes, self.ty.elem_layout.align.max(8))?;
        let node = w.alloc(NODE_SIZE, 8)?;
        w.write_u32(node, 1);
        w.write_u64(node + 8, batch);
        w.write_u64(node + 16, self.node);
        w.publish_u64(self.root, node);
        (self.node, self.batch, self.count) = (node, batch, 0);
        Ok(())
    }
}
