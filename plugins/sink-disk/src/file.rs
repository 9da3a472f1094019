//! One data file: its series, its commit record, and the streams writing
//! into it.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hog_core::fregion::{
    cseq::{self, CSeqAppender, Resume},
    layout::{datetime, fileref, hog_series},
    stored_type, CSeqType, Reader, RecordPlan, SeriesAppender, SeriesType, Writer, HOG_BATCH,
};
use hog_core::plugin::{CommitMethod, Statement};
use hog_core::types::{Ctor, Field, Type};

use crate::commit::{read_marks, CommitCell, CommitRecord, SeriesPosition};
use crate::error::{FileError, FileFault, StreamError};
use crate::naming;

/// Stream keys with their marks.
pub(crate) type Marks = Vec<(String, u64)>;

/// Marks of closed streams kept in a file's commit record, most recent.
const KEEP_CLOSED: usize = 64;

/// What a file holds for a statement list: stored types, how to store each
/// statement's records, and the type description of every binding.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub commit: CommitMethod,
    pub statements: Vec<Statement>,
    /// `(id, how, series type)` per statement, in statement order.
    plans: Vec<(u32, Plan, Type)>,
    /// Name and element type of `log` or `transactions` (none when
    /// compressed, as hog -z).
    order: Option<(&'static str, Type)>,
    statements_type: Type,
}

/// How a statement's records are stored.
#[derive(Debug, Clone)]
enum Plan {
    /// In a series of stored values.
    Raw(RecordPlan),
    /// In a compressed series.
    Coded,
}

impl Schema {
    /// The schema of a stream's statements, stored raw or compressed.
    pub(crate) fn new(
        commit: CommitMethod,
        statements: &[Statement],
        compress: bool,
    ) -> Result<Schema, StreamError> {
        let mut plans = Vec::with_capacity(statements.len());
        let mut ctors = Vec::with_capacity(statements.len());
        for s in statements {
            let statement = || s.name.to_string();
            let wire =
                Type::decode(&s.type_desc).map_err(|source| StreamError::TypeDescription {
                    statement: statement(),
                    source,
                })?;
            if compress {
                let compressed = |source| StreamError::Compressed {
                    statement: statement(),
                    source,
                };
                let ty = cseq::cseq_type(&wire, HOG_BATCH).map_err(compressed)?;
                CSeqType::of(&ty)
                    .expect("a compressed series")
                    .map_err(compressed)?;
                plans.push((s.id, Plan::Coded, ty));
                continue;
            }
            let plan = RecordPlan::new(&wire).map_err(|source| StreamError::Stored {
                statement: statement(),
                source,
            })?;
            ctors.push(Ctor {
                name: s.name.to_string(),
                id: s.id,
                ty: fileref(plan.stored().clone()),
            });
            let ty = hog_series(plan.stored().clone(), HOG_BATCH);
            plans.push((s.id, Plan::Raw(plan), ty));
        }
        let entry = Type::Variant(ctors);
        let order = match commit {
            _ if compress => None,
            CommitMethod::Auto => Some(("log", entry)),
            CommitMethod::Manual => Some((
                "transactions",
                Type::Struct(vec![
                    Field {
                        name: "time".into(),
                        offset: 0,
                        ty: datetime(),
                    },
                    Field {
                        name: "entries".into(),
                        offset: 8,
                        ty: fileref(Type::Array(Box::new(entry))),
                    },
                ]),
            )),
        };
        let string = Type::Array(Box::new(Type::prim("char")));
        let field = |name: &str, ty: &Type| Field {
            name: name.into(),
            offset: u32::MAX,
            ty: ty.clone(),
        };
        let statements_type = Type::Array(Box::new(stored_type(&Type::Struct(vec![
            field("name", &string),
            field("flags", &Type::prim("long")),
            field("display", &string),
            field("file", &string),
            field("line", &Type::prim("long")),
        ]))?));
        Ok(Schema {
            commit,
            statements: statements.to_vec(),
            plans,
            order,
            statements_type,
        })
    }

