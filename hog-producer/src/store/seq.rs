//! Strings and sequences: `str`, `String` and `CStr` are `[char]`, slices
//! and vectors are `[T]` (a `u64` count, then the elements), arrays are
//! `[:T|N:]` (the elements only).

use std::ffi::{CStr, CString};

use crate::output::Output;
use crate::store::Store;
use crate::types::Type;

fn put_len<S: Output + ?Sized>(out: &mut S, n: usize) {
    out.put(&(n as u64).to_le_bytes());
}

fn put_chars<S: Output + ?Sized>(out: &mut S, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.put(bytes);
}

macro_rules! chars {
    ($($t:ty => $bytes:expr),* $(,)?) => {$(
        impl Store for $t {
            const FIXED_SIZE: Option<usize> = None;

            fn hobbes_type() -> Type {
                Type::array(Type::prim("char"))
            }

            #[inline]
            fn size(&self) -> usize {
                8 + $bytes(self).len()
            }

            #[inline]
            fn store<S: Output + ?Sized>(&self, out: &mut S) {
                put_chars(out, $bytes(self));
            }
        }
    )*};
}

chars! {
    str => str::as_bytes,
    String => String::as_bytes,
    CStr => CStr::to_bytes,
    CString => CString::as_bytes,
}

impl<T: Store> Store for [T] {
    const FIXED_SIZE: Option<usize> = None;

    fn hobbes_type() -> Type {
        Type::array(T::hobbes_type())
    }

    #[inline]
    fn size(&self) -> usize {
        8 + T::slice_size(self)
    }

    #[inline]
    fn store<S: Output + ?Sized>(&self, out: &mut S) {
        put_len(out, self.len());
        T::store_slice(self, out);
    }
}

impl<T: Store> Store for Vec<T> {
    const FIXED_SIZE: Option<usize> = None;

    fn hobbes_type() -> Type {
        <[T]>::hobbes_type()
    }

    #[inline]
    fn size(&self) -> usize {
        self.as_slice().size()
    }

    #[inline]
    fn store<S: Output + ?Sized>(&self, out: &mut S) {
        self.as_slice().store(out);
    }
}

impl<T: Store, const N: usize> Store for [T; N] {
    const FIXED_SIZE: Option<usize> = match T::FIXED_SIZE {
        Some(n) => Some(n * N),
        None => None,
    };

    fn hobbes_type() -> Type {
        Type::fixed_array(T::hobbes_type(), N as u64)
    }

    #[inline]
    fn size(&self) -> usize {
        T::slice_size(self)
    }

    #[inline]
    fn store<S: Output + ?Sized>(&self, out: &mut S) {
        T::store_slice(self, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{encode, Store};
    use crate::types::Type;

    #[test]
    fn strings_carry_a_length_and_no_nul() {
        assert_eq!(encode("hi"), b"\x02\0\0\0\0\0\0\0hi");
        assert_eq!(encode(&String::from("hi")), encode("hi"));
        assert_eq!(encode(c"hi"), encode("hi"));
    }

    #[test]
    fn vectors_count_elements_and_arrays_do_not() {
        assert_eq!(
            encode(&vec![1i32, 2, 3]),
            [3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]
        );
        assert_eq!(encode(&[1i16, -1]), [1, 0, 0xff, 0xff]);
        assert_eq!(<[i16; 4]>::FIXED_SIZE, Some(8));
        assert_eq!(
            <[char; 4]>::hobbes_type(),
            Type::fixed_array(Type::prim("char"), 4)
        );
        let words = vec!["a".to_string(), "bc".to_string()];
        assert_eq!(words.size(), 8 + 9 + 10);
        assert_eq!(encode(&words).len(), words.size());
    }
}
