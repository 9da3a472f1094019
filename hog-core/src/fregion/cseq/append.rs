//! Appending to a compressed series the way hog `-z` lays it out.
//!
//! A new series is a root cell pointing at a node that holds the first
//! batch, followed by a trailing nil node; each batch starts with its own
//! header, first bit segment and model blocks. When a batch fills, its bits
//! are ended, its live models saved (they are the next batch's initial
//! models), and a new batch is linked in before the nil node: the list runs
//! oldest first.
//!
//! Models live in memory and are saved when a batch ends or the series is
//! closed. After every value the bits and the coder's state are stored, then
//! the count with release ordering. Closing ends the last batch too, so
//! every value of a closed series decodes (hobbes leaves it open). A writer
//! resuming a killed one rebuilds the models by decoding the open batch.

use std::io;

use super::super::error::FormatError;
use super::super::series::{self, NODE_SIZE};
use super::super::writer::Writer;
use super::codec::Models;
use super::coder::{BitSink, Encoder};
use super::read::{replay, CSeqType, Header, SEGMENT_BITS};
use super::schema::{BATCH_SIZE, SEGMENT_BYTES, SEGMENT_SIZE};

/// Where a compressed series stands: enough to take back everything
/// appended after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CSeqPosition {
    /// The node of the batch being written.
    pub node: u64,
    /// Values in that batch.
    pub count: u64,
    /// The coder's state after them.
    pub low: u32,
    /// The coder's state after them.
    pub high: u32,
    /// The coder's state after them.
    pub roll: u32,
    /// The segment being written.
    pub segment: u64,
    /// Bits used in that segment.
    pub bit: u32,
}

/// How to pick up an existing series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Its last batch was ended (closed cleanly): start a new batch.
    Ended,
    /// Continue its last batch where its header says (a killed writer, or
    /// the C++ hog).
    Open,
    /// Take everything after this position back, then continue.
    At(CSeqPosition),
}

/// The write position of one compressed series.
#[derive(Debug, Clone)]
pub struct CSeqAppender {
    root: u64,
    ty: CSeqType,
    models: Models,
    node: u64,
    batch: u64,
    nil: u64,
    scratch: u64,
    count: u64,
    coder: Encoder,
    tail: Tail,
    block: Vec<u8>,
    /// A value failed part way: models and bits disagree until a restore.
    broken: bool,
}

/// The end of the bit stream: the segment, the bits used in it, and the
/// bits of the byte not yet complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tail {
    segment: u64,
    bit: u32,
    partial: u8,
}

/// Bits going into a batch's segments.
struct Out<'a> {
    w: &'a mut Writer,
    tail: Tail,
    failed: Option<io::Error>,
    /// The first new segment, linked from the stream's last one only when
    /// the value is settled: until then readers see the chain the header's
    /// bit index describes.
    link: Option<(u64, u64)>,
}

impl<'a> Out<'a> {
    fn new(w: &'a mut Writer, tail: Tail) -> Self {
        Out {
            w,
            tail,
            failed: None,
            link: None,
        }
    }
}

impl BitSink for Out<'_> {
    #[inline]
    fn put(&mut self, bit: bool, n: u32) {
        let mut n = n;
        while n > 0 {
            let k = n.min(32);
            self.append(if bit { u32::MAX >> (32 - k) } else { 0 }, k);
            n -= k;
        }
    }

    #[inline]
    fn put_bits(&mut self, bits: u32, n: u32) {
        if n > 0 {
            // First bit at the lowest position: the stream is LSB first.
            self.append(bits.reverse_bits() >> (32 - n), n);
        }
    }
}

