//! An example sink written the way a third party would write one: it depends
//! on `hog-plugin-api` alone, is built as a `cdylib`, and hog loads it from its
//! plugin directory.
//!
//! It appends one JSON line per transaction to a file
//! (`{"stream":1,"group":"demo","seq":0,"size":12,"hex":"..."}`) and counts
//! what it received. Its durable mark is the file itself: on open it finds the
//! highest sequence already written for the stream, so a replay after a crash
//! is skipped. Each batch is one `write` of whole lines; a line cut short by a
//! kill is dropped when the file is reopened.
//!
//! Options (JSON from hog's configuration): `{"path": "out.jsonl"}`.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::PathBuf;

use hog_plugin_api::{BatchRef, Logger, PluginError, Sink, SinkStats, StreamInfo};
use serde::Deserialize;

hog_plugin_api::plugin_module! { name: "example", sink: JsonLinesSink::from_options }
hog_plugin_api::export_plugin!(module);

/// Options of the example sink.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The JSON-lines file to append to.
    pub path: PathBuf,
}

/// The example sink: appends JSON lines to one file.
pub struct JsonLinesSink {
    file: File,
    path: PathBuf,
    logger: Logger,
    streams: HashMap<u64, OpenStream>,
    stats: SinkStats,
}

impl JsonLinesSink {
    /// Creates the sink from its JSON options.
    pub fn from_options(options: &str, logger: Logger) -> Result<Self, PluginError> {
        let options: Options = serde_json::from_str(options)
            .map_err(|e| PluginError::config(format!("example sink options: {e}")))?;
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&options.path)
            .map_err(|e| PluginError::io(format!("cannot open {}: {e}", options.path.display())))?;
        let mut sink = Self {
            file,
            path: options.path,
            logger,
            streams: HashMap::new(),
            stats: SinkStats::default(),
        };
        sink.drop_torn_line()?;
        sink.logger
            .info(&format!("writing JSON lines to {}", sink.path.display()));
        Ok(sink)
    }

    /// Truncates an unterminated last line left by a killed hog.
    fn drop_torn_line(&mut self) -> Result<(), PluginError> {
        let mut whole = 0u64;
        let mut reader = BufReader::new(&self.file);
        reader.seek(SeekFrom::Start(0))?;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            whole += n as u64;
        }
        if whole < self.file.metadata()?.len() {
            self.logger.warn(&format!(
                "dropping a torn last line of {}",
                self.path.display()
            ));
            self.file.set_len(whole)?;
        }
        Ok(())
    }

    /// The next sequence to write for `stream_id`: one past the highest in
    /// the file.
    fn mark_in_file(&self, stream_id: u64) -> Result<u64, PluginError> {
        let mut reader = BufReader::new(&self.file);
        reader.seek(SeekFrom::Start(0))?;
        let mut mark = 0;
        for line in reader.lines() {
            let record: Line = serde_json::from_str(&line?)
                .map_err(|e| PluginError::io(format!("{}: {e}", self.path.display())))?;
            if record.stream == stream_id {
                mark = mark.max(record.seq + 1);
            }
        }
        Ok(mark)
    }
}

struct OpenStream {
    group: String,
    mark: u64,
}

#[derive(Deserialize)]
struct Line {
    stream: u64,
    seq: u64,
}

impl Sink for JsonLinesSink {
    fn open_stream(&mut self, stream: &StreamInfo) -> Result<u64, PluginError> {
        let mark = self.mark_in_file(stream.id)?;
        let group = stream.group.to_string();
        self.streams.insert(stream.id, OpenStream { group, mark });
        self.stats.open_streams = self.streams.len() as u64;
        Ok(mark)
    }

    fn write(&mut self, batch: BatchRef<'_>) -> Result<u64, PluginError> {
        let open = self
            .streams
            .get_mut(&batch.stream_id)
            .ok_or_else(|| PluginError::state(format!("stream {} is not open", batch.stream_id)))?;
        let mut out = String::new();
        for (seq, bytes) in batch.after(open.mark, self.path.display())? {
            let line = serde_json::json!({
                "stream": batch.stream_id,
                "group": open.group,
                "seq": seq,
                "size": bytes.len(),
                "hex": hex(bytes),
            });
            out.push_str(&line.to_string());
            out.push('\n');
            self.stats.transactions += 1;
            self.stats.bytes += bytes.len() as u64;
        }
        self.file.write_all(out.as_bytes())?;
        open.mark = open.mark.max(batch.end_seq());
        Ok(open.mark)
    }

    fn flush(&mut self, stream_id: u64) -> Result<u64, PluginError> {
        // Every write is already in the file (durable against a kill of hog).
        self.streams
            .get(&stream_id)
            .map(|open| open.mark)
            .ok_or_else(|| PluginError::state(format!("stream {stream_id} is not open")))
    }

    fn close_stream(&mut self, stream_id: u64) -> Result<(), PluginError> {
        self.streams.remove(&stream_id);
        self.stats.open_streams = self.streams.len() as u64;
        Ok(())
    }

    fn stats(&self) -> SinkStats {
        self.stats.clone()
    }

    fn shutdown(&mut self) -> Result<(), PluginError> {
        self.file.sync_all()?;
        self.logger.info(&format!(
            "wrote {} transactions to {}",
            self.stats.transactions,
            self.path.display()
        ));
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
