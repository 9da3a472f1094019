//! The run mode a configuration amounts to, and hobbes' mode line.

use super::Config;

/// What hog does, named as hobbes names its modes where one applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Local producers into local files.
    Local,
    /// Local producers shipped to remote hogs.
    BatchSend,
    /// Remote hogs into local files.
    BatchRecv,
    /// Any other combination of sources and sinks.
    Custom,
}

impl Mode {
    /// The mode of `config`.
    pub fn of(config: &Config) -> Self {
        let is = |list: &[String], name: &str| list.len() == 1 && list[0] == name;
        match (&config.sources[..], &config.sinks[..]) {
            (src, dst) if is(src, "hstore") && is(dst, "disk") => Mode::Local,
            (src, dst) if is(src, "hstore") && is(dst, "tcp") => Mode::BatchSend,
            (src, dst) if is(src, "receiver") && is(dst, "disk") => Mode::BatchRecv,
            _ => Mode::Custom,
        }
    }

    /// The mode's name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Local => "local",
            Mode::BatchSend => "batchsend",
            Mode::BatchRecv => "batchrecv",
            Mode::Custom => "custom",
        }
    }

    /// The mode line's description, in hobbes' format for its three modes.
    pub fn describe(self, config: &Config) -> String {
        let option = |sink: &str, key: &str| {
            config
                .sink
                .get(sink)
                .and_then(|s| s.options.get(key))
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .unwrap_or_default()
        };
        let quoted = |items: &[String]| {
            items
                .iter()
                .map(|g| format!("\"{g}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let server_dir = config.store_dir().display().to_string();
        match self {
            Mode::Local => format!(
                "|local={{ dir=\"{}\", serverDir=\"{server_dir}\", groups={{{}}} }}|",
                option("disk", "dir"),
                quoted(&config.groups)
            ),
            Mode::BatchSend => {
                let size = option("tcp", "batch_size");
                let time = option("tcp", "batch_time");
                let bytes = hog_core::units::parse_size(&size).unwrap_or(0);
                let micros = hog_core::units::parse_timespan(&time)
                    .map(|d| d.as_micros())
                    .unwrap_or(0);
                let destinations = config
                    .sink
                    .get("tcp")
                    .and_then(|s| s.options.get("destinations"))
                    .and_then(|d| d.as_array())
                    .map(|d| {
                        d.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                format!(
                    "|batchsend={{ dir=\"{}\", serverDir=\"{server_dir}\", clevel=6, \
                     batchsendsize={bytes}B, batchsendtime={micros}microsec, sendto=[{}], \
                     groups={{{}}} }}|",
                    option("tcp", "dir"),
                    quoted(&destinations),
                    quoted(&config.groups)
                )
            }
            Mode::BatchRecv => format!(
                "|batchrecv={{ dir=\"{}\", localport={} }}|",
                option("disk", "dir"),
                config.receiver.port.as_deref().unwrap_or("")
            ),
            Mode::Custom => format!(
                "|custom={{ sources=[{}], sinks=[{}], groups={{{}}} }}|",
                quoted(&config.sources),
                quoted(&config.sinks),
                quoted(&config.groups)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load;
    use serde_json::{json, Value};

    fn config(overrides: Value) -> Config {
        let Value::Object(map) = overrides else {
            unreachable!()
        };
        load(None, &map).unwrap()
    }

    #[test]
    fn mode_lines_match_hobbes() {
        let local = config(json!({"groups": ["B", "A", "B"], "store_dir": "/tmp"}));
        assert_eq!(Mode::of(&local), Mode::Local);
        assert_eq!(
            Mode::Local.describe(&local),
            r#"|local={ dir="./$GROUP/$DATE/data", serverDir="/tmp", groups={"A", "B"} }|"#
        );

        let send = config(json!({
            "groups": ["A"], "store_dir": "/tmp", "sinks": ["tcp"],
            "sink": {"tcp": {"batch_time": "1s", "batch_size": "4096", "destinations": ["h:1", "g:2"]}},
        }));
        assert_eq!(Mode::of(&send), Mode::BatchSend);
        assert_eq!(
            Mode::BatchSend.describe(&send),
            r#"|batchsend={ dir="./$GROUP/$DATE/data", serverDir="/tmp", clevel=6, batchsendsize=4096B, batchsendtime=1000000microsec, sendto=["h:1", "g:2"], groups={"A"} }|"#
        );

        let recv = config(json!({"sources": ["receiver"], "receiver": {"port": "9000"}}));
        assert_eq!(Mode::of(&recv), Mode::BatchRecv);
        assert_eq!(
            Mode::BatchRecv.describe(&recv),
            r#"|batchrecv={ dir="./$GROUP/$DATE/data", localport=9000 }|"#
        );

        let custom = config(json!({"sources": ["generator"], "sinks": ["disk", "tcp"]}));
        assert_eq!(Mode::of(&custom), Mode::Custom);
        assert_eq!(Mode::Custom.name(), "custom");
    }
}
