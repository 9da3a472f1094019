//! The fault campaign (`hog-campaign`): seeded schedules that run real
//! producers and hogs, inject faults (SIGKILL of producers, hogs, senders
//! and receivers, also during recovery; a filesystem that fills and frees
//! up; a sink that fails and comes back), and count every record by
//! (producer, sequence): lost, duplicated, out of order, and the time the
//! pipeline took to heal after the last fault.
//!
//! A schedule is a pure function of its seed ([`Schedule::from_seed`]), so
//! a failing one is replayed with `hog-campaign --replay SEED`.

pub mod cluster;
pub mod count;
pub mod producer;
pub mod report;
pub mod rng;
pub mod run;
pub mod schedule;

pub use schedule::Schedule;
