//! A source that generates streams of sequence-numbered records: the demo's
//! producer and the test source for sinks.
//!
//! Each stream looks like one producer thread of group `group` with an
//! AutoCommit statement `seq` of type `long`; transaction `i` of stream `s`
//! is the record `u32 0` (statement id) followed by `i64 s * 1_000_000 + i`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::plugin::{CommitMethod, Qos, Statement, StreamInfo};

use crate::pipeline::{Batch, PipelineError};

use super::{Source, SourceContext};
use crate::clock::now_ns;

/// Options of the generator source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeneratorConfig {
    /// Group the generated streams claim to belong to.
    pub group: String,
    /// Number of streams, delivered one after the other.
    pub streams: u64,
    /// Transactions per stream.
    pub transactions: u64,
    /// Transactions per batch.
    pub batch: u64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            group: "demo".into(),
            streams: 2,
            transactions: 10_000,
            batch: 1_000,
        }
    }
}

/// The type description of hobbes' `long`.
pub const LONG_TYPE: &[u8] = b"\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00long\x00";

/// The generator source.
pub struct Generator {
    config: GeneratorConfig,
}

impl Generator {
    /// A generator with `config`.
    pub fn new(config: GeneratorConfig) -> Self {
        Self { config }
    }

    /// The value of transaction `seq` of stream number `stream`.
    pub fn value(stream: u64, seq: u64) -> i64 {
        (stream * 1_000_000 + seq) as i64
    }

    fn stream_info(&self, n: u64) -> StreamInfo {
        let pid = u64::from(std::process::id());
        StreamInfo {
            id: 0,
            group: self.config.group.as_str().into(),
            pid,
            tid: n,
            region: format!("/{}.{pid}.{n}", self.config.group).into(),
            started_at_ns: now_ns(),
            qos: Qos::Reliable,
            commit: CommitMethod::Auto,
            statements: vec![Statement {
                id: 0,
                name: "seq".into(),
                flags: 0,
                format: "".into(),
                file: file!().into(),
                line: line!(),
                type_desc: LONG_TYPE.to_vec().into(),
            }]
            .into(),
        }
    }
}

#[async_trait]
impl Source for Generator {
    fn name(&self) -> &str {
        "generator"
    }

    async fn run(self: Box<Self>, context: SourceContext) -> Result<(), PipelineError> {
        let per_batch = self.config.batch.max(1);
        for n in 0..self.config.streams {
            let mut delivery = context
                .fanout
                .open_stream(self.stream_info(n), None)
                .await?;
            let id = delivery.stream().id;
            let mut seq = delivery.durable_end().unwrap_or(0);
            while seq < self.config.transactions {
                if *context.shutdown.borrow() {
                    return Ok(());
                }
                let mut batch = Batch::new(id, seq);
                let end = (seq + per_batch).min(self.config.transactions);
                for i in seq..end {
                    batch.push_with(|buf| {
                        buf.extend_from_slice(&0u32.to_le_bytes());
                        buf.extend_from_slice(&Self::value(n, i).to_le_bytes());
                    });
                }
                delivery.deliver(batch, None).await?;
                seq = end;
            }
            delivery.close(seq).await?;
        }
        Ok(())
    }
}
