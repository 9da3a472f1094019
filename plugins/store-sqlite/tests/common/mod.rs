//! Values and raw-file access shared by the store's tests.

// Each test file uses its own subset.
#![allow(dead_code)]

use std::path::Path;

use abi_stable::std_types::{RString, RVec};
use hog_core::plugin::{CommitMethod, Qos, SessionInfo, Statement, StreamInfo};
use rusqlite::Connection;

/// A session as a hog at `pid` would record it.
pub fn session(pid: u64) -> SessionInfo {
    SessionInfo {
        pid,
        started_at_ns: 1_700_000_000_000_000_000 + pid,
        version: RString::from("0.1.0"),
        mode: RString::from("local"),
        config: RString::from(r#"{"groups":["g"]}"#),
    }
}

/// A stream of `group`/`region` started at `started_at_ns`, with one
/// statement.
pub fn stream(group: &str, region: &str, started_at_ns: u64) -> StreamInfo {
    StreamInfo {
        id: 0,
        group: RString::from(group),
        pid: 4242,
        tid: 4243,
        region: RString::from(region),
        started_at_ns,
        qos: Qos::Reliable,
        commit: CommitMethod::Manual,
        statements: RVec::from(vec![Statement {
            id: 7,
            name: RString::from("orders"),
            flags: 1,
            format: RString::from("order $0 at $1"),
            file: RString::from("src/orders.cpp"),
            line: 81,
            type_desc: RVec::from(vec![0u8, 1, 2, 255]),
        }]),
    }
}

/// A plain connection to the store's file, to look at or damage it.
pub fn raw(path: &Path) -> Connection {
    Connection::open(path).expect("open the database file directly")
}

/// One integer a query yields.
pub fn int(path: &Path, sql: &str) -> i64 {
    raw(path)
        .query_row(sql, [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
