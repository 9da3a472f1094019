//! The root module a plugin library exports, and how the host loads one.
//!
//! A plugin crate declares its module once with [`plugin_module!`], which
//! gives it a `pub fn module()` the host can link statically, and exports it
//! for dynamic loading with [`export_plugin!`] (usually behind a cargo
//! feature, so that several plugins can be linked into one binary).

use std::path::Path;

use abi_stable::{
    declare_root_module_statics,
    library::{lib_header_from_path, LibraryError, RootModule},
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr},
    StableAbi,
};

use super::log::Logger;
use super::sink::SinkObject;
use super::store::StatStoreObject;
use super::types::PluginError;

/// Version of the plugin interface. A plugin declaring another version is
/// refused at load; it changes whenever a change is not backward compatible.
pub const API_VERSION: u32 = 2;

/// Constructor of a sink: JSON options and a logger in, a sink out.
pub type NewSink = extern "C" fn(RStr<'_>, Logger) -> RResult<SinkObject, PluginError>;

/// Constructor of a stat store: JSON options and a logger in, a store out.
pub type NewStatStore = extern "C" fn(RStr<'_>, Logger) -> RResult<StatStoreObject, PluginError>;

/// The root module of a hog plugin library.
///
/// A prefix type: fields can be appended in later versions and an older
/// plugin still loads (a missing field is reported when used).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(panic))]
pub struct PluginModule {
    /// The [`API_VERSION`] the plugin was built against.
    pub api_version: u32,
    /// The plugin's name.
    pub name: RStr<'static>,
    /// The plugin's own version.
    pub version: RStr<'static>,
    /// Creates a sink, or says the plugin provides none.
    pub new_sink: extern "C" fn(RStr<'_>, Logger) -> RResult<SinkObject, PluginError>,
    /// Creates a stat store, or says the plugin provides none.
    #[sabi(last_prefix_field)]
    pub new_stat_store: extern "C" fn(RStr<'_>, Logger) -> RResult<StatStoreObject, PluginError>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "hog_plugin";
    const NAME: &'static str = "hog_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// Why a plugin library could not be used.
#[derive(Debug)]
pub enum LoadError {
    /// The library could not be opened or its layout does not match.
    Library {
        /// Path of the library.
        path: String,
        /// What abi_stable reported.
        source: Box<LibraryError>,
    },
    /// The library was built against another plugin interface version.
    Version {
        /// Path of the library.
        path: String,
        /// The plugin's name.
        name: String,
        /// The version the plugin declares.
        found: u32,
        /// The version this host speaks.
        expected: u32,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Library { path, source } => {
                write!(f, "cannot load plugin {path}: {source}")
            }
            LoadError::Version {
                path,
                name,
                found,
                expected,
            } => write!(
                f,
                "plugin {path} ({name}) was built for hog plugin interface version {found}, \
                 but this hog speaks version {expected}; rebuild the plugin against this hog"
            ),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Library { source, .. } => Some(source.as_ref()),
            LoadError::Version { .. } => None,
        }
    }
}

/// Loads the plugin library at `path` and checks that this host can use it.
///
/// The library stays loaded for the life of the process (hog never unloads
/// plugin code: objects created by it may still be alive).
pub fn load(path: &Path) -> Result<PluginModuleRef, LoadError> {
    let shown = path.display().to_string();
    let library = |source| LoadError::Library {
        path: shown.clone(),
        source: Box::new(source),
    };
    let module = lib_header_from_path(path)
        .and_then(|header| header.init_root_module::<PluginModuleRef>())
        .map_err(library)?;
    check(module, &shown)?;
    Ok(module)
}

fn check(module: PluginModuleRef, path: &str) -> Result<(), LoadError> {
    let found = module.api_version();
    if found != API_VERSION {
        return Err(LoadError::Version {
            path: path.to_string(),
            name: module.name().to_string(),
            found,
            expected: API_VERSION,
        });
    }
    Ok(())
}

/// The `new_sink` of a plugin that provides no sink.
pub extern "C" fn no_sink(_: RStr<'_>, logger: Logger) -> RResult<SinkObject, PluginError> {
    RResult::RErr(PluginError::config(format!(
        "plugin for {} provides no sink",
        logger.name()
    )))
}

/// The `new_stat_store` of a plugin that provides no stat store.
pub extern "C" fn no_stat_store(
    _: RStr<'_>,
    logger: Logger,
) -> RResult<StatStoreObject, PluginError> {
    RResult::RErr(PluginError::config(format!(
        "plugin for {} provides no stat store",
        logger.name()
    )))
}

/// Declares a plugin's root module as `pub fn module() -> PluginModuleRef`.
///
/// ```ignore
/// hog_plugin_api::plugin_module! { name: "example", sink: MySink::new }
/// hog_plugin_api::plugin_module! { name: "sqlite", stat_store: SqliteStore::from_options }
/// ```
/// The constructor has the shape `fn(&str, Logger) -> Result<T, PluginError>`
/// and receives the instance's options as JSON.
#[macro_export]
macro_rules! plugin_module {
    (name: $name:expr, sink: $make:path) => {
        $crate::plugin_module!(@module $name, {
            extern "C" fn new_sink(
                config: $crate::abi_stable::std_types::RStr<'_>,
                logger: $crate::Logger,
            ) -> $crate::abi_stable::std_types::RResult<
                $crate::SinkObject,
                $crate::PluginError,
            > {
                $crate::sink_object(config, logger, $make)
            }
            new_sink
        }, $crate::no_stat_store);
    };
    (name: $name:expr, stat_store: $make:path) => {
        $crate::plugin_module!(@module $name, $crate::no_sink, {
            extern "C" fn new_stat_store(
                config: $crate::abi_stable::std_types::RStr<'_>,
                logger: $crate::Logger,
            ) -> $crate::abi_stable::std_types::RResult<
                $crate::StatStoreObject,
                $crate::PluginError,
            > {
                $crate::stat_store_object(config, logger, $make)
            }
            new_stat_store
        });
    };
    (@module $name:expr, $new_sink:expr, $new_stat_store:expr) => {
        /// This plugin's root module, for linking it into a host statically.
        pub fn module() -> $crate::PluginModuleRef {
            use $crate::abi_stable::prefix_type::PrefixTypeTrait;
            $crate::PluginModule {
                api_version: $crate::API_VERSION,
                name: $crate::abi_stable::std_types::RStr::from_str($name),
                version: $crate::abi_stable::std_types::RStr::from_str(env!(
                    "CARGO_PKG_VERSION"
                )),
                new_sink: $new_sink,
                new_stat_store: $new_stat_store,
            }
            .leak_into_prefix()
        }
    };
}

/// Exports a module declared with [`plugin_module!`] for dynamic loading.
///
/// Use it once per `cdylib`; the crate must depend on `abi_stable`.
#[macro_export]
macro_rules! export_plugin {
    ($module:path) => {
        // In a block: the exported symbol is the library's, not an item of
        // the crate's API (no docs asked of what abi_stable generates).
        const _: () = {
            #[$crate::abi_stable::export_root_module]
            fn hog_plugin_root() -> $crate::PluginModuleRef {
                $module()
            }
        };
    };
}
