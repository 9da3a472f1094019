//! Producers find hog's socket where `storage.H` looks for it: the first
//! of `$HOBBES_STORE_DIR`, `$TMPDIR`, `$TMP` that is non-empty and
//! writable, else `/var/tmp` if writable, else `/tmp`. (One test: the
//! environment is process-wide.)

mod support;

use hog_producer::{default_store_dir, CommitMethod, Declaration, Group, Qos};
use support::{remove_region, Listener};

#[test]
fn the_store_directory_follows_the_environment_in_order() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let set = |k: &str, v: &std::path::Path| std::env::set_var(k, v);
    set("HOBBES_STORE_DIR", a.path());
    set("TMPDIR", b.path());
    set("TMP", c.path());
    assert_eq!(default_store_dir(), a.path());

    // A group made now registers there.
    let hog = Listener::bind(a.path(), "EnvDir");
    let mut g = Group::new("EnvDir", 10, Qos::Reliable, CommitMethod::Auto);
    g.declare(Declaration::of::<()>("tick", &[]));
    let _w = g.writer().expect("hog found through HOBBES_STORE_DIR");
    hog.wait_for(0, 21);
    remove_region(&g.thread_region_name());

    std::env::set_var("HOBBES_STORE_DIR", "");
    assert_eq!(default_store_dir(), b.path(), "empty is skipped");
    set("HOBBES_STORE_DIR", &a.path().join("missing"));
    assert_eq!(default_store_dir(), b.path(), "unwritable is skipped");
    std::env::remove_var("TMPDIR");
    assert_eq!(default_store_dir(), c.path());
    std::env::remove_var("TMP");
    std::env::remove_var("HOBBES_STORE_DIR");
    let var_tmp = std::path::Path::new("/var/tmp");
    // SAFETY: a NUL-terminated constant path.
    let writable = unsafe { libc::access(c"/var/tmp".as_ptr(), libc::W_OK) == 0 };
    let expected = if writable {
        var_tmp
    } else {
        std::path::Path::new("/tmp")
    };
    assert_eq!(default_store_dir(), expected);
}
