//! Tuples, the counterpart of `std::pair` and `std::tuple`: a record of
//! fields `.f0, .f1, …` encoded one after the other.
//!
//! The description carries the offsets of hobbes' in-memory layout of the
//! tuple ([`Type::tuple`]). They equal the C++ producer's offsets whenever
//! those are accepted by the C++ hog (`pair<int,double>` gives 0 and 8,
//! `tuple<uint8_t,int64_t,double>` 0, 8 and 16), and are accepted by it
//! where the C++ ones are not (a `std::string` member followed by more
//! fields makes the C++ producer emit offsets that abort the C++ hog).

use crate::output::Output;
use crate::store::{fixed_sum, Store};
use crate::types::Type;

macro_rules! tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Store),+> Store for ($($t,)+) {
            const FIXED_SIZE: Option<usize> = fixed_sum(&[$($t::FIXED_SIZE),+]);

            fn hobbes_type() -> Type {
                Type::tuple(vec![$($t::hobbes_type()),+])
            }

            #[inline]
            fn size(&self) -> usize {
                match <Self as Store>::FIXED_SIZE {
                    Some(n) => n,
                    None => 0 $(+ self.$i.size())+,
                }
            }

            #[inline]
            fn store<S: Output + ?Sized>(&self, out: &mut S) {
                $(self.$i.store(out);)+
            }
        }
    };
}

tuple!(A 0);
tuple!(A 0, B 1);
tuple!(A 0, B 1, C 2);
tuple!(A 0, B 1, C 2, D 3);
tuple!(A 0, B 1, C 2, D 3, E 4);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

#[cfg(test)]
mod tests {
    use crate::store::{encode, Store};
    use crate::types::Type;

    #[test]
    fn a_pair_is_a_tuple_record_with_real_offsets() {
        assert_eq!(
            encode(&(1i32, 2.0f64)),
            [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40]
        );
        let Type::Struct(fields) = <(i32, f64)>::hobbes_type() else {
            panic!("a record");
        };
        let at: Vec<_> = fields.iter().map(|f| (f.name.as_str(), f.offset)).collect();
        assert_eq!(at, [(".f0", 0), (".f1", 8)]);
        assert_eq!(<(u8, String, i64)>::FIXED_SIZE, None);
        assert_eq!((9u8, "tup", -9i64).size(), 1 + 11 + 8);
    }
}
