//! The campaign's producer (`hog-campaign produce DIR ID RECORDS TXN`): logs
//! `seq` values `ID << 32 | i` for `i` in `0..RECORDS` into group `C`,
//! committing every `TXN` records and printing `committed N` after each
//! commit, so that the campaign knows a lower bound of what a producer it
//! kills had committed. Paced (1 ms every 25 records) so that faults land
//! mid-stream.

use std::io::Write;
use std::time::Duration;

use hog_producer::{CommitMethod, Declaration, Group, Qos};

/// The group every campaign producer logs into.
pub const GROUP: &str = "C";

/// Runs the producer with the arguments after `produce`.
pub fn main(args: &[String]) -> Result<(), String> {
    let [dir, id, records, txn] = args else {
        return Err("usage: hog-campaign produce DIR ID RECORDS TXN".into());
    };
    let number = |s: &String| s.parse::<u64>().map_err(|e| format!("{s}: {e}"));
    let (id, records, txn) = (number(id)?, number(records)?, number(txn)?.max(1));
    let mut group = Group::new(GROUP, 8, Qos::Reliable, CommitMethod::Manual).with_store_dir(dir);
    let seq = group.declare(Declaration::of::<(i64,)>("seq", &[]));
    let mut writer = group.writer().map_err(|e| format!("registering: {e}"))?;
    let mut out = std::io::stdout().lock();
    for i in 0..records {
        writer.log(seq, &(((id << 32) | i) as i64,));
        if (i + 1) % txn == 0 || i + 1 == records {
            writer.commit();
            let _ = writeln!(out, "committed {}", i + 1);
            let _ = out.flush();
        }
        if i % 25 == 24 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    Ok(())
}
