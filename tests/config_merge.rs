//! Settings merge as documented: defaults < file < HOG_* environment <
//! flags; the example files load; bad settings are refused with the file,
//! key and reason; flags read as hobbes' hog reads them.

mod support;

use std::path::Path;

use hog_host::config::{load, Config};
use serde_json::Map;
use support::{hog, run, stderr, stdout, write};

fn example(name: &str) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config")
        .join(name);
    load(Some(&path), &Map::new()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn example_files_load_and_say_the_same() {
    let toml = example("hog.toml");
    let yaml = example("hog.yaml");
    assert_eq!(toml, yaml);
    assert_eq!(toml.groups, ["Orders", "Quotes"]);
    assert_eq!(toml.sinks, ["disk", "audit"]);
    assert_eq!(toml.sink["audit"].plugin.as_deref(), Some("example_sink"));
    assert_eq!(
        toml.sink["audit"].options["path"],
        "/var/log/hog/audit.jsonl"
    );
    assert_eq!(toml.sink["tcp"].options["batch_size"], "10MB");
    assert_eq!(example("demo.toml").sources, ["hstore"]);
}

#[test]
fn later_layers_win() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "hog.toml",
        "groups = [\"F\"]\nlog_level = \"warn\"\nrecovery = false\n\
         [sink.disk]\ndir = \"/from/file\"\nconsolidate = true\n",
    );
    let out = run(hog()
        .arg("--config")
        .arg(&file)
        .args(["-d", "/from/flag", "-m"])
        .arg(dir.path())
        .arg("--print-config")
        .env("HOG_LOG_LEVEL", "debug")
        .env("HOG_SINK__DISK__DIR", "/from/env")
        .env("HOG_SINK__DISK__COMPRESS", "true"));
    assert!(out.status.success(), "{}", stderr(&out));
    let merged: toml::Value = toml::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        merged["groups"].as_array().unwrap().len(),
        1,
        "file over defaults"
    );
    assert_eq!(
        merged["recovery"].as_bool(),
        Some(false),
        "file over defaults"
    );
    assert_eq!(merged["log_level"].as_str(), Some("debug"), "env over file");
    let disk = &merged["sink"]["disk"];
    assert_eq!(disk["dir"].as_str(), Some("/from/flag"), "flags over env");
    assert_eq!(disk["consolidate"].as_bool(), Some(true), "file kept");
    assert_eq!(disk["compress"].as_bool(), Some(true), "env over defaults");
    assert_eq!(disk["kind"].as_str(), Some("disk"), "defaults kept");

    let out = run(hog()
        .arg("--config")
        .arg(&file)
        .args(["-g", "X", "Y", "--no-recovery", "-m"])
        .arg(dir.path())
        .arg("--print-config"));
    let merged: toml::Value = toml::from_str(&stdout(&out)).unwrap();
    let groups: Vec<_> = merged["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert_eq!(groups, ["X", "Y"], "flags over file");
    assert_eq!(merged["log_level"].as_str(), Some("warn"));
}

#[test]
fn batchsend_and_batchrecv_flags_select_sources_and_sinks() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(hog()
        .args(["-g", "A", "-p", "1000000", "4MB", "h1:1", "h2:2", "-m"])
        .arg(dir.path())
        .arg("--print-config"));
    assert!(out.status.success(), "{}", stderr(&out));
    let merged: toml::Value = toml::from_str(&stdout(&out)).unwrap();
    assert_eq!(merged["sinks"].as_array().unwrap()[0].as_str(), Some("tcp"));
    let tcp = &merged["sink"]["tcp"];
    assert_eq!(tcp["batch_time"].as_str(), Some("1000000"));
    assert_eq!(tcp["destinations"].as_array().unwrap().len(), 2);

    let out = run(hog().args(["-s", "9000", "--print-config"]));
    let merged: toml::Value = toml::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        merged["sources"].as_array().unwrap()[0].as_str(),
        Some("receiver")
    );
    assert_eq!(merged["receiver"]["port"].as_str(), Some("9000"));
}

fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(hog().args(args).envs(env.iter().copied()));
    assert_eq!(out.status.code(), Some(255), "hog accepted {args:?}");
    stderr(&out)
}

