//! The disk sink: streams to files, marks to the host.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hog_core::plugin::{BatchRef, Counter, Logger, PluginError, Sink, SinkStats, StreamInfo};

use crate::error::FileError;
use crate::file::{self, LogFile, Schema};
use crate::naming::{self, instantiate, stream_key};
use crate::options::{Options, Settings};
use hog_core::clock::now_ns;
use hog_core::fregion::Writer;

/// A stream being written.
struct Open {
    file: usize,
    key: String,
    mark: u64,
}

/// Writes streams into hobbes fregion files.
pub struct DiskSink {
    settings: Settings,
    logger: Logger,
    started_ns: u64,
    page_size: u64,
    files: Vec<Option<LogFile>>,
    streams: HashMap<u64, Open>,
    transactions: u64,
    bytes: u64,
    files_created: u64,
    files_reopened: u64,
    rotations: u64,
}

impl DiskSink {
    /// The constructor the plugin module exports: options as JSON.
    pub fn from_options(json: &str, logger: Logger) -> Result<Self, PluginError> {
        Self::new(Options::from_json(json)?, logger)
    }

    /// A sink with `options`.
    pub fn new(options: Options, logger: Logger) -> Result<Self, PluginError> {
        Ok(Self {
            settings: options.settings()?,
            logger,
            started_ns: now_ns(),
            page_size: {
                let sizes = Writer::PAGE_SIZES;
                hog_core::hstore::page_size().clamp(*sizes.start(), *sizes.end())
            },
            files: Vec::new(),
            streams: HashMap::new(),
            transactions: 0,
            bytes: 0,
            files_created: 0,
            files_reopened: 0,
            rotations: 0,
        })
    }

    /// Drops the sink as a kill of hog would: nothing more is committed,
    /// no file is trimmed or closed cleanly (for crash tests).
    pub fn abandon(mut self) {
        self.streams.clear();
        self.files.clear();
    }

    /// The file stream `stream_id` is written into.
    pub fn file_of(&self, stream_id: u64) -> Option<&Path> {
        let open = self.streams.get(&stream_id)?;
        self.files[open.file].as_ref().map(LogFile::path)
    }

    fn place(&mut self, file: LogFile) -> usize {
        match self.files.iter().position(Option::is_none) {
            Some(i) => {
                self.files[i] = Some(file);
                i
            }
            None => {
                self.files.push(Some(file));
                self.files.len() - 1
            }
        }
    }

