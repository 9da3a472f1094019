//! A thread that logs for the first time after hog died registers its ring
//! on a dead connection. `storage.H` gets SIGPIPE there (and dies unless
//! the application ignores it); we do not, even with SIGPIPE's default
//! action restored.

mod support;

use hog_producer::{group, hstore, CommitMethod, Group, Qos};
use support::{fresh_dir, remove_region, Listener};

group! {
    static PIPE: Pipe = Group::new("Pipe", 10, Qos::Reliable, CommitMethod::Auto)
        .with_store_dir(*DIR);
    fn seq(i: i64);
}

static DIR: std::sync::LazyLock<&'static std::path::Path> = std::sync::LazyLock::new(fresh_dir);

#[test]
fn registering_on_a_dead_connection_does_not_kill_the_process() {
    // SAFETY: restores the default action of a signal; no handler runs.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let hog = Listener::bind(&DIR, "Pipe");
    assert!(hstore!(PIPE, seq, 1));
    hog.wait_for(0, 21);
    hog.close();
    let name = std::thread::spawn(|| {
        assert!(hstore!(PIPE, seq, 2), "the record goes into the new ring");
        PIPE.thread_region_name()
    })
    .join()
    .expect("the new thread survives");
    assert!(!PIPE.connected(), "the dead connection was dropped");
    remove_region(&name);
    remove_region(&PIPE.thread_region_name());
}
