//! Values that can be logged: [`Store`] gives a Rust type its hobbes type
//! and writes its values in hobbes' packed encoding (native little-endian,
//! no padding, `u64` length prefixes), byte for byte as `storage.H` does.
//!
//! Implemented here for primitives, strings, sequences, fixed arrays,
//! tuples and references; `#[derive(Store)]` covers structs and enums.

mod prim;
mod seq;
mod tuple;
mod wrapper;

use crate::output::Output;
use crate::types::Type;

/// A type whose values can be logged.
///
/// Derive it for structs (records with `-1` offsets, fields in declaration
/// order) and enums (variants tagged by declaration index; fieldless enums
/// as their discriminant, packed to their `#[repr]`):
///
/// ```
/// use hog_producer::{encode, Store, Type};
///
/// #[derive(Store)]
/// #[repr(C, packed)]
/// #[derive(Clone, Copy)]
/// struct P3 { x: i32, y: i32, z: i32 }
///
/// #[derive(Store)]
/// enum Shape { Circle(f64), Rect(P3), Label(String) }
///
/// #[derive(Store)]
/// #[repr(u8)]
/// enum Side { Buy, Sell }
///
/// assert_eq!(encode(&P3 { x: 1, y: 2, z: 3 }), [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
/// assert_eq!(encode(&Shape::Label("xyz".into()))[..4], [2, 0, 0, 0]);
/// assert_eq!(encode(&Side::Sell), [1]);
/// assert_eq!(P3::FIXED_SIZE, Some(12));
/// assert!(matches!(Side::hobbes_type(), Type::App(..)));
/// ```
///
/// Field and constructor names can be changed with `#[hog(rename = "…")]`,
/// fields left out with `#[hog(skip)]`; a newtype can be an opaque alias
/// (`#[hog(alias = "price")]`) or stand for its field
/// (`#[hog(transparent)]`).
pub trait Store {
    /// Encoded size of every value, when it does not depend on the value.
    const FIXED_SIZE: Option<usize>;

    /// The hobbes type of this type's values.
    fn hobbes_type() -> Type;

    /// Encoded size of this value.
    fn size(&self) -> usize;

    /// Writes this value's encoding to `out`.
    fn store<S: Output + ?Sized>(&self, out: &mut S);

    /// Encoded size of a slice of values.
    fn slice_size(items: &[Self]) -> usize
    where
        Self: Sized,
    {
        match Self::FIXED_SIZE {
            Some(n) => n * items.len(),
            None => items.iter().map(Store::size).sum(),
        }
    }

    /// Writes the encodings of a slice of values, in order (primitives
    /// write the whole slice at once).
    fn store_slice<S: Output + ?Sized>(items: &[Self], out: &mut S)
    where
        Self: Sized,
    {
        for item in items {
            item.store(out);
        }
    }
}

/// The encoding of `value`, in a new vector (for tests and tools; logging
/// writes straight into the ring).
pub fn encode<T: Store + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.size());
    value.store(&mut out);
    out
}

/// The size shared by all `sizes`, if all are fixed and equal (an enum's
/// payloads; for implementing [`Store`]).
pub const fn fixed_common(sizes: &[Option<usize>]) -> Option<usize> {
    let mut common = None;
    let mut i = 0;
    while i < sizes.len() {
        match (sizes[i], common) {
            (Some(n), None) => common = Some(n),
            (Some(n), Some(c)) if n == c => {}
            _ => return None,
        }
        i += 1;
    }
    common
}

/// The sum of fixed sizes, if all are fixed (for implementing [`Store`]).
pub const fn fixed_sum(sizes: &[Option<usize>]) -> Option<usize> {
    let mut total = 0;
    let mut i = 0;
    while i < sizes.len() {
        match sizes[i] {
            Some(n) => total += n,
            None => return None,
        }
        i += 1;
    }
    Some(total)
}
