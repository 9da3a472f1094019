//! Finding and instantiating plugins: built-in ones linked in by cargo
//! features, others loaded from libraries. Both yield the same objects.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use abi_stable::std_types::{RResult, RStr};
use hog_core::pipeline::{SinkHandle, StatStoreHandle};
use hog_core::plugin::{self, LoadError, LogLevel, Logger, PluginError, PluginModuleRef};
use serde_json::Value;

use crate::config::{Config, PluginConfig};

/// The file name of the stat store in the store directory.
pub const STAT_FILE: &str = "hogstat.sqlite";

/// A plugin that could not be found, loaded or created, with the entry of
/// the configuration it is for (`stat_store`, `sink 'name'`).
#[derive(Debug, thiserror::Error)]
pub enum PluginSetupError {
    /// A built-in sink whose cargo feature was off in this build.
    #[error("{what}: this hog was built without the '{kind}' sink (cargo feature {feature})")]
    NotBuilt {
        /// The configuration entry.
        what: String,
        /// The sink's kind.
        kind: String,
        /// The cargo feature that builds it in.
        feature: String,
    },
    /// No built-in plugin has that kind.
    #[error(
        "{what}: there is no built-in plugin '{kind}' in this hog (built-in: {})",
        BUILTINS.join(", ")
    )]
    Unknown {
        /// The configuration entry.
        what: String,
        /// The kind asked for.
        kind: String,
    },
    /// The plugin library cannot be loaded.
    #[error("{what}: {source}")]
    Load {
        /// The configuration entry.
        what: String,
        /// Why not.
        source: LoadError,
    },
    /// The entry names neither a built-in kind nor a plugin library.
    #[error("{what}: no kind or plugin")]
    Unconfigured {
        /// The configuration entry.
        what: String,
    },
    /// The plugin refused its options or could not start.
    #[error("{what}: {source}")]
    Create {
        /// The configuration entry.
        what: String,
        /// What the plugin said.
        source: PluginError,
    },
}

/// The built-in plugin of `kind` for the entry `what`, if this hog was
/// built with it.
fn builtin(what: &str, kind: &str) -> Result<PluginModuleRef, PluginSetupError> {
    match kind {
        #[cfg(feature = "store-sqlite")]
        "sqlite" => Ok(store_sqlite::module()),
        #[cfg(feature = "sink-disk")]
        "disk" => Ok(sink_disk::module()),
        #[cfg(feature = "sink-tcp")]
        "tcp" => Ok(sink_tcp::module()),
        #[cfg(feature = "jetstream")]
        "jetstream" => Ok(jetstream::module()),
        #[cfg(feature = "sink-parquet")]
        "parquet" => Ok(sink_parquet::module()),
        // Reached for the sinks whose cargo feature is off.
        #[allow(unreachable_patterns)]
        "disk" | "tcp" | "jetstream" | "parquet" => Err(PluginSetupError::NotBuilt {
            what: what.into(),
            kind: kind.into(),
            feature: match kind {
                "jetstream" => kind.into(),
                _ => format!("sink-{kind}"),
            },
        }),
        _ => Err(PluginSetupError::Unknown {
            what: what.into(),
            kind: kind.into(),
        }),
    }
}

const BUILTINS: &[&str] = &[
    #[cfg(feature = "store-sqlite")]
    "sqlite",
    #[cfg(feature = "sink-disk")]
    "disk",
    #[cfg(feature = "sink-tcp")]
    "tcp",
    #[cfg(feature = "jetstream")]
    "jetstream",
    #[cfg(feature = "sink-parquet")]
    "parquet",
];

/// Where `plugin = "…"` points: a path as given, or a name looked up as
/// `lib<name>.so` in the plugin directory.
pub fn library_path(config: &Config, plugin: &str) -> PathBuf {
    if plugin.contains('/') || plugin.ends_with(".so") {
        return PathBuf::from(plugin);
    }
    plugin_dir(config).join(format!("lib{}.so", plugin.replace('-', "_")))
}

/// The plugin directory: as configured, else the hog executable's directory.
pub fn plugin_dir(config: &Config) -> PathBuf {
    config.plugin_dir.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."))
    })
}

fn module(
    config: &Config,
    what: &str,
    pc: &PluginConfig,
) -> Result<PluginModuleRef, PluginSetupError> {
    match (&pc.kind, &pc.plugin) {
        (Some(kind), _) => builtin(what, kind),
        (None, Some(plugin)) => {
            let path = library_path(config, plugin);
            let module = plugin::load(&path).map_err(|source| PluginSetupError::Load {
                what: what.to_string(),
                source,
            })?;
            tracing::info!(
                "{what}: loaded plugin '{}' {} from {}",
                module.name(),
                module.version(),
                path.display()
            );
            Ok(module)
        }
        (None, None) => Err(PluginSetupError::Unconfigured {
            what: what.to_string(),
        }),
    }
}

/// Creates the configured stat store.
pub fn stat_store(config: &Config) -> Result<(StatStoreHandle, PathBuf), PluginSetupError> {
    let pc = &config.stat_store;
    let mut options = pc.options.clone();
    if pc.kind.as_deref() == Some("sqlite") && !options.contains_key("path") {
        let path = config.store_dir().join(STAT_FILE);
        options.insert("path".into(), Value::String(path.display().to_string()));
    }
    let shown = options
        .get("path")
        .and_then(Value::as_str)
        .map(PathBuf::from)
        .unwrap_or_default();
    let module = module(config, "stat_store", pc)?;
    let json = Value::Object(options).to_string();
    let store = into_result((module.new_stat_store())(
        RStr::from_str(&json),
        logger("stat_store"),
    ))
    .map_err(|source| PluginSetupError::Create {
        what: "stat_store".into(),
        source,
    })?;
    Ok((StatStoreHandle::new(store), shown))
}

/// Creates every sink named in `sinks`, in order.
pub fn sinks(config: &Config) -> Result<Vec<Arc<SinkHandle>>, PluginSetupError> {
    config
        .sinks
        .iter()
        .map(|name| {
            let what = format!("sink '{name}'");
            let pc = &config.sink[name];
            let module = module(config, &what, pc)?;
            let mut options = pc.options.clone();
            if pc.kind.as_deref() == Some("tcp") && !options.contains_key("state_dir") {
                let dir = config.store_dir().display().to_string();
                options.insert("state_dir".into(), Value::String(dir));
            }
            let json = Value::Object(options).to_string();
            let object = into_result((module.new_sink())(RStr::from_str(&json), logger(name)))
                .map_err(|source| PluginSetupError::Create {
                    what: what.clone(),
                    source,
                })?;
            let on_error = pc.on_error.unwrap_or_default();
            Ok(Arc::new(
                SinkHandle::new(name.clone(), object).with_on_error(on_error),
            ))
        })
        .collect()
}

fn into_result<T, E>(r: RResult<T, E>) -> Result<T, E> {
    r.into_result()
}

fn logger(name: &str) -> Logger {
    Logger::new(plugin_log, name)
}

/// Forwards a plugin's log message to hog's log.
extern "C" fn plugin_log(level: LogLevel, name: RStr<'_>, message: RStr<'_>) {
    let (name, message) = (name.as_str(), message.as_str());
    match level {
        LogLevel::Error => tracing::error!(plugin = name, "{message}"),
        LogLevel::Warn => tracing::warn!(plugin = name, "{message}"),
        LogLevel::Info => tracing::info!(plugin = name, "{message}"),
        LogLevel::Debug => tracing::debug!(plugin = name, "{message}"),
    }
}
