//! Reading compressed series: the batch list, each batch's header and bit
//! segments, and the values decoded from them.
//!
//! A batch is decoded from its initial model with the bits in its segment
//! chain up to the header's bit index, followed by the bits that would end
//! the batch given the header's coder state. A batch hobbes ended is
//! already followed by those bits (more are harmless); the still-open last
//! batch of a live or killed writer is not, and hobbes' own reader can get
//! its last values wrong for that reason. This reader does not.

use std::collections::HashSet;
use std::sync::Arc;

use crate::types::{Type, Value};

use super::super::error::{slice, u32_at, u64_at, FormatError};
use super::super::layout::app_name;
use super::super::series;
use super::codec::{Codec, Models};
use super::coder::{BitSink, BitSource, Decoder, Encoder};
use super::error::SchemaError;
use super::schema::{SEGMENT_BYTES, SEGMENT_SIZE};

/// Bits of one segment.
pub(super) const SEGMENT_BITS: u64 = SEGMENT_BYTES * 8;
/// Largest batch size read (hog writes 10 000).
pub(super) const MAX_CAPACITY: u64 = 1 << 24;

/// What a `cseq T M n` type says.
#[derive(Debug, Clone)]
pub struct CSeqType {
    /// Type of each value.
    pub elem: Type,
    /// Type of the models.
    pub model: Type,
    /// Values per batch.
    pub capacity: u64,
    codec: Codec,
}

impl PartialEq for CSeqType {
    fn eq(&self, other: &Self) -> bool {
        (&self.elem, &self.model, self.capacity) == (&other.elem, &other.model, other.capacity)
    }
}

impl CSeqType {
    /// Recognises `cseq T M n`: `None` if `ty` is not one, an error if it
    /// is one that cannot be read.
    pub fn of(ty: &Type) -> Option<Result<CSeqType, SchemaError>> {
        match app_name(ty) {
            Some(("cseq", args)) => Some(Self::parse(ty, args)),
            _ => None,
        }
    }

    fn parse(ty: &Type, args: &[Type]) -> Result<CSeqType, SchemaError> {
        let [elem, model, Type::Size(capacity)] = args else {
            return Err(SchemaError::Arguments(ty.clone()));
        };
        if *capacity == 0 || *capacity > MAX_CAPACITY {
            return Err(SchemaError::BatchSize {
                ty: ty.clone(),
                capacity: *capacity,
            });
        }
        let codec = Codec::new(elem, model)?;
        Ok(CSeqType {
            elem: elem.clone(),
            model: model.clone(),
            capacity: *capacity,
            codec,
        })
    }

    /// How values are coded.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }
}

/// A batch header (`cbatch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Offset of the model state the batch starts from.
    pub init_model: u64,
    /// Offset of the writer's live model state.
    pub scratch_model: u64,
    /// The coder's state after the last value.
    pub coder: Encoder,
    /// Bits used in the last segment.
    pub bit_index: u32,
    /// Values in the batch.
    pub count: u64,
    /// Offset of the first segment.
    pub head: u64,
}

impl Header {
    /// Reads and checks the header at `at`.
    pub fn read(bytes: &[u8], ty: &CSeqType, at: u64) -> Result<Header, FormatError> {
        let err = |what: String| FormatError::new(at, what);
        // A live writer stores bits, then the coder state, then the count:
        // read the count first, then a state that holds still (one at or
        // after that count, from which those values decode).
        let count = u64_at(bytes, at + 32, "batch count")?;
        std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
        let state = || -> Result<[u32; 4], FormatError> {
            Ok([
                u32_at(bytes, at + 16, "batch coder low")?,
                u32_at(bytes, at + 20, "batch coder high")?,
                u32_at(bytes, at + 24, "batch coder roll")?,
                u32_at(bytes, at + 28, "batch bit index")?,
            ])
        };
        let mut st = state()?;
        for _ in 0..64 {
            let again = state()?;
            if again == st {
                break;
            }
            st = again;
        }
        let h = Header {
            init_model: u64_at(bytes, at, "batch initial model")?,
            scratch_model: u64_at(bytes, at + 8, "batch live model")?,
            coder: Encoder {
                low: st[0],
                high: st[1],
                roll: st[2],
            },
            bit_index: st[3],
            count,
            head: u64_at(bytes, at + 40, "batch bit segments")?,
        };
        if h.count > ty.capacity {
            return Err(err(format!(
                "batch holds {} values, more than its capacity {}",
                h.count, ty.capacity
            )));
        }
        // A full last segment (bit index 32704) is what a writer killed
        // before linking the next one leaves.
        if u64::from(h.bit_index) > SEGMENT_BITS {
            return Err(err(format!("bit index {} past its segment", h.bit_index)));
        }
        if h.coder.low > h.coder.high || h.coder.high > 0xFFFF || h.coder.roll > 1 << 20 {
            return Err(err("batch coder state is impossible".into()));
        }
        Ok(h)
    }

