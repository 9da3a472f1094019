//! hobbes' directory templates: `-d ./$GROUP/$DATE/data` names the file
//! prefix `./G/2026.11.26/data`; `$GROUP` is the group and `$DATE` the local
//! date when the stream starts, each replaced once.

use std::path::PathBuf;

/// Instantiates `template` for `group` at local time `now`.
pub fn instantiate(template: &str, group: &str, now: std::time::SystemTime) -> PathBuf {
    let date = local_date(now);
    PathBuf::from(
        template
            .replacen("$GROUP", group, 1)
            .replacen("$DATE", &date, 1),
    )
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
}
