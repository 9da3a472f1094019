//! Where files go: the `dir` template with `$GROUP` and `$DATE`, one file
//! per stream numbered from 0, consolidation of equally-typed streams (in
//! one hog and across hogs, into files the C++ hog wrote too), rotation,
//! and the options the sink refuses.

mod common;

use std::path::PathBuf;

use common::{data_files, golden, long_stream, long_txns, longs, read, sink, testdata, write};
use hog_core::plugin::{CommitMethod, Logger, Sink};
use serde_json::json;
use sink_disk::{DiskSink, Options};

#[test]
fn the_template_names_one_file_per_stream_under_group_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let template = format!("{}/$GROUP/$DATE/data", dir.path().display());
    let mut s = sink(dir.path(), json!({ "dir": template }));
    let a = long_stream("G", 1, 100, CommitMethod::Auto);
    let b = long_stream("G", 2, 200, CommitMethod::Auto);
    for st in [&a, &b] {
        s.open_stream(st).unwrap();
        write(&mut s, st, 0, &long_txns(0, 2, 1));
    }
    let date = sink_disk::instantiate("$DATE", "G", a.started_at_ns);
    let base = dir.path().join("G").join(&date);
    assert_eq!(s.file_of(1).unwrap(), base.join("data-0.log"));
    assert_eq!(s.file_of(2).unwrap(), base.join("data-1.log"));
    s.shutdown().unwrap();
    let d = date.to_string_lossy().into_owned();
    assert!(
        d.len() == 10 && d.as_bytes()[4] == b'.' && d.as_bytes()[7] == b'.',
        "YYYY.MM.DD: {d}"
    );
    assert_eq!(data_files(dir.path()).len(), 2);
    let leftovers: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left");
    // A closed file is trimmed to its page table.
    let len = std::fs::metadata(base.join("data-0.log")).unwrap().len();
    let r = read(&base.join("data-0.log"));
    assert_eq!(len, r.page_table().len() * r.page_table().page_size);
}

#[test]
fn consolidation_shares_a_file_only_between_equally_typed_streams() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sink(dir.path(), json!({"consolidate": true}));
    let a = long_stream("G", 1, 100, CommitMethod::Auto);
    let b = long_stream("G", 2, 200, CommitMethod::Auto);
    let m = long_stream("G", 3, 300, CommitMethod::Manual);
    for st in [&a, &b, &m] {
        s.open_stream(st).unwrap();
    }
    write(&mut s, &a, 0, &long_txns(0, 2, 1));
    write(&mut s, &b, 0, &long_txns(10, 12, 1));
    write(&mut s, &a, 2, &long_txns(2, 3, 1));
    write(&mut s, &m, 0, &long_txns(20, 21, 1));
    assert_eq!(s.file_of(1), s.file_of(2));
    assert_ne!(s.file_of(1), s.file_of(3));
    let shared = s.file_of(1).unwrap().to_path_buf();
    s.shutdown().unwrap();
    assert_eq!(longs(&shared), [0, 1, 10, 11, 2]);

    // A later hog appends new equally-typed streams to the matching file.
    let mut s = sink(dir.path(), json!({"consolidate": true}));
    let c = long_stream("G", 4, 400, CommitMethod::Auto);
    assert_eq!(s.open_stream(&c).unwrap(), 0);
    assert_eq!(s.file_of(4).unwrap(), shared);
    write(&mut s, &c, 0, &long_txns(30, 31, 1));
    s.shutdown().unwrap();
    assert_eq!(longs(&shared), [0, 1, 10, 11, 2, 30]);
    assert_eq!(data_files(dir.path()).len(), 2);
}