    /// The segments of the batch, in order, checked for bounds and cycles.
    pub fn segments(&self, bytes: &[u8]) -> Result<Vec<u64>, FormatError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut at = self.head;
        while at != 0 {
            slice(bytes, at, SEGMENT_SIZE, "bit segment")?;
            if !seen.insert(at) {
                return Err(FormatError::new(at, "bit segments form a cycle"));
            }
            out.push(at);
            at = u64_at(bytes, at + SEGMENT_BYTES, "next bit segment")?;
        }
        if out.is_empty() {
            return Err(FormatError::new(self.head, "batch has no bit segment"));
        }
        Ok(out)
    }
}

/// The bits of a batch: its segments up to the header's bit index, then the
/// bits ending it, then the zeros a decoder reads ahead; nothing after.
struct Bits<'a> {
    bytes: &'a [u8],
    segments: Vec<u64>,
    pos: u64,
    end: u64,
    /// The ending: a bit, then `opposite` bits of the other value.
    ending: (bool, u64),
    tail: u64,
}

impl<'a> Bits<'a> {
    fn new(bytes: &'a [u8], h: &Header) -> Result<Self, FormatError> {
        Ok(Self::over(bytes, h, h.segments(bytes)?))
    }

    /// The bits of `segments` (the batch's first ones), the last used up to
    /// the header's bit index.
    fn over(bytes: &'a [u8], h: &Header, segments: Vec<u64>) -> Self {
        let end = (segments.len() as u64 - 1) * SEGMENT_BITS + u64::from(h.bit_index);
        Bits {
            bytes,
            segments,
            pos: 0,
            end,
            ending: (h.coder.low >= 0x4000, u64::from(h.coder.roll) + 1),
            tail: 0,
        }
    }

    /// The stream's bit at `pos`, if the batch holds it.
    fn at(&self, pos: u64) -> Option<bool> {
        let seg = *self.segments.get((pos / SEGMENT_BITS) as usize)?;
        let k = pos % SEGMENT_BITS;
        (pos < self.end).then(|| self.bytes[(seg + (k >> 3)) as usize] >> (k & 7) & 1 == 1)
    }
}

/// Bits a decoder reads past the last one an encoder wrote: its 16-bit
/// window, with room to spare.
const READ_AHEAD: u64 = 64;

impl BitSource for Bits<'_> {
    #[inline]
    fn bit(&mut self) -> Option<bool> {
        if let Some(bit) = self.at(self.pos) {
            // In bounds: every segment was checked when listed.
            self.pos += 1;
            Some(bit)
        } else {
            self.tail += 1;
            match self.tail {
                1 => Some(self.ending.0),
                t if t <= 1 + self.ending.1 => Some(!self.ending.0),
                t if t <= 1 + self.ending.1 + READ_AHEAD => Some(false),
                _ => None,
            }
        }
    }
}

/// The values of one batch, decoded one at a time.
pub struct BatchValues<'a> {
    ty: Arc<CSeqType>,
    at: u64,
    header: Header,
    models: Models,
    bits: Bits<'a>,
    decoder: Option<Decoder>,
    done: u64,
}

impl<'a> BatchValues<'a> {
    /// Opens the batch at `at`: reads its header and initial models.
    pub fn new(bytes: &'a [u8], ty: Arc<CSeqType>, at: u64) -> Result<Self, FormatError> {
        let header = Header::read(bytes, &ty, at)?;
        let models = ty
            .codec
            .load_at(bytes, header.init_model, "batch initial model")?;
        let bits = Bits::new(bytes, &header)?;
        Ok(BatchValues {
            ty,
            at,
            header,
            models,
            bits,
            decoder: None,
            done: 0,
        })
    }
}

impl Iterator for BatchValues<'_> {
    type Item = Result<Value, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done >= self.header.count {
            return None;
        }
        let d = self
            .decoder
            .get_or_insert_with(|| Decoder::new(&mut self.bits));
        let i = self.done;
        self.done += 1;
        let v = self.ty.codec.decode(&mut self.models, d, &mut self.bits);
        if v.is_err() {
            self.done = self.header.count;
        }
        Some(v.map_err(|e| FormatError::new(self.at, format!("value {i} of the batch: {e}"))))
    }
}

/// A batch's state after its first values, found by decoding them and
/// coding them again.
#[derive(Debug)]
pub struct Replayed {
    /// The models after them.
    pub models: Models,
    /// The coder's state after them.
    pub coder: Encoder,
    /// Bits they take.
    pub bits: u64,
    /// The batch's segments.
    pub segments: Vec<u64>,
}

/// Where a batch's bits end: a segment, the bits used in it, and the coder
/// state there.
pub(super) type BitEnd = (u64, u32, Encoder);

