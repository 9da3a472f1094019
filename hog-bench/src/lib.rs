//! hog's benchmarks: real producer, hog and receiver processes,
//! every run's output verified, medians reported against the C++ hog.
//!
//! Three programs: `hog-bench`, the harness; `hog-bench-producer`, a
//! producer built on `hog-producer` that the harness starts; and
//! `hog-campaign`, the fault campaign ([`campaign`]). None is part of
//! `cargo test`; build them with `cargo build --release -p hog-host -p
//! hog-bench` and run `target/release/hog-bench --help`.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
pub mod campaign;
pub mod clock;
pub mod figures;
pub mod harness;
pub mod producer;
pub mod report;
pub mod workload;