    fn open_files(&self) -> impl Iterator<Item = (usize, &LogFile)> {
        self.files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().map(|f| (i, f)))
    }

    /// The file holding `key` among the files of `prefix` written before
    /// this sink started: the one with the highest mark (a rotation leaves
    /// older files behind), an unfinished one before a closed one.
    fn find_resumed(&self, prefix: &Path, key: &str) -> Option<(PathBuf, u64)> {
        let mut best: Option<(u64, bool, u64, PathBuf)> = None;
        for (n, path) in naming::existing(prefix) {
            match file::find_mark(&path, key) {
                Ok(Some((mark, clean))) => {
                    let rank = (mark, !clean, n);
                    if best.as_ref().is_none_or(|b| (b.0, b.1, b.2) < rank) {
                        best = Some((mark, !clean, n, path));
                    }
                }
                Ok(None) => {}
                Err(e) => self.logger.warn(&format!(
                    "skipping {} while looking for a stream: {e}",
                    path.display()
                )),
            }
        }
        best.map(|(mark, _, _, path)| (path, mark))
    }

    fn open_file(
        &mut self,
        path: &Path,
        prefix: &Path,
        schema: Schema,
    ) -> Result<usize, FileError> {
        if let Some((i, _)) = self.open_files().find(|(_, f)| f.path() == path) {
            return Ok(i);
        }
        let f = LogFile::open(path, prefix, schema)?;
        self.files_reopened += 1;
        self.logger
            .info(&format!("appending to {}", f.path().display()));
        Ok(self.place(f))
    }

    fn create_file(
        &mut self,
        prefix: &Path,
        schema: Schema,
        key: &str,
    ) -> Result<usize, PluginError> {
        let f = LogFile::create(
            prefix,
            schema,
            self.page_size,
            vec![(key.to_string(), 0)],
            Vec::new(),
        )
        .map_err(|e| PluginError::io(format!("creating a file for {}: {e}", prefix.display())))?;
        self.files_created += 1;
        self.logger.info(&format!(
            "finished preparing statements, writing data to '{}'",
            f.path().display()
        ));
        Ok(self.place(f))
    }

    /// Starts a new file for everything file `i` holds, and closes `i`.
    fn rotate(&mut self, i: usize) -> Result<(), PluginError> {
        let old = self.files[i].take().expect("an open file");
        let (open, closed) = old.marks();
        let prefix = old.prefix.clone();
        let next = LogFile::create(&prefix, old.schema.clone(), self.page_size, open, closed);
        let next = match next {
            Ok(f) => f,
            Err(e) => {
                self.files[i] = Some(old);
                return Err(PluginError::io(format!(
                    "rotating {}: {e}",
                    prefix.display()
                )));
            }
        };
        let path = old
            .finish(self.settings.fsync)
            .map_err(|e| PluginError::io(format!("closing a rotated file: {e}")))?;
        self.logger.info(&format!(
            "rotated {} to {}",
            path.display(),
            next.path().display()
        ));
        self.rotations += 1;
        self.files_created += 1;
        self.files[i] = Some(next);
        Ok(())
    }

    fn due_for_rotation(&self, f: &LogFile) -> bool {
        self.settings.rotate_size.is_some_and(|n| f.len() >= n)
            || self
                .settings
                .rotate_time
                .is_some_and(|t| f.created.elapsed() >= t)
    }
}

impl Sink for DiskSink {
    fn open_stream(&mut self, stream: &StreamInfo) -> Result<u64, PluginError> {
        if let Some(open) = self.streams.get(&stream.id) {
            return Ok(open.mark);
        }
        naming::check_group(&stream.group).map_err(|e| PluginError::state(e.to_string()))?;
        let schema = Schema::new(stream.commit, &stream.statements, self.settings.compress)
            .map_err(|e| PluginError::state(format!("stream of group '{}': {e}", stream.group)))?;
        let key = stream_key(stream);
        let prefix = instantiate(&self.settings.dir, &stream.group, stream.started_at_ns);

        // A stream this sink holds already (consolidated, or reopened).
        let mut placed = self
            .open_files()
            .find(|(_, f)| f.mark(&key).is_some())
            .map(|(i, _)| i);
        // A stream an earlier hog wrote: continue its file.
        if placed.is_none() && stream.started_at_ns <= self.started_ns {
            if let Some((path, _)) = self.find_resumed(&prefix, &key) {
                let i = self
                    .open_file(&path, &prefix, schema.clone())
                    .map_err(|e| PluginError::state(e.to_string()))?;
                placed = Some(i);
            }
        }
        if placed.is_none() && self.settings.consolidate {
            placed = self
                .open_files()
                .find(|(_, f)| {
                    f.prefix == prefix
                        && f.schema.commit == stream.commit
                        && f.schema.statements == stream.statements.as_slice()
                })
                .map(|(i, _)| i);
            if placed.is_none() {
                for (_, path) in naming::existing(&prefix).into_iter().rev() {
                    if self
                        .settings
                        .rotate_size
                        .is_some_and(|n| std::fs::metadata(&path).map_or(true, |m| m.len() >= n))
                        || !file::matches(&path, &schema)
                    {
                        continue;
                    }
                    match self.open_file(&path, &prefix, schema.clone()) {
                        Ok(i) => {
                            placed = Some(i);
                            break;
                        }
                        Err(e) => self.logger.warn(&format!("not appending: {e}")),
                    }
                }
            }
        }
        let i = match placed {
            Some(i) => i,
            None => self.create_file(&prefix, schema, &key)?,
        };
        let f = self.files[i].as_mut().expect("an open file");
        let mark = f.attach(&key);
        self.logger.debug(&format!(
            "stream {} ({} {}:{}) into {} from transaction {mark}",
            stream.id,
            stream.group,
            stream.pid,
            stream.tid,
            f.path().display()
        ));
        self.streams.insert(stream.id, Open { file: i, key, mark });
        Ok(mark)
    }

