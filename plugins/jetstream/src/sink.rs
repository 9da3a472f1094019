//! The jetstream sink: publishes each stream's transactions to its own
//! subject, exactly once.
//!
//! The sink's durable mark for a stream is the last message on the
//! stream's subject: what JetStream acknowledged, replicated as the stream
//! is, and read back when the stream is opened again after a kill of hog.
//! Every publish is conditional on that message
//! (`Nats-Expected-Last-Subject-Sequence`), so a publish that timed out and
//! landed after all, or any other writer, can never make a message land
//! twice or out of place: the publish is refused, the sink reads the last
//! message again and goes on after it. `Nats-Msg-Id` lets the server drop
//! a resent duplicate within its window as well.

use std::collections::HashMap;

use async_nats::jetstream::{self, message::PublishMessage, stream};
use hog_core::plugin::{BatchRef, Counter, Logger, PluginError, Sink, SinkStats, StreamInfo};
use hog_core::wire::legacy::{each_transaction, push_transaction};
use hog_core::wire::v2::hello::default_origin;
use hog_core::wire::v2::{Hello, SegmentFrame};
use tokio::runtime::Runtime;

use crate::connection::Connection;
use crate::message::{self, Body};
use crate::options::{self, Discard, SinkOptions, Storage};
use crate::subject;

/// Room left in a message for its headers.
const HEADER_ROOM: usize = 1024;
/// The fewest uncompressed bytes per message the sink aims for.
const MIN_CHUNK: usize = 64 << 10;

/// The jetstream sink.
pub struct JetStreamSink {
    runtime: Background,
    client: async_nats::Client,
    context: jetstream::Context,
    options: SinkOptions,
    origin: String,
    stream: Option<stream::Stream>,
    open: HashMap<u64, OpenStream>,
    /// Uncompressed bytes per message: `segment_bytes`, less while
    /// messages compress too little to fit the server's `max_payload`.
    chunk: usize,
    logger: Logger,
    stats: SinkStats,
    counters: Counters,
}

/// One producer stream being published.
struct OpenStream {
    subject: String,
    token: String,
    hello: Hello,
    /// The encoded hello every message starts with.
    hello_bytes: Vec<u8>,
    /// Transactions `0..mark` are in JetStream.
    mark: u64,
    /// The stream sequence of the last message on the subject (0: none).
    last: u64,
    /// A publish failed: what JetStream holds must be read again.
    stale: bool,
}

#[derive(Default)]
struct Counters {
    messages: u64,
    wire_bytes: u64,
    rereads: u64,
}