#[test]
fn unknown_keys_are_refused_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.toml",
        "groups = [\"A\"]\nrecoverry = true\n",
    );
    let err = refused(&["--config", file.to_str().unwrap()], &[]);
    assert!(err.contains("bad.toml"), "{err}");
    assert!(err.contains("`recoverry`"), "{err}");
    assert!(err.contains("unknown field"), "{err}");

    let file = write(
        dir.path(),
        "bad.yaml",
        "groups: [A]\nreceiver:\n  prot: 9\n",
    );
    let err = refused(&["--config", file.to_str().unwrap()], &[]);
    assert!(
        err.contains("bad.yaml") && err.contains("receiver.prot"),
        "{err}"
    );
}

#[test]
fn unknown_hog_variables_in_the_environment_are_named_and_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(hog()
        .args(["-g", "A", "--print-config", "-m"])
        .arg(dir.path())
        .env("HOG_BIN", "/usr/bin/hog")
        .env("HOG_HSTORE__NOT_A_SETTING", "1")
        .env("HOG_LOG_LEVEL", "debug"));
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("HOG_BIN names no hog setting"), "{err}");
    assert!(err.contains("HOG_HSTORE__NOT_A_SETTING"), "{err}");
    let merged: toml::Value = toml::from_str(&stdout(&out)).unwrap();
    assert_eq!(merged["log_level"].as_str(), Some("debug"), "{merged}");
}

#[test]
fn bad_values_are_refused_naming_where_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.toml", "recovery = \"maybe\"\n");
    let err = refused(&["--config", file.to_str().unwrap()], &[]);
    assert!(
        err.contains("bad.toml") && err.contains("`recovery`") && err.contains("boolean"),
        "{err}"
    );

    let err = refused(&["-g", "A", "--print-config"], &[("HOG_RECOVERY", "maybe")]);
    assert!(err.contains("HOG_") && err.contains("`recovery`"), "{err}");

    let err = refused(&["-g", "A", "--print-config"], &[("HOG_LOG_LEVEL", "loud")]);
    assert!(err.contains("log_level: 'loud'"), "{err}");

    let err = refused(&["--config", "/nonexistent/hog.toml"], &[]);
    assert!(err.contains("/nonexistent/hog.toml: not found"), "{err}");

    let file = write(dir.path(), "hog.ini", "x=1\n");
    let err = refused(&["--config", file.to_str().unwrap()], &[]);
    assert!(err.contains("unknown format"), "{err}");

    let file = write(
        dir.path(),
        "undefined.toml",
        "groups=[\"A\"]\nsinks = [\"nowhere\"]\n",
    );
    let err = refused(&["--config", file.to_str().unwrap()], &[]);
    assert!(err.contains("'nowhere' is not defined"), "{err}");
}

#[test]
fn flag_errors_read_as_in_hobbes_and_exit_255() {
    assert!(refused(&["-d"], &[]).contains("no directory specified"));
    assert!(refused(&["-p", "1s"], &[]).contains("need delay time and max size to push data"));
    assert!(refused(&["-p", "1s", "1MB"], &[]).contains("need remote host:port to push data"));
    assert!(refused(&["-s"], &[]).contains("need port to receive remote data"));
    assert!(
        refused(&["-m"], &[]).contains("need domain socket directory for producer registration")
    );
    assert!(refused(&["--frobnicate"], &[]).contains("invalid argument: --frobnicate"));
    assert!(
        refused(&["-c"], &[]).contains("can't record data because no groups have been specified")
    );
    let err = refused(&["-g", "A", "-m", "/nonexistent/dir"], &[]);
    assert!(
        err.contains("can't record domain socket for producer registration")
            && err.contains("/nonexistent/dir"),
        "{err}"
    );
    assert!(
        refused(&["-p", "2fortnights", "1MB", "h:1"], &[]).contains("unknown unit 'fortnights'")
    );
}

#[test]
fn help_and_no_arguments_print_usage_and_exit_0() {
    for args in [&[][..], &["--help"], &["-?"]] {
        let out = run(hog().args(args));
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout(&out).contains("usage: hog [-d <dir>] [-g group+] [-p t s host:port+]"));
    }
}
