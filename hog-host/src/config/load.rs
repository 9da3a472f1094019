//! Merging settings from defaults, a file, the environment and flags.

use std::path::Path;

use figment::error::Kind;
use figment::providers::{Env, Format, Serialized, Toml, Yaml};
use figment::{Figment, Provider};
use serde_json::{Map, Value};

use super::store_dir::writable;
use super::{Config, PluginConfig};
use hog_core::pipeline::OnError;

/// Settings hog cannot run with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value could not be read: the message names the key and where it
    /// came from (file, environment variable, flag).
    #[error("{0}")]
    Parse(String),
    /// The settings are readable but do not make sense together.
    #[error("{0}")]
    Invalid(String),
}

/// Merges defaults < `file` < `HOG_*` environment < `overrides` (flags),
/// then checks the result.
pub fn load(file: Option<&Path>, overrides: &Map<String, Value>) -> Result<Config, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(file) = file {
        if !file.is_file() {
            return Err(ConfigError::Parse(format!(
                "config file {}: not found",
                file.display()
            )));
        }
        figment = match file.extension().and_then(|e| e.to_str()) {
            Some("toml") => figment.merge(Toml::file(file)),
            Some("yaml" | "yml") => figment.merge(Yaml::file(file)),
            _ => {
                return Err(ConfigError::Parse(format!(
                    "config file {}: unknown format (name it .toml, .yaml or .yml)",
                    file.display()
                )))
            }
        };
    }
    let (mut config, ignored) = extract(figment, overrides)?;
    config.ignored_env = ignored;
    validate(&mut config)?;
    Ok(config)
}

/// Extracts the merged settings. A `HOG_*` variable that names no setting
/// is left out and returned, so that a variable meant for something else
/// (`HOG_BIN`, say) cannot stop hog; an unknown key in a file or a flag
/// stays an error.
fn extract(
    base: Figment,
    overrides: &Map<String, Value>,
) -> Result<(Config, Vec<String>), ConfigError> {
    let env_name = Env::prefixed(ENV_PREFIX).metadata().name;
    let mut ignored: Vec<String> = Vec::new();
    loop {
        let skip = ignored.clone();
        let env = Env::prefixed(ENV_PREFIX)
            .split("__")
            .filter(move |key| !skip.iter().any(|s| key.as_str().eq_ignore_ascii_case(s)));
        let figment = base
            .clone()
            .merge(env)
            .merge(Serialized::defaults(Value::Object(overrides.clone())));
        let errors = match figment.extract::<Config>() {
            Ok(config) => {
                let names = ignored.iter().map(|key| env_var_of(key)).collect();
                return Ok((config, names));
            }
            Err(errors) => errors,
        };
        let unknown: Vec<String> = errors
            .clone()
            .into_iter()
            .filter(|e| {
                matches!(e.kind, Kind::UnknownField(..))
                    && e.metadata.as_ref().is_some_and(|m| m.name == env_name)
            })
            .map(|e| key_of(&e))
            .filter(|key| !ignored.contains(key))
            .collect();
        if unknown.is_empty() {
            let text = errors.into_iter().map(describe).collect::<Vec<_>>();
            return Err(ConfigError::Parse(text.join("\n")));
        }
        ignored.extend(unknown);
    }
}

/// The prefix of hog's environment variables.
const ENV_PREFIX: &str = "HOG_";

/// The environment variable behind a dotted key (`sink.disk.dir` is
/// `HOG_SINK__DISK__DIR`), as the environment spells it.
fn env_var_of(key: &str) -> String {
    let wanted = key.replace('.', "__");
    std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .find(|name| {
            name.len() > ENV_PREFIX.len()
                && name[..ENV_PREFIX.len()].eq_ignore_ascii_case(ENV_PREFIX)
                && name[ENV_PREFIX.len()..].eq_ignore_ascii_case(&wanted)
        })
        .unwrap_or_else(|| format!("{ENV_PREFIX}{}", wanted.to_uppercase()))
}

/// The dotted key an error is about, without figment's profile.
fn key_of(e: &figment::Error) -> String {
    e.path
        .iter()
        .skip_while(|p| p.as_str() == figment::Profile::Default.as_str())
        .cloned()
        .collect::<Vec<_>>()
        .join(".")
}

/// "<where>: key `<key>`: <what>", naming the file or variable it came from.
fn describe(e: figment::Error) -> String {
    let origin = e
        .metadata
        .as_ref()
        .map(|m| match &m.source {
            Some(source) => format!("{} ({source})", m.name),
            None => m.name.to_string(),
        })
        .unwrap_or_else(|| "settings".into());
    let key = key_of(&e);
    if key.is_empty() {
        format!("{origin}: {}", e.kind)
    } else {
        format!("{origin}: key `{key}`: {}", e.kind)
    }
}

const SOURCES: &[&str] = &["hstore", "receiver", "generator", "jetstream"];
const LOG_LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace"];

fn validate(config: &mut Config) -> Result<(), ConfigError> {
    let invalid = |m: String| Err(ConfigError::Invalid(m));
    config.groups.sort();
    config.groups.dedup();
    if !LOG_LEVELS.contains(&config.log_level.as_str()) {
        return invalid(format!(
            "log_level: '{}' is not one of {}",
            config.log_level,
            LOG_LEVELS.join(", ")
        ));
    }
    if config.sources.is_empty() {
        return invalid("sources: no source is configured".into());
    }
    for source in &config.sources {
        if !SOURCES.contains(&source.as_str()) {
            return invalid(format!(
                "sources: unknown source '{source}' (known: {})",
                SOURCES.join(", ")
            ));
        }
    }
    if config.sinks.is_empty() {
        return invalid("sinks: no sink is configured".into());
    }
    for name in &config.sinks {
        let Some(sink) = config.sink.get_mut(name) else {
            return invalid(format!(
                "sinks: '{name}' is not defined (add a [sink.{name}] table)"
            ));
        };
        choose_kind(&format!("sink.{name}"), sink, name)?;
    }
    choose_kind("stat_store", &mut config.stat_store, "sqlite")?;
    if config.stat_store.on_error == Some(OnError::Detach) {
        return invalid(
            "stat_store.on_error: the stat store cannot be detached; it always holds".into(),
        );
    }
    if config.sources.iter().any(|s| s == "hstore") {
        if config.groups.is_empty() {
            return invalid("can't record data because no groups have been specified".into());
        }
        let dir = config.store_dir();
        if let Err(e) = writable(&dir) {
            return invalid(format!(
                "can't record domain socket for producer registration ({e}): {}",
                dir.display()
            ));
        }
    }
    if config.sources.iter().any(|s| s == "receiver") && config.receiver.port.is_none() {
        return invalid("receiver.port: the receiver needs a port (-s port)".into());
    }
    Ok(())
}

/// Checks that at most one of `kind` and `plugin` is set; with neither, the
/// kind is `default`.
fn choose_kind(key: &str, pc: &mut PluginConfig, default: &str) -> Result<(), ConfigError> {
    match (&pc.kind, &pc.plugin) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid(format!(
            "{key}: set either 'kind' (built in) or 'plugin' (a library), not both"
        ))),
        (None, None) => {
            pc.kind = Some(default.to_string());
            Ok(())
        }
        _ => Ok(()),
    }
}