#[test]
fn consolidation_appends_to_a_file_the_cpp_hog_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("VecAuto");
    std::fs::create_dir_all(&g).unwrap();
    let target = g.join("data-0.log");
    std::fs::copy(
        testdata().join("fregion/local_default_VecAuto.log"),
        &target,
    )
    .unwrap();
    let mut perms = std::fs::metadata(&target).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&target, perms).unwrap();

    let (info, txns) = common::golden_stream("auto_reliable_alltypes", 1, 500);
    let mut s = sink(dir.path(), json!({"consolidate": true}));
    assert_eq!(s.open_stream(&info).unwrap(), 0);
    assert_eq!(s.file_of(1).unwrap(), target);
    write(&mut s, &info, 0, &txns);
    s.shutdown().unwrap();

    let want = golden("fregion/local_default_VecAuto.json");
    let r = read(&target);
    for (name, w) in want["series"].as_object().unwrap() {
        let mut twice = w["values"].as_array().unwrap().clone();
        twice.extend(twice.clone());
        assert_eq!(common::values(&r, name), twice, "{name}");
    }
    assert_eq!(
        common::values(&r, "log").len(),
        2 * want["log"]["entries"].as_array().unwrap().len()
    );
}

#[test]
fn rotation_by_size_starts_new_files_and_a_restart_continues_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let options = json!({"rotate_size": "200KB"});
    let stream = long_stream("G", 1, 100, CommitMethod::Auto);
    let mut s = sink(dir.path(), options.clone());
    s.open_stream(&stream).unwrap();
    let mut next = 0;
    for _ in 0..8 {
        next = write(
            &mut s,
            &stream,
            next,
            &long_txns(next as i64, next as i64 + 5_000, 1),
        );
    }
    let last = s.file_of(1).unwrap().to_path_buf();
    s.abandon();
    let files = data_files(dir.path());
    assert!(files.len() >= 3, "rotated: {files:?}");
    assert_eq!(files.last().unwrap(), &last);

    let mut s = sink(dir.path(), options);
    assert_eq!(s.open_stream(&stream).unwrap(), 40_000);
    assert_eq!(s.file_of(1).unwrap(), last);
    write(&mut s, &stream, 40_000, &long_txns(40_000, 40_010, 1));
    s.shutdown().unwrap();
    let all: Vec<i64> = data_files(dir.path())
        .iter()
        .flat_map(|f| longs(f))
        .collect();
    assert_eq!(all, (0..40_010).collect::<Vec<_>>());
}

#[test]
fn rotation_by_time_starts_a_new_file_once_one_is_old_enough() {
    let dir = tempfile::tempdir().unwrap();
    let stream = long_stream("G", 1, 100, CommitMethod::Manual);
    let mut s = sink(dir.path(), json!({"rotate_time": "50ms"}));
    s.open_stream(&stream).unwrap();
    write(&mut s, &stream, 0, &long_txns(0, 1, 1));
    std::thread::sleep(std::time::Duration::from_millis(60));
    write(&mut s, &stream, 1, &long_txns(1, 2, 1));
    write(&mut s, &stream, 2, &long_txns(2, 3, 1));
    s.shutdown().unwrap();
    let files = data_files(dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(longs(&files[0]), [0]);
    assert_eq!(longs(&files[1]), [1, 2]);
}

#[test]
fn bad_options_and_group_names_are_refused_with_a_reason() {
    let make = |json: &str| DiskSink::from_options(json, Logger::discard()).map(|_| ());
    assert!(make(r#"{"compress": true}"#).is_ok());
    let e = make(r#"{"bogus": 1}"#).unwrap_err();
    assert!(e.message.contains("unknown field"), "{e}");
    let e = make(r#"{"rotate_size": "lots"}"#).unwrap_err();
    assert!(e.message.contains("rotate_size"), "{e}");
    let e = make(r#"{"dir": "/tmp/x/"}"#).unwrap_err();
    assert!(e.message.contains("prefix"), "{e}");
    assert_eq!(Options::default().dir, "./$GROUP/$DATE/data");

    let dir = tempfile::tempdir().unwrap();
    let mut s = sink(dir.path(), json!({}));
    let e = s
        .open_stream(&long_stream("../x", 1, 1, CommitMethod::Auto))
        .unwrap_err();
    assert!(e.message.contains("cannot name a directory"), "{e}");
    let _: PathBuf = dir.path().to_path_buf();
}
