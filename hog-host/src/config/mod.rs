//! hog's settings: what runs (sources, sinks, stat store) and how.
//!
//! Settings merge in the order defaults < `--config` file (TOML or YAML) <
//! `HOG_*` environment variables < command-line flags; see [`load`]. A
//! sink's or stat store's own options are kept as given and handed to the
//! plugin, which validates them.

mod load;
mod mode;
mod store_dir;

use std::collections::BTreeMap;
use std::path::PathBuf;

use hog_core::pipeline::OnError;
pub use hog_core::source::ReceiverConfig;
use hog_core::source::{GeneratorConfig, HstoreConfig};
use hog_core::units::Permissions;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub use load::{load, ConfigError};
pub use mode::Mode;
pub use store_dir::default_store_dir;

/// All of hog's settings, merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Storage groups whose producers the `hstore` source serves (`-g`).
    pub groups: Vec<String>,
    /// Directory of the producer registration sockets and of the stat store
    /// (`-m`); unset means the hobbes default-directory rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_dir: Option<PathBuf>,
    /// Resume unfinished streams at start (`--no-recovery` turns it off).
    pub recovery: bool,
    /// Where plugins named by `plugin = "name"` are found
    /// (`lib<name>.so`); unset means the directory of the hog executable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_dir: Option<PathBuf>,
    /// Log level: error, warn, info or debug (`RUST_LOG` refines it).
    pub log_level: String,
    /// The permission bits hog leaves out of everything it creates (data
    /// files, stat store, spool, locks, directories): `"0027"` makes files
    /// 0640 and directories 0750. The registration sockets have their own
    /// (`hstore.socket_mode`).
    pub umask: Permissions,
    /// The sources that run: `hstore`, `receiver`, `generator`,
    /// `jetstream`.
    pub sources: Vec<String>,
    /// The sinks every stream is delivered to, by name (keys of `sink`).
    pub sinks: Vec<String>,
    /// The stat store.
    pub stat_store: PluginConfig,
    /// The shared-memory source (local producers).
    pub hstore: HstoreConfig,
    /// The network receiver source (batchrecv).
    pub receiver: ReceiverConfig,
    /// The generator source (demo and tests).
    pub generator: GeneratorConfig,
    /// Sink definitions by name.
    pub sink: BTreeMap<String, PluginConfig>,
    /// Options of sources that keep them in a table of their own
    /// (`[source.jetstream]`), handed to the source as they are.
    pub source: BTreeMap<String, Map<String, Value>>,
    /// The metrics and status page listener.
    pub metrics: MetricsConfig,
    /// `HOG_*` environment variables that name no setting: left out, with a
    /// warning, since the environment is shared with everything else.
    #[serde(skip)]
    pub ignored_env: Vec<String>,
}

/// Where the metrics (`/metrics`) and the status page (`/`) are served.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// `PORT` (on 127.0.0.1), `HOST:PORT` or `[V6]:PORT`; unset: off
    /// (`--metrics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

/// A sink or stat store: a built-in `kind` or a `plugin` library, with the
/// options the plugin reads. With neither, a sink's kind is its name and the
/// stat store's is `sqlite`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginConfig {
    /// A built-in implementation: `disk`, `tcp` (sinks), `sqlite` (store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// A plugin library: a path, or a name looked up as
    /// `<plugin_dir>/lib<name>.so`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// What a sink's failed write does: `hold` (the default: keep the data
    /// in the source and retry until the sink takes it) or `detach` (go on
    /// without this sink for the stream). The stat store always holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_error: Option<OnError>,
    /// Every other key: the plugin's options.
    #[serde(flatten)]
    pub options: Map<String, Value>,
}

/// The NATS server the jetstream sink and source use unless told.
pub const DEFAULT_NATS: &str = "nats://127.0.0.1:4222";

/// The default data file template of hobbes' hog.
pub const DEFAULT_DIR: &str = "./$GROUP/$DATE/data";

impl Default for Config {
    fn default() -> Self {
        let builtin = |options: Value| PluginConfig {
            kind: None,
            plugin: None,
            on_error: None,
            options: match options {
                Value::Object(map) => map,
                _ => Map::new(),
            },
        };
        Self {
            groups: Vec::new(),
            store_dir: None,
            recovery: true,
            plugin_dir: None,
            log_level: "info".into(),
            umask: Permissions(0o027),
            sources: vec!["hstore".into()],
            sinks: vec!["disk".into()],
            stat_store: builtin(json!({})),
            hstore: HstoreConfig::default(),
            receiver: ReceiverConfig::default(),
            generator: GeneratorConfig::default(),
            metrics: MetricsConfig::default(),
            sink: BTreeMap::from([
                (
                    "disk".to_string(),
                    builtin(json!({
                        "dir": DEFAULT_DIR,
                        "consolidate": false,
                        "compress": false,
                        "fsync": false,
                    })),
                ),
                (
                    "tcp".to_string(),
                    builtin(json!({
                        "dir": DEFAULT_DIR,
                        "batch_time": "2s",
                        "batch_size": "10MB",
                        "destinations": [],
                    })),
                ),
                (
                    "jetstream".to_string(),
                    builtin(json!({ "servers": [DEFAULT_NATS] })),
                ),
            ]),
            source: BTreeMap::from([(
                "jetstream".to_string(),
                builtin(json!({ "servers": [DEFAULT_NATS] })).options,
            )]),
            ignored_env: Vec::new(),
        }
    }
}

impl Config {
    /// The directory of registration sockets and the stat store.
    pub fn store_dir(&self) -> PathBuf {
        self.store_dir.clone().unwrap_or_else(default_store_dir)
    }

    /// One warning per ignored `HOG_*` variable.
    pub fn warnings(&self) -> impl Iterator<Item = String> + '_ {
        self.ignored_env
            .iter()
            .map(|name| format!("environment variable {name} names no hog setting; ignored"))
    }

    /// The settings as TOML, as `--print-config` shows them.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot show settings: {e}\n"))
    }
}
