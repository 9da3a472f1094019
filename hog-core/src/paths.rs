//! hobbes' directory templates: `-d ./$GROUP/$DATE/data` names the file
//! prefix `./G/2026.11.26/data`; `$GROUP` is the group and `$DATE` the local
//! date when the stream starts, each replaced once.

use std::path::PathBuf;

/// Why `name` (a group, or another name from a producer or a peer) cannot
/// become a file or directory name; `None` if it can: 1 to 255 bytes, not
/// starting with `.`, without `/`, `$` (a template would expand it),
/// control characters (C0, DEL, C1 such as U+0085) or bidirectional
/// formatting characters (U+202E and its kind, which make a name display
/// as another).
pub fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 255 {
        Some("must have 1 to 255 bytes")
    } else if name.starts_with('.') {
        Some("starts with '.'")
    } else if name.contains('/') {
        Some("contains '/'")
    } else if name.contains('$') {
        Some("contains '$'")
    } else if name.chars().any(unsafe_char) {
        Some("contains a control or bidirectional formatting character")
    } else {
        None
    }
}

/// Whether `c` is a control character or a bidirectional formatting
/// character, neither of which belongs in a name.
pub fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Instantiates `template` for `group` at local time `now`, in one pass:
/// what a substitution inserts (a group named `$DATE`) is not expanded
/// again.
pub fn instantiate(template: &str, group: &str, now: std::time::SystemTime) -> PathBuf {
    let date = local_date(now);
    let (mut group_done, mut date_done) = (false, false);
    let mut out = String::with_capacity(template.len() + group.len() + date.len());
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if !group_done && tail.starts_with("$GROUP") {
            out.push_str(group);
            group_done = true;
            rest = &tail["$GROUP".len()..];
        } else if !date_done && tail.starts_with("$DATE") {
            out.push_str(&date);
            date_done = true;
            rest = &tail["$DATE".len()..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    PathBuf::from(out)
}

/// [`instantiate`] for a stream started at `started_at_ns` (ns since the
/// epoch): its date, not today's, so that a stream resumed after midnight
/// stays in its directory.
pub fn instantiate_at_ns(template: &str, group: &str, started_at_ns: u64) -> PathBuf {
    let started = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(started_at_ns);
    instantiate(template, group, started)
}

/// The local date of `t` as `YYYY.MM.DD`.
pub fn local_date(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as libc::time_t)
        .unwrap_or(0);
    // SAFETY: localtime_r writes into the zeroed `tm` we own.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    };
    format!(
        "{:04}.{:02}.{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday
    )
}

#[cfg(test)]
mod tests {
    use super::unsafe_name;

    #[test]
    fn names_that_cannot_be_paths_are_named() {
        for ok in ["Orders", "md-feed_2", "日本"] {
            assert_eq!(unsafe_name(ok), None, "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "a/b",
            "$DATE",
            "a\u{85}b",
            "a\u{202e}b",
            "a\nb",
            "a\u{7f}",
        ] {
            assert!(unsafe_name(bad).is_some(), "{bad:?}");
        }
        assert!(unsafe_name(&"x".repeat(256)).is_some());
    }

    use super::*;

    #[test]
    fn group_and_date_are_replaced_once() {
        let p = instantiate(
            "./$GROUP/$DATE/data-$GROUP",
            "G",
            std::time::SystemTime::now(),
        );
        let s = p.to_string_lossy();
        assert!(s.starts_with("./G/20"), "{s}");
        assert!(s.ends_with("/data-$GROUP"), "{s}");
        assert_eq!(s.len(), "./G/YYYY.MM.DD/data-$GROUP".len());
    }

    #[test]
    fn what_a_substitution_inserts_is_not_expanded_again() {
        let p = instantiate("/d/$GROUP/$DATE/x", "$DATE", std::time::UNIX_EPOCH);
        let s = p.to_string_lossy();
        assert!(s.starts_with("/d/$DATE/19"), "{s}");
        assert_eq!(
            instantiate("$x/$GROUP$", "g", std::time::UNIX_EPOCH),
            PathBuf::from("$x/g$")
        );
    }
}
