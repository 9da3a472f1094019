//! Counting records by (producer, sequence) in the files a schedule wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hog_core::fregion::Reader;
use hog_core::types::Value;

/// What the files hold of one producer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// How often each sequence number occurs.
    pub times: BTreeMap<u64, u32>,
    /// Values not above the one before them (same producer, same file).
    pub out_of_order: u64,
}

impl Seen {
    /// Different sequence numbers held.
    pub fn distinct(&self) -> u64 {
        self.times.len() as u64
    }

    /// Copies beyond the first.
    pub fn duplicated(&self) -> u64 {
        self.times.values().map(|&n| u64::from(n) - 1).sum()
    }

    /// Records missing among the first `committed` and below the highest
    /// one held (a transaction is committed after every one before it).
    pub fn lost(&self, committed: u64) -> u64 {
        let end = self
            .times
            .keys()
            .next_back()
            .map_or(0, |&last| last + 1)
            .max(committed);
        end - self.times.range(..end).count() as u64
    }
}

/// Every `.log` file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "log") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Reads the `seq` series of every file under `dir`, per producer id.
/// Files not readable yet (being created) are skipped.
pub fn count(dir: &Path) -> BTreeMap<u64, Seen> {
    let mut out: BTreeMap<u64, Seen> = BTreeMap::new();
    for file in files(dir) {
        let Ok(reader) = Reader::open(&file) else {
            continue;
        };
        let Ok(series) = reader.series("seq") else {
            continue;
        };
        let mut last: BTreeMap<u64, u64> = BTreeMap::new();
        for value in series.iter() {
            let Ok((_, Value::Long(v))) = value else {
                break;
            };
            let (id, seq) = ((v as u64) >> 32, (v as u64) & 0xffff_ffff);
            let seen = out.entry(id).or_default();
            if last.get(&id).is_some_and(|&prev| seq <= prev) {
                seen.out_of_order += 1;
            }
            last.insert(id, seq);
            *seen.times.entry(seq).or_default() += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_count_gaps_below_the_highest_record_and_the_committed_bound() {
        let mut s = Seen::default();
        for seq in [0, 1, 2, 4, 4] {
            *s.times.entry(seq).or_default() += 1;
        }
        assert_eq!((s.distinct(), s.duplicated()), (4, 1));
        assert_eq!(s.lost(0), 1, "3 is missing below 4");
        assert_eq!(s.lost(7), 3, "3, 5 and 6 were committed");
    }
}
