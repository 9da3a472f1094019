//! The tcp sink: one spool per stream, one sender per stream and
//! destination, a cutter thread that cuts segments on time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hog_core::paths;
use hog_core::plugin::{BatchRef, Counter, Logger, PluginError, Sink, SinkStats, StreamInfo};

use hog_core::wire::v2::Codec;

use crate::link::{self, Live};
use crate::net::Net;
use crate::options::{Options, WhenFull};
use crate::sender::Sender;
use crate::spool::{Compression, Spool};

struct Stream {
    spool: Arc<Spool>,
    senders: Vec<(JoinHandle<()>, Live)>,
}

type Streams = Arc<Mutex<HashMap<u64, Stream>>>;

/// The tcp sink.
pub struct TcpSink {
    options: Arc<Options>,
    net: Net,
    logger: Logger,
    streams: Streams,
    stop: Arc<AtomicBool>,
    cutter: Option<JoinHandle<()>>,
    stats: SinkStats,
    dropped: u64,
    full_reported: bool,
}

impl TcpSink {
    /// Creates the sink from its JSON options and resumes the spools a
    /// previous run left.
    pub fn from_options(json: &str, logger: Logger) -> Result<TcpSink, PluginError> {
        let options = Arc::new(Options::from_json(json)?);
        let net = Net::prepare(&options)?;
        if options.token_file.is_some() && options.tls.is_none() {
            logger.warn(
                "tcp sink: token_file without tls: the token crosses the network in plaintext",
            );
        }
        let streams: Streams = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let mut sink = TcpSink {
            options: Arc::clone(&options),
            net,
            logger: logger.clone(),
            streams: Arc::clone(&streams),
            stop: Arc::clone(&stop),
            cutter: None,
            stats: SinkStats::default(),
            dropped: 0,
            full_reported: false,
        };
        sink.resume_spools()?;
        sink.cutter = Some(std::thread::spawn(move || {
            cut_on_time(&options, &streams, &stop, &logger)
        }));
        Ok(sink)
    }

    fn index_dir(&self) -> Option<PathBuf> {
        self.options
            .state_dir
            .as_ref()
            .map(|d| Path::new(d).join("hog-tcp-spools"))
    }