impl Out<'_> {
    /// Appends the `n` (≤ 32) low bits of `bits`, lowest first, and stores
    /// every byte they complete.
    #[inline]
    fn append(&mut self, bits: u32, n: u32) {
        if self.failed.is_some() {
            // The file could not grow: nothing more is written.
            return;
        }
        let used = self.tail.bit & 7;
        let mut acc = u64::from(self.tail.partial) | (u64::from(bits) << used);
        let mut have = used + n;
        while have >= 8 {
            let t = &mut self.tail;
            let at = t.segment + u64::from(t.bit / 8);
            self.w.write(at, &[acc as u8]);
            acc >>= 8;
            have -= 8;
            t.bit = (t.bit & !7) + 8;
            if u64::from(t.bit) == SEGMENT_BITS {
                self.next_segment();
                if self.failed.is_some() {
                    return;
                }
            }
        }
        self.tail.partial = acc as u8;
        self.tail.bit = (self.tail.bit & !7) + have;
    }

    fn next_segment(&mut self) {
        match self.w.alloc(SEGMENT_SIZE, 8) {
            Ok(seg) => {
                let from = self.tail.segment + SEGMENT_BYTES;
                match self.link {
                    None => self.link = Some((from, seg)),
                    Some(_) => self.w.write_u64(from, seg),
                }
                self.tail = Tail {
                    segment: seg,
                    bit: 0,
                    partial: 0,
                };
            }
            Err(e) => self.failed = Some(e),
        }
    }

    /// Stores the incomplete byte; the new end of the stream.
    fn settle(self) -> io::Result<Tail> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.tail.bit & 7 != 0 {
            let at = self.tail.segment + u64::from(self.tail.bit / 8);
            self.w.write(at, &[self.tail.partial]);
        }
        if let Some((from, seg)) = self.link {
            self.w.write_u64(from, seg);
        }
        Ok(self.tail)
    }
}

fn invalid(e: impl ToString) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

impl CSeqAppender {
    /// Creates the series `name` of type `ty` (from [`cseq_type`]) and binds
    /// it.
    ///
    /// [`cseq_type`]: super::cseq_type
    pub fn create(w: &mut Writer, name: &str, ty: &crate::types::Type) -> io::Result<Self> {
        let parsed = CSeqType::of(ty)
            .ok_or_else(|| invalid(format!("'{name}': {ty} is not a compressed series")))?
            .map_err(|e| invalid(format!("'{name}': {e}")))?;
        let root = w.alloc(8, 8)?;
        let node = w.alloc(NODE_SIZE, 8)?;
        w.write_u64(root, node);
        w.bind(name, &ty.encode(), root)?;
        let batch = w.alloc(BATCH_SIZE, 8)?;
        let nil = w.alloc(NODE_SIZE, 8)?;
        let size = parsed.codec().model_size();
        let init = w.alloc(size, 8)?;
        let mut s = CSeqAppender::at(root, parsed, node, batch, nil);
        s.scratch = w.alloc(size, 8)?;
        s.start_batch(w, init)?;
        w.write_u64(node + 8, batch);
        w.write_u64(node + 16, nil);
        w.publish_u64(node, 1);
        Ok(s)
    }

    /// Picks up the series whose root cell is at `root`.
    pub fn open(w: &mut Writer, root: u64, ty: CSeqType, how: Resume) -> io::Result<Self> {
        let bytes = w.bytes();
        let nodes = node_list(bytes, root).map_err(invalid)?;
        let (&nil, conses) = nodes.split_last().expect("a list ends in a nil node");
        let &last = conses
            .last()
            .ok_or_else(|| invalid("compressed series without a batch"))?;
        let mut s = CSeqAppender::at(root, ty, last, w.read_u64(last + 8), nil);
        match how {
            Resume::Ended => {
                let h = Header::read(w.bytes(), &s.ty, s.batch).map_err(invalid)?;
                s.scratch = h.scratch_model;
                s.models =
                    s.ty.codec()
                        .load_at(w.bytes(), h.scratch_model, "batch live model")
                        .map_err(invalid)?;
                s.next_batch(w)?;
            }
            Resume::Open => {
                // The header's count is what was published; its coder state
                // may be ahead of it (a writer killed inside a value), so
                // the position is found by coding the values again.
                let h = Header::read(w.bytes(), &s.ty, s.batch).map_err(invalid)?;
                let r = replay(w.bytes(), &s.ty, s.batch, h.count, None).map_err(invalid)?;
                let i = (r.bits / SEGMENT_BITS) as usize;
                let (segment, bit) = match r.segments.get(i) {
                    Some(&seg) => (seg, (r.bits % SEGMENT_BITS) as u32),
                    None => (*r.segments.last().expect("a segment"), SEGMENT_BITS as u32),
                };
                let pos = CSeqPosition {
                    node: last,
                    count: h.count,
                    low: r.coder.low,
                    high: r.coder.high,
                    roll: r.coder.roll,
                    segment,
                    bit,
                };
                s.restore(w, pos)?;
            }
            Resume::At(pos) => s.restore(w, pos)?,
        }
        Ok(s)
    }

