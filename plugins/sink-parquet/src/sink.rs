//! The sink: per stream, a spool of what arrived since the last roll and
//! the roll being built.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use hog_core::plugin::{BatchRef, Logger, PluginError, Sink, SinkStats, StreamInfo};
use hog_core::types::Type;

use hog_export::table::plain_name;

use crate::options::Settings;
use crate::roll::{is_part_of, Published, Roll, Statement};
use crate::spool::Spool;

/// The parquet sink.
pub struct ParquetSink {
    settings: Settings,
    logger: Logger,
    streams: HashMap<u64, Stream>,
    stats: SinkStats,
}

/// An open stream.
struct Stream {
    id: u64,
    dir: PathBuf,
    statements: HashMap<u32, Statement>,
    spool: Spool,
    roll: Roll,
}

impl Stream {
    /// Everything accepted (spooled) so far: the mark.
    fn mark(&self) -> u64 {
        self.roll.end()
    }

    /// Publishes the roll if it holds a transaction, empties the spool and
    /// starts the next roll.
    fn publish(&mut self) -> Result<(), PluginError> {
        if self.roll.transactions() == 0 {
            return Ok(());
        }
        let next = Roll::start(&self.dir, self.id, self.roll.end(), self.roll.records())
            .map_err(|e| PluginError::io(format!("{}: {e}", self.dir.display())))?;
        let roll = std::mem::replace(&mut self.roll, next);
        roll.publish(&self.dir, self.id).map_err(PluginError::io)?;
        self.spool
            .clear()
            .map_err(|e| PluginError::io(format!("{}: {e}", self.spool.path().display())))
    }
}

impl ParquetSink {
    /// Creates the sink from its JSON options (see [`crate::Options`]).
    pub fn from_options(options: &str, logger: Logger) -> Result<Self, PluginError> {
        let settings = Settings::from_json(options)?;
        std::fs::create_dir_all(&settings.dir).map_err(|e| {
            PluginError::io(format!("cannot create {}: {e}", settings.dir.display()))
        })?;
        logger.info(&format!(
            "writing Parquet files under {}",
            settings.dir.display()
        ));
        Ok(ParquetSink {
            settings,
            logger,
            streams: HashMap::new(),
            stats: SinkStats::default(),
        })
    }

    fn stream(&mut self, id: u64) -> Result<&mut Stream, PluginError> {
        self.streams
            .get_mut(&id)
            .ok_or_else(|| PluginError::state(format!("parquet sink: stream {id} is not open")))
    }

    /// `result`; on an error the stream is dropped, since its roll may no
    /// longer match its spool: reopening it rebuilds the roll from the
    /// spool.
    fn or_drop<T>(&mut self, id: u64, result: Result<T, PluginError>) -> Result<T, PluginError> {
        if result.is_err() {
            self.streams.remove(&id);
            self.stats.open_streams = self.streams.len() as u64;
        }
        result
    }

    /// Opens `info`: finds its published rolls, drops unfinished ones, and
    /// rebuilds the current roll from the spool.
    fn open(&self, info: &StreamInfo) -> Result<Stream, String> {
        let group = info.group.as_str();
        let dir = self.settings.dir.join(plain(group)?);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let io = |e: std::io::Error| format!("{}: {e}", dir.display());
        let mut statements = HashMap::new();
        for s in info.statements.iter() {
            let ty =
                Type::decode(&s.type_desc).map_err(|e| format!("statement '{}': {e}", s.name))?;
            let statement =
                Statement::new(&s.name, ty).map_err(|e| format!("statement '{}': {e}", s.name))?;
            if statements
                .values()
                .any(|t: &Statement| t.name == statement.name)
            {
                return Err(format!("two statements are named '{}'", s.name));
            }
            statements.insert(s.id, statement);
        }
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            if is_part_of(&entry.file_name().to_string_lossy(), info.id) {
                std::fs::remove_dir_all(entry.path()).map_err(io)?;
            }
        }
        let last = Published::all(&dir, info.id).map_err(io)?.pop();
        let (end, records) = last.map_or((0, 0), |p| (p.end, p.records));
        let mut roll = Roll::start(&dir, info.id, end, records).map_err(io)?;
        let path = dir.join(format!(".{:020}.spool", info.id));
        // Entries below the last roll's end were published before a kill
        // let the spool be emptied.
        let spool = Spool::open(&path, |e| {
            if e.seq < end {
                return Ok(());
            }
            roll.add(e.seq, e.time, &e.bytes, &statements)
                .map_err(|e| format!("{}: {e}", path.display()))
        })?;
        Ok(Stream {
            id: info.id,
            dir,
            statements,
            spool,
            roll,
        })
    }
}

