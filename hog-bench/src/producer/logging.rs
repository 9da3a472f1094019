//! The measured loops: one log call per record, through the typed API
//! (`Writer::log` with a tuple of values, as applications log) or the
//! untyped one (`Writer::record` with bytes encoded beforehand).

use hog_producer::{Declaration, Group, Payload, StatementId, Writer};

use super::percall::{stamp, CallHistogram};
use crate::workload::{hash, Encoder, Workload};

/// Which producer API the loop calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `Writer::log(id, &(values…))`.
    Typed,
    /// `Writer::record(id, &bytes)`.
    Bytes,
}

/// Field names of the p3 record.
const P3_NAMES: [Option<&str>; 3] = [Some("x"), Some("y"), Some("z")];

/// Declares the workload's statement on `group`; the typed declaration
/// must describe the same type as the workload's type description.
pub fn declare(group: &mut Group, w: Workload, api: Api) -> Result<StatementId, String> {
    let (typed, names): (Vec<u8>, &[Option<&str>]) = match w {
        Workload::P3 => (
            <(i32, i32, i32)>::payload_type(&P3_NAMES).encode(),
            &P3_NAMES,
        ),
        Workload::I64 => (<(i64,)>::payload_type(&[]).encode(), &[]),
        Workload::S256 => (<(&str,)>::payload_type(&[]).encode(), &[]),
    };
    if typed != w.type_desc() {
        return Err(format!(
            "the typed {w} statement has another type than the workload's"
        ));
    }
    Ok(match (api, w) {
        (Api::Bytes, _) => group.statement(w.name(), &w.type_desc()),
        (Api::Typed, Workload::P3) => {
            group.declare(Declaration::of::<(i32, i32, i32)>(w.name(), names))
        }
        (Api::Typed, Workload::I64) => group.declare(Declaration::of::<(i64,)>(w.name(), names)),
        (Api::Typed, Workload::S256) => group.declare(Declaration::of::<(&str,)>(w.name(), names)),
    })
}

/// Logs records `0..n` of `w` with statement `id`, timing every call into
/// `histogram` if given.
pub fn log_all(
    writer: &mut Writer<'_>,
    id: StatementId,
    w: Workload,
    api: Api,
    n: u64,
    histogram: Option<&mut CallHistogram>,
) {
    let mut encoder = Encoder::new(w);
    match (api, w) {
        (Api::Bytes, _) => drive(writer, n, histogram, |wr, i| {
            wr.record(id, encoder.bytes());
            encoder.advance(i);
        }),
        (Api::Typed, Workload::P3) => drive(writer, n, histogram, |wr, i| {
            wr.log(id, &(i as i32, hash(i), (i >> 10) as i32));
        }),
        (Api::Typed, Workload::I64) => drive(writer, n, histogram, |wr, i| {
            wr.log(id, &(i as i64,));
        }),
        (Api::Typed, Workload::S256) => drive(writer, n, histogram, |wr, i| {
            // SAFETY: the encoder's characters are ASCII digits and letters.
            let s = unsafe { std::str::from_utf8_unchecked(&encoder.bytes()[8..]) };
            wr.log(id, &(s,));
            encoder.advance(i);
        }),
    }
}

/// Calls `f` for records `0..n`, bracketing each call with TSC stamps when
/// there is a histogram.
#[inline(always)]
fn drive<F: FnMut(&mut Writer<'_>, u64)>(
    writer: &mut Writer<'_>,
    n: u64,
    histogram: Option<&mut CallHistogram>,
    mut f: F,
) {
    match histogram {
        None => {
            for i in 0..n {
                f(writer, i);
            }
        }
        Some(h) => {
            for i in 0..n {
                let t0 = stamp();
                f(writer, i);
                let t1 = stamp();
                h.add(t1.saturating_sub(t0));
            }
        }
    }
}