    fn write(&mut self, batch: BatchRef<'_>) -> Result<u64, PluginError> {
        // A file that is due for rotation takes no more transactions.
        if let Some(i) = self.streams.get(&batch.stream_id).map(|o| o.file) {
            if self.files[i]
                .as_ref()
                .is_some_and(|f| self.due_for_rotation(f))
            {
                self.rotate(i)?;
            }
        }
        let open = self
            .streams
            .get_mut(&batch.stream_id)
            .ok_or_else(|| PluginError::state(format!("stream {} is not open", batch.stream_id)))?;
        let f = self.files[open.file].as_mut().expect("an open file");
        let time_us = (now_ns() / 1000) as i64;
        let (mut count, mut bytes) = (0, 0);
        for (seq, txn) in batch.after(open.mark, f.path().display())? {
            if let Err(e) = f.append(txn, time_us) {
                let _ = f.rollback();
                // What was taken back is written again by the replay.
                open.mark = f.mark(&open.key).unwrap_or(open.mark);
                return Err(PluginError::io(format!(
                    "{}: stream {} transaction {seq}: {e}",
                    f.path().display(),
                    batch.stream_id
                )));
            }
            open.mark = seq + 1;
            count += 1;
            bytes += txn.len() as u64;
        }
        f.set_mark(&open.key, open.mark);
        if let Err(e) = f.commit(self.settings.fsync) {
            let _ = f.rollback();
            open.mark = f.mark(&open.key).unwrap_or(open.mark);
            return Err(PluginError::io(format!(
                "{}: commit: {e}",
                f.path().display()
            )));
        }
        f.signal();
        let mark = open.mark;
        self.transactions += count;
        self.bytes += bytes;
        Ok(mark)
    }

    fn flush(&mut self, stream_id: u64) -> Result<u64, PluginError> {
        let open = self
            .streams
            .get(&stream_id)
            .ok_or_else(|| PluginError::state(format!("stream {stream_id} is not open")))?;
        if self.settings.fsync {
            let f = self.files[open.file].as_ref().expect("an open file");
            f.sync()
                .map_err(|e| PluginError::io(format!("{}: {e}", f.path().display())))?;
        }
        Ok(open.mark)
    }

    fn close_stream(&mut self, stream_id: u64) -> Result<(), PluginError> {
        let Some(open) = self.streams.remove(&stream_id) else {
            return Ok(());
        };
        let f = self.files[open.file].as_mut().expect("an open file");
        f.detach(&open.key);
        if !f.in_use() {
            let f = self.files[open.file].take().expect("an open file");
            let path = f
                .finish(self.settings.fsync)
                .map_err(|e| PluginError::io(format!("closing a file: {e}")))?;
            self.logger.info(&format!("closed {}", path.display()));
        } else {
            f.commit(self.settings.fsync)
                .map_err(|e| PluginError::io(format!("{}: {e}", f.path().display())))?;
        }
        Ok(())
    }

    fn stats(&self) -> SinkStats {
        let counter = |name: &str, value: u64| Counter {
            name: name.into(),
            value,
        };
        SinkStats {
            open_streams: self.streams.len() as u64,
            transactions: self.transactions,
            bytes: self.bytes,
            extra: vec![
                counter("files_open", self.open_files().count() as u64),
                counter("files_created", self.files_created),
                counter("files_reopened", self.files_reopened),
                counter("rotations", self.rotations),
            ]
            .into(),
        }
    }

    fn shutdown(&mut self) -> Result<(), PluginError> {
        self.streams.clear();
        let mut failed = Vec::new();
        for slot in &mut self.files {
            if let Some(f) = slot.take() {
                if let Err(e) = f.finish(self.settings.fsync) {
                    failed.push(e.to_string());
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(PluginError::io(format!(
                "closing files: {}",
                failed.join("; ")
            )))
        }
    }
}

impl Drop for DiskSink {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