    /// Restarts the senders of every spool listed in the state directory.
    fn resume_spools(&mut self) -> Result<(), PluginError> {
        let Some(index) = self.index_dir() else {
            return Ok(());
        };
        let Ok(entries) = std::fs::read_dir(&index) else {
            return Ok(());
        };
        // Oldest stream first, so that each resumes after its predecessors.
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| {
            e.file_name()
                .to_string_lossy()
                .parse::<u64>()
                .unwrap_or(u64::MAX)
        });
        for entry in entries {
            let dir = PathBuf::from(
                std::fs::read_to_string(entry.path())
                    .unwrap_or_default()
                    .trim(),
            );
            let stream = std::fs::read(dir.join("stream.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<StreamInfo>(&b).ok());
            match stream {
                Some(stream) => {
                    self.logger.info(&format!(
                        "resuming the spool of stream {} (group {}) in {}",
                        stream.id,
                        stream.group,
                        dir.display()
                    ));
                    self.report_dropped_destinations(&dir);
                    self.start(&stream, &dir)?;
                }
                None => {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }

    /// Says loudly which destinations a resumed spool was shipping to that
    /// are no longer configured: they will not get the rest.
    fn report_dropped_destinations(&self, dir: &Path) {
        let configured: Vec<String> = self
            .options
            .destinations
            .iter()
            .map(|d| crate::spool::acked_name(d))
            .collect();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("acked-") && !configured.contains(&name) {
                self.logger.warn(&format!(
                    "{}: destination {} is no longer configured; what it had not acknowledged will not be sent to it",
                    dir.display(),
                    &name["acked-".len()..]
                ));
            }
        }
    }

    fn spool_dir(&self, stream: &StreamInfo) -> PathBuf {
        let prefix =
            paths::instantiate_at_ns(&self.options.dir, &stream.group, stream.started_at_ns);
        let mut dir = prefix.into_os_string();
        dir.push(".spool");
        PathBuf::from(dir).join(format!("stream-{}", stream.id))
    }

    fn start(&mut self, stream: &StreamInfo, dir: &Path) -> Result<u64, PluginError> {
        let options = &self.options;
        let compression = Compression {
            codec: if options.any_v2() {
                Codec::ZstdRows
            } else {
                Codec::Gzip
            },
            gzip_level: options.compression,
            zstd_level: options.zstd_level,
            hobbes_peers: self.net.hobbes_peers.clone(),
        };
        let spool = Arc::new(Spool::open(
            dir,
            stream,
            &options.destinations,
            compression,
            options.fsync,
        )?);
        if let Some(index) = self.index_dir() {
            let _ = std::fs::create_dir_all(&index);
            let _ = std::fs::write(index.join(stream.id.to_string()), dir.display().to_string());
        }
        let after: Vec<Arc<Spool>> = self
            .streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|s| s.spool.group == spool.group && s.spool.lock().closed)
            .map(|s| Arc::clone(&s.spool))
            .collect();
        let senders = self
            .net
            .destinations
            .iter()
            .map(|dest| {
                let live: Live = Arc::default();
                let sender = Sender {
                    spool: Arc::clone(&spool),
                    dest: Arc::clone(dest),
                    origin: self.net.origin.clone(),
                    options: Arc::clone(options),
                    logger: self.logger.clone(),
                    live: Arc::clone(&live),
                    after: after.clone(),
                };
                (std::thread::spawn(move || sender.run()), live)
            })
            .collect();
        let mark = spool.lock().durable_end();
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(stream.id, Stream { spool, senders });
        Ok(mark)
    }

    fn spool(&self, stream_id: u64) -> Result<Arc<Spool>, PluginError> {
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&stream_id)
            .map(|s| Arc::clone(&s.spool))
            .ok_or_else(|| PluginError::state(format!("stream {stream_id} is not open")))
    }

    /// Per destination (in the configured order), spooled segments it has
    /// not acknowledged.
    fn segments_waiting(&self) -> Vec<u64> {
        let streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        let mut waiting = vec![0; self.net.destinations.len()];
        for s in streams.values() {
            let state = s.spool.lock();
            for (w, d) in waiting.iter_mut().zip(&self.net.destinations) {
                *w += state.waiting_for(&d.address);
            }
        }
        waiting
    }

    fn spooled_bytes(&self) -> u64 {
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|s| s.spool.lock().bytes())
            .sum()
    }

    /// Applies the spool limit before accepting more.
    fn make_room(&mut self, spool: &Spool) -> Result<(), PluginError> {
        let limit = self.options.spool_limit.0;
        while self.spooled_bytes() > limit {
            match self.options.when_full {
                WhenFull::Block => {
                    if !self.full_reported {
                        self.logger.error(&format!(
                            "spool is full ({} bytes, limit {limit}): holding the producers back until a destination catches up",
                            self.spooled_bytes()
                        ));
                        self.full_reported = true;
                    }
                    if self.stop.load(Ordering::Acquire) {
                        return Err(PluginError::io("the sink is shutting down"));
                    }
                    let state = spool.lock();
                    drop(spool.wait(state, Duration::from_millis(100)));
                }
                WhenFull::DropOldest => match spool.drop_oldest() {
                    Some(seg) => {
                        self.dropped += seg.count;
                        self.logger.error(&format!(
                            "spool is full (limit {limit}): DROPPED {} transactions ({}..{}) of group {} never sent; {} dropped so far",
                            seg.count,
                            seg.first_seq,
                            seg.first_seq + seg.count,
                            spool.group,
                            self.dropped
                        ));
                    }
                    None => break,
                },
            }
        }
        if self.full_reported && self.spooled_bytes() <= limit {
            self.logger.info("spool has room again");
            self.full_reported = false;
        }
        Ok(())
    }
}

impl Sink for TcpSink {
    fn open_stream(&mut self, stream: &StreamInfo) -> Result<u64, PluginError> {
        if let Ok(spool) = self.spool(stream.id) {
            return Ok(spool.lock().durable_end());
        }
        let dir = self.spool_dir(stream);
        let mark = self.start(stream, &dir)?;
        self.stats.open_streams += 1;
        Ok(mark)
    }