/// `name` if it can name a directory (letters, digits, `_`, `-`, `.`, not
/// starting with `.`).
fn plain(name: &str) -> Result<&Path, String> {
    plain_name(name)
        .then(|| Path::new(name))
        .ok_or_else(|| format!("group '{name}' cannot be used as a directory name"))
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

impl Sink for ParquetSink {
    fn open_stream(&mut self, info: &StreamInfo) -> Result<u64, PluginError> {
        let stream = self
            .open(info)
            .map_err(|e| PluginError::io(format!("parquet sink: {e}")))?;
        let mark = stream.mark();
        self.streams.insert(info.id, stream);
        self.stats.open_streams = self.streams.len() as u64;
        Ok(mark)
    }

    fn write(&mut self, batch: BatchRef<'_>) -> Result<u64, PluginError> {
        let (roll_size, roll_age) = (self.settings.roll_size, self.settings.roll_age);
        let stream = self.stream(batch.stream_id)?;
        let time = now_us();
        let mut accepted = Vec::new();
        let mut done = Ok(());
        for (seq, bytes) in batch.after(stream.mark(), "parquet sink")? {
            done = stream
                .roll
                .add(seq, time, bytes, &stream.statements)
                .map_err(|e| PluginError::other(format!("parquet sink: {e}")));
            if done.is_err() {
                break;
            }
            accepted.push((seq, time, bytes));
        }
        let (n, size) = (
            accepted.len() as u64,
            accepted.iter().map(|a| a.2.len() as u64).sum::<u64>(),
        );
        let done = done
            .and_then(|()| {
                stream
                    .spool
                    .append(accepted)
                    .map_err(|e| PluginError::io(format!("{}: {e}", stream.spool.path().display())))
            })
            .and_then(|()| {
                let full =
                    stream.roll.bytes >= roll_size || stream.roll.started.elapsed() >= roll_age;
                if full {
                    stream.publish()
                } else {
                    Ok(())
                }
            })
            .map(|()| stream.mark());
        let mark = self.or_drop(batch.stream_id, done)?;
        self.stats.transactions += n;
        self.stats.bytes += size;
        Ok(mark)
    }

    fn flush(&mut self, stream_id: u64) -> Result<u64, PluginError> {
        let stream = self.stream(stream_id)?;
        stream
            .spool
            .sync()
            .map_err(|e| PluginError::io(format!("{}: {e}", stream.spool.path().display())))?;
        Ok(stream.mark())
    }

    fn close_stream(&mut self, stream_id: u64) -> Result<(), PluginError> {
        let published = self.stream(stream_id)?.publish();
        self.or_drop(stream_id, published)?;
        self.streams.remove(&stream_id);
        self.stats.open_streams = self.streams.len() as u64;
        Ok(())
    }

    fn stats(&self) -> SinkStats {
        self.stats.clone()
    }

    fn shutdown(&mut self) -> Result<(), PluginError> {
        let ids: Vec<u64> = self.streams.keys().copied().collect();
        for id in ids {
            let published = self.stream(id)?.publish();
            self.or_drop(id, published)?;
        }
        self.logger.info(&format!(
            "published {} transactions as Parquet under {}",
            self.stats.transactions,
            self.settings.dir.display()
        ));
        Ok(())
    }
}
