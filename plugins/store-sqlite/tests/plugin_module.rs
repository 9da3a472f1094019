//! The plugin's root module: through the FFI objects the host uses, it
//! builds a working store from JSON options, logs through the host's logger,
//! rejects bad options, and provides no sink.

mod common;

use std::sync::Mutex;

use abi_stable::std_types::{RResult, RSome, RStr, RVec};
use hog_core::plugin::{progress, ErrorKind, LogLevel, Logger, SourceCursor, API_VERSION};
use store_sqlite::SCHEMA_VERSION;

use common::{session, stream};

static LOGGED: Mutex<Vec<(LogLevel, String, String)>> = Mutex::new(Vec::new());

extern "C" fn capture(level: LogLevel, name: RStr<'_>, message: RStr<'_>) {
    LOGGED
        .lock()
        .unwrap()
        .push((level, name.to_string(), message.to_string()));
}

#[test]
fn the_module_builds_a_working_store_from_json_options() {
    let module = store_sqlite::module();
    assert_eq!(module.name().as_str(), "sqlite");
    assert_eq!(module.api_version(), API_VERSION);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hogstat.db");
    let json = serde_json::json!({ "path": path }).to_string();
    let logger = Logger::new(capture, "stat-store");
    let mut store = match (module.new_stat_store())(RStr::from(json.as_str()), logger) {
        RResult::ROk(store) => store,
        RResult::RErr(e) => panic!("{e}"),
    };
    assert_eq!(store.begin_session(&session(1)).unwrap(), 1);
    assert_eq!(store.open_stream(1, &stream("g", "r", 5)).unwrap(), 1);
    let cursor = SourceCursor {
        seq: 2,
        position: 9,
    };
    store
        .record_progress(
            1,
            RVec::from(vec![progress("disk", 2)]).as_rslice(),
            RSome(cursor),
        )
        .unwrap();
    let unfinished = store.unfinished_streams().unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(
        unfinished[0].progress,
        RVec::from(vec![progress("disk", 2)])
    );
    assert_eq!(unfinished[0].cursor, RSome(cursor));

    let logged = LOGGED.lock().unwrap().clone();
    assert_eq!(SCHEMA_VERSION, 3);
    let created = format!("created stat store {} (schema version 3)", path.display());
    assert!(
        logged
            .iter()
            .any(|(level, name, message)| *level == LogLevel::Info
                && name == "stat-store"
                && *message == created),
        "{logged:?}"
    );
}

#[test]
fn the_module_rejects_bad_options_and_provides_no_sink() {
    let module = store_sqlite::module();
    let made = (module.new_stat_store())(
        RStr::from(r#"{"path": "/nonexistent/x.db", "size": 3}"#),
        Logger::discard(),
    );
    match made {
        RResult::ROk(_) => panic!("an unknown option was accepted"),
        RResult::RErr(e) => {
            assert_eq!(e.kind, ErrorKind::Config);
            assert!(e.message.contains("size"), "{}", e.message);
        }
    }
    match (module.new_sink())(RStr::from("{}"), Logger::discard()) {
        RResult::ROk(_) => panic!("the sqlite plugin made a sink"),
        RResult::RErr(e) => assert_eq!(e.kind, ErrorKind::Config),
    }
}
