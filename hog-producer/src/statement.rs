//! Statement declarations: what a region's statement table says of each
//! statement (name, `HLOG` flag and format, source file and line, payload
//! type), and the id its records carry.

use std::panic::Location;

use crate::payload::Payload;

/// A statement's id within its group: the `u32` each record starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementId(pub u32);

/// A statement as declared to a group ([`Group::declare`](crate::Group::declare)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub(crate) name: String,
    pub(crate) flags: u64,
    pub(crate) format: String,
    pub(crate) file: String,
    pub(crate) line: u32,
    pub(crate) type_desc: Vec<u8>,
    /// The payload type with unnamed arguments, for declarations made from
    /// a Rust argument list: what typed records are checked against.
    pub(crate) shape: Option<Vec<u8>>,
}

impl Declaration {
    /// An `HSTORE` statement `name` with an encoded payload type, declared
    /// at the caller's source location.
    #[track_caller]
    pub fn new(name: &str, type_desc: &[u8]) -> Declaration {
        let at = Location::caller();
        Declaration {
            name: name.to_string(),
            flags: 0,
            format: String::new(),
            file: at.file().to_string(),
            line: at.line(),
            type_desc: type_desc.to_vec(),
            shape: None,
        }
    }

    /// An `HSTORE` statement `name` whose payload is the argument list `P`,
    /// with argument names `names` (hobbes `HNAME`; `None` or missing for
    /// unnamed arguments).
    #[track_caller]
    pub fn of<P: Payload + ?Sized>(name: &str, names: &[Option<&str>]) -> Declaration {
        Declaration {
            shape: Some(P::payload_type(&[]).encode()),
            ..Declaration::new(name, &P::payload_type(names).encode())
        }
    }

    /// Makes it an `HLOG` statement: `format` shows its payload, with `$0`,
    /// `$1`, … for the arguments.
    pub fn hlog(mut self, format: &str) -> Declaration {
        self.flags |= 1;
        self.format = format.to_string();
        self
    }

    /// Sets the source file and line the table records.
    pub fn at(mut self, file: &str, line: u32) -> Declaration {
        self.file = file.to_string();
        self.line = line;
        self
    }

    /// The statement's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether two declarations of one name are the same statement.
    pub(crate) fn same_statement(&self, other: &Declaration) -> bool {
        self.flags == other.flags
            && self.format == other.format
            && self.type_desc == other.type_desc
    }
}
