//! hobbes type descriptions, as a region's statement table carries them:
//! built by producers ([`Type::record`], [`Type::tuple`], …), decoded and
//! shown by hog ([`Type::decode`], `Display`), encoded by both
//! ([`Type::encode`]), and laid out in memory as hobbes does
//! ([`Type::layout`]). Decoding reads through the bounds-checked
//! [`Cursor`].

mod cursor;
mod desc;
mod layout;

pub use cursor::{Cursor, DecodeError};
pub use desc::{Ctor, Field, Type, MAX_DEPTH, NO_OFFSET};
pub use layout::{prim_size, MemoryLayout};
