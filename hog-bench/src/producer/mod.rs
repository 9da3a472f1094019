//! The benchmark producer (`hog-bench-producer`): one thread logging a
//! workload through `hog-producer` into hog, or into an in-process drainer
//! when the producer's own cost is measured.

pub mod args;
pub mod drainer;
pub mod logging;
pub mod percall;
pub mod run;
pub mod verifier;