    /// A series at the start of the batch `batch` (of node `node`), its
    /// state not yet read or written.
    fn at(root: u64, ty: CSeqType, node: u64, batch: u64, nil: u64) -> Self {
        let size = ty.codec().model_size() as usize;
        CSeqAppender {
            root,
            models: ty.codec().fresh(),
            ty,
            node,
            batch,
            nil,
            scratch: 0,
            count: 0,
            coder: Encoder::default(),
            tail: Tail {
                segment: 0,
                bit: 0,
                partial: 0,
            },
            block: vec![0; size],
            broken: false,
        }
    }

    /// Offset of the root cell.
    pub fn root(&self) -> u64 {
        self.root
    }

    /// The series' type.
    pub fn ty(&self) -> &CSeqType {
        &self.ty
    }

    /// Where the series stands.
    pub fn position(&self) -> CSeqPosition {
        CSeqPosition {
            node: self.node,
            count: self.count,
            low: self.coder.low,
            high: self.coder.high,
            roll: self.coder.roll,
            segment: self.tail.segment,
            bit: self.tail.bit,
        }
    }

    /// Codes the packed value at the start of `wire` and publishes it;
    /// returns the bytes it took. A value that fails part way (malformed,
    /// or the file could not grow) leaves the series refusing values until
    /// it is [restored](Self::restore).
    pub fn append(&mut self, w: &mut Writer, wire: &[u8]) -> io::Result<usize> {
        self.usable()?;
        self.broken = true;
        let mut out = Out::new(w, self.tail);
        let coded = self
            .ty
            .codec()
            .encode(wire, &mut self.models, &mut self.coder, &mut out);
        // A value that failed is not settled: its bits stay past the
        // header's bit index, its segment unlinked, until restored.
        let used = coded.map_err(invalid)?;
        self.tail = out.settle()?;
        self.count += 1;
        self.store_state(w);
        if self.count == self.ty.capacity {
            self.end_batch(w)?;
            self.next_batch(w)?;
        }
        self.broken = false;
        Ok(used)
    }

    /// Ends the open batch so that all of it decodes, and saves the models
    /// (closing the series; append no more after it).
    pub fn finish(&mut self, w: &mut Writer) -> io::Result<()> {
        self.usable()?;
        self.end_batch(w)
    }

    fn usable(&self) -> io::Result<()> {
        if self.broken {
            return Err(io::Error::other(
                "an earlier value failed part way; the series must be restored",
            ));
        }
        Ok(())
    }

    fn store_state(&self, w: &mut Writer) {
        let b = self.batch;
        w.write_u32(b + 16, self.coder.low);
        w.write_u32(b + 20, self.coder.high);
        w.write_u32(b + 24, self.coder.roll);
        w.write_u32(b + 28, self.tail.bit);
        w.publish_u64(b + 32, self.count);
    }

    fn end_batch(&mut self, w: &mut Writer) -> io::Result<()> {
        let mut out = Out::new(w, self.tail);
        self.coder.flush(&mut out);
        self.tail = out.settle()?;
        self.store_state(w);
        self.save_models(w, self.scratch);
        Ok(())
    }

    fn save_models(&mut self, w: &mut Writer, at: u64) {
        self.ty.codec().save(&self.models, &mut self.block);
        w.write(at, &self.block);
    }

    /// Links a new batch, starting from the current models, before the
    /// nil node.
    fn next_batch(&mut self, w: &mut Writer) -> io::Result<()> {
        let init = self.scratch;
        self.scratch = w.alloc(self.ty.codec().model_size(), 8)?;
        self.save_models(w, self.scratch);
        self.batch = w.alloc(BATCH_SIZE, 8)?;
        self.start_batch(w, init)?;
        let node = w.alloc(NODE_SIZE, 8)?;
        w.write_u64(node + 8, self.batch);
        w.write_u64(node + 16, self.nil);
        w.write_u32(node, 1);
        w.publish_u64(self.node + 16, node);
        self.node = node;
        Ok(())
    }

