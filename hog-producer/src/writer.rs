//! One thread's writer: records into ring slots exactly as `storage.H`'s
//! write pipe does (values split across slots at any byte, CONT slots
//! published as they fill, COMMIT or ROLLBACK ending a transaction).
//!
//! The hot path — a record that fits in the slot being filled — encodes
//! the record straight into the slot through a bounds-checked slice: no
//! allocation, no system call, no lock. Slots are published (two atomic
//! swaps, plus a futex wake if hog sleeps) only when one fills or a
//! transaction ends; a full ring makes a Reliable writer back off, then
//! wait, and an Unreliable one drop.

use std::time::{Duration, Instant};

use hstore_shm::state;

use crate::group::{CommitMethod, Group, Qos};
use crate::output::{Output, SliceOutput};
use crate::payload::Payload;
use crate::region::OwnedRegion;
use crate::statement::StatementId;

/// How long an Unreliable writer finds no room at commits before it probes
/// for a restarted hog.
const STUCK: Duration = Duration::from_millis(10);

/// First busy-wait round of a writer waiting for room (it doubles up to
/// 2^19 rounds before sleeping).
const BACKOFF_START: u32 = 512;

/// Writes records of one group from one thread.
pub struct Writer<'g> {
    group: &'g Group,
    region: OwnedRegion,
    /// The slot being filled (`wi`), if the writer holds one.
    page: Option<u32>,
    /// Where that slot's payload starts in the region.
    page_at: usize,
    wi: u32,
    offset: usize,
    capacity: usize,
    full_since: Option<Instant>,
    /// Statements whose typed records were checked against their
    /// declaration (once per statement and writer).
    checked: Vec<bool>,
}

/// A record's payload, encoded on demand.
trait Encode {
    fn size(&self) -> usize;
    fn write<S: Output + ?Sized>(&self, out: &mut S);
}

/// Typed arguments.
struct Args<'a, P: ?Sized>(&'a P);

impl<P: Payload + ?Sized> Encode for Args<'_, P> {
    #[inline]
    fn size(&self) -> usize {
        self.0.payload_size()
    }

    #[inline]
    fn write<S: Output + ?Sized>(&self, out: &mut S) {
        self.0.store_payload(out);
    }
}

/// Bytes already encoded.
struct Bytes<'a>(&'a [u8]);

impl Encode for Bytes<'_> {
    fn size(&self) -> usize {
        self.0.len()
    }

    fn write<S: Output + ?Sized>(&self, out: &mut S) {
        out.put(self.0);
    }
}

/// Writes through the pipe, splitting across slots; after a failed write
/// (an Unreliable ring without room) the rest of the record is dropped.
struct PipeSink<'w, 'g> {
    writer: &'w mut Writer<'g>,
    ok: bool,
}

impl Output for PipeSink<'_, '_> {
    fn put(&mut self, bytes: &[u8]) {
        if self.ok {
            self.ok = self.writer.write(bytes);
        }
    }
}

impl<'g> Writer<'g> {
    pub(crate) fn new(group: &'g Group, region: OwnedRegion) -> Self {
        let ring = region.ring();
        let (wi, capacity) = (ring.wi(), ring.capacity());
        let mut writer = Writer {
            group,
            region,
            page: None,
            page_at: 0,
            wi,
            offset: 0,
            capacity,
            full_since: None,
            checked: vec![false; group.statements().len()],
        };
        writer.poll_page();
        writer
    }

