//! From a producer's packed record to its stored layout.
//!
//! A [`RecordPlan`] is compiled once per statement from its wire type.
//! Fixed parts become copies of byte runs to their aligned offsets (adjacent
//! runs merged, so a record without padding is one copy); strings and
//! arrays are written into blocks allocated in the file and referenced from
//! their field; variants copy their tag and run the plan of the constructor
//! it names. Running a plan allocates nothing in memory.

use std::io;

use crate::types::Type;

use super::error::LayoutError;
use super::layout::{self, app_name, fileref_target, stored_type, Layout};
use super::writer::Writer;

/// How to store one value of a wire type.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordPlan {
    steps: Vec<Step>,
    stored: Type,
    layout: Layout,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// Copy the next `len` wire bytes to `dst`.
    Copy { dst: u64, len: u64 },
    /// A `u64` count and that many elements: stored in a block whose
    /// reference goes to `dst`.
    Array {
        dst: u64,
        elem: Box<RecordPlan>,
        /// The elements are copied as they are (one run).
        flat: bool,
    },
    /// A `u32` tag, then the payload of the constructor it names.
    Variant {
        dst: u64,
        payload: u64,
        ctors: Vec<(u32, RecordPlan)>,
    },
    /// `n` elements stored `stride` bytes apart from `dst`.
    Repeat {
        dst: u64,
        n: u64,
        stride: u64,
        elem: Box<RecordPlan>,
    },
}

/// Fixed arrays up to this many steps are unrolled into plain steps.
const UNROLL: usize = 64;

impl RecordPlan {
    /// The plan for values of `wire` type.
    pub fn new(wire: &Type) -> Result<Self, LayoutError> {
        let stored = stored_type(wire)?;
        let layout = layout::layout(&stored)?;
        let mut steps = Vec::new();
        compile(wire, &stored, 0, &mut steps)?;
        Ok(RecordPlan {
            steps,
            stored,
            layout,
        })
    }

    /// The stored type.
    pub fn stored(&self) -> &Type {
        &self.stored
    }

    /// Layout of the stored value.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Whether the value is stored with one copy (no padding, no arrays,
    /// no variants).
    pub fn is_flat(&self) -> bool {
        match self.steps.as_slice() {
            [] => self.layout.size == 0,
            [Step::Copy { dst: 0, len }] => *len == self.layout.size,
            _ => false,
        }
    }

    /// Stores the packed value `wire` at `at` (its slot, zeroed); returns
    /// the number of wire bytes it used.
    pub fn store(&self, wire: &[u8], w: &mut Writer, at: u64) -> io::Result<usize> {
        let mut pos = 0;
        self.run(wire, &mut pos, w, at)?;
        Ok(pos)
    }

