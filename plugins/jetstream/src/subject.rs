//! Where a producer stream's messages go: `<prefix>.<group>.<stream>`.
//!
//! One subject per producer stream, so that the last message on it is the
//! stream's durable mark and a publish can be made conditional on it
//! (`Nats-Expected-Last-Subject-Sequence`); `<prefix>.<group>.>` is every
//! stream of a group. The stream token is a hash of the stream's identity,
//! which every message's body carries in full (and a sink checks).

use hog_core::wire::v2::Hello;

/// The subject of the stream `hello` announces, under `prefix`.
pub fn of_stream(prefix: &str, hello: &Hello) -> String {
    format!(
        "{prefix}.{}.{}",
        group_token(&hello.group),
        stream_token(hello)
    )
}

/// Every stream of `group`, under `prefix`.
pub fn of_group(prefix: &str, group: &str) -> String {
    format!("{prefix}.{}.>", group_token(group))
}

/// A group name as one subject token: letters, digits, `_` and `-` as
/// they are, every other byte as `%XX`.
pub fn group_token(group: &str) -> String {
    let mut out = String::with_capacity(group.len());
    for b in group.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// 16 hex digits naming a stream: FNV-1a of its origin, region and start.
pub fn stream_token(hello: &Hello) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let start = hello.started_at_ns.to_le_bytes();
    let parts: [&[u8]; 5] = [
        hello.origin.as_bytes(),
        b"\0",
        hello.region.as_bytes(),
        b"\0",
        &start,
    ];
    for byte in parts.iter().flat_map(|p| p.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Checks a subject prefix: dot-separated tokens, none empty, no
/// wildcards or white space.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let bad = prefix.is_empty()
        || prefix
            .split('.')
            .any(|t| t.is_empty() || t == "*" || t == ">" || t.chars().any(char::is_whitespace));
    if bad {
        Err(format!(
            "subject_prefix '{prefix}' must be dot-separated tokens without wildcards or spaces"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(region: &str, start: u64) -> Hello {
        let mut stream = hog_sink_conformance::stream("Orders", 1);
        stream.region = region.into();
        stream.started_at_ns = start;
        Hello::of_stream(&stream, "host")
    }

    #[test]
    fn each_stream_has_a_subject_of_its_own_under_its_group() {
        let a = of_stream("hog", &hello("/Orders.1.2", 5));
        assert!(a.starts_with("hog.Orders.") && a.len() == "hog.Orders.".len() + 16);
        assert_eq!(a, of_stream("hog", &hello("/Orders.1.2", 5)));
        assert_ne!(a, of_stream("hog", &hello("/Orders.1.2", 6)));
        assert_ne!(a, of_stream("hog", &hello("/Orders.1.3", 5)));
        assert_eq!(of_group("a.b", "Orders"), "a.b.Orders.>");
    }

    #[test]
    fn group_names_become_one_token() {
        assert_eq!(group_token("Or-ders_2"), "Or-ders_2");
        assert_eq!(group_token("a.b *>"), "a%2Eb%20%2A%3E");
        assert_eq!(group_token("é"), "%C3%A9");
    }

    #[test]
    fn prefixes_are_checked() {
        assert!(check_prefix("hog").is_ok());
        assert!(check_prefix("site.hog").is_ok());
        for bad in ["", "hog.", ".hog", "hog.*", "hog.>", "h og", "a..b"] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
    }
}
