//! The jetstream source: reads what jetstream sinks published back into
//! pipeline streams, so that any sink applies (the disk sink writes the
//! files local mode writes).
//!
//! A durable pull consumer per group (or one for all) delivers messages in
//! stream order. Each message names its producer stream in full, which is
//! registered as a v2 receiver registers a stream (region
//! `<origin>:<region>`), so the stat store gives the same stream back after
//! a restart and every sink reports its own mark: a message below the
//! marks is acknowledged without being written again, and a message is
//! acknowledged only once every sink holds it durably. Exactly once into
//! files, whatever is redelivered.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, AckKind};
use async_trait::async_trait;
use futures_util::StreamExt;
use hog_core::pipeline::{stopped, Batch, PipelineError, StreamDelivery};
use hog_core::plugin::UnfinishedStream;
use hog_core::recovery::{Adopted, Tracker};
use hog_core::source::{Source, SourceContext};
use hog_core::types::StatementTable;
use hog_core::wire::v2::hello::plausible_start;

use crate::connection::Connection;
use crate::message::{self, Body, Decoded};
use crate::options::{self, SourceOptions};
use crate::subject;

/// Largest hello accepted in a message.
const MAX_HELLO: u64 = 1 << 20;
/// How long a message that would leave a gap waits before it is offered
/// again.
const GAP_DELAY: Duration = Duration::from_secs(1);
/// How long a gap may last before it is reported (and again every so
/// often).
const GAP_PATIENCE: Duration = Duration::from_secs(60);

/// The jetstream source.
pub struct JetStreamSource {
    connection: Connection,
    options: SourceOptions,
    adopted: HashMap<u64, Tracker>,
}

impl JetStreamSource {
    /// The source from its JSON options (`[source.jetstream]`).
    pub fn from_options(json: &str) -> Result<Self, String> {
        let (connection, options): (Connection, SourceOptions) =
            options::parse(json, "jetstream source")?;
        options
            .check()
            .map_err(|e| format!("jetstream source options: {e}"))?;
        Ok(Self {
            connection,
            options,
            adopted: HashMap::new(),
        })
    }

    /// The consumers to read through: a name and a filter subject each.
    fn consumers(&self) -> Vec<(String, String)> {
        let o = &self.options;
        if o.groups.is_empty() {
            return vec![(o.consumer.clone(), format!("{}.>", o.subject_prefix))];
        }
        o.groups
            .iter()
            .map(|g| {
                (
                    format!(
                        "{}-{}",
                        o.consumer,
                        subject::group_token(g).replace('%', "_")
                    ),
                    subject::of_group(&o.subject_prefix, g),
                )
            })
            .collect()
    }

    fn serves(&self, group: &str) -> bool {
        self.options.groups.is_empty() || self.options.groups.iter().any(|g| g == group)
    }
}

fn fail(message: impl std::fmt::Display) -> PipelineError {
    PipelineError::Source {
        source_name: "jetstream".into(),
        message: message.to_string(),
    }
}

#[async_trait]
impl Source for JetStreamSource {
    fn name(&self) -> &str {
        "jetstream"
    }

    /// Streams received from other hogs (`origin:region`) of its groups:
    /// they end when their end message arrives.
    fn owns(&self, stream: &UnfinishedStream) -> bool {
        let region = stream.stream.region.as_str();
        region.contains(':') && !region.contains('#') && self.serves(&stream.stream.group)
    }

    fn adopt(&mut self, streams: Vec<Adopted>) {
        for a in streams {
            a.tracker.bytes_left(0);
            self.adopted.insert(a.stream.stream.id, a.tracker);
        }
    }