    /// Whether the file read by `r` holds exactly these statements' series
    /// and ordering series (what hog checks before appending to a file).
    pub(crate) fn matches<B: AsRef<[u8]>>(&self, r: &Reader<B>) -> bool {
        let same =
            |name: &str, ty: &Type| r.binding(name).is_some_and(|b| b.type_bytes == ty.encode());
        let order = match &self.order {
            Some((name, elem)) => same(name, &hog_series(elem.clone(), HOG_BATCH)),
            None => ["log", "transactions"]
                .iter()
                .all(|n| r.binding(n).is_none()),
        };
        order
            && self
                .statements
                .iter()
                .zip(&self.plans)
                .all(|(s, (_, _, ty))| same(&s.name, ty))
    }
}

/// Where a statement's records go.
enum Out {
    Raw {
        series: SeriesAppender,
        plan: RecordPlan,
        /// The payload size when a record is stored as it is logged (one
        /// copy, no padding, nothing referenced).
        flat: Option<usize>,
    },
    Coded(CSeqAppender),
}

impl Out {
    /// Records of `plan` go into `series`.
    fn raw(series: SeriesAppender, plan: &RecordPlan) -> Out {
        let size = plan.layout().size as usize;
        Out::Raw {
            series,
            flat: (plan.is_flat() && size > 0).then_some(size),
            plan: plan.clone(),
        }
    }

    fn series(&self) -> Option<&SeriesAppender> {
        match self {
            Out::Raw { series, .. } => Some(series),
            Out::Coded(_) => None,
        }
    }

    fn coded(&self) -> Option<&CSeqAppender> {
        match self {
            Out::Coded(c) => Some(c),
            Out::Raw { .. } => None,
        }
    }
}

/// Puts `out` at index `id` of `outs`.
fn place(outs: &mut Vec<Option<Out>>, id: u32, out: Out) {
    let i = id as usize;
    if outs.len() <= i {
        outs.resize_with(i + 1, || None);
    }
    outs[i] = Some(out);
}

/// A data file open for writing.
pub(crate) struct LogFile {
    writer: Writer,
    pub schema: Schema,
    pub prefix: PathBuf,
    /// Statements by id.
    outs: Vec<Option<Out>>,
    order: Option<SeriesAppender>,
    cell: CommitCell,
    committed: CommitRecord,
    /// Streams writing into the file: key and mark.
    open: Marks,
    /// Streams that wrote into the file and are closed, oldest first.
    closed: Marks,
    pub created: Instant,
    scratch: Vec<(u32, u64)>,
}

