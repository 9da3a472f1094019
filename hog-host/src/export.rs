//! `hog export FILE... --out DIR`: data files to one Parquet (or Arrow IPC)
//! file per statement, with the `hog-export` crate. hog has it only when
//! built with the `export` feature, which keeps Arrow and Parquet out of
//! the default build.

use std::path::PathBuf;

/// How to get a hog that can export.
pub const HOW_TO_ENABLE: &str = "this hog was built without the export feature; \
build it with `cargo build -p hog-host --features export` \
or install it with `cargo install --path hog-host --features export`";

/// The kind of file `hog export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// Parquet.
    #[default]
    Parquet,
    /// Arrow IPC file.
    Arrow,
}

/// What `hog export` exports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportArgs {
    /// The data files, in order.
    pub files: Vec<PathBuf>,
    /// The output directory.
    pub out: PathBuf,
    /// The kind of file written.
    pub format: ExportFormat,
    /// Only records at or after this time (µs since the epoch).
    pub from: Option<i64>,
    /// Only records before this time (µs since the epoch).
    pub to: Option<i64>,
}

/// Exports as `args` says; returns one line per file written.
#[cfg(feature = "export")]
pub fn export(args: &ExportArgs) -> Result<String, String> {
    let opts = hog_export::Options {
        files: args.files.clone(),
        out: args.out.clone(),
        format: match args.format {
            ExportFormat::Parquet => hog_export::OutputFormat::Parquet,
            ExportFormat::Arrow => hog_export::OutputFormat::Arrow,
        },
        range: hog_core::types::TimeRange {
            from: args.from,
            to: args.to,
        },
        progress: true,
    };
    let done = hog_export::export(&opts).map_err(|e| e.to_string())?;
    Ok(done
        .iter()
        .map(|d| format!("{}: {} rows\n", d.path.display(), d.rows))
        .collect())
}

/// Without the `export` feature: says how to get it.
#[cfg(not(feature = "export"))]
pub fn export(_args: &ExportArgs) -> Result<String, String> {
    Err(HOW_TO_ENABLE.into())
}

#[cfg(all(test, not(feature = "export")))]
mod tests {
    use super::*;

    #[test]
    fn without_the_feature_export_says_how_to_get_it() {
        let e = export(&ExportArgs::default()).unwrap_err();
        assert!(
            e.contains("cargo build -p hog-host --features export"),
            "{e}"
        );
        assert!(
            e.contains("cargo install --path hog-host --features export"),
            "{e}"
        );
    }
}
