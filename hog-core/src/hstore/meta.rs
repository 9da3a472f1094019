//! The meta block at the start of a region: protocol version, QoS, commit
//! method and the statements table (§6 of the hstore protocol).

use crate::plugin::{CommitMethod, Qos, Statement};

use crate::types::{statements, Cursor, DecodeError, StatementTable, TableError};

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
        let (qos, commit) = statements::read_modes(&mut c)?;
        let n = c.u32("statement count")?;
        let statements = statements::read_statements(&mut c, u64::from(n))?;
        let table = StatementTable::new(&statements)?;
        Ok(Meta {
            qos,
            commit,
            statements,
            table,
        })
    }
}