    async fn run(self: Box<Self>, context: SourceContext) -> Result<(), PipelineError> {
        let client = self
            .connection
            .connect("hog jetstream source")
            .await
            .map_err(fail)?;
        let js = jetstream::new(client);
        let mut shutdown = context.shutdown.clone();
        let name = &self.options.stream;
        let mut waiting: Option<Instant> = None;
        let stream = loop {
            match js.get_stream(name).await {
                Ok(stream) => break stream,
                Err(e) => {
                    if waiting.is_none_or(|t| t.elapsed() > Duration::from_secs(30)) {
                        tracing::warn!("jetstream source: waiting for stream '{name}': {e}");
                        waiting = Some(Instant::now());
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        _ = stopped(&mut shutdown) => return Ok(()),
                    }
                }
            }
        };
        let trackers = std::sync::Arc::new(std::sync::Mutex::new(self.adopted.clone()));
        let readers: Vec<_> = self
            .consumers()
            .into_iter()
            .map(|(consumer, filter)| {
                let reader = Reader {
                    stream: stream.clone(),
                    consumer,
                    filter,
                    options: self.options.clone(),
                    context: context.clone(),
                    open: HashMap::new(),
                    trackers: std::sync::Arc::clone(&trackers),
                    reported: None,
                };
                tokio::spawn(reader.run())
            })
            .collect();
        let mut result = Ok(());
        for reader in readers {
            let outcome = reader.await.unwrap_or_else(|e| Err(fail(e)));
            if result.is_ok() {
                result = outcome;
            }
        }
        result
    }
}

/// A stream's identity on the reading side: group, region, start.
type StreamKey = (String, String, u64);

/// A producer stream being read.
struct Reading {
    delivery: StreamDelivery,
    table: StatementTable,
    mark: u64,
    /// Since when its next message is missing.
    gap_since: Option<Instant>,
}

/// One durable consumer's reader.
struct Reader {
    stream: jetstream::stream::Stream,
    consumer: String,
    filter: String,
    options: SourceOptions,
    context: SourceContext,
    open: HashMap<StreamKey, Reading>,
    trackers: std::sync::Arc<std::sync::Mutex<HashMap<u64, Tracker>>>,
    /// When a gap was last reported.
    reported: Option<Instant>,
}

/// What to answer the server about a message.
enum Answer {
    /// Held by every sink (or before their marks): done.
    Ack,
    /// Cannot be taken yet: offer it again later.
    Later,
    /// Not a hog message, or a broken one: never again.
    Term,
}

