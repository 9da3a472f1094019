//! References and owning pointers store what they point to.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use crate::output::Output;
use crate::store::Store;
use crate::types::Type;

macro_rules! forward {
    ($($(#[$m:meta])* [$($g:tt)*] $t:ty),* $(,)?) => {$(
        $(#[$m])*
        impl<$($g)*> Store for $t {
            const FIXED_SIZE: Option<usize> = T::FIXED_SIZE;

            fn hobbes_type() -> Type {
                T::hobbes_type()
            }

            #[inline]
            fn size(&self) -> usize {
                (**self).size()
            }

            #[inline]
            fn store<S: Output + ?Sized>(&self, out: &mut S) {
                (**self).store(out);
            }
        }
    )*};
}

forward! {
    ['a, T: Store + ?Sized] &'a T,
    ['a, T: Store + ?Sized] &'a mut T,
    [T: Store + ?Sized] Box<T>,
    [T: Store + ?Sized] Rc<T>,
    [T: Store + ?Sized] Arc<T>,
    ['a, T: Store + ToOwned + ?Sized] Cow<'a, T>,
}
