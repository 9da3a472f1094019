//! hobbes types and values: the binary type descriptions producers declare
//! their statements with, and the packed value encoding of their records.

mod json;
pub mod statements;
mod table;
pub mod time;
mod value;

pub use hstore_shm::types::{Ctor, Cursor, DecodeError, Field, Type, MAX_DEPTH, NO_OFFSET};
pub use table::{Entry, Record, StatementTable, TableError, MAX_STATEMENT_ID};
pub use time::{TimeOf, TimeRange};
pub use value::{fixed_size, value_len, Value};