/// Decodes the first `count` values of the batch at `at` and codes them
/// again from the same models, checking that the bits agree: the models,
/// coder state and bit position an encoder had after them. With `end`, the
/// batch is read as if its bits ended there (later segments ignored).
pub fn replay(
    bytes: &[u8],
    ty: &CSeqType,
    at: u64,
    count: u64,
    end: Option<BitEnd>,
) -> Result<Replayed, FormatError> {
    let err = |what: String| FormatError::new(at, what);
    let mut h = Header::read(bytes, ty, at)?;
    let mut segments = h.segments(bytes)?;
    if let Some((segment, bit, coder)) = end {
        let i = segments
            .iter()
            .position(|&s| s == segment)
            .ok_or_else(|| err(format!("segment {segment} is not one of the batch")))?;
        segments.truncate(i + 1);
        (h.bit_index, h.coder) = (bit, coder);
    }
    if count > ty.capacity {
        return Err(err(format!("{count} values in a batch of {}", ty.capacity)));
    }
    let mut models = ty
        .codec
        .load_at(bytes, h.init_model, "batch initial model")?;
    let mut shadow = models.clone();
    let reference = Bits::over(bytes, &h, segments.clone());
    let mut reading = Bits::over(bytes, &h, segments.clone());
    let mut check = Check {
        bits: &reference,
        pos: 0,
        differs: false,
    };
    let mut coder = Encoder::default();
    if count > 0 {
        let mut d = Decoder::new(&mut reading);
        let mut heard = Vec::new();
        for i in 0..count {
            heard.clear();
            ty.codec
                .decode_heard(&mut models, &mut d, &mut reading, |l, s| heard.push((l, s)))
                .map_err(|e| err(format!("value {i} of the batch: {e}")))?;
            for &(l, s) in &heard {
                shadow.encode(l, s, &mut coder, &mut check);
            }
        }
    }
    if check.differs {
        return Err(err("the batch's bits are not those of its values".into()));
    }
    Ok(Replayed {
        models,
        coder,
        bits: check.pos,
        segments,
    })
}

/// A bit sink comparing what it is given with a batch's bits.
struct Check<'b, 'a> {
    bits: &'b Bits<'a>,
    pos: u64,
    differs: bool,
}

impl BitSink for Check<'_, '_> {
    fn put(&mut self, bit: bool, n: u32) {
        for _ in 0..n {
            if self.bits.at(self.pos).is_some_and(|b| b != bit) {
                self.differs = true;
            }
            self.pos += 1;
        }
    }
}

/// A compressed series of a file.
#[derive(Debug, Clone)]
pub struct CSeries<'a> {
    bytes: &'a [u8],
    ty: Arc<CSeqType>,
    list: Vec<u64>,
}

impl<'a> CSeries<'a> {
    /// The series whose root cell is at `root`.
    pub fn new(bytes: &'a [u8], ty: CSeqType, root: u64) -> Result<Self, FormatError> {
        let list = series::batch_list(bytes, root)?;
        Ok(CSeries {
            bytes,
            ty: Arc::new(ty),
            list,
        })
    }

    /// Value type, model type and batch size.
    pub fn ty(&self) -> &CSeqType {
        &self.ty
    }

    /// Batch offsets, oldest first.
    pub fn batches(&self) -> &[u64] {
        &self.list
    }

    /// The count of every batch.
    pub fn batch_counts(&self) -> Result<Vec<u64>, FormatError> {
        self.list
            .iter()
            .map(|&b| Header::read(self.bytes, &self.ty, b).map(|h| h.count))
            .collect()
    }

    /// Number of values.
    pub fn len(&self) -> Result<u64, FormatError> {
        self.batch_counts()?
            .iter()
            .try_fold(0u64, |n, &c| n.checked_add(c))
            .ok_or_else(|| FormatError::new(0, "series holds more values than can be counted"))
    }

    /// Whether the series holds no value.
    pub fn is_empty(&self) -> Result<bool, FormatError> {
        self.len().map(|n| n == 0)
    }

    /// The values in order, decoded one at a time.
    pub fn iter(&self) -> CSeriesIter<'a> {
        CSeriesIter {
            bytes: self.bytes,
            ty: self.ty.clone(),
            batches: self.list.clone().into_iter(),
            values: None,
            failed: false,
        }
    }
}

/// The values of a compressed series in order.
pub struct CSeriesIter<'a> {
    bytes: &'a [u8],
    ty: Arc<CSeqType>,
    batches: std::vec::IntoIter<u64>,
    values: Option<BatchValues<'a>>,
    failed: bool,
}

impl Iterator for CSeriesIter<'_> {
    type Item = Result<Value, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed {
            if let Some(v) = self.values.as_mut().and_then(Iterator::next) {
                self.failed = v.is_err();
                return Some(v);
            }
            let batch = self.batches.next()?;
            match BatchValues::new(self.bytes, self.ty.clone(), batch) {
                Ok(values) => self.values = Some(values),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}
