//! Streams and batches as hog's pipeline hands them to a sink, with every
//! answer checked against the contract.

use hog_plugin_api::abi_stable::std_types::RSlice;
use hog_plugin_api::{BatchRef, CommitMethod, PluginError, Qos, Sink, Statement, StreamInfo};

/// The hobbes type description of `long`: a primitive (tag 0) named by a
/// length-prefixed string, with no representation type.
const LONG: &[u8] = b"\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00long\x00";

/// A stream of group `group` with id `id`: one statement, `seq`, of type
/// `long`; its producer's pid and tid are `id` too.
pub fn stream(group: &str, id: u64) -> StreamInfo {
    StreamInfo {
        id,
        group: group.into(),
        pid: id,
        tid: id,
        region: format!("/{group}.{id}.{id}").into(),
        started_at_ns: 1_700_000_000_000_000_000 + id,
        qos: Qos::Reliable,
        commit: CommitMethod::Auto,
        statements: vec![Statement {
            id: 0,
            name: "seq".into(),
            flags: 0,
            format: "".into(),
            file: "conformance.rs".into(),
            line: 1,
            type_desc: LONG.to_vec().into(),
        }]
        .into(),
    }
}

/// One stream as the host feeds it: the next sequence number to write and
/// the sink's last reported mark, checked on every answer.
pub struct Feed {
    stream_id: u64,
    check: &'static str,
    end: u64,
    mark: u64,
}

impl Feed {
    /// Opens `stream`, new to the sink: its mark must be 0.
    pub fn open(sink: &mut impl Sink, stream: &StreamInfo, check: &'static str) -> Feed {
        let feed = Feed::reopen(sink, stream, check);
        assert_eq!(feed.mark, 0, "{check}: a stream never seen opens at mark 0");
        feed
    }

    /// Opens `stream`, which the sink may have seen before; writing goes
    /// on from the mark it reports, as the host's does.
    pub fn reopen(sink: &mut impl Sink, stream: &StreamInfo, check: &'static str) -> Feed {
        let mark = sink
            .open_stream(stream)
            .unwrap_or_else(|e| panic!("{check}: open_stream of {}: {e}", stream.group));
        Feed {
            stream_id: stream.id,
            check,
            end: mark,
            mark,
        }
    }

    /// A stream that was never opened (for refusals).
    pub fn unopened(stream_id: u64) -> Feed {
        Feed {
            stream_id,
            check: "unopened",
            end: 0,
            mark: 0,
        }
    }

    /// The sink's last reported mark.
    pub fn mark(&self) -> u64 {
        self.mark
    }

    /// One past the last transaction written.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Writes the next `count` transactions in one batch, checking the
    /// mark the sink answers.
    pub fn write(&mut self, sink: &mut impl Sink, count: usize) {
        let check = self.check;
        let end = self.end + count as u64;
        let mark = self
            .try_write(sink, self.end, count)
            .unwrap_or_else(|e| panic!("{check}: write of {}..{end}: {e}", self.end));
        assert!(
            mark <= end,
            "{check}: write of {}..{end} answered mark {mark}, past the batch",
            self.end
        );
        self.advance(mark, "write");
        self.end = end;
    }

    /// Writes transactions `first..first + count` in one batch; the sink's
    /// answer, unchecked.
    pub fn try_write(
        &self,
        sink: &mut impl Sink,
        first: u64,
        count: usize,
    ) -> Result<u64, PluginError> {
        let mut data = Vec::with_capacity(count * 12);
        let mut ends = Vec::with_capacity(count);
        for seq in first..first + count as u64 {
            data.extend_from_slice(&0u32.to_le_bytes());
            data.extend_from_slice(&(seq as i64).to_le_bytes());
            ends.push(data.len() as u64);
        }
        sink.write(BatchRef {
            stream_id: self.stream_id,
            first_seq: first,
            data: RSlice::from_slice(&data),
            start: 0,
            ends: RSlice::from_slice(&ends),
        })
    }

    /// Flushes the stream, checking the mark.
    pub fn flush(&mut self, sink: &mut impl Sink) {
        let check = self.check;
        let mark = sink
            .flush(self.stream_id)
            .unwrap_or_else(|e| panic!("{check}: flush: {e}"));
        assert!(
            mark <= self.end,
            "{check}: flush answered mark {mark}, past the {} transactions written",
            self.end
        );
        self.advance(mark, "flush");
    }

    /// Closes the stream.
    pub fn close(&mut self, sink: &mut impl Sink) {
        let check = self.check;
        sink.close_stream(self.stream_id)
            .unwrap_or_else(|e| panic!("{check}: close_stream: {e}"));
    }

    fn advance(&mut self, mark: u64, call: &str) {
        assert!(
            mark >= self.mark,
            "{}: {call} answered mark {mark}, below the earlier mark {}",
            self.check,
            self.mark
        );
        self.mark = mark;
    }
}