impl LogFile {
    /// Prepares a new file for `schema` under a temporary name, with the
    /// stream `key` at mark `mark` (and `carried` marks of other streams),
    /// and publishes it as the next `<prefix>-N.log`.
    pub(crate) fn create(
        prefix: &Path,
        schema: Schema,
        page_size: u64,
        open: Marks,
        closed: Marks,
    ) -> io::Result<LogFile> {
        let (dir, _) = naming::ensure_dir(prefix)?;
        let mut temp = None;
        for path in naming::temp_candidates(&dir).take(1 << 20) {
            match Writer::create(&path, page_size) {
                Ok(w) => {
                    temp = Some((path, w));
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        let (temp, mut w) = temp.ok_or_else(|| io::Error::other("no free temporary name"))?;
        let built = (|| {
            w.lock()?;
            let mut outs: Vec<Option<Out>> = Vec::new();
            for (s, (id, plan, ty)) in schema.statements.iter().zip(&schema.plans) {
                let out = match plan {
                    Plan::Raw(plan) => Out::raw(
                        SeriesAppender::create(&mut w, &s.name, plan.stored(), HOG_BATCH)?,
                        plan,
                    ),
                    Plan::Coded => Out::Coded(CSeqAppender::create(&mut w, &s.name, ty)?),
                };
                place(&mut outs, *id, out);
            }
            let order = match &schema.order {
                Some((name, elem)) => Some(SeriesAppender::create(&mut w, name, elem, HOG_BATCH)?),
                None => None,
            };
            write_statements(&mut w, &schema)?;
            Ok::<_, io::Error>((outs, order))
        })();
        let (outs, order) = match built {
            Ok(x) => x,
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                return Err(e);
            }
        };
        let mut file = LogFile {
            cell: CommitCell::create(&mut w, &CommitRecord::default())?,
            writer: w,
            schema,
            prefix: prefix.to_path_buf(),
            outs,
            order,
            committed: CommitRecord::default(),
            open,
            closed,
            created: Instant::now(),
            scratch: Vec::new(),
        };
        file.commit(false)?;
        let path = naming::publish(&temp, prefix)?;
        file.writer.set_path(path);
        Ok(file)
    }

    /// Opens the existing file at `path` to append to it. A file left by a
    /// killed hog is rolled back to its last commit; a file without a
    /// commit record (written by the C++ hog) gets one.
    pub(crate) fn open(path: &Path, prefix: &Path, schema: Schema) -> Result<LogFile, FileError> {
        Self::reopen(path, prefix, schema).map_err(FileError::at(path))
    }

    /// [`open`](Self::open), with errors that leave the file to the caller.
    fn reopen(path: &Path, prefix: &Path, schema: Schema) -> Result<LogFile, FileFault> {
        let mut w = Writer::open(path)?;
        w.lock().map_err(|e| {
            if e.kind() == io::ErrorKind::WouldBlock {
                FileFault::Busy
            } else {
                FileFault::Io(e)
            }
        })?;
        if !schema.matches(&Reader::new(w.bytes())?) {
            return Err(FileFault::Mismatch);
        }
        let compressed = schema.order.is_none();
        let (cell, record, fresh) = match CommitCell::load(&w) {
            Some(loaded) => {
                let (cell, record) = loaded?;
                (cell, record, false)
            }
            // The C++ hog never appends to its -z files either.
            None if compressed => return Err(FileFault::Foreign),
            None => {
                let cell = CommitCell::create(&mut w, &CommitRecord::default())?;
                (cell, CommitRecord::default(), true)
            }
        };
        let series_of = |w: &mut Writer, name: &str| -> Result<SeriesAppender, FileFault> {
            let b = w
                .binding(name)
                .ok_or_else(|| FileFault::NoSeries(name.to_string()))?;
            let ty = b.ty.as_ref().and_then(SeriesType::of);
            let ty = ty.ok_or_else(|| FileFault::NotSeries(name.to_string()))??;
            let root = b.offset;
            SeriesAppender::open(w, root, ty).map_err(FileFault::series(name))
        };
        let coded_of = |w: &mut Writer, name: &str| -> Result<CSeqAppender, FileFault> {
            let b = w
                .binding(name)
                .ok_or_else(|| FileFault::NoSeries(name.to_string()))?;
            let ty = b.ty.as_ref().and_then(CSeqType::of);
            let ty = ty.ok_or_else(|| FileFault::NotCompressed(name.to_string()))??;
            let root = b.offset;
            // A clean file's batches are ended; a killed writer's are taken
            // back to its last commit.
            let how = match record.coded.iter().find(|(r, _)| *r == root) {
                _ if record.clean => Resume::Ended,
                Some(&(_, pos)) => Resume::At(pos),
                None => return Err(FileFault::NoPosition(name.to_string())),
            };
            CSeqAppender::open(w, root, ty, how).map_err(FileFault::series(name))
        };
        let mut outs: Vec<Option<Out>> = Vec::new();
        for (s, (id, plan, _)) in schema.statements.iter().zip(&schema.plans) {
            let out = match plan {
                Plan::Raw(plan) => Out::raw(series_of(&mut w, &s.name)?, plan),
                Plan::Coded => Out::Coded(coded_of(&mut w, &s.name)?),
            };
            place(&mut outs, *id, out);
        }
        let order = match &schema.order {
            Some((name, _)) => Some(series_of(&mut w, name)?),
            None => None,
        };
        let mut file = LogFile {
            writer: w,
            schema,
            prefix: prefix.to_path_buf(),
            outs,
            order,
            cell,
            committed: record.clone(),
            open: Vec::new(),
            closed: record.streams.clone(),
            created: Instant::now(),
            scratch: Vec::new(),
        };
        if !fresh && !record.clean {
            file.rollback()?;
        }
        file.commit(false)?;
        Ok(file)
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        self.writer.path()
    }

    /// Size of the file.
    pub(crate) fn len(&self) -> u64 {
        self.writer.len()
    }

    /// The mark of the stream `key` if the file holds it (open or closed).
    pub(crate) fn mark(&self, key: &str) -> Option<u64> {
        self.open
            .iter()
            .chain(&self.closed)
            .find(|(k, _)| k == key)
            .map(|&(_, m)| m)
    }

    /// Whether streams are writing into the file.
    pub(crate) fn in_use(&self) -> bool {
        !self.open.is_empty()
    }

    /// Starts (or resumes) the stream `key`; returns its mark.
    pub(crate) fn attach(&mut self, key: &str) -> u64 {
        if let Some(&(_, m)) = self.open.iter().find(|(k, _)| k == key) {
            return m;
        }
        let mark = match self.closed.iter().position(|(k, _)| k == key) {
            Some(i) => self.closed.remove(i).1,
            None => 0,
        };
        self.open.push((key.to_string(), mark));
        mark
    }

    /// Ends the stream `key`; its mark is kept a while.
    pub(crate) fn detach(&mut self, key: &str) {
        if let Some(i) = self.open.iter().position(|(k, _)| k == key) {
            let entry = self.open.remove(i);
            self.closed.push(entry);
            if self.closed.len() > KEEP_CLOSED {
                self.closed.remove(0);
            }
        }
    }

    /// Sets the mark of the open stream `key` (committed by [`commit`]).
    ///
    /// [`commit`]: Self::commit
    pub(crate) fn set_mark(&mut self, key: &str, mark: u64) {
        if let Some(e) = self.open.iter_mut().find(|(k, _)| k == key) {
            e.1 = mark;
        }
    }

    /// All marks: open streams, then closed ones.
    pub(crate) fn marks(&self) -> (Marks, Marks) {
        (self.open.clone(), self.closed.clone())
    }

    /// Appends one transaction (`u32` id + packed payload, repeated),
    /// received at `time_us`. Nothing is committed.
    pub(crate) fn append(&mut self, txn: &[u8], time_us: i64) -> io::Result<()> {
        let w = &mut self.writer;
        let manual = self.schema.commit == CommitMethod::Manual;
        self.scratch.clear();
        let mut entries = match (&mut self.order, manual) {
            (Some(order), false) => Entries::Log(order),
            _ => Entries::Pending(&mut self.scratch),
        };
        let mut pos = 0;
        while pos < txn.len() {
            let id_bytes = txn.get(pos..pos + 4).ok_or_else(|| {
                bad(format!(
                    "{} trailing bytes are not a record",
                    txn.len() - pos
                ))
            })?;
            let id = u32::from_le_bytes(id_bytes.try_into().expect("4 bytes"));
            pos += 4;
            let out = self
                .outs
                .get_mut(id as usize)
                .and_then(Option::as_mut)
                .ok_or_else(|| bad(format!("record id {id} names no statement")))?;
            let (series, plan, flat) = match out {
                Out::Coded(c) => {
                    pos += c.append(w, &txn[pos..])?;
                    continue;
                }
                Out::Raw { series, plan, flat } => (series, plan, *flat),
            };
            if let Some(size) = flat.filter(|size| pos + size <= txn.len()) {
                let run = Run::of(txn, pos - 4, size);
                run.store(w, series, &mut entries)?;
                pos = run.end();
                continue;
            }
            let slot = series.next_slot(w)?;
            pos += plan.store(&txn[pos..], w, slot)?;
            series.publish(w);
            entries.add(w, id, 1, |_| slot)?;
        }
        let (Some(order), true) = (self.order.as_mut(), manual) else {
            return Ok(());
        };
        let listed = if self.scratch.is_empty() {
            w.empty_array()
        } else {
            let n = self.scratch.len() as u64;
            let block = w.alloc(8 + ENTRY * n, 8)?;
            w.write_u64(block, n);
            let cells = w.slice_mut(block + 8, ENTRY * n);
            for (cell, &(id, slot)) in cells.chunks_exact_mut(ENTRY as usize).zip(&self.scratch) {
                write_entry(cell, id, slot);
            }
            block
        };
        let at = order.next_slot(w)?;
        w.write_u64(at, time_us as u64);
        w.write_u64(at + 8, listed);
        order.publish(w);
        Ok(())
    }

    /// Makes everything appended and every mark durable with one store.
    pub(crate) fn commit(&mut self, fsync: bool) -> io::Result<()> {
        self.commit_as(false, fsync)
    }

    fn commit_as(&mut self, clean: bool, fsync: bool) -> io::Result<()> {
        let record = CommitRecord {
            generation: self.committed.generation + 1,
            clean,
            series: self.positions(),
            streams: self.open.iter().chain(&self.closed).cloned().collect(),
            coded: self
                .outs
                .iter()
                .flatten()
                .filter_map(Out::coded)
                .map(|c| (c.root(), c.position()))
                .collect(),
        };
        match self.cell.store(&mut self.writer, &record, fsync) {
            Ok(()) => {
                self.committed = record;
                Ok(())
            }
            Err(failed) => {
                // A record made current holds: nothing before it is taken
                // back, though it may not have reached the disk.
                if failed.published {
                    self.committed = record;
                }
                Err(failed.error)
            }
        }
    }

    /// Takes back everything appended since the last commit.
    pub(crate) fn rollback(&mut self) -> io::Result<()> {
        for p in &self.committed.series {
            let series = self
                .outs
                .iter_mut()
                .flatten()
                .filter_map(|o| match o {
                    Out::Raw { series, .. } => Some(series),
                    Out::Coded(_) => None,
                })
                .chain(self.order.as_mut())
                .find(|s| s.root() == p.root);
            if let Some(s) = series {
                s.restore(&mut self.writer, p.node, p.count)?;
            }
        }
        for &(root, pos) in &self.committed.coded {
            let coded = self.outs.iter_mut().flatten().find_map(|o| match o {
                Out::Coded(c) if c.root() == root => Some(c),
                _ => None,
            });
            if let Some(c) = coded {
                c.restore(&mut self.writer, pos)?;
            }
        }
        for (key, mark) in &mut self.open {
            if let Some(m) = self.committed.mark(key) {
                *mark = m;
            }
        }
        Ok(())
    }

    /// Wakes readers watching the file.
    pub(crate) fn signal(&self) {
        let _ = self.writer.signal();
    }

    /// Forces the file to the disk.
    pub(crate) fn sync(&self) -> io::Result<()> {
        self.writer.sync()
    }

    /// Ends compressed batches, commits as closed cleanly, trims and
    /// closes the file.
    pub(crate) fn finish(mut self, fsync: bool) -> io::Result<PathBuf> {
        for out in self.outs.iter_mut().flatten() {
            if let Out::Coded(c) = out {
                c.finish(&mut self.writer)?;
            }
        }
        self.commit_as(true, fsync)?;
        let path = self.path().to_path_buf();
        self.writer.finish()?;
        Ok(path)
    }

    fn positions(&self) -> Vec<SeriesPosition> {
        self.outs
            .iter()
            .flatten()
            .filter_map(Out::series)
            .chain(self.order.as_ref())
            .map(|s| {
                let (node, count) = s.position();
                SeriesPosition {
                    root: s.root(),
                    node,
                    count,
                }
            })
            .collect()
    }
}

/// Records of one flat statement back to back in a transaction: stored
/// with a copy each and published together.
struct Run<'a> {
    txn: &'a [u8],
    /// Offset of the first record's id.
    start: usize,
    id: u32,
    /// Payload bytes of each record.
    size: usize,
    /// Records in the run.
    len: usize,
}

impl<'a> Run<'a> {
    /// The run of records with the id at `start` (whose payload of `size`
    /// bytes is in `txn`).
    fn of(txn: &'a [u8], start: usize, size: usize) -> Run<'a> {
        let id_at = |at: usize| txn.get(at..at + 4).map(|b| b.try_into().expect("4 bytes"));
        let id = u32::from_le_bytes(id_at(start).expect("the run's first id"));
        let stride = 4 + size;
        let mut len = 1;
        while let Some(next) = id_at(start + len * stride) {
            if u32::from_le_bytes(next) != id || start + (len + 1) * stride > txn.len() {
                break;
            }
            len += 1;
        }
        Run {
            txn,
            start,
            id,
            size,
            len,
        }
    }

    /// The offset just past the run.
    fn end(&self) -> usize {
        self.start + self.len * (4 + self.size)
    }

    /// Stores the run into `series`, and its entries into `entries`.
    fn store(
        &self,
        w: &mut Writer,
        series: &mut SeriesAppender,
        entries: &mut Entries<'_>,
    ) -> io::Result<()> {
        let (size, stride) = (self.size, 4 + self.size);
        let mut done = 0;
        while done < self.len {
            let (first, room) = series.run(w, (self.len - done) as u64)?;
            let room = room as usize;
            let slots = w.slice_mut(first, (room * size) as u64);
            let from = self.start + done * stride + 4;
            gather(slots, &self.txn[from..], size);
            series.publish_many(w, room as u64);
            entries.add(w, self.id, room, |j| first + (j * size) as u64)?;
            done += room;
        }
        Ok(())
    }
}

/// Fills `slots` with payloads of `size` bytes taken every `size + 4`
/// bytes of `src` (skipping the ids between them). Common sizes are passed
/// as constants, so that each copy has a length known at compile time
/// instead of being a call.
fn gather(slots: &mut [u8], src: &[u8], size: usize) {
    #[inline(always)]
    fn every(slots: &mut [u8], src: &[u8], size: usize) {
        for (slot, rec) in slots.chunks_exact_mut(size).zip(src.chunks(size + 4)) {
            slot.copy_from_slice(&rec[..size]);
        }
    }
    match size {
        4 => every(slots, src, 4),
        8 => every(slots, src, 8),
        12 => every(slots, src, 12),
        16 => every(slots, src, 16),
        24 => every(slots, src, 24),
        32 => every(slots, src, 32),
        _ => every(slots, src, size),
    }
}

/// Bytes of an entry: a statement id (`u32`, padded) and the offset of
/// its record's slot (`u64`), in the `log` series or a transaction's list.
const ENTRY: u64 = 16;

/// Writes the entry of statement `id`'s record at `slot` into its cell.
fn write_entry(cell: &mut [u8], id: u32, slot: u64) {
    cell[..4].copy_from_slice(&id.to_le_bytes());
    cell[8..16].copy_from_slice(&slot.to_le_bytes());
}

/// Where the entries of a transaction's records go: the `log` series, or
/// a list written as the transaction's own when it ends (`transactions`).
enum Entries<'a> {
    Log(&'a mut SeriesAppender),
    Pending(&'a mut Vec<(u32, u64)>),
}

impl Entries<'_> {
    /// Adds `n` entries of statement `id`: the slot of the `j`th is
    /// `slot_of(j)`.
    fn add(
        &mut self,
        w: &mut Writer,
        id: u32,
        n: usize,
        slot_of: impl Fn(usize) -> u64,
    ) -> io::Result<()> {
        let order = match self {
            Entries::Pending(list) => {
                list.extend((0..n).map(|j| (id, slot_of(j))));
                return Ok(());
            }
            Entries::Log(order) => order,
        };
        let mut done = 0;
        while done < n {
            let (first, room) = order.run(w, (n - done) as u64)?;
            let cells = w.slice_mut(first, room * ENTRY);
            for (j, cell) in cells.chunks_exact_mut(ENTRY as usize).enumerate() {
                write_entry(cell, id, slot_of(done + j));
            }
            order.publish_many(w, room);
            done += room as usize;
        }
        Ok(())
    }
}

fn bad(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Writes the `statements` table: name, flags, format, file, line.
fn write_statements(w: &mut Writer, schema: &Schema) -> io::Result<()> {
    let n = schema.statements.len() as u64;
    let table = w.alloc(8 + 40 * n, 8)?;
    w.write_u64(table, n);
    for (i, s) in schema.statements.iter().enumerate() {
        let at = table + 8 + 40 * i as u64;
        let name = string(w, s.name.as_bytes())?;
        let display = string(w, s.format.as_bytes())?;
        let file = string(w, s.file.as_bytes())?;
        w.write_u64(at, name);
        w.write_u64(at + 8, s.flags);
        w.write_u64(at + 16, display);
        w.write_u64(at + 24, file);
        w.write_u64(at + 32, u64::from(s.line));
    }
    w.bind("statements", &schema.statements_type.encode(), table)
}

/// Stores a string block; the empty string is the shared empty array.
fn string(w: &mut Writer, bytes: &[u8]) -> io::Result<u64> {
    if bytes.is_empty() {
        return Ok(w.empty_array());
    }
    let at = w.alloc(8 + bytes.len() as u64, 8)?;
    w.write_u64(at, bytes.len() as u64);
    w.write(at + 8, bytes);
    Ok(at)
}

/// The mark of `key` in the file at `path` and whether the file was closed
/// cleanly, if it holds that stream.
pub(crate) fn find_mark(path: &Path, key: &str) -> Result<Option<(u64, bool)>, FileError> {
    let r = Reader::open(path)?;
    match read_marks(&r) {
        None => Ok(None),
        Some(Err(e)) => Err(FileError::at(path)(e.into())),
        Some(Ok(record)) => Ok(record.mark(key).map(|m| (m, record.clean))),
    }
}

/// Whether the file at `path` holds series for exactly `schema`.
pub(crate) fn matches(path: &Path, schema: &Schema) -> bool {
    Reader::open(path).is_ok_and(|r| schema.matches(&r))
}