impl Reader {
    async fn run(mut self) -> Result<(), PipelineError> {
        let mut shutdown = self.context.shutdown.clone();
        let config = pull::Config {
            durable_name: Some(self.consumer.clone()),
            filter_subject: self.filter.clone(),
            ack_policy: AckPolicy::Explicit,
            ack_wait: self.options.ack_wait.0,
            max_deliver: -1,
            ..Default::default()
        };
        loop {
            let consumer = match self
                .stream
                .get_or_create_consumer(&self.consumer, config.clone())
                .await
            {
                Ok(consumer) => consumer,
                Err(e) => {
                    tracing::warn!(consumer = %self.consumer, "jetstream source: consumer: {e}; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        _ = stopped(&mut shutdown) => return Ok(()),
                    }
                }
            };
            tracing::info!(
                "jetstream source: reading '{}' through consumer '{}'",
                self.filter,
                self.consumer
            );
            let mut messages = match consumer.messages().await {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(consumer = %self.consumer, "jetstream source: {e}; retrying");
                    continue;
                }
            };
            loop {
                let next = tokio::select! {
                    next = messages.next() => next,
                    _ = stopped(&mut shutdown) => return Ok(()),
                };
                match next {
                    Some(Ok(msg)) => {
                        let answer = self.take(&msg).await?;
                        let kind = match answer {
                            Answer::Ack => AckKind::Ack,
                            Answer::Later => AckKind::Nak(Some(GAP_DELAY)),
                            Answer::Term => AckKind::Term,
                        };
                        if let Err(e) = msg.double_ack_with(kind).await {
                            tracing::debug!("jetstream source: acknowledgement lost ({e}); the message comes again and is skipped");
                        }
                    }
                    Some(Err(e)) => {
                        tracing::debug!(consumer = %self.consumer, "jetstream source: {e}");
                    }
                    None => break,
                }
            }
        }
    }

    /// Delivers one message's transactions; says what to answer.
    async fn take(&mut self, msg: &jetstream::Message) -> Result<Answer, PipelineError> {
        let seq = msg.info().map(|i| i.stream_sequence).unwrap_or(0);
        let decoded = match message::decode(&msg.payload, MAX_HELLO) {
            Ok(d) => d,
            Err(e) => return Ok(refused(seq, &msg.subject, e)),
        };
        if let Err(why) = plausible_start(decoded.hello.started_at_ns, hog_core::clock::now_ns()) {
            return Ok(refused(
                seq,
                &msg.subject,
                format!("the stream's start time is {why} by this hog's clock"),
            ));
        }
        let Decoded { hello, body } = decoded;
        let key = (
            hello.group.clone(),
            hello.receiver_region(),
            hello.started_at_ns,
        );
        if !self.open.contains_key(&key) {
            let table = match StatementTable::new(&hello.init.statements) {
                Ok(t) => t,
                Err(e) => return Ok(refused(seq, &msg.subject, e)),
            };
            let fanout = &self.context.fanout;
            let delivery = fanout.open_stream(hello.stream_info(), None).await?;
            let mark = delivery.durable_end().ok_or(PipelineError::NoSinks {
                stream_id: delivery.stream().id,
            })?;
            tracing::info!(
                stream = delivery.stream().id,
                "jetstream source: reading group '{}' from {} (resuming at transaction {mark})",
                hello.group,
                hello.receiver_region()
            );
            let reading = Reading {
                delivery,
                table,
                mark,
                gap_since: None,
            };
            self.open.insert(key.clone(), reading);
        }
        let reading = self.open.get_mut(&key).expect("just opened");
        let (first, end) = match &body {
            Body::Segment(seg) => (seg.first_seq, seg.end_seq()),
            Body::End(end) => (*end, *end),
        };
        if first > reading.mark {
            // Earlier messages come again once their acknowledgement is
            // overdue (after a restart of this hog); a gap that lasts
            // means they are gone.
            let since = *reading.gap_since.get_or_insert_with(Instant::now);
            if since.elapsed() > GAP_PATIENCE
                && self.reported.is_none_or(|t| t.elapsed() > GAP_PATIENCE)
            {
                tracing::error!(
                    stream = reading.delivery.stream().id,
                    "jetstream source: message {seq} on {} continues at transaction {first}, but the sinks hold up to {} and the messages between have not come for {:.0}s (removed by the JetStream stream's limits?); holding the stream",
                    msg.subject,
                    reading.mark,
                    since.elapsed().as_secs_f64()
                );
                self.reported = Some(Instant::now());
            }
            return Ok(Answer::Later);
        }
        reading.gap_since = None;
        match body {
            Body::Segment(_) if end <= reading.mark => {}
            Body::Segment(seg) => {
                let payload = match seg.open(self.options.max_segment.0) {
                    Ok(p) => p,
                    Err(e) => return Ok(refused(seq, &msg.subject, e)),
                };
                let id = reading.delivery.stream().id;
                let batch = match Batch::checked(id, seg.first_seq, &payload, &reading.table) {
                    Ok(b) => b,
                    Err(e) => return Ok(refused(seq, &msg.subject, e)),
                };
                reading.mark = reading.delivery.deliver(batch, None).await?;
            }
            Body::End(end) if end < reading.mark => {
                let why = format!(
                    "the stream cannot end at {end}: the sinks hold up to {}",
                    reading.mark
                );
                return Ok(refused(seq, &msg.subject, why));
            }
            Body::End(end) => {
                let reading = self.open.remove(&key).expect("open");
                let id = reading.delivery.stream().id;
                reading.delivery.close(end).await?;
                let mut trackers = self.trackers.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(t) = trackers.remove(&id) {
                    t.finished();
                }
                tracing::info!(
                    stream = id,
                    "jetstream source: stream ended after {end} transactions"
                );
            }
        }
        Ok(Answer::Ack)
    }
}

/// Logs a message that is not hog's or is broken, which is never offered
/// again.
fn refused(seq: u64, subject: &str, why: impl std::fmt::Display) -> Answer {
    tracing::error!(
        "jetstream source: message {seq} on {subject} is not a valid hog message: {why}; terminated (the server will not deliver it again)"
    );
    Answer::Term
}
