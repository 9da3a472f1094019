//! The figures: hog against the C++ hog (1–7), compressed storage (8) and
//! JetStream (9), one module each, and the metrics they produce.

pub mod compressed;
pub mod idle;
pub mod jetstream;
pub mod local;
pub mod memory;
pub mod metric;
pub mod producer_alone;
pub mod recovery;
pub mod session;
pub mod shipping;

use crate::harness::bench::Bench;

/// Measures figure `n` (1–9).
pub fn measure(b: &mut Bench, n: u8) -> Result<(), String> {
    match n {
        1 => producer_alone::measure(b),
        2 => local::measure(b),
        3 => shipping::measure(b),
        4 => recovery::measure(b),
        5 => idle::measure(b),
        6 => session::measure(b),
        7 => memory::measure(b),
        8 => compressed::measure(b),
        9 => jetstream::measure(b),
        _ => Err(format!("no figure {n}")),
    }
}