    fn run(&self, wire: &[u8], pos: &mut usize, w: &mut Writer, at: u64) -> io::Result<()> {
        for step in &self.steps {
            match step {
                Step::Copy { dst, len } => {
                    let src = take(wire, pos, *len as usize)?;
                    w.write(at + dst, src);
                }
                Step::Array { dst, elem, flat } => {
                    let count = u64::from_le_bytes(take(wire, pos, 8)?.try_into().expect("8"));
                    if count == 0 {
                        w.write_u64(at + dst, w.empty_array());
                        continue;
                    }
                    let l = elem.layout;
                    // Every element takes at least one wire byte unless it is
                    // empty in both forms: a count beyond the record is bad.
                    let left = (wire.len() - *pos) as u64;
                    let body = count
                        .checked_mul(l.size)
                        .filter(|_| elem.steps.is_empty() || count <= left)
                        .filter(|&n| !*flat || n <= left)
                        .ok_or_else(|| short("array longer than its record"))?;
                    let block = w.alloc(8 + body, l.align.max(8))?;
                    w.write_u64(block, count);
                    if *flat {
                        let src = take(wire, pos, body as usize)?;
                        w.write(block + 8, src);
                    } else {
                        for i in 0..count {
                            elem.run(wire, pos, w, block + 8 + i * l.size)?;
                        }
                    }
                    w.write_u64(at + dst, block);
                }
                Step::Variant {
                    dst,
                    payload,
                    ctors,
                } => {
                    let tag = u32::from_le_bytes(take(wire, pos, 4)?.try_into().expect("4"));
                    let plan = ctors
                        .iter()
                        .find(|(id, _)| *id == tag)
                        .map(|(_, p)| p)
                        .ok_or_else(|| short(&format!("variant tag {tag} names no constructor")))?;
                    w.write_u32(at + dst, tag);
                    plan.run(wire, pos, w, at + dst + payload)?;
                }
                Step::Repeat {
                    dst,
                    n,
                    stride,
                    elem,
                } => {
                    for i in 0..*n {
                        elem.run(wire, pos, w, at + dst + i * stride)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn short(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn take<'a>(wire: &'a [u8], pos: &mut usize, n: usize) -> io::Result<&'a [u8]> {
    let s = wire
        .get(*pos..*pos + n)
        .ok_or_else(|| short(&format!("record ends before byte {}", *pos + n)))?;
    *pos += n;
    Ok(s)
}

fn push_copy(steps: &mut Vec<Step>, dst: u64, len: u64) {
    if len == 0 {
        return;
    }
    if let Some(Step::Copy { dst: d, len: l }) = steps.last_mut() {
        if *d + *l == dst {
            *l += len;
            return;
        }
    }
    steps.push(Step::Copy { dst, len });
}

fn compile(wire: &Type, stored: &Type, dst: u64, steps: &mut Vec<Step>) -> Result<(), LayoutError> {
    match (wire, stored) {
        (Type::Prim(..), _) => {
            let l = layout::layout(stored)?;
            push_copy(steps, dst, l.size);
        }
        (Type::App(..), _) if matches!(app_name(wire), Some(("penum" | "fileref", _))) => {
            let l = layout::layout(stored)?;
            push_copy(steps, dst, l.size);
        }
        (Type::Array(elem), _) => {
            let Some(Type::Array(stored_elem)) = fileref_target(stored) else {
                return Err(LayoutError::NotStoredArray(stored.clone()));
            };
            let plan = RecordPlan {
                steps: {
                    let mut s = Vec::new();
                    compile(elem, stored_elem, 0, &mut s)?;
                    s
                },
                stored: (**stored_elem).clone(),
                layout: layout::layout(stored_elem)?,
            };
            let flat = plan.is_flat();
            steps.push(Step::Array {
                dst,
                elem: Box::new(plan),
                flat,
            });
        }
        (Type::FixedArray(elem, len), Type::FixedArray(stored_elem, _)) => {
            let Type::Size(n) = **len else {
                return Err(LayoutError::ArrayLength((**len).clone()));
            };
            let l = layout::layout(stored_elem)?;
            let mut one = Vec::new();
            compile(elem, stored_elem, 0, &mut one)?;
            if one.len().saturating_mul(n as usize) <= UNROLL {
                for i in 0..n {
                    compile(elem, stored_elem, dst + i * l.size, steps)?;
                }
            } else {
                steps.push(Step::Repeat {
                    dst,
                    n,
                    stride: l.size,
                    elem: Box::new(RecordPlan {
                        steps: one,
                        stored: (**stored_elem).clone(),
                        layout: l,
                    }),
                });
            }
        }
        (Type::Struct(fields), Type::Struct(stored_fields)) => {
            let (offsets, _) = layout::struct_layout(stored_fields, 0)?;
            for ((f, sf), off) in fields.iter().zip(stored_fields).zip(offsets) {
                compile(&f.ty, &sf.ty, dst + off, steps)?;
            }
        }
        (Type::Variant(ctors), Type::Variant(stored_ctors)) => {
            let (payload, _) = layout::variant_layout(stored_ctors, 0)?;
            let mut plans = Vec::with_capacity(ctors.len());
            for (c, sc) in ctors.iter().zip(stored_ctors) {
                let mut s = Vec::new();
                compile(&c.ty, &sc.ty, 0, &mut s)?;
                plans.push((
                    c.id,
                    RecordPlan {
                        steps: s,
                        stored: sc.ty.clone(),
                        layout: layout::layout(&sc.ty)?,
                    },
                ));
            }
            steps.push(Step::Variant {
                dst,
                payload,
                ctors: plans,
            });
        }
        _ => return Err(LayoutError::NotStorable(wire.clone())),
    }
    Ok(())
}
