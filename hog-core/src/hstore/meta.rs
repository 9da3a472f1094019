//! The meta block at the start of a region: protocol version, QoS, commit
//! method and the statements table (§6 of the hstore protocol).

use crate::plugin::{CommitMethod, Qos, Statement};
use crate::types::{Cursor, DecodeError, StatementTable, TableError};

pub use hstore_shm::HSTORE_VERSION;

/// A region's parsed meta block.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// Quality of service the producer uses.
    pub qos: Qos,
    /// How the producer delimits transactions.
    pub commit: CommitMethod,
    /// The statements, in the block's order (sorted by name).
    pub statements: Vec<Statement>,
    /// The statements by id, with their decoded types.
    pub table: StatementTable,
}

/// Why a meta block was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    /// The bytes are malformed.
    #[error("meta block: {0}")]
    Decode(#[from] DecodeError),
    /// The producer speaks another protocol version.
    #[error("meta block: protocol version {found:#x}, hog speaks {HSTORE_VERSION:#x}")]
    Version {
        /// The version found.
        found: u32,
    },
    /// A statement is invalid.
    #[error("meta block: {0}")]
    Table(#[from] TableError),
}

impl Meta {
    /// Parses a meta block.
    pub fn parse(bytes: &[u8]) -> Result<Meta, MetaError> {
        let mut c = Cursor::new(bytes);
        let version = c.u32("version")?;
        if version != HSTORE_VERSION {
            return Err(MetaError::Version { found: version });
        }
        let qos = match c.u32("qos")? {
            0 => Qos::Reliable,
            1 => Qos::Unreliable,
            n => return Err(c.error(format!("qos {n} is neither 0 nor 1")).into()),
        };
        let commit = match c.u32("commit method")? {
            0 => CommitMethod::Auto,
            1 => CommitMethod::Manual,
            n => {
                return Err(c
                    .error(format!("commit method {n} is neither 0 nor 1"))
                    .into())
            }
        };
        let n = c.u32("statement count")? as usize;
        // A statement takes at least 8+8+8+8+4+4+8 bytes.
        if n > c.remaining() / 48 {
            return Err(c.error(format!("{n} statements do not fit")).into());
        }
        let mut statements = Vec::with_capacity(n);
        for _ in 0..n {
            let name = c.string("statement name")?;
            let flags = c.u64("statement flags")?;
            let format = c.string("statement format")?;
            let file = c.string("statement file")?;
            let line = c.u32("statement line")?;
            let id = c.u32("statement id")?;
            let desc = c.bytes("statement type")?;
            statements.push(Statement {
                id,
                name: name.into(),
                flags,
                format: format.into(),
                file: file.into(),
                line,
                type_desc: desc.to_vec().into(),
            });
        }
        let table = StatementTable::new(&statements)?;
        Ok(Meta {
            qos,
            commit,
            statements,
            table,
        })
    }
}
