//! A statement's payload: its argument list, typed as `storage.H` types a
//! `HSTORE`/`HLOG` argument list.
//!
//! * no argument: `unit`, no bytes;
//! * one unnamed argument: that argument's type, unwrapped;
//! * two or more, or any named one (hobbes `HNAME`): a record whose fields
//!   are `.f0, .f1, …` when none is named, else the given names and
//!   `field<i>` for the others, all at offset `-1`.
//!
//! The encoding is the arguments' encodings one after the other.

use crate::output::Output;
use crate::store::{fixed_sum, Store};
use crate::types::Type;

/// An argument list: `()` or a tuple of [`Store`] values.
pub trait Payload {
    /// Encoded size of every payload, when it does not depend on values.
    const FIXED_PAYLOAD_SIZE: Option<usize>;

    /// The payload type for arguments named by `names` (one entry per
    /// argument, `None` for unnamed; missing entries are unnamed).
    fn payload_type(names: &[Option<&str>]) -> Type;

    /// Encoded size of these arguments.
    fn payload_size(&self) -> usize;

    /// Writes the arguments' encodings to `out`.
    fn store_payload<S: Output + ?Sized>(&self, out: &mut S);
}

/// The payload type of arguments of types `args` named by `names`.
pub fn arguments_type(args: Vec<Type>, names: &[Option<&str>]) -> Type {
    let name = |i: usize| names.get(i).copied().flatten();
    let any_named = (0..args.len()).any(|i| name(i).is_some());
    match args.len() {
        0 => Type::unit(),
        1 if !any_named => args.into_iter().next().expect("one argument"),
        _ => Type::record(args.into_iter().enumerate().map(|(i, ty)| {
            let label = match name(i) {
                Some(n) => n.to_string(),
                None if any_named => format!("field{i}"),
                None => format!(".f{i}"),
            };
            (label, ty)
        })),
    }
}

impl Payload for () {
    const FIXED_PAYLOAD_SIZE: Option<usize> = Some(0);

    fn payload_type(_: &[Option<&str>]) -> Type {
        Type::unit()
    }

    #[inline]
    fn payload_size(&self) -> usize {
        0
    }

    #[inline]
    fn store_payload<S: Output + ?Sized>(&self, _: &mut S) {}
}

macro_rules! args {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Store),+> Payload for ($($t,)+) {
            const FIXED_PAYLOAD_SIZE: Option<usize> = fixed_sum(&[$($t::FIXED_SIZE),+]);

            fn payload_type(names: &[Option<&str>]) -> Type {
                arguments_type(vec![$($t::hobbes_type()),+], names)
            }

            #[inline]
            fn payload_size(&self) -> usize {
                match Self::FIXED_PAYLOAD_SIZE {
                    Some(n) => n,
                    None => 0 $(+ self.$i.size())+,
                }
            }

            #[inline]
            fn store_payload<S: Output + ?Sized>(&self, out: &mut S) {
                $(self.$i.store(out);)+
            }
        }
    };
}

args!(A 0);
args!(A 0, B 1);
args!(A 0, B 1, C 2);
args!(A 0, B 1, C 2, D 3);
args!(A 0, B 1, C 2, D 3, E 4);
args!(A 0, B 1, C 2, D 3, E 4, F 5);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Field;

    fn names(t: Type) -> Vec<(String, u32)> {
        match t {
            Type::Struct(fs) => fs
                .into_iter()
                .map(|Field { name, offset, .. }| (name, offset))
                .collect(),
            other => panic!("not a record: {other:?}"),
        }
    }

    #[test]
    fn argument_lists_follow_the_storage_rules() {
        assert_eq!(<()>::payload_type(&[]), Type::unit());
        assert_eq!(<(i32,)>::payload_type(&[None]), Type::prim("int"));
        let pos = names(<(i32, &str)>::payload_type(&[]));
        assert_eq!(pos, [(".f0".into(), u32::MAX), (".f1".into(), u32::MAX)]);
        let mixed = names(<(&str, i32)>::payload_type(&[Some("sym"), None]));
        assert_eq!(
            mixed,
            [("sym".into(), u32::MAX), ("field1".into(), u32::MAX)]
        );
        let one = names(<(f64,)>::payload_type(&[Some("px")]));
        assert_eq!(one, [("px".into(), u32::MAX)]);
        assert_eq!(<(i64, i32, f64)>::FIXED_PAYLOAD_SIZE, Some(20));
    }
}