    /// Fills in the header of the new batch at `self.batch`.
    fn start_batch(&mut self, w: &mut Writer, init: u64) -> io::Result<()> {
        let segment = w.alloc(SEGMENT_SIZE, 8)?;
        let b = self.batch;
        self.count = 0;
        self.coder = Encoder::default();
        self.tail = Tail {
            segment,
            bit: 0,
            partial: 0,
        };
        w.write_u64(b, init);
        w.write_u64(b + 8, self.scratch);
        w.write_u64(b + 40, segment);
        self.store_state(w);
        Ok(())
    }

    /// Takes back everything after `pos` (a position this series had):
    /// checks it by decoding the batch up to it and coding it again, then
    /// clears later bits, unlinks later segments and batches, and continues
    /// from there.
    pub fn restore(&mut self, w: &mut Writer, pos: CSeqPosition) -> io::Result<()> {
        if !self.broken && self.position() == pos {
            // Already there, nothing after it.
            return Ok(());
        }
        let bad = |what: &str| invalid(format!("cannot restore a compressed series: {what}"));
        let nodes = node_list(w.bytes(), self.root).map_err(invalid)?;
        if !nodes[..nodes.len() - 1].contains(&pos.node) {
            return Err(bad("its batch is not in the list"));
        }
        if u64::from(pos.bit) > SEGMENT_BITS || pos.low > pos.high || pos.high > 0xFFFF {
            return Err(bad("impossible position"));
        }
        let batch = w.read_u64(pos.node + 8);
        let coder = Encoder {
            low: pos.low,
            high: pos.high,
            roll: pos.roll,
        };
        let end = (pos.segment, pos.bit, coder);
        let r = replay(w.bytes(), &self.ty, batch, pos.count, Some(end)).map_err(invalid)?;
        let at = r
            .segments
            .iter()
            .position(|&s| s == pos.segment)
            .map(|i| i as u64 * SEGMENT_BITS + u64::from(pos.bit));
        if r.coder != coder || at != Some(r.bits) {
            return Err(bad("it is not where its values end"));
        }
        let h = Header::read(w.bytes(), &self.ty, batch).map_err(invalid)?;
        // Checked: now change the file.
        self.node = pos.node;
        self.batch = batch;
        self.scratch = h.scratch_model;
        self.count = pos.count;
        self.coder = coder;
        self.models = r.models;
        self.tail = cut(w, pos.segment, pos.bit);
        w.publish_u64(pos.node + 16, self.nil);
        if u64::from(pos.bit) == SEGMENT_BITS {
            let mut out = Out::new(w, self.tail);
            out.next_segment();
            self.tail = out.settle()?;
        }
        self.store_state(w);
        self.broken = false;
        if self.count == self.ty.capacity {
            self.end_batch(w)?;
            self.next_batch(w)?;
        }
        Ok(())
    }
}

/// Clears every bit of `segment` from `bit` on and unlinks the segments
/// after it; the end of the stream there.
fn cut(w: &mut Writer, segment: u64, bit: u32) -> Tail {
    let first = u64::from(bit / 8);
    let keep = (1u16 << (bit & 7)) as u8 - 1;
    let mut partial = 0;
    if first < SEGMENT_BYTES {
        let at = segment + first;
        partial = w.bytes()[at as usize] & keep;
        w.write(at, &[partial]);
        w.write(at + 1, &vec![0; (SEGMENT_BYTES - first - 1) as usize]);
    }
    w.write_u64(segment + SEGMENT_BYTES, 0);
    Tail {
        segment,
        bit,
        partial,
    }
}

/// Every node of the list at `root`, the trailing nil node last.
fn node_list(bytes: &[u8], root: u64) -> Result<Vec<u64>, FormatError> {
    let mut nodes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut at = super::super::error::u64_at(bytes, root, "series root")?;
    loop {
        if !seen.insert(at) {
            return Err(FormatError::new(at, "series batch list has a cycle"));
        }
        nodes.push(at);
        match series::node(bytes, at)? {
            None => return Ok(nodes),
            Some(n) => at = n.next,
        }
    }
}
