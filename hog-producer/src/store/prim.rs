//! Primitives: integers of every width, `bool`, `char`, floats, `()`.
//!
//! Integers keep their bits and take the hobbes primitive of their width
//! (`u16` is `short`, `u64` is `long`), as the C++ producer stores
//! unsigned values. hobbes has no signed byte: `i8` is stored as `byte`.
//! A Rust `char` is stored as a one-byte hobbes `char` (Latin-1; code
//! points above U+00FF become `?`).

use crate::output::Output;
use crate::store::Store;
use crate::types::Type;

macro_rules! number {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl Store for $t {
            const FIXED_SIZE: Option<usize> = Some(std::mem::size_of::<$t>());

            fn hobbes_type() -> Type {
                Type::prim($name)
            }

            #[inline]
            fn size(&self) -> usize {
                std::mem::size_of::<$t>()
            }

            #[inline]
            fn store<S: Output + ?Sized>(&self, out: &mut S) {
                out.put(&self.to_le_bytes());
            }

            fn store_slice<S: Output + ?Sized>(items: &[Self], out: &mut S) {
                out.put(as_le_bytes(items));
            }
        }
    )*};
}

number! {
    u8 => "byte",
    i8 => "byte",
    i16 => "short",
    u16 => "short",
    i32 => "int",
    u32 => "int",
    i64 => "long",
    u64 => "long",
    isize => "long",
    usize => "long",
    i128 => "int128",
    u128 => "int128",
    f32 => "float",
    f64 => "double",
}

impl Store for bool {
    const FIXED_SIZE: Option<usize> = Some(1);

    fn hobbes_type() -> Type {
        Type::prim("bool")
    }

    #[inline]
    fn size(&self) -> usize {
        1
    }

    #[inline]
    fn store<S: Output + ?Sized>(&self, out: &mut S) {
        out.put(&[u8::from(*self)]);
    }

    fn store_slice<S: Output + ?Sized>(items: &[Self], out: &mut S) {
        out.put(as_le_bytes(items));
    }
}

impl Store for char {
    const FIXED_SIZE: Option<usize> = Some(1);

    fn hobbes_type() -> Type {
        Type::prim("char")
    }

    #[inline]
    fn size(&self) -> usize {
        1
    }

    #[inline]
    fn store<S: Output + ?Sized>(&self, out: &mut S) {
        out.put(&[u8::try_from(*self).unwrap_or(b'?')]);
    }
}

impl Store for () {
    const FIXED_SIZE: Option<usize> = Some(0);

    fn hobbes_type() -> Type {
        Type::unit()
    }

    #[inline]
    fn size(&self) -> usize {
        0
    }

    #[inline]
    fn store<S: Output + ?Sized>(&self, _: &mut S) {}
}

/// Marks types whose in-memory bytes are their little-endian encoding.
///
/// # Safety
/// Implementors have no padding bytes.
unsafe trait Plain {}

macro_rules! plain {
    ($($t:ty),*) => {$(
        // SAFETY: primitive numbers and `bool` have no padding bytes.
        unsafe impl Plain for $t {}
    )*};
}

plain!(u8, i8, i16, u16, i32, u32, i64, u64, isize, usize, i128, u128, f32, f64, bool);

/// The bytes of a slice of plain values: on a little-endian machine (the
/// only kind supported), their packed encoding.
#[cfg(target_endian = "little")]
fn as_le_bytes<T: Plain>(items: &[T]) -> &[u8] {
    // SAFETY: `T: Plain` has no padding, so every byte of the slice is
    // initialised; `u8` has alignment 1; the length covers exactly the
    // slice's bytes.
    unsafe { std::slice::from_raw_parts(items.as_ptr().cast(), std::mem::size_of_val(items)) }
}

#[cfg(not(target_endian = "little"))]
compile_error!("hobbes' encoding is little-endian; only little-endian targets are supported");

#[cfg(test)]
mod tests {
    use crate::store::encode;

    #[test]
    fn values_encode_as_the_cpp_producer_stores_them() {
        assert_eq!(encode(&42i32), [0x2a, 0, 0, 0]);
        assert_eq!(encode(&3.5f64), 3.5f64.to_le_bytes());
        assert_eq!(encode(&65000u16), [0xe8, 0xfd]);
        assert_eq!(encode(&true), [1]);
        assert_eq!(encode(&'h'), [b'h']);
        assert_eq!(encode(&'✓'), [b'?']);
        assert_eq!(encode(&()), [0u8; 0]);
        assert_eq!(encode(&[1i32, -2][..]).len(), 8 + 8);
    }
}
