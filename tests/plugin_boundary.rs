//! Plugins across the ABI boundary: a third-party sink built as a `cdylib`
//! is loaded and receives real batches; incompatible, broken and panicking
//! plugins are refused or fenced off with a clear message.

mod support;

use std::path::{Path, PathBuf};

use hog_core::plugin::StatStore;
use store_sqlite::SqliteStore;
use support::{builtin_plugin_library, hog, plugin_library, run, stderr, write};

const STREAMS: u64 = 3;
const TRANSACTIONS: u64 = 2500;

/// A configuration: generated streams into the given sink tables.
fn config(dir: &Path, sinks: &[&str], tables: &str) -> PathBuf {
    let text = format!(
        "sources = [\"generator\"]\nsinks = {sinks:?}\nstore_dir = \"{}\"\n\
         [generator]\ngroup = \"G\"\nstreams = {STREAMS}\ntransactions = {TRANSACTIONS}\nbatch = 100\n\
         {tables}",
        dir.display()
    );
    write(dir, "hog.toml", &text)
}

fn example_table(dir: &Path) -> String {
    format!(
        "[sink.example]\nplugin = \"{}\"\npath = \"{}\"\n",
        plugin_library("example-sink").display(),
        dir.join("out.jsonl").display()
    )
}

fn faulty_table(panic_in: &str) -> String {
    format!(
        "[sink.faulty]\nplugin = \"{}\"\npanic_in = \"{panic_in}\"\n",
        plugin_library("faulty-plugin").display()
    )
}

/// The (stream, seq, value) of every JSON line the example sink wrote.
fn records(dir: &Path) -> Vec<(u64, u64, i64)> {
    let text = std::fs::read_to_string(dir.join("out.jsonl")).expect("example sink output");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let hex = v["hex"].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            assert_eq!(bytes.len(), 12, "u32 statement id + i64 value");
            assert_eq!(&bytes[..4], &[0, 0, 0, 0], "statement 0");
            assert_eq!(v["group"], "G");
            let value = i64::from_le_bytes(bytes[4..].try_into().unwrap());
            (
                v["stream"].as_u64().unwrap(),
                v["seq"].as_u64().unwrap(),
                value,
            )
        })
        .collect()
}

/// Every stream's records, exactly once and in order.
fn assert_every_record_once_in_order(dir: &Path) {
    let records = records(dir);
    assert_eq!(records.len() as u64, STREAMS * TRANSACTIONS);
    let mut streams: Vec<u64> = records.iter().map(|r| r.0).collect();
    streams.dedup();
    assert_eq!(
        streams.len() as u64,
        STREAMS,
        "streams arrive one after the other"
    );
    for (n, chunk) in records.chunks(TRANSACTIONS as usize).enumerate() {
        for (i, &(_, seq, value)) in chunk.iter().enumerate() {
            assert_eq!(seq, i as u64);
            assert_eq!(value, (n as u64 * 1_000_000 + i as u64) as i64);
        }
    }
}

fn stat_store(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("hogstat.sqlite")).expect("stat store opens")
}

#[test]
fn a_dynamically_loaded_sink_receives_every_batch() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), &["example"], &example_table(dir.path()));
    let out = run(hog().arg("--config").arg(&file));
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("loaded plugin 'example'"), "{log}");
    assert!(
        log.contains(&format!("received {} transactions", STREAMS * TRANSACTIONS)),
        "{log}"
    );
    assert_every_record_once_in_order(dir.path());
    let unfinished = stat_store(dir.path()).unfinished_streams().unwrap();
    assert!(
        unfinished.is_empty(),
        "every stream finished: {unfinished:?}"
    );
}

#[test]
fn a_panicking_sink_is_fenced_and_the_others_get_everything() {
    let dir = tempfile::tempdir().unwrap();
    let tables = example_table(dir.path()) + &faulty_table("write");
    let file = config(dir.path(), &["faulty", "example"], &tables);
    let out = run(hog().arg("--config").arg(&file));
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("the plugin panicked: faulty sink: panic in write"),
        "{log}"
    );
    assert!(log.contains("fenced off"), "{log}");
    assert_every_record_once_in_order(dir.path());

    // The fenced sink's backlog stays recorded: every stream is unfinished
    // for it, and only for it.
    let unfinished = stat_store(dir.path()).unfinished_streams().unwrap();
    assert_eq!(unfinished.len() as u64, STREAMS);
    for stream in unfinished.iter() {
        assert_eq!(stream.end_seq.into_option(), Some(TRANSACTIONS));
        let marks: Vec<(String, u64)> = stream
            .progress
            .iter()
            .map(|p| (p.sink.to_string(), p.durable_end))
            .collect();
        assert!(
            marks.contains(&("example".into(), TRANSACTIONS)),
            "{marks:?}"
        );
        assert!(marks.contains(&("faulty".into(), 0)), "{marks:?}");
    }
}