    /// The group this writer logs for.
    pub fn group(&self) -> &'g Group {
        self.group
    }

    /// Logs one record of statement `id` with the typed arguments
    /// `payload` (`()` or a tuple; see [`Payload`]). Returns `false` if an
    /// Unreliable ring had no room and the record was dropped.
    ///
    /// # Panics
    /// If `id` is not a statement of the group, or (checked at its first
    /// record in this writer) if the statement was declared from another
    /// argument list ([`Declaration::of`](crate::Declaration::of)).
    #[inline]
    pub fn log<P: Payload + ?Sized>(&mut self, id: StatementId, payload: &P) -> bool {
        if !self.checked.get(id.0 as usize).copied().unwrap_or(false) {
            self.check::<P>(id);
        }
        self.put(id, &Args(payload))
    }

    /// Logs one record: the statement id, then its encoded payload.
    /// Returns `false` if an Unreliable ring had no room and the record was
    /// dropped.
    ///
    /// # Panics
    /// If `id` is not a statement of the group.
    pub fn record(&mut self, id: StatementId, payload: &[u8]) -> bool {
        self.known(id);
        self.put(id, &Bytes(payload))
    }

    #[cold]
    fn check<P: Payload + ?Sized>(&mut self, id: StatementId) {
        let declared = self.known(id);
        if let Some(shape) = &declared.shape {
            let logged = P::payload_type(&[]);
            assert!(
                *shape == logged.encode(),
                "statement '{}' of group '{}' is declared with other arguments than {logged:?}",
                declared.name,
                self.group.name(),
            );
        }
        self.checked[id.0 as usize] = true;
    }

    fn known(&self, id: StatementId) -> &'g crate::statement::Declaration {
        let group = self.group;
        group
            .statements()
            .get(id.0 as usize)
            .unwrap_or_else(|| panic!("group '{}' has no statement {}", group.name(), id.0))
    }

    /// Ends the open transaction: publishes it to hog. Returns whether a
    /// slot was published (an Unreliable writer without room has none).
    pub fn commit(&mut self) -> bool {
        let published = self.publish(state::COMMIT);
        match self.group.qos() {
            Qos::Reliable => self.wait_for_page(),
            Qos::Unreliable => {
                if !self.poll_page() {
                    self.probe_when_stuck();
                }
            }
        }
        published
    }

    /// Discards the open transaction.
    pub fn rollback(&mut self) {
        self.publish(state::ROLLBACK);
        self.next_page();
    }

    #[inline]
    fn put<E: Encode + ?Sized>(&mut self, id: StatementId, record: &E) -> bool {
        let size = 4 + record.size();
        if self.group.commit_method() == CommitMethod::Auto
            && (self.page.is_none() || size >= self.capacity - self.offset)
        {
            self.commit();
        }
        let fits = self.page.is_some() && size < self.capacity - self.offset;
        let ok = (fits && self.put_in_place(id, record, size)) || self.put_across(id, record);
        if !ok {
            self.group.count_drop();
        }
        ok
    }

    /// Encodes a record that fits into the free part of the current slot.
    /// Returns `false` (having changed nothing) if the payload wrote more
    /// than it said it would.
    #[inline]
    fn put_in_place<E: Encode + ?Sized>(
        &mut self,
        id: StatementId,
        record: &E,
        size: usize,
    ) -> bool {
        let buf = self.region.bytes_mut(self.page_at + self.offset, size);
        let mut sink = SliceOutput::new(buf);
        sink.put(&id.0.to_le_bytes());
        record.write(&mut sink);
        match sink.written() {
            Some(n) => {
                self.offset += n;
                true
            }
            None => false,
        }
    }

    /// Encodes a record through the pipe, across as many slots as it takes.
    fn put_across<E: Encode + ?Sized>(&mut self, id: StatementId, record: &E) -> bool {
        let mut sink = PipeSink {
            writer: self,
            ok: true,
        };
        sink.put(&id.0.to_le_bytes());
        record.write(&mut sink);
        sink.ok
    }

    /// Copies `bytes` into the ring, publishing slots as they fill.
    fn write(&mut self, mut bytes: &[u8]) -> bool {
        if self.page.is_none() {
            return false;
        }
        if bytes.len() < self.capacity - self.offset {
            self.copy(bytes);
            return true;
        }
        loop {
            let n = bytes.len().min(self.capacity - self.offset);
            self.copy(&bytes[..n]);
            bytes = &bytes[n..];
            if self.offset < self.capacity {
                return true;
            }
            if !self.step() {
                return false;
            }
        }
    }

    fn copy(&mut self, bytes: &[u8]) {
        self.region
            .bytes_mut(self.page_at + self.offset, bytes.len())
            .copy_from_slice(bytes);
        self.offset += bytes.len();
    }

    /// Publishes the full slot as CONT and takes the next one. An
    /// Unreliable writer publishes it TENTATIVE, then makes it CONT if the
    /// next slot is free, else ROLLBACK (cancelling the transaction).
    fn step(&mut self) -> bool {
        let Some(page) = self.page else {
            return false;
        };
        match self.group.qos() {
            Qos::Reliable => {
                self.publish(state::CONT);
                self.wait_for_page();
            }
            Qos::Unreliable => {
                let used = self.offset;
                self.publish(state::TENTATIVE);
                let room = self.poll_page();
                let end = if room { state::CONT } else { state::ROLLBACK };
                self.region.ring().set_footer(page, end, used);
            }
        }
        self.page.is_some()
    }

    /// Ends the current slot with `end` and publishes it, if there is one.
    fn publish(&mut self, end: u32) -> bool {
        let page = self.page.take();
        if let Some(page) = page {
            let ring = self.region.ring();
            ring.set_footer(page, end, self.offset);
            self.wi = ring.push(page);
        }
        self.offset = 0;
        page.is_some()
    }

    /// Takes the next slot: a Reliable writer waits, an Unreliable one
    /// gives up if there is no room.
    fn next_page(&mut self) {
        match self.group.qos() {
            Qos::Reliable => self.wait_for_page(),
            Qos::Unreliable => {
                self.poll_page();
            }
        }
    }

    /// Waits until slot `wi` is free (backing off, then sleeping, probing
    /// for a restarted hog every 10 ms) and takes it.
    fn wait_for_page(&mut self) {
        let group = self.group;
        let mut backoff = BACKOFF_START;
        self.region
            .ring()
            .reserve(self.wi, group.wait_policy(), &mut backoff, || {
                group.reconnect();
            });
        self.take(self.wi);
    }

    /// Takes slot `wi` if it is free; returns whether it did.
    fn poll_page(&mut self) -> bool {
        if self.region.ring().has_room(self.wi) {
            self.take(self.wi);
            true
        } else {
            self.page = None;
            false
        }
    }

    fn take(&mut self, page: u32) {
        self.page = Some(page);
        self.page_at = self.region.slot_at(page);
        self.offset = 0;
    }

    /// An Unreliable commit found no room: the first time remember when;
    /// once that is 10 ms ago, probe for a restarted hog and start over.
    fn probe_when_stuck(&mut self) {
        match self.full_since {
            None => self.full_since = Some(Instant::now()),
            Some(since) if since.elapsed() >= STUCK => {
                self.group.reconnect();
                self.full_since = None;
            }
            Some(_) => {}
        }
    }
}
