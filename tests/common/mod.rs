//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the real `fabchart` binary from the repo root.
pub fn fabchart(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fabchart")).args(args).current_dir(repo()).output().expect("run fabchart")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

/// Sorted `*.yaml` files of a repo folder, as paths relative to the repo root.
pub fn yaml_files(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    v.sort();
    v
}

pub fn stem(path: &str) -> String {
    Path::new(path).file_stem().unwrap().to_string_lossy().into_owned()
}

/// A tool installed by scripts/install-tools.sh. Fails (never skips) when it is missing.
pub fn tool(name: &str) -> PathBuf {
    let p = repo().join(".tools/bin").join(name);
    assert!(p.exists(), "{} is missing: run scripts/install-tools.sh (scripts/test.sh does)", p.display());
    p
}

/// insta settings: snapshots live in the top-level `snapshots/` folder.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}
