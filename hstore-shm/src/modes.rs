//! How a group's producers behave, as they declare it in a region's header:
//! what happens when the ring is full, and how records form transactions.
//! Shared by producers, hog and its plugin interface (with the `abi_stable`
//! and `serde` features, the plugin boundary and settings carry them).

/// What a producer does when its ring is full (hobbes `PipeQOS`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "abi_stable", derive(abi_stable::StableAbi))]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum Qos {
    /// Wait for the consumer to make room: nothing is lost.
    Reliable = 0,
    /// Drop records while the ring is full (the log call says so).
    Unreliable = 1,
}

/// How a producer delimits transactions (hobbes `CommitMethod`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "abi_stable", derive(abi_stable::StableAbi))]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum CommitMethod {
    /// Records are committed a page at a time, automatically.
    Auto = 0,
    /// The application commits or rolls back groups of records.
    Manual = 1,
}
