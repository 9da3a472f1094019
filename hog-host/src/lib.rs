//! The hog host: command line, settings, plugin loading and run modes.
//!
//! The `hog` binary is a thin `main` over this library; tests use it to load
//! settings and start runs in-process.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
pub mod cli;
pub mod config;
pub mod demo;
pub mod export;
pub mod inspect;
pub mod logging;
pub mod memory;
pub mod plugins;
pub mod run;
pub mod serve;
pub mod stat;
