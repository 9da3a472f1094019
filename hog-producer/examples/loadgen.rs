//! A producer process for tests and demos: threads logging sequence
//! numbers into a group.
//!
//! `loadgen GROUP DIR THREADS RECORDS [auto|manual] [PAGES] [TXN] [LINGER_MS]`:
//! each thread `t` logs statement `seq` (a `long`) with values
//! `t * 1_000_000 + i` for `i` in `0..RECORDS`; with `manual`, it commits
//! every `TXN` records. Prints `done` when every thread has finished, then
//! stays `LINGER_MS` before it exits (its streams stay open meanwhile).

use hog_producer::{CommitMethod, Declaration, Group, Qos};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!(
            "usage: loadgen GROUP DIR THREADS RECORDS [auto|manual] [PAGES] [TXN] [LINGER_MS]"
        );
        std::process::exit(2);
    }
    let number = |i: usize, default: u64| {
        args.get(i)
            .map_or(default, |s| s.parse().expect("a number"))
    };
    let (threads, records) = (number(2, 1), number(3, 1000));
    let commit = match args.get(4).map(String::as_str) {
        Some("manual") => CommitMethod::Manual,
        _ => CommitMethod::Auto,
    };
    let (pages, txn) = (number(5, 32), number(6, 100).max(1));
    let mut group = Group::new(&args[0], pages, Qos::Reliable, commit).with_store_dir(&args[1]);
    let seq = group.declare(Declaration::of::<(i64,)>("seq", &[]));
    std::thread::scope(|s| {
        for t in 0..threads {
            let group = &group;
            s.spawn(move || {
                let mut writer = group.writer().expect("register with hog");
                for i in 0..records {
                    let value = (t * 1_000_000 + i) as i64;
                    writer.log(seq, &(value,));
                    if commit == CommitMethod::Manual && (i + 1) % txn == 0 {
                        writer.commit();
                    }
                }
                writer.commit();
            });
        }
    });
    println!("done");
    std::thread::sleep(std::time::Duration::from_millis(number(7, 0)));
}
