//! Logging typed records into hog from Rust, with the shared-memory
//! protocol of hobbes `storage.H`: the C++ hog and ours consume them alike.
//!
//! A group is a set of statements with a quality of service and a commit
//! method. Each thread that logs gets its own ring, created on first use
//! and registered with hog over the group's Unix socket; a record is the
//! statement's `u32` id and its packed payload.
//!
//! Declare a group and its statements once, with [`group!`]; log with the
//! generated methods, or [`hstore!`] and [`hlog!`]:
//!
//! ```no_run
//! use hog_producer::{group, hlog, hstore, CommitMethod, Group, Qos, Store};
//!
//! #[derive(Store)]
//! struct Order<'a> {
//!     id: i64,
//!     sym: &'a str,
//!     px: f64,
//! }
//!
//! group! {
//!     /// What the order book logs.
//!     pub static ORDERS: Orders = Group::new("Orders", 32, Qos::Reliable, CommitMethod::Auto);
//!
//!     /// A new order (one argument: its payload is the order itself).
//!     fn order(order: &Order);
//!     /// A fill: two arguments make a `(.f0, .f1)` payload.
//!     fn fill(id: i64, qty: i32);
//!     /// Named arguments (hobbes `HNAME`) make a record with those names.
//!     fn quote(#[named] bid: f64, #[named] ask: f64);
//!     /// A statement with a display format for its arguments.
//!     #[hlog("order $0 cancelled: $1")]
//!     fn cancel(id: i64, why: &str);
//! }
//!
//! ORDERS.order(&Order { id: 1, sym: "IBM", px: 12.5 });
//! hstore!(ORDERS, fill, 1, 100);
//! hstore!(ORDERS, quote, 12.25, 12.75);
//! hlog!(ORDERS, cancel, 1, "client request");
//! ORDERS.commit(); // AutoCommit publishes full pages; this flushes the rest.
//! ```
//!
//! Without the macro, declare statements on a [`Group`] while building it
//! and log with [`Group::log`] (from any thread, for a `static` group) or
//! with an explicit [`Writer`]:
//!
//! ```no_run
//! use hog_producer::{CommitMethod, Declaration, Group, Qos};
//!
//! let mut group = Group::new("Ticks", 16, Qos::Unreliable, CommitMethod::Manual);
//! let tick = group.declare(Declaration::of::<(&str, f64)>("tick", &[]));
//! let mut writer = group.writer().expect("a ring for this thread");
//! writer.log(tick, &("IBM", 12.5));
//! writer.commit();
//! println!("{} records dropped", group.dropped());
//! ```
//!
//! **Declare first.** A ring carries a snapshot of its group's statement
//! table, taken when the ring is created, exactly as in `storage.H`.
//! Statements are declared on a group being built (`&mut Group`), so they
//! all exist before the group can create its first ring.
//!
//! **Values.** [`Store`] gives a Rust type its hobbes type and encoding:
//! integers of every width, `bool`, `char`, floats, strings, slices and
//! vectors, arrays, tuples, [`Datetime`]/[`Timespan`]/[`Time`], and
//! structs and enums through `#[derive(Store)]`.
//!
//! **Hot path.** Logging a record that fits in the slot being filled
//! encodes it in place: no allocation, no system call, no lock (see
//! [`Writer`]). The crate depends on `libc`, `memmap2` and the ring
//! protocol only, so applications stay free of the daemon's dependencies.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
extern crate self as hog_producer;

mod error;
mod group;
mod local;
mod macros;
mod meta;
mod output;
mod payload;
mod region;
mod registration;
mod statement;
mod store;
mod store_dir;
mod time;
pub mod types;
mod writer;

pub use error::ProducerError;
pub use group::{CommitMethod, Group, Qos};
pub use hog_producer_derive::{group, Store};
pub use hstore_shm::WaitPolicy;
pub use output::Output;
pub use payload::{arguments_type, Payload};
pub use statement::{Declaration, StatementId};
pub use store::{encode, fixed_common, fixed_sum, Store};
pub use store_dir::default_store_dir;
pub use time::{Datetime, Time, Timespan};
pub use types::Type;
pub use writer::Writer;
