//! One thread's writer: records into ring slots exactly as `storage.H`'s
//! write pipe does (values split across slots at any byte, CONT slots
//! published as they fill, COMMIT or ROLLBACK ending a transaction).
//!
//! Logging a record into a slot with room touches no lock, makes no system
//! call and allocates nothing.

use std::time::Instant;

use hstore_shm::state;

use crate::group::{CommitMethod, Group, Qos, StatementId};
use crate::region::OwnedRegion;

/// Writes records of one group from one thread.
pub struct Writer<'g> {
    group: &'g Group,
    region: OwnedRegion,
    /// The slot being filled (`wi`), if the producer holds one.
    page: Option<u32>,
    wi: u32,
    offset: usize,
    backoff: u32,
    full_since: Option<Instant>,
}

impl<'g> Writer<'g> {
    pub(crate) fn new(group: &'g Group, region: OwnedRegion) -> Self {
        let ring = region.ring();
        let wi = ring.wi();
        let page = ring.has_room(wi).then_some(wi);
        Writer {
            group,
            region,
            page,
            wi,
            offset: 0,
            backoff: 512,
            full_since: None,
        }
    }

    /// Logs one record: the statement id, then its encoded payload. Returns
    /// `false` if an Unreliable ring had no room and the record was dropped.
    pub fn record(&mut self, id: StatementId, payload: &[u8]) -> bool {
        if self.group.commit_method() == CommitMethod::Auto {
            let capacity = self.region.ring().capacity();
            if self.page.is_none() || 4 + payload.len() >= capacity - self.offset {
                self.commit();
            }
        }
        self.write(&id.0.to_le_bytes()) && self.write(payload)
    }

    /// Ends the open transaction: publishes it to hog.
    pub fn commit(&mut self) -> bool {
        self.finish(state::COMMIT)
    }

    /// Discards the open transaction.
    pub fn rollback(&mut self) {
        self.finish(state::ROLLBACK);
    }

    fn finish(&mut self, end: u32) -> bool {
        let had_page = self.page.is_some();
        if let Some(page) = self.page.take() {
            let ring = self.region.ring();
            ring.set_footer(page, end, self.offset);
            self.wi = ring.push(page);
        }
        self.offset = 0;
        self.take_page();
        had_page
    }

    /// Copies `bytes` into the ring, stepping to new slots as they fill.
    fn write(&mut self, mut bytes: &[u8]) -> bool {
        let Some(mut page) = self.page else {
            return false;
        };
        let capacity = self.region.ring().capacity();
        if bytes.len() < capacity - self.offset {
            self.copy(page, bytes);
            return true;
        }
        loop {
            let n = bytes.len().min(capacity - self.offset);
            self.copy(page, &bytes[..n]);
            bytes = &bytes[n..];
            if self.offset < capacity {
                return true;
            }
            if !self.step() {
                return false;
            }
            page = self.page.expect("a step that succeeds holds a page");
        }
    }

    fn copy(&mut self, page: u32, bytes: &[u8]) {
        let ring = self.region.ring();
        // SAFETY: the writer owns slot `page` until it publishes it, and
        // `offset + bytes.len()` never exceeds the slot's capacity.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                ring.payload_mut(page).add(self.offset),
                bytes.len(),
            );
        }
        self.offset += bytes.len();
    }

    /// Publishes the full slot as CONT and takes the next one.
    fn step(&mut self) -> bool {
        let Some(page) = self.page.take() else {
            return false;
        };
        let ring = self.region.ring();
        match self.group.qos() {
            Qos::Reliable => {
                ring.set_footer(page, state::CONT, self.offset);
                self.wi = ring.push(page);
            }
            Qos::Unreliable => {
                ring.set_footer(page, state::TENTATIVE, self.offset);
                self.wi = ring.push(page);
                let room = ring.has_room(self.wi);
                let end = if room { state::CONT } else { state::ROLLBACK };
                ring.set_footer(page, end, self.offset);
            }
        }
        self.offset = 0;
        self.take_page();
        self.page.is_some()
    }

    /// Takes slot `wi`: waits for room (Reliable) or gives up (Unreliable).
    fn take_page(&mut self) {
        let group = self.group;
        let ring = self.region.ring();
        match group.qos() {
            Qos::Reliable => {
                ring.reserve(self.wi, group.wait_policy(), &mut self.backoff, || {
                    group.reconnect();
                });
                self.page = Some(self.wi);
            }
            Qos::Unreliable => {
                if ring.has_room(self.wi) {
                    self.page = Some(self.wi);
                    self.full_since = None;
                } else {
                    self.page = None;
                    let since = *self.full_since.get_or_insert_with(Instant::now);
                    if since.elapsed().as_millis() >= 10 {
                        group.reconnect();
                        self.full_since = Some(Instant::now());
                    }
                }
            }
        }
    }
}
