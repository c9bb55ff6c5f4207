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

/// A fresh, empty scratch folder, unique per test binary, name and process.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fabchart-{}-{name}-{}", env!("CARGO_CRATE_NAME"), std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `fabchart build values-examples/<example>.yaml` into a fresh scratch folder (failing the
/// test when it fails): the folder and the example's plan.
pub fn build_example(example: &str) -> (PathBuf, fabchart::plan::Plan) {
    let out = tmp(example);
    let topo = format!("values-examples/{example}.yaml");
    let o = fabchart(&["build", &topo, "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "build {example}: {}", stderr(&o));
    let plan = fabchart::compile_file(&repo().join(&topo)).unwrap().plan.unwrap();
    (out, plan)
}

/// Runs a command: (success, stdout, stderr).
pub fn run(cmd: &mut Command) -> (bool, String, String) {
    let o = cmd.output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Runs a real helm (`helm3`, `helm4`) with all its state isolated under `home`.
pub fn helm_run(bin: &str, home: &Path, args: &[&str]) -> (bool, String, String) {
    run(Command::new(tool(bin))
        .args(args)
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("HELM_REGISTRY_CONFIG", home.join("registry.json")))
}

/// As `helm_run`, failing the test when helm fails; returns stdout.
pub fn helm(bin: &str, home: &Path, args: &[&str]) -> String {
    let (ok, out, err) = helm_run(bin, home, args);
    assert!(ok, "{bin} {args:?}: {err}{out}");
    out
}

/// `kubernetes-validate --strict` of rendered manifests against Kubernetes version `k8s`.
pub fn validate(manifests: &str, k8s: &str) {
    let mut child = std::process::Command::new(tool("kubernetes-validate"))
        .args(["--strict", "--quiet", "-k", k8s, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let text = manifests.to_string();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, text.as_bytes()));
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        o.status.success(),
        "kubernetes-validate --strict -k {k8s} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout).chars().take(4000).collect::<String>(),
        String::from_utf8_lossy(&o.stderr).chars().take(2000).collect::<String>()
    );
}


/// `node scripts/decode/decode.js ARGS`: the independent decoder's JSON (official Fabric
/// protobuf bindings, installed by scripts/install-tools.sh). Fails, never skips, without it.
pub fn decode(args: &[&str]) -> serde_json::Value {
    let modules = repo().join(".tools/decode/node_modules");
    assert!(modules.exists(), "{} is missing: run scripts/install-tools.sh (scripts/test.sh does)", modules.display());
    let (ok, out, err) = run(std::process::Command::new("node").arg(repo().join("scripts/decode/decode.js")).args(args));
    assert!(ok, "decode.js {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("decode.js {args:?} printed no JSON ({e}): {out}"))
}

// ---- the Job scripts' toolsets (tests/jobs.rs, tests/ccjobs.rs) ------------------------

/// A program on PATH (or in the usual system folders).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':').chain(["/usr/bin", "/bin", "/usr/sbin", "/sbin"]).map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

/// As `find_program`, failing (never skipping) when it is missing.
pub fn require(name: &str) -> PathBuf {
    find_program(name).unwrap_or_else(|| panic!("`{name}` is missing: the Job script tests need it; run scripts/install-tools.sh (scripts/test.sh does)"))
}

/// A folder of symlinks (name → target).
pub fn symlink_dir(dir: &Path, links: &[(&str, PathBuf)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, target) in links {
        std::os::unix::fs::symlink(target, dir.join(name)).unwrap_or_else(|e| panic!("symlink {name}: {e}"));
    }
}

/// Writes an executable file (mode 0755).
pub fn write_exec(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
