//! The tcp sink keeps the sink contract: hog-sink-conformance's checks,
//! with a real receiving hog (`hog -s PORT -d …`) on loopback writing what
//! arrives to fregion files, read back with hog's reader. (The disk and
//! example sinks run the same checks in their own crates.)

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "support/shipping.rs"]
mod shipping;

use hog_core::plugin::{Logger, Sink, StreamInfo};
use hog_sink_conformance::Subject;
use sink_tcp::TcpSink;
use support::{free_port, Hog};

/// A tcp sink shipping over v2 to a receiving hog in `dir/recv`.
struct Tcp {
    dir: tempfile::TempDir,
    port: u16,
    _receiver: Hog,
}

impl Tcp {
    fn new() -> Tcp {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let receiver = shipping::batchrecv(&dir.path().join("recv"), port, "");
        Tcp {
            dir,
            port,
            _receiver: receiver,
        }
    }

    fn send_dir(&self) -> PathBuf {
        self.dir.path().join("send")
    }

    fn received(&self, group: &str) -> Vec<i64> {
        shipping::files(&self.dir.path().join("recv").join(group))
            .into_iter()
            .flatten()
            .collect()
    }
}

impl Subject for Tcp {
    type Sink = TcpSink;

    fn start(&mut self) -> TcpSink {
        let send = self.send_dir();
        let options = serde_json::json!({
            "dir": format!("{}/$GROUP/spool", send.display()),
            "state_dir": send.join("state"),
            "batch_time": "20ms",
            "batch_size": "64KB",
            "destinations": [format!("127.0.0.1:{}", self.port)],
            "protocol": "v2",
            "max_backoff": "200ms",
        });
        TcpSink::from_options(&options.to_string(), Logger::discard()).expect("the sink starts")
    }

    /// What the receiver wrote once `expected` values arrived (or 30 s
    /// passed), and a moment more for any duplicate to show. A shut-down
    /// sink sends nothing: a sink started here ships what its spools still
    /// hold, as a restarted hog's does.
    fn stored(&mut self, stream: &StreamInfo, expected: usize) -> Vec<i64> {
        let mut sink = self.start();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.received(&stream.group).len() < expected && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        sink.shutdown().expect("shutdown");
        self.received(&stream.group)
    }
}

#[test]
fn the_tcp_sink_keeps_the_sink_contract() {
    hog_sink_conformance::run(&mut Tcp::new());
}
