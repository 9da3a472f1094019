//! Running real processes and reading what they did: hog in its modes,
//! the benchmark producer, `/proc`, a counting TCP relay and hog's output
//! files.

pub mod bench;
pub mod hog;
pub mod http;
pub mod machine;
pub mod nats;
pub mod options;
pub mod procfs;
pub mod producer;
pub mod relay;
pub mod stats;
pub mod verify;
pub mod wait;
