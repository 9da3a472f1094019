//! Figure 8: compressed storage. The same workload drained in local mode
//! raw and with `-z` (a fresh hog each), and the raw file compressed with
//! zstd (level 3, one thread) for comparison: how fast each stores the
//! records and how many bytes it leaves. Both hogs' files are read back and
//! checked record by record, the compressed one by decoding every value.

use std::time::Instant;

use hog_core::wire::v2::Codec;

use crate::figures::local::{local_run, MIB};
use crate::figures::metric::Unit;
use crate::harness::bench::Bench;
use crate::harness::verify::{data_files, output_bytes};
use crate::workload::Workload;

/// The zstd level compared with (the v2 protocol's).
const ZSTD_LEVEL: i32 = 3;

/// Measures figure 8 for every workload.
pub fn measure(b: &mut Bench) -> Result<(), String> {
    for w in b.options.workloads.clone() {
        for run in 0..b.options.runs {
            b.before_run(8);
            b.say(&format!(
                "figure 8, compressed storage, {w}, run {}",
                run + 1
            ));
            one_run(b, w)?;
        }
    }
    Ok(())
}

fn one_run(b: &mut Bench, w: Workload) -> Result<(), String> {
    let n = b.records(w) as f64;
    let raw = local_run(b, w, &[])?;
    let z = local_run(b, w, &["-z"])?;
    let (raw_bytes, z_bytes) = (output_bytes(&raw.dir), output_bytes(&z.dir));

    // zstd of the raw file, as one would compress it after the fact.
    let (mut zstd_bytes, mut zstd_seconds) = (0u64, 0f64);
    for f in &data_files(&raw.dir) {
        let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let t = Instant::now();
        zstd_bytes += Codec::Zstd.compress(&bytes, ZSTD_LEVEL).len() as u64;
        zstd_seconds += t.elapsed().as_secs_f64();
    }

    let k = |what: &str| format!("z.{w}.{what}");
    let l = |what: &str| format!("store {w}: {what}");
    b.record(
        8,
        &k("raw.records_per_s"),
        &l("raw: records/s"),
        Unit::PerS,
        n / raw.seconds,
    );
    b.record(
        8,
        &k("z.records_per_s"),
        &l("-z: records/s"),
        Unit::PerS,
        n / z.seconds,
    );
    b.record(
        8,
        &k("zstd.records_per_s"),
        &l("zstd -3 of the raw file afterwards: records/s"),
        Unit::PerS,
        n / zstd_seconds,
    );
    b.record(
        8,
        &k("raw.hog_cpu_s"),
        &l("raw: hog CPU"),
        Unit::S,
        raw.hog_cpu,
    );
    b.record(8, &k("z.hog_cpu_s"), &l("-z: hog CPU"), Unit::S, z.hog_cpu);
    b.record(
        8,
        &k("raw.mib"),
        &l("raw: file bytes"),
        Unit::MiB,
        raw_bytes as f64 / MIB,
    );
    b.record(
        8,
        &k("z.mib"),
        &l("-z: file bytes"),
        Unit::MiB,
        z_bytes as f64 / MIB,
    );
    b.record(
        8,
        &k("zstd.mib"),
        &l("zstd -3 of the raw file: bytes"),
        Unit::MiB,
        zstd_bytes as f64 / MIB,
    );
    b.record(
        8,
        &k("z.ratio"),
        &l("-z file / raw file"),
        Unit::OneTo,
        z_bytes as f64 / raw_bytes as f64,
    );
    b.record(
        8,
        &k("zstd.ratio"),
        &l("zstd -3 / raw file"),
        Unit::OneTo,
        zstd_bytes as f64 / raw_bytes as f64,
    );
    b.clean(&raw.dir);
    b.clean(&z.dir);
    Ok(())
}
