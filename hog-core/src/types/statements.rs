//! The statement list as producers describe it (in a region's meta block and
//! in the legacy wire protocol's init message): QoS, commit method, then per
//! statement name, flags, format, file, line, id and type description.

use crate::plugin::{CommitMethod, Qos, Statement};

use super::{Cursor, DecodeError};

/// Bytes a statement takes at least: four strings' lengths, flags, line, id.
const MIN_STATEMENT: usize = 8 + 8 + 8 + 8 + 4 + 4 + 8;

/// Reads `i32` QoS and `i32` commit method.
pub fn read_modes(c: &mut Cursor<'_>) -> Result<(Qos, CommitMethod), DecodeError> {
    let qos = match c.u32("qos")? {
        0 => Qos::Reliable,
        1 => Qos::Unreliable,
        n => return Err(c.error(format!("qos {n} is neither 0 nor 1"))),
    };
    let commit = match c.u32("commit method")? {
        0 => CommitMethod::Auto,
        1 => CommitMethod::Manual,
        n => return Err(c.error(format!("commit method {n} is neither 0 nor 1"))),
    };
    Ok((qos, commit))
}

/// Writes `i32` QoS and `i32` commit method.
pub fn write_modes(out: &mut Vec<u8>, qos: Qos, commit: CommitMethod) {
    out.extend_from_slice(&(qos as u32).to_le_bytes());
    out.extend_from_slice(&(commit as u32).to_le_bytes());
}

/// Reads `n` statements, refusing a count the bytes left cannot hold.
pub fn read_statements(c: &mut Cursor<'_>, n: u64) -> Result<Vec<Statement>, DecodeError> {
    if n > (c.remaining() / MIN_STATEMENT) as u64 {
        return Err(c.error(format!(
            "{n} statements do not fit in {} bytes",
            c.remaining()
        )));
    }
    (0..n).map(|_| read_statement(c)).collect()
}

fn read_statement(c: &mut Cursor<'_>) -> Result<Statement, DecodeError> {
    let name = c.string("statement name")?;
    let flags = c.u64("statement flags")?;
    let format = c.string("statement format")?;
    let file = c.string("statement file")?;
    let line = c.u32("statement line")?;
    let id = c.u32("statement id")?;
    let desc = c.bytes("statement type")?;
    Ok(Statement {
        id,
        name: name.into(),
        flags,
        format: format.into(),
        file: file.into(),
        line,
        type_desc: desc.to_vec().into(),
    })
}

/// Writes statements in the order given.
pub fn write_statements(out: &mut Vec<u8>, statements: &[Statement]) {
    let string = |out: &mut Vec<u8>, s: &[u8]| {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s);
    };
    for s in statements {
        string(out, s.name.as_bytes());
        out.extend_from_slice(&s.flags.to_le_bytes());
        string(out, s.format.as_bytes());
        string(out, s.file.as_bytes());
        out.extend_from_slice(&s.line.to_le_bytes());
        out.extend_from_slice(&s.id.to_le_bytes());
        string(out, &s.type_desc);
    }
}
