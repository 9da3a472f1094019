//! The disk sink keeps the sink contract: hog-sink-conformance's checks,
//! reading its fregion files back with hog's reader.

mod common;

use hog_core::plugin::StreamInfo;
use hog_sink_conformance::Subject;
use sink_disk::DiskSink;

struct Disk(tempfile::TempDir);

impl Subject for Disk {
    type Sink = DiskSink;

    fn start(&mut self) -> DiskSink {
        common::sink(self.0.path(), serde_json::json!({}))
    }

    fn stored(&mut self, stream: &StreamInfo, _expected: usize) -> Vec<i64> {
        common::data_files(&self.0.path().join(stream.group.as_str()))
            .iter()
            .flat_map(|file| common::longs(file))
            .collect()
    }

    fn kill(&mut self, sink: DiskSink) {
        // Leaves the files as a SIGKILL does: unfinished, past the last
        // commit whatever the kernel holds.
        sink.abandon();
    }
}

#[test]
fn the_disk_sink_keeps_the_sink_contract() {
    hog_sink_conformance::run(&mut Disk(tempfile::tempdir().unwrap()));
}
