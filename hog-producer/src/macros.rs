//! `hstore!` and `hlog!`: the call-site spelling of `storage.H`'s macros,
//! for statements declared with [`group!`](crate::group!).

/// Logs a record of statement `name` of a group declared with
/// [`group!`](crate::group!): `hstore!(GROUP, name, a, b)` is
/// `GROUP.name(a, b)`. Returns `false` if the record was dropped.
///
/// ```no_run
/// use hog_producer::{group, hstore, CommitMethod, Group, Qos};
///
/// group! {
///     static LOG: Log = Group::new("Log", 16, Qos::Reliable, CommitMethod::Auto);
///     fn started();
///     fn point(x: i32, y: i32);
/// }
///
/// hstore!(LOG, started);
/// hstore!(LOG, point, 1, 2);
/// ```
#[macro_export]
macro_rules! hstore {
    ($group:expr, $name:ident $(, $arg:expr)* $(,)?) => {
        $group.$name($($arg),*)
    };
}

/// Logs a record of an `HLOG` statement (declared with `#[hlog("…")]` in
/// [`group!`](crate::group!), where its format lives):
/// `hlog!(GROUP, name, a, b)` is `GROUP.name(a, b)`.
///
/// ```no_run
/// use hog_producer::{group, hlog, CommitMethod, Group, Qos};
///
/// group! {
///     static LOG: Log = Group::new("Log", 16, Qos::Reliable, CommitMethod::Auto);
///     #[hlog("hello $0, you are $1 years old")]
///     fn greet(name: &str, age: i32);
/// }
///
/// hlog!(LOG, greet, "world", 42);
/// ```
#[macro_export]
macro_rules! hlog {
    ($group:expr, $name:ident $(, $arg:expr)* $(,)?) => {
        $group.$name($($arg),*)
    };
}
