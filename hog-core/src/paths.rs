//! hobbes' directory templates: `-d ./$GROUP/$DATE/data` names the file
//! prefix `./G/2026.11.26/data`; `$GROUP` is the group and `$DATE` the local
//! date when the stream starts, each replaced once.

use std::path::PathBuf;

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
