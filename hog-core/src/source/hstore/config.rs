//! The hstore source's settings.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::units::{Permissions, Size, Span};

/// Tunables of the hstore source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HstoreConfig {
    /// Unlink a region once its producer exited and it is drained.
    pub unlink_drained: bool,
    /// How often an idle reader looks for a stop or a producer exit.
    pub tick: Span,
    /// Bytes of transactions delivered to the sinks at once, at most.
    pub batch_bytes: Size,
    /// Permission bits of the registration sockets: who may connect to
    /// register a producer (owner and group by default).
    pub socket_mode: Permissions,
}

impl Default for HstoreConfig {
    fn default() -> Self {
        Self {
            unlink_drained: true,
            tick: Span(Duration::from_millis(200)),
            batch_bytes: Size(4 << 20),
            socket_mode: Permissions(0o660),
        }
    }
}