impl JetStreamSink {
    /// Creates the sink from its JSON options; it connects in the
    /// background.
    pub fn from_options(json: &str, logger: Logger) -> Result<Self, PluginError> {
        let (connection, options): (Connection, SinkOptions) =
            options::parse(json, "jetstream sink").map_err(PluginError::config)?;
        options
            .check()
            .map_err(|e| PluginError::config(format!("jetstream sink options: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("hog-jetstream")
            .enable_all()
            .build()
            .map_err(|e| PluginError::other(format!("jetstream sink: {e}")))?;
        // Made on a thread of its own: the host may create sinks from
        // inside its own runtime, where blocking on another is refused.
        let client = std::thread::scope(|s| {
            s.spawn(|| runtime.block_on(connection.connect("hog jetstream sink")))
                .join()
        })
        .map_err(|_| PluginError::other("jetstream sink: connecting panicked"))?
        .map_err(|e| PluginError::config(format!("jetstream sink: {e}")))?;
        // The context's tasks run on the sink's runtime.
        let entered = runtime.enter();
        let context = jetstream::ContextBuilder::new()
            .timeout(options.timeout.0)
            .build(client.clone());
        drop(entered);
        logger.info(&format!(
            "publishing to JetStream stream '{}' on {} under '{}.<group>.<stream>'",
            options.stream,
            connection.servers.join(", "),
            options.subject_prefix
        ));
        let mut sink = Self {
            runtime: Background(Some(runtime)),
            client,
            context,
            origin: options.origin.clone().unwrap_or_else(default_origin),
            chunk: options.segment_bytes.0 as usize,
            options,
            stream: None,
            open: HashMap::new(),
            logger,
            stats: SinkStats::default(),
            counters: Counters::default(),
        };
        // The stream exists from the start when the cluster can be reached,
        // for readers waiting for it; otherwise the first stream makes it.
        if sink.client.connection_state() == async_nats::connection::State::Connected {
            let _ = std::thread::scope(|s| s.spawn(|| sink.stream()).join());
        }
        Ok(sink)
    }

    /// The JetStream stream, created as configured if it does not exist.
    fn stream(&mut self) -> Result<stream::Stream, PluginError> {
        if let Some(s) = &self.stream {
            return Ok(s.clone());
        }
        let o = &self.options;
        let config = stream::Config {
            name: o.stream.clone(),
            subjects: vec![format!("{}.>", o.subject_prefix)],
            num_replicas: o.replicas,
            storage: match o.storage {
                Storage::File => stream::StorageType::File,
                Storage::Memory => stream::StorageType::Memory,
            },
            max_bytes: o.max_bytes.map_or(-1, |s| s.0 as i64),
            max_age: o.max_age.map(|s| s.0).unwrap_or_default(),
            discard: match o.discard {
                Discard::New => stream::DiscardPolicy::New,
                Discard::Old => stream::DiscardPolicy::Old,
            },
            duplicate_window: o.duplicate_window.0,
            ..Default::default()
        };
        let stream = self
            .runtime
            .block_on(self.context.get_or_create_stream(config))
            .map_err(|e| {
                PluginError::io(format!(
                    "jetstream sink: stream '{}': {e}",
                    self.options.stream
                ))
            })?;
        let info = stream.cached_info();
        self.logger.info(&format!(
            "JetStream stream '{}': subjects {:?}, {} replica(s), {} messages",
            info.config.name, info.config.subjects, info.config.num_replicas, info.state.messages
        ));
        self.stream = Some(stream.clone());
        Ok(stream)
    }

    /// Reads the last message on the stream's subject: the sink's mark.
    fn reread(&mut self, id: u64) -> Result<(), PluginError> {
        let stream = self.stream()?;
        let open = self.open.get_mut(&id).ok_or_else(|| not_open(id))?;
        let last = self
            .runtime
            .block_on(stream.get_last_raw_message_by_subject(&open.subject));
        let (mark, seq) = match last {
            Ok(m) => {
                let decoded = message::decode(&m.payload, u64::MAX).map_err(|e| {
                    PluginError::state(format!(
                        "jetstream sink: message {} on {} is not hog's: {e}",
                        m.sequence, open.subject
                    ))
                })?;
                if !same_stream(&decoded.hello, &open.hello) {
                    return Err(PluginError::state(format!(
                        "jetstream sink: {} holds messages of another stream ({}:{} started at {})",
                        open.subject,
                        decoded.hello.origin,
                        decoded.hello.region,
                        decoded.hello.started_at_ns
                    )));
                }
                (decoded.body.end_seq(), m.sequence)
            }
            Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => (0, 0),
            Err(e) => {
                return Err(PluginError::io(format!(
                    "jetstream sink: reading the last message of {}: {e}",
                    open.subject
                )))
            }
        };
        open.mark = mark;
        open.last = seq;
        open.stale = false;
        self.counters.rereads += 1;
        Ok(())
    }

    /// The open stream `id`, what JetStream holds of it read again if a
    /// publish failed since.
    fn current(&mut self, id: u64) -> Result<&OpenStream, PluginError> {
        if self.open.get(&id).ok_or_else(|| not_open(id))?.stale {
            self.reread(id)?;
        }
        Ok(&self.open[&id])
    }

    /// Publishes `raw` (transactions `first..first + count`) as one message,
    /// or as several if it does not fit the server's `max_payload`.
    fn publish(&mut self, id: u64, raw: &[u8], first: u64, count: u64) -> Result<(), PluginError> {
        let open = self.open.get(&id).ok_or_else(|| not_open(id))?;
        let codec = self.options.codec.codec();
        let compressed = codec.compress(raw, self.options.zstd_level);
        let seg = SegmentFrame::new(first, count, codec, &compressed);
        let out = message::encode(
            &open.hello_bytes,
            &open.hello.group,
            &open.token,
            &Body::Segment(seg),
        );
        let max_payload = self.client.server_info().max_payload;
        if max_payload == 0 {
            return Err(PluginError::io(
                "jetstream sink: not connected to a NATS server (yet)",
            ));
        }
        let room = max_payload.saturating_sub(HEADER_ROOM);
        if out.payload.len() > room {
            if count < 2 {
                return Err(PluginError::state(format!(
                    "jetstream sink: transaction {first} of {} compresses to {} bytes, more than the server's max_payload allows ({room} with headers)",
                    open.subject,
                    out.payload.len()
                )));
            }
            self.chunk = (self.chunk / 2).max(MIN_CHUNK);
            let (head, tail) = halves(raw, count / 2)?;
            self.publish(id, &head, first, count / 2)?;
            return self.publish(id, &tail, first + count / 2, count - count / 2);
        }
        let small = out.payload.len() < room / 4;
        self.send(id, out, first + count)?;
        if small && raw.len() >= self.chunk {
            self.chunk = (self.chunk * 2).min(self.options.segment_bytes.0 as usize);
        }
        self.stats.transactions += count;
        // Each transaction is behind its u64 length.
        self.stats.bytes += (raw.len() as u64).saturating_sub(8 * count);
        Ok(())
    }

    /// Publishes `out`, conditional on the subject's last message; on
    /// success the stream's mark is `end`.
    fn send(&mut self, id: u64, out: message::Outgoing, end: u64) -> Result<(), PluginError> {
        let open = self.open.get_mut(&id).ok_or_else(|| not_open(id))?;
        let wire = out.payload.len() as u64;
        let publish = PublishMessage::build()
            .payload(out.payload.into())
            .headers(out.headers)
            .message_id(out.id)
            .expected_last_subject_sequence(open.last);
        let context = &self.context;
        let subject = open.subject.clone();
        let acked = self.runtime.block_on(async {
            context
                .send_publish(subject, publish)
                .await
                .map_err(|e| e.to_string())?
                .await
                .map_err(|e| e.to_string())
        });
        match acked {
            Ok(ack) => {
                open.last = ack.sequence;
                open.mark = end;
                // A duplicate was stored before; what follows it is read
                // again before the next publish.
                open.stale = ack.duplicate;
                self.counters.messages += 1;
                self.counters.wire_bytes += wire;
                Ok(())
            }
            Err(e) => {
                open.stale = true;
                Err(PluginError::io(format!(
                    "jetstream sink: publishing to {}: {e}",
                    open.subject
                )))
            }
        }
    }
}

impl Sink for JetStreamSink {
    fn open_stream(&mut self, stream: &StreamInfo) -> Result<u64, PluginError> {
        let hello = Hello::of_stream(stream, &self.origin);
        let open = OpenStream {
            subject: subject::of_stream(&self.options.subject_prefix, &hello),
            token: subject::stream_token(&hello),
            hello_bytes: hello.encode(),
            hello,
            mark: 0,
            last: 0,
            stale: true,
        };
        self.open.insert(stream.id, open);
        self.stats.open_streams = self.open.len() as u64;
        self.reread(stream.id)?;
        Ok(self.open[&stream.id].mark)
    }

    fn write(&mut self, batch: BatchRef<'_>) -> Result<u64, PluginError> {
        let id = batch.stream_id;
        let open = self.current(id)?;
        let (subject, mark) = (open.subject.clone(), open.mark);
        let limit = self.chunk;
        let mut raw = Vec::new();
        let (mut first, mut count) = (mark, 0);
        for (seq, txn) in batch.after(mark, &subject)? {
            if count == 0 {
                first = seq;
            }
            push_transaction(&mut raw, txn);
            count += 1;
            if raw.len() >= limit {
                self.publish(id, &raw, first, count)?;
                raw.clear();
                count = 0;
            }
        }
        if count > 0 {
            self.publish(id, &raw, first, count)?;
        }
        Ok(self.open[&id].mark)
    }

    fn flush(&mut self, stream_id: u64) -> Result<u64, PluginError> {
        Ok(self.current(stream_id)?.mark)
    }

    fn close_stream(&mut self, stream_id: u64) -> Result<(), PluginError> {
        let open = self.current(stream_id)?;
        if open.last != 0 {
            let end = open.mark;
            let out = message::encode(
                &open.hello_bytes,
                &open.hello.group,
                &open.token,
                &Body::End(end),
            );
            self.send(stream_id, out, end)?;
        }
        self.open.remove(&stream_id);
        self.stats.open_streams = self.open.len() as u64;
        Ok(())
    }

    fn stats(&self) -> SinkStats {
        let mut stats = self.stats.clone();
        let c = &self.counters;
        stats.extra = [
            ("messages", c.messages),
            ("wire_bytes", c.wire_bytes),
            ("rereads", c.rereads),
        ]
        .into_iter()
        .map(|(name, value)| Counter {
            name: name.into(),
            value,
        })
        .collect::<Vec<_>>()
        .into();
        stats
    }

    fn shutdown(&mut self) -> Result<(), PluginError> {
        self.runtime
            .block_on(self.client.flush())
            .map_err(|e| PluginError::io(format!("jetstream sink: {e}")))?;
        self.logger.info(&format!(
            "published {} transactions in {} messages ({} bytes)",
            self.stats.transactions, self.counters.messages, self.counters.wire_bytes
        ));
        Ok(())
    }
}

/// The sink's own runtime, shut down without waiting when the sink is
/// dropped: that may happen inside the host's runtime, where waiting for
/// threads is refused.
struct Background(Option<Runtime>);

impl std::ops::Deref for Background {
    type Target = Runtime;
    fn deref(&self) -> &Runtime {
        self.0.as_ref().expect("present until dropped")
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Whether two hellos name the same stream.
fn same_stream(a: &Hello, b: &Hello) -> bool {
    (&a.group, &a.origin, &a.region, a.started_at_ns)
        == (&b.group, &b.origin, &b.region, b.started_at_ns)
}

/// The first `n` transactions of `raw` and the rest, each as a payload.
fn halves(raw: &[u8], n: u64) -> Result<(Vec<u8>, Vec<u8>), PluginError> {
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    for (i, txn) in each_transaction(raw).enumerate() {
        let txn = txn.map_err(|e| PluginError::other(e.to_string()))?;
        let half = if (i as u64) < n { &mut head } else { &mut tail };
        push_transaction(half, txn);
    }
    Ok((head, tail))
}

fn not_open(id: u64) -> PluginError {
    PluginError::state(format!("jetstream sink: stream {id} is not open"))
}
