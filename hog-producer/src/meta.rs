//! A region's meta block: protocol version, QoS, commit method and the
//! statement table, sorted by name, each statement with its id.

use hstore_shm::HSTORE_VERSION;

use crate::group::{CommitMethod, Qos};
use crate::statement::Declaration;

/// The meta block for statements whose ids are their positions.
pub(crate) fn encode(qos: Qos, commit: CommitMethod, statements: &[Declaration]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&HSTORE_VERSION.to_le_bytes());
    out.extend_from_slice(&(qos as i32).to_le_bytes());
    out.extend_from_slice(&(commit as i32).to_le_bytes());
    out.extend_from_slice(&(statements.len() as u32).to_le_bytes());
    let mut order: Vec<usize> = (0..statements.len()).collect();
    order.sort_by(|&a, &b| {
        statements[a]
            .name
            .as_bytes()
            .cmp(statements[b].name.as_bytes())
    });
    for id in order {
        let s = &statements[id];
        string(&mut out, s.name.as_bytes());
        out.extend_from_slice(&s.flags.to_le_bytes());
        string(&mut out, s.format.as_bytes());
        string(&mut out, s.file.as_bytes());
        out.extend_from_slice(&s.line.to_le_bytes());
        out.extend_from_slice(&(id as u32).to_le_bytes());
        string(&mut out, &s.type_desc);
    }
    out
}

fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_by_name_and_keeps_declaration_ids() {
        let int = crate::Type::prim("int").encode();
        let decls = [
            Declaration::new("zeta", &int).at("p.C", 1),
            Declaration::new("alpha", &int).at("p.C", 2),
        ];
        let meta = encode(Qos::Reliable, CommitMethod::Auto, &decls);
        assert_eq!(
            &meta[..16],
            [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]
        );
        // alpha first, with id 1.
        assert_eq!(&meta[16..29], b"\x05\0\0\0\0\0\0\0alpha");
        let line_and_id = 29 + 8 + 8 + 8 + 3;
        assert_eq!(
            &meta[line_and_id..line_and_id + 8],
            [2, 0, 0, 0, 1, 0, 0, 0]
        );
    }
}
