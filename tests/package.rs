//! Packaging and publishing with the real tools: reproducible archives that Helm 3 and 4
//! read like the directory, the private-key guard, index.yaml against `helm repo index`,
//! SemVer bumps from topology changes, and round trips through a chart repository served
//! on 127.0.0.1 and through Debian's docker-registry (OCI), with both Helm versions.

mod common;
use common::*;

use std::io::{BufRead, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fabchart::version::Level;

/// Builds raft-2.5 into `out`; returns the chart directory.
fn built(out: &Path) -> PathBuf {
    let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    out.join("demo-network")
}

fn package(chart: &Path, dist: &Path, epoch: Option<&str>) -> (bool, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fabchart"));
    c.args(["package", chart.to_str().unwrap(), "-d", dist.to_str().unwrap()]);
    match epoch {
        Some(e) => c.env("SOURCE_DATE_EPOCH", e),
        None => c.env_remove("SOURCE_DATE_EPOCH"),
    };
    run(&mut c)
}

fn entries(tgz: &Path) -> Vec<(String, u32, u64, u64, u64)> {
    let bytes = std::fs::read(tgz).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    ar.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (e.path().unwrap().display().to_string(), h.mode().unwrap(), h.uid().unwrap(), h.gid().unwrap(), h.mtime().unwrap())
        })
        .collect()
}

