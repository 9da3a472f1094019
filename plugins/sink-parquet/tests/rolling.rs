//! How the parquet sink rolls and publishes: by size and by age, whole
//! rolls only, nothing visible that a kill left unfinished, and a spool
//! whose torn tail is cut on restart.

use std::path::Path;

use hog_core::plugin::{Logger, Sink};
use hog_sink_conformance::{stream, Feed};
use sink_parquet::roll::Published;
use sink_parquet::ParquetSink;

fn sink(dir: &Path, roll_size: &str, roll_age: &str) -> ParquetSink {
    let options =
        serde_json::json!({ "dir": dir, "roll_size": roll_size, "roll_age": roll_age }).to_string();
    ParquetSink::from_options(&options, Logger::discard()).unwrap()
}

/// `(first, end)` of the published rolls of stream `id` in `dir/group`.
fn rolls(dir: &Path, group: &str, id: u64) -> Vec<(u64, u64)> {
    Published::all(&dir.join(group), id)
        .unwrap()
        .iter()
        .map(|p| (p.first, p.end))
        .collect()
}

/// The names in `dir/group` that do not start with `.`.
fn visible(dir: &Path, group: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(group))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

#[test]
fn files_roll_by_size_and_the_rest_is_published_at_close() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sink(dir.path(), "100B", "1h");
    let info = stream("Size", 1);
    let mut feed = Feed::open(&mut s, &info, "size");
    // Each transaction is 12 bytes: a roll closes after the write that
    // takes it to 100 bytes or more.
    for _ in 0..5 {
        feed.write(&mut s, 5);
    }
    assert_eq!(feed.mark(), 25, "every write is durable at once");
    assert_eq!(rolls(dir.path(), "Size", 1), [(0, 10), (10, 20)]);
    feed.close(&mut s);
    assert_eq!(rolls(dir.path(), "Size", 1), [(0, 10), (10, 20), (20, 25)]);
    let names = visible(dir.path(), "Size");
    assert_eq!(names.len(), 3);
    for name in names {
        let files: Vec<String> = std::fs::read_dir(dir.path().join("Size").join(name))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files, ["seq.parquet"]);
    }
}

#[test]
fn files_roll_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sink(dir.path(), "1GB", "20ms");
    let info = stream("Age", 2);
    let mut feed = Feed::open(&mut s, &info, "age");
    feed.write(&mut s, 3);
    assert_eq!(rolls(dir.path(), "Age", 2), []);
    std::thread::sleep(std::time::Duration::from_millis(40));
    feed.write(&mut s, 4);
    assert_eq!(rolls(dir.path(), "Age", 2), [(0, 7)]);
}

#[test]
fn a_kill_leaves_only_whole_rolls_visible_and_a_restart_continues_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let info = stream("Kill", 3);
    let mut s = sink(dir.path(), "100B", "1h");
    let mut feed = Feed::open(&mut s, &info, "kill");
    feed.write(&mut s, 10);
    feed.write(&mut s, 7);
    let before = visible(dir.path(), "Kill");
    assert_eq!(rolls(dir.path(), "Kill", 3), [(0, 10)]);
    drop(s); // as a SIGKILL: no shutdown, the roll of 10..17 unfinished
    assert_eq!(visible(dir.path(), "Kill"), before);

    // A torn entry after the spool's whole ones, as a kill mid-write leaves.
    let spool = dir.path().join("Kill").join(format!(".{:020}.spool", 3));
    let mut bytes = std::fs::read(&spool).unwrap();
    bytes.extend_from_slice(&[0xAB; 30]);
    std::fs::write(&spool, bytes).unwrap();

    let mut s = sink(dir.path(), "100B", "1h");
    let mut feed = Feed::reopen(&mut s, &info, "kill");
    assert_eq!(feed.mark(), 17, "the spooled transactions are durable");
    let hidden_parts = std::fs::read_dir(dir.path().join("Kill"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".part")
        })
        .count();
    assert_eq!(hidden_parts, 1, "only the roll being built");
    feed.write(&mut s, 3);
    feed.close(&mut s);
    s.shutdown().unwrap();
    assert_eq!(rolls(dir.path(), "Kill", 3), [(0, 10), (10, 20)]);
}

#[test]
fn a_transaction_that_cannot_be_decoded_is_refused_and_nothing_is_lost() {
    use hog_core::plugin::abi_stable::std_types::RSlice;
    use hog_core::plugin::BatchRef;
    let dir = tempfile::tempdir().unwrap();
    let info = stream("Bad", 4);
    let mut s = sink(dir.path(), "1GB", "1h");
    let mut feed = Feed::open(&mut s, &info, "bad");
    feed.write(&mut s, 5);
    // Statement id 9 is not declared.
    let data = [9u8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    let ends = [data.len() as u64];
    let batch = BatchRef {
        stream_id: 4,
        first_seq: 5,
        data: RSlice::from_slice(&data),
        start: 0,
        ends: RSlice::from_slice(&ends),
    };
    let e = s.write(batch).unwrap_err().to_string();
    assert!(e.contains("transaction 5: no statement has id 9"), "{e}");
    assert!(s.flush(4).is_err(), "the stream is dropped until reopened");
    let mut feed = Feed::reopen(&mut s, &info, "bad");
    assert_eq!(feed.mark(), 5);
    feed.write(&mut s, 5);
    feed.close(&mut s);
    assert_eq!(rolls(dir.path(), "Bad", 4), [(0, 10)]);
}

#[test]
fn a_stream_with_two_statements_of_one_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut info = stream("Dup", 5);
    let mut twin = info.statements[0].clone();
    twin.id += 1;
    info.statements.push(twin);
    let mut s = sink(dir.path(), "1GB", "1h");
    let e = s.open_stream(&info).unwrap_err().to_string();
    assert!(e.contains("two statements are named 'seq'"), "{e}");
}