#[test]
fn a_panic_while_opening_a_stream_fences_the_sink_too() {
    let dir = tempfile::tempdir().unwrap();
    let tables = example_table(dir.path()) + &faulty_table("open");
    let file = config(dir.path(), &["example", "faulty"], &tables);
    let out = run(hog().arg("--config").arg(&file));
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("panic in open_stream"), "{log}");
    assert_every_record_once_in_order(dir.path());
}

#[test]
fn a_panic_in_the_constructor_is_reported_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), &["faulty"], &faulty_table("new"));
    let out = run(hog().arg("--config").arg(&file));
    assert_eq!(out.status.code(), Some(255));
    let log = stderr(&out);
    assert!(
        log.contains("sink 'faulty': plugin panicked: the plugin panicked: faulty sink: panic in constructor"),
        "{log}"
    );
}

#[test]
fn a_plugin_built_for_another_interface_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), &["faulty"], &faulty_table("never"));
    let out = run(hog()
        .arg("--config")
        .arg(&file)
        .env("FAULTY_PLUGIN_API_VERSION", "999"));
    assert_eq!(out.status.code(), Some(255));
    let log = stderr(&out);
    assert!(
        log.contains("built for hog plugin interface version 999"),
        "{log}"
    );
    let speaks = format!("this hog speaks version {}", hog_core::plugin::API_VERSION);
    assert!(log.contains(&speaks), "{log}");
}

#[test]
fn bad_plugin_options_are_refused_by_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let table = format!(
        "[sink.example]\nplugin = \"{}\"\npaht = \"x\"\n",
        plugin_library("example-sink").display()
    );
    let file = config(dir.path(), &["example"], &table);
    let out = run(hog().arg("--config").arg(&file));
    assert_eq!(out.status.code(), Some(255));
    let log = stderr(&out);
    assert!(log.contains("sink 'example': configuration error"), "{log}");
    assert!(log.contains("unknown field `paht`"), "{log}");
}

#[test]
fn missing_and_non_plugin_libraries_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let fake = write(dir.path(), "libfake.so", "not a shared object");
    for library in [dir.path().join("libabsent.so"), fake] {
        let table = format!("[sink.x]\nplugin = \"{}\"\n", library.display());
        let file = config(dir.path(), &["x"], &table);
        let out = run(hog().arg("--config").arg(&file));
        assert_eq!(out.status.code(), Some(255));
        let log = stderr(&out);
        assert!(
            log.contains(&format!("cannot load plugin {}", library.display())),
            "{log}"
        );
    }
}

#[test]
fn plugin_names_resolve_in_the_plugin_directory() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = plugin_library("example-sink")
        .parent()
        .unwrap()
        .to_path_buf();
    let table = format!(
        "[sink.example]\nplugin = \"example_sink\"\npath = \"{}\"\n",
        dir.path().join("out.jsonl").display()
    );
    let file = config(dir.path(), &["example"], &table);
    let out = run(hog()
        .arg("--config")
        .arg(&file)
        .env("HOG_PLUGIN_DIR", &plugin_dir));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_every_record_once_in_order(dir.path());
}

#[test]
fn a_built_in_plugin_also_loads_from_a_library() {
    let dir = tempfile::tempdir().unwrap();
    let store = builtin_plugin_library("store-sqlite");
    let tables = example_table(dir.path())
        + &format!(
            "[stat_store]\nplugin = \"{}\"\npath = \"{}\"\n",
            store.display(),
            dir.path().join("hogstat.sqlite").display()
        );
    let file = config(dir.path(), &["example"], &tables);
    let out = run(hog().arg("--config").arg(&file));
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("stat_store: loaded plugin 'sqlite'"), "{log}");
    assert_every_record_once_in_order(dir.path());
    assert!(stat_store(dir.path())
        .unfinished_streams()
        .unwrap()
        .is_empty());
}