#[test]
fn archives_are_reproducible_and_read_like_the_directory() {
    let out = tmp("repro");
    let chart = built(&out);
    let dist = out.join("dist");
    let tgz = dist.join("demo-network-0.1.0.tgz");
    assert!(package(&chart, &dist, Some("1700000000")).0);
    let first = std::fs::read(&tgz).unwrap();
    // Touching files (new mtimes) changes nothing; packaging again gives the same bytes.
    let values = chart.join("values.yaml");
    let f = std::fs::File::options().write(true).open(&values).unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_234_567_890)).unwrap();
    drop(f);
    assert!(package(&chart, &dist, Some("1700000000")).0);
    assert_eq!(first, std::fs::read(&tgz).unwrap(), "two packagings differ");
    // gzip header time 0.
    assert_eq!(&first[4..8], &[0, 0, 0, 0]);
    // Layout: top directory = chart name, Chart.yaml first, subcharts expanded, 0644, root.
    let es = entries(&tgz);
    assert_eq!(es[0].0, "demo-network/Chart.yaml");
    assert_eq!(es[1].0, "demo-network/values.yaml");
    assert!(es.iter().any(|e| e.0 == "demo-network/charts/org1/templates/peers.yaml"));
    assert!(es.iter().all(|e| e.1 == 0o644 && e.2 == 0 && e.3 == 0 && e.4 == 1700000000), "{es:?}");
    // A changed file changes the digest.
    let mut v = std::fs::read_to_string(&values).unwrap();
    v.push_str("# changed\n");
    std::fs::write(&values, v).unwrap();
    assert!(package(&chart, &dist, Some("1700000000")).0);
    assert_ne!(first, std::fs::read(&tgz).unwrap());
    // Helm 3 and 4 read the archive like the directory.
    let home = out.join("helm");
    let crypto = out.join("secrets/demo-network-crypto.yaml");
    for bin in ["helm3", "helm4"] {
        assert!(helm(bin, &home, &["show", "chart", tgz.to_str().unwrap()]).contains("name: demo-network"));
        let a = helm(bin, &home, &["template", "r", tgz.to_str().unwrap(), "-f", crypto.to_str().unwrap()]);
        let b = helm(bin, &home, &["template", "r", chart.to_str().unwrap(), "-f", crypto.to_str().unwrap()]);
        assert_eq!(a, b, "{bin}: the archive renders differently from the directory");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn helmignore_is_honoured() {
    let out = tmp("ignore");
    let chart = built(&out);
    std::fs::write(chart.join("notes.bak"), "x").unwrap();
    std::fs::write(chart.join("templates/.hidden"), "x").unwrap();
    std::fs::write(chart.join(".helmignore"), format!("{}*.bak\n", std::fs::read_to_string(chart.join(".helmignore")).unwrap())).unwrap();
    let dist = out.join("dist");
    assert!(package(&chart, &dist, None).0);
    let names: Vec<String> = entries(&dist.join("demo-network-0.1.0.tgz")).into_iter().map(|e| e.0).collect();
    assert!(!names.iter().any(|n| n.ends_with("notes.bak") || n.ends_with(".hidden")), "{names:?}");
    assert!(names.contains(&"demo-network/.helmignore".to_string()), "Helm packages .helmignore itself");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn private_keys_never_enter_an_archive() {
    let out = tmp("guard");
    let chart = built(&out);
    let dist = out.join("dist");
    let key = std::fs::read_to_string(out.join("crypto-config/peerOrganizations/org1/ca/priv_sk")).unwrap();
    for (path, content) in [
        (chart.join("charts/org1/files/leaked.pem"), key.clone()),
        (chart.join("extra-crypto.yaml"), "crypto: {}\n".to_string()),
        (chart.join("templates/embedded.yaml"), format!("# oops\n{}", key.replace("PRIVATE KEY", "EC PRIVATE KEY"))),
    ] {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let (ok, _, err) = package(&chart, &dist, None);
        assert!(!ok, "{} was packaged", path.display());
        assert!(err.contains(&path.display().to_string()) && err.contains("refusing to package"), "{err}");
        assert!(!dist.join("demo-network-0.1.0.tgz").exists(), "an archive was written anyway");
        std::fs::remove_file(&path).unwrap();
    }
    let _ = std::fs::remove_dir_all(&out);
}

fn yaml(p: &Path) -> yaml_serde::Value {
    yaml_serde::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Our index against `helm repo index` on the same archives: same entries and fields
/// (created/generated aside, which Helm takes from the clock); --merge keeps old entries.
#[test]
fn index_matches_helm_repo_index() {
    let out = tmp("index");
    let chart = built(&out);
    let dist = out.join("dist");
    assert!(package(&chart, &dist, Some("1700000000")).0);
    // A second version of the chart.
    let cy = chart.join("Chart.yaml");
    std::fs::write(&cy, std::fs::read_to_string(&cy).unwrap().replace("version: \"0.1.0\"\nappVersion", "version: \"0.2.0\"\nappVersion")).unwrap();
    assert!(package(&chart, &dist, Some("1700000000")).0);
    let ours = fabchart(&["index", dist.to_str().unwrap(), "--url", "https://charts.example.com/fabric"]);
    assert!(ours.status.success(), "{}", stderr(&ours));
    let ours = yaml(&dist.join("index.yaml"));
    let helm_dir = out.join("helmindex");
    std::fs::create_dir_all(&helm_dir).unwrap();
    for f in ["demo-network-0.1.0.tgz", "demo-network-0.2.0.tgz"] {
        std::fs::copy(dist.join(f), helm_dir.join(f)).unwrap();
    }
    helm("helm4", &out.join("h"), &["repo", "index", helm_dir.to_str().unwrap(), "--url", "https://charts.example.com/fabric"]);
    let theirs = yaml(&helm_dir.join("index.yaml"));
    assert_eq!(ours["apiVersion"], theirs["apiVersion"]);
    let strip = |v: &yaml_serde::Value| -> Vec<yaml_serde::Value> {
        v["entries"]["demo-network"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.as_mapping_mut().unwrap().remove("created");
                e
            })
            .collect()
    };
    let (a, b) = (strip(&ours), strip(&theirs));
    assert_eq!(a.len(), 2);
    assert_eq!(a[0]["version"].as_str(), Some("0.2.0"), "newest first");
    for (x, y) in a.iter().zip(&b) {
        for key in ["name", "version", "appVersion", "apiVersion", "digest", "urls", "description", "type", "dependencies", "annotations", "keywords"] {
            assert_eq!(x[key], y[key], "index field {key}");
        }
    }
    assert_eq!(ours["entries"]["demo-network"][0]["created"].as_str(), Some("2023-11-14T22:13:20Z"));
    // Re-running changes nothing.
    let before = std::fs::read(dist.join("index.yaml")).unwrap();
    assert!(fabchart(&["index", dist.to_str().unwrap(), "--url", "https://charts.example.com/fabric"]).status.success());
    assert_eq!(before, std::fs::read(dist.join("index.yaml")).unwrap());
    // --merge: an old index with another chart version keeps it, with its created time.
    let old = out.join("old-index.yaml");
    std::fs::write(
        &old,
        "apiVersion: v1\nentries:\n  demo-network:\n  - name: demo-network\n    version: 0.0.9\n    created: \"2020-01-01T00:00:00Z\"\n    digest: abc\n    urls: [https://charts.example.com/fabric/demo-network-0.0.9.tgz]\n    apiVersion: v2\ngenerated: \"2020-01-01T00:00:00Z\"\n",
    )
    .unwrap();
    let o = fabchart(&["index", dist.to_str().unwrap(), "--url", "https://charts.example.com/fabric", "--merge", old.to_str().unwrap()]);
    assert!(o.status.success());
    let merged = yaml(&dist.join("index.yaml"));
    let versions: Vec<&str> = merged["entries"]["demo-network"].as_sequence().unwrap().iter().map(|e| e["version"].as_str().unwrap()).collect();
    assert_eq!(versions, ["0.2.0", "0.1.0", "0.0.9"]);
    assert_eq!(merged["entries"]["demo-network"][2]["created"].as_str(), Some("2020-01-01T00:00:00Z"));
    // Helm's own merge keeps the same set of versions.
    std::fs::copy(&old, out.join("old2.yaml")).unwrap();
    helm("helm4", &out.join("h"), &["repo", "index", helm_dir.to_str().unwrap(), "--url", "https://charts.example.com/fabric", "--merge", out.join("old2.yaml").to_str().unwrap()]);
    let theirs = yaml(&helm_dir.join("index.yaml"));
    let tv: Vec<&str> = theirs["entries"]["demo-network"].as_sequence().unwrap().iter().map(|e| e["version"].as_str().unwrap()).collect();
    assert_eq!(versions, tv);
    let _ = std::fs::remove_dir_all(&out);
}

/// The bump rules, one topology change each.
#[test]
fn version_bumps_follow_the_rules() {
    let base = std::fs::read_to_string(repo().join("values-examples/raft-2.5.yaml")).unwrap();
    let plan = |text: &str| {
        let c = fabchart::compile(fabchart::topology::Source { name: "t.yaml".into(), text: text.into() });
        let rendered = c.render();
        serde_json::to_value(c.plan.unwrap_or_else(|| panic!("{rendered}"))).unwrap()
    };
    let old = plan(&base);
    let org3_start = base.find("  - Name: Org3").unwrap();
    let channels = base.find("Channels:").unwrap();
    let without_org3 = format!("{}{}", &base[..org3_start], &base[channels..]).replace(", Org3]", "]").replace(", Org3: [peer0]", "");
    let table: Vec<(&str, String, Option<Level>)> = vec![
        ("nothing", base.clone(), None),
        ("an org removed", without_org3, Some(Level::Major)),
        ("an org renamed", base.replace("Name: Org3", "Name: Org4").replace("Org3", "Org4"), Some(Level::Major)),
        ("a namespace changed", base.replace("Domain: org2\n", "Domain: org2\n    Namespace: org2-ns\n"), Some(Level::Major)),
        ("a NodePort changed", base.replace("Base: 30000", "Base: 30010"), Some(Level::Major)),
        ("a channel removed", base.replace("  - {Name: bilateral, Orgs: [Org1, Org2], AnchorPeers: {Org1: [peer1], Org2: [peer1]}}\n", ""), Some(Level::Major)),
        ("an org added", base.replace("Channels:", "  - {Name: Org4, Domain: org4, Template: {Count: 1}}\nChannels:"), Some(Level::Minor)),
        ("a peer added", base.replacen("CouchDB: true\n    Template: {Count: 2}", "CouchDB: true\n    Template: {Count: 3}", 1), Some(Level::Minor)),
        ("a user added", base.replacen("Users: {Count: 1}", "Users: {Count: 2}", 1), Some(Level::Minor)),
        ("a channel added", format!("{base}  - {{Name: third, Orgs: [Org1]}}\n"), Some(Level::Minor)),
        ("an image changed", base.replace("Storage: {Peer: 20Gi}", "Storage: {Peer: 20Gi}\n  Images: {Peer: {Tag: \"2.5.9\"}}"), Some(Level::Patch)),
        ("storage changed", base.replace("Peer: 20Gi", "Peer: 30Gi"), Some(Level::Patch)),
        ("an external name added", base.replace("ExternalHosts: [peer0.org3.example.com]", "ExternalHosts: [peer0.org3.example.com, x.example.com]"), Some(Level::Patch)),
    ];
    for (what, text, want) in table {
        let changes = fabchart::version::diff(&old, &plan(&text));
        assert_eq!(fabchart::version::level(&changes), want, "{what}: {changes:?}");
    }
}

/// build --bump auto versions the chart from the changes and writes the CHANGELOG; a
/// rebuild with other content under the same version is refused.
#[test]
fn build_bumps_and_refuses_to_reuse_a_version() {
    let out = tmp("bump");
    built(&out);
    let base = std::fs::read_to_string(repo().join("values-examples/raft-2.5.yaml")).unwrap();
    let more = out.join("more.yaml");
    std::fs::write(&more, base.replacen("Users: {Count: 1}", "Users: {Count: 2}", 1)).unwrap();
    let o = fabchart(&["build", more.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("chart version 0.1.0 was already built from a different network"), "{}", stderr(&o));
    let o = fabchart(&["build", more.to_str().unwrap(), "-o", out.to_str().unwrap(), "--bump", "auto"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("version 0.2.0: - minor: Org1: user User2 added"), "{}", stdout(&o));
    let chart_yaml = std::fs::read_to_string(out.join("demo-network/Chart.yaml")).unwrap();
    assert!(chart_yaml.contains("version: \"0.2.0\""), "{chart_yaml}");
    let changelog = std::fs::read_to_string(out.join("demo-network/CHANGELOG.md")).unwrap();
    assert!(changelog.starts_with("# Changelog\n\n## 0.2.0\n\n- minor: Org1: user User2 added\n\n## 0.1.0\n"), "{changelog}");
    // fabchart diff prints the same comparison alone.
    let o = fabchart(&["diff", "values-examples/raft-2.5.yaml", more.to_str().unwrap()]);
    assert_eq!(stdout(&o), "- minor: Org1: user User2 added\nbump: minor\n");
    let _ = std::fs::remove_dir_all(&out);
}

/// A server on 127.0.0.1, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Reads the server's output until a line holds `marker` (it prints it once it listens) and
/// returns that line; the rest of the output is drained in the background so the server
/// never blocks on a full pipe. No polling, no deadline: a server that dies ends the output,
/// and the test fails with what it said.
fn wait_for_line(out: impl Read + Send + 'static, marker: &str) -> String {
    let mut lines = std::io::BufReader::new(out).lines();
    let mut said = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        if line.contains(marker) {
            std::thread::spawn(move || lines.for_each(drop));
            return line;
        }
        said += &line;
        said.push('\n');
    }
    panic!("the server exited before printing {marker:?}:\n{said}");
}

/// A classic chart repository: our index served over HTTP, helm repo add, helm pull gives
/// back the identical archive, helm template from the repository works.
#[test]
fn chart_repository_round_trip() {
    let out = tmp("repo");
    let chart = built(&out);
    let dist = out.join("dist");
    assert!(package(&chart, &dist, Some("1700000000")).0);
    // Port 0: the server picks a free port and says which once it listens.
    let mut child = Command::new("python3")
        .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dist.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = wait_for_line(child.stdout.take().unwrap(), "Serving HTTP on");
    let _server = Server(child);
    let port: u16 = line.split(" port ").nth(1).and_then(|x| x.split_whitespace().next()).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no port in {line:?}"));
    let url = format!("http://127.0.0.1:{port}");
    assert!(fabchart(&["index", dist.to_str().unwrap(), "--url", &url]).status.success());
    let ours = std::fs::read(dist.join("demo-network-0.1.0.tgz")).unwrap();
    for bin in ["helm3", "helm4"] {
        let home = out.join(format!("home-{bin}"));
        helm(bin, &home, &["repo", "add", "fab", &url]);
        let pulled = out.join(format!("pulled-{bin}"));
        std::fs::create_dir_all(&pulled).unwrap();
        helm(bin, &home, &["pull", "fab/demo-network", "--version", "0.1.0", "-d", pulled.to_str().unwrap()]);
        assert_eq!(std::fs::read(pulled.join("demo-network-0.1.0.tgz")).unwrap(), ours, "{bin}: pulled archive differs");
        let rendered = helm(bin, &home, &["template", "r", "fab/demo-network", "--version", "0.1.0", "-f", out.join("secrets/demo-network-crypto.yaml").to_str().unwrap()]);
        assert!(rendered.contains("kind: StatefulSet"));
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// An OCI registry: Debian's docker-registry on 127.0.0.1 with its own config, helm push
/// of our archive, helm pull back: byte-identical, with Helm 3 and 4.
#[test]
fn oci_registry_round_trip() {
    let out = tmp("oci");
    let chart = built(&out);
    let dist = out.join("dist");
    assert!(package(&chart, &dist, Some("1700000000")).0);
    let tgz = dist.join("demo-network-0.1.0.tgz");
    let ours = std::fs::read(&tgz).unwrap();
    // The registry logs "listening on ADDR" once it listens. A port another process took
    // in the meantime makes it exit: try the next one.
    let registry = which("docker-registry");
    let cfg = out.join("registry.yml");
    let (port, _server) = (0..5)
        .find_map(|_| {
            let port = free_port();
            std::fs::write(
                &cfg,
                format!("version: 0.1\nlog: {{level: info}}\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n", out.join("registry").display()),
            )
            .unwrap();
            let mut child = Command::new(&registry).args(["serve", cfg.to_str().unwrap()]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
            let err = child.stderr.take().unwrap();
            let line = std::panic::catch_unwind(move || wait_for_line(err, "listening on")).ok()?;
            assert!(line.contains(&port.to_string()), "{line}");
            Some((port, Server(child)))
        })
        .expect("docker-registry could not listen on five free ports");
    for bin in ["helm3", "helm4"] {
        let home = out.join(format!("home-{bin}"));
        let repo_path = format!("oci://127.0.0.1:{port}/{bin}");
        helm(bin, &home, &["push", tgz.to_str().unwrap(), &repo_path, "--plain-http"]);
        let pulled = out.join(format!("pulled-{bin}"));
        std::fs::create_dir_all(&pulled).unwrap();
        helm(bin, &home, &["pull", &format!("{repo_path}/demo-network"), "--version", "0.1.0", "--plain-http", "-d", pulled.to_str().unwrap()]);
        assert_eq!(std::fs::read(pulled.join("demo-network-0.1.0.tgz")).unwrap(), ours, "{bin}: pulled archive differs");
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// A Debian tool installed by scripts/install-tools.sh; fails (never skips) when missing.
fn which(name: &str) -> PathBuf {
    let p = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&p)
        .map(|d| d.join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} is not installed: run scripts/install-tools.sh (scripts/test.sh does)"))
}
