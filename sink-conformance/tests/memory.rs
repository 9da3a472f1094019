//! The in-memory sink keeps the contract it stands in for.

use hog_plugin_api::StreamInfo;
use hog_sink_conformance::{MemorySink, Subject};

struct Memory(MemorySink);

impl Subject for Memory {
    type Sink = MemorySink;

    fn start(&mut self) -> MemorySink {
        self.0.restarted()
    }

    fn stored(&mut self, stream: &StreamInfo, _expected: usize) -> Vec<i64> {
        self.0
            .stored(stream.id)
            .iter()
            .map(|t| i64::from_le_bytes(t[4..12].try_into().unwrap()))
            .collect()
    }
}

#[test]
fn the_memory_sink_keeps_the_sink_contract() {
    hog_sink_conformance::run(&mut Memory(MemorySink::new()));
}
