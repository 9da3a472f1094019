//! The example sink keeps the sink contract: hog-sink-conformance's checks,
//! reading the JSON-lines file back as a consumer would.

use example_sink::JsonLinesSink;
use hog_plugin_api::{Logger, StreamInfo};
use hog_sink_conformance::Subject;

struct JsonLines(tempfile::TempDir);

impl JsonLines {
    fn path(&self) -> std::path::PathBuf {
        self.0.path().join("out.jsonl")
    }
}

impl Subject for JsonLines {
    type Sink = JsonLinesSink;

    fn start(&mut self) -> JsonLinesSink {
        let options = serde_json::json!({ "path": self.path() }).to_string();
        JsonLinesSink::from_options(&options, Logger::discard()).expect("the sink starts")
    }

    fn stored(&mut self, stream: &StreamInfo, _expected: usize) -> Vec<i64> {
        let text = std::fs::read_to_string(self.path()).unwrap_or_default();
        text.lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
            .filter(|line| line["stream"] == stream.id)
            .map(|line| {
                // A transaction: a u32 statement id, then the i64 value.
                let hex = line["hex"].as_str().expect("hex");
                let byte = |i: usize| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
                i64::from_le_bytes(std::array::from_fn(|i| byte(4 + i)))
            })
            .collect()
    }
}

#[test]
fn the_example_sink_keeps_the_sink_contract() {
    hog_sink_conformance::run(&mut JsonLines(tempfile::tempdir().unwrap()));
}