    fn write(&mut self, batch: BatchRef<'_>) -> Result<u64, PluginError> {
        let spool = self.spool(batch.stream_id)?;
        self.make_room(&spool)?;
        let mark = spool.append(batch)?;
        self.stats.transactions += batch.len() as u64;
        self.stats.bytes += batch.data.len() as u64;
        let size = self.options.batch_size.0;
        spool.cut_if(|bytes, _| bytes >= size)?;
        Ok(mark)
    }

    fn flush(&mut self, stream_id: u64) -> Result<u64, PluginError> {
        Ok(self.spool(stream_id)?.lock().durable_end())
    }

    fn close_stream(&mut self, stream_id: u64) -> Result<(), PluginError> {
        self.spool(stream_id)?.close()?;
        self.stats.open_streams = self.stats.open_streams.saturating_sub(1);
        Ok(())
    }

    fn stats(&self) -> SinkStats {
        let mut stats = self.stats.clone();
        let counter = |name: &str, value| Counter {
            name: name.into(),
            value,
        };
        let mut extra = vec![
            counter("spooled_bytes", self.spooled_bytes()),
            counter("dropped_transactions_total", self.dropped),
        ];
        let waiting = self.segments_waiting();
        for (dest, waiting) in self.net.destinations.iter().zip(waiting) {
            let c = &dest.counts;
            let labelled = |name: &str| format!("{name}{{destination=\"{}\"}}", dest.address);
            let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
            extra.extend([
                counter(&labelled("destination_segments_waiting"), waiting),
                counter(&labelled("destination_acks_total"), load(&c.acked)),
                counter(&labelled("destination_resends_total"), load(&c.resent)),
                counter(&labelled("destination_failures_total"), load(&c.failures)),
                counter(&labelled("destination_up"), load(&c.up)),
            ]);
        }
        stats.extra = extra.into();
        stats
    }

    fn shutdown(&mut self) -> Result<(), PluginError> {
        self.stop.store(true, Ordering::Release);
        let streams: Vec<Stream> = self
            .streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, s)| s)
            .collect();
        for stream in &streams {
            stream.spool.lock().stopping = true;
            stream.spool.notify();
            for (_, live) in &stream.senders {
                link::interrupt(live);
            }
        }
        for stream in streams {
            for (handle, _) in stream.senders {
                let _ = handle.join();
            }
        }
        if let Some(cutter) = self.cutter.take() {
            let _ = cutter.join();
        }
        Ok(())
    }
}

impl Drop for TcpSink {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Cuts segments whose age reached `batch_time`, and retires the spools of
/// closed streams that every destination has received.
fn cut_on_time(options: &Options, streams: &Streams, stop: &AtomicBool, logger: &Logger) {
    let tick =
        (options.batch_time.0 / 4).clamp(Duration::from_millis(5), Duration::from_millis(250));
    let index = options
        .state_dir
        .as_ref()
        .map(|d| Path::new(d).join("hog-tcp-spools"));
    // A cut that keeps failing (a full disk) is logged when it starts and
    // every 30 s, not at every tick; its data stays in open.seg meanwhile.
    let mut failing: HashMap<u64, Instant> = HashMap::new();
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(tick);
        let mut streams = streams.lock().unwrap_or_else(PoisonError::into_inner);
        let mut retired = Vec::new();
        for (id, stream) in streams.iter() {
            let time = options.batch_time.0;
            match stream.spool.cut_if(|_, age| age >= time) {
                Ok(_) => {
                    if failing.remove(id).is_some() {
                        logger.info(&format!(
                            "{}: segments are cut again",
                            stream.spool.dir().display()
                        ));
                    }
                }
                Err(e) => {
                    let due = failing
                        .get(id)
                        .is_none_or(|t| t.elapsed() >= Duration::from_secs(30));
                    if due {
                        logger.error(&format!("{e}; the transactions stay in open.seg, retrying"));
                        failing.insert(*id, Instant::now());
                    }
                }
            }
            let drained = stream.spool.lock().drained();
            if drained && stream.senders.iter().all(|(h, _)| h.is_finished()) {
                retired.push(*id);
            }
        }
        for id in retired {
            if let Some(stream) = streams.remove(&id) {
                let _ = std::fs::remove_dir_all(stream.spool.dir());
                if let Some(index) = &index {
                    let _ = std::fs::remove_file(index.join(id.to_string()));
                }
            }
        }
    }
}
