//! The emitted charts, checked with the real tools: Helm 3.18.0 and 4.1.4 lint --strict and
//! template, kubernetes-validate --strict for Kubernetes 1.27 and 1.33, NodePorts equal to
//! `fabchart ports`, every dialled host name a SAN of its target's certificate, no private
//! key under a chart, release sizes, determinism, and snapshots of the rendered manifests
//! (crypto redacted) that reviewers read.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};


struct Built {
    out: PathBuf,
    chart: PathBuf,
    plan: fabchart::plan::Plan,
}

fn build(example: &str) -> Built {
    let (out, plan) = build_example(example);
    let chart = out.join(&plan.network.chart.name);
    Built { out, chart, plan }
}

fn docs(manifests: &str) -> Vec<yaml_serde::Value> {
    manifests
        .split("\n---")
        .filter_map(|d| yaml_serde::from_str::<yaml_serde::Value>(d).ok())
        .filter(|v| !v.is_null())
        .collect()
}

fn s<'a>(v: &'a yaml_serde::Value, path: &[&str]) -> Option<&'a yaml_serde::Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    Some(cur)
}

/// Secrets' data and every PEM are replaced, so the snapshot shows structure, not keys;
/// ConfigMaps' binaryData (channel blocks and transactions, which embed the freshly
/// generated certificates) shows the file names only (tests/channel.rs checks contents).
fn redact(manifests: &str) -> String {
    let mut out = String::new();
    for mut d in docs(manifests) {
        let kind = s(&d, &["kind"]).and_then(|k| k.as_str()).unwrap_or("").to_string();
        // The Jobs' scripts (files/scripts/, tested on their own in tests/jobs.rs): one line each.
        let scripts = s(&d, &["metadata", "name"]).and_then(|n| n.as_str()).is_some_and(|n| n.contains("-channel-scripts"));
        // The connection profiles (files/connection/, tested in tests/chaincode.rs): one line each.
        let profiles = kind == "ConfigMap" && s(&d, &["metadata", "name"]).and_then(|n| n.as_str()).is_some_and(|n| n.ends_with("-connection"));
        for field in ["data", "stringData"] {
            if let Some(yaml_serde::Value::Mapping(m)) = d.get_mut(field) {
                for (k, v) in m.iter_mut() {
                    let is_pem = v.as_str().is_some_and(|t| t.contains("-----BEGIN"));
                    if scripts {
                        let lines = v.as_str().map_or(0, |t| t.lines().count());
                        *v = yaml_serde::Value::String(format!("<files/scripts/{}: {lines} lines>", k.as_str().unwrap_or("?")));
                    } else if profiles {
                        // Their length follows the certificates' (signatures vary by a byte).
                        *v = yaml_serde::Value::String(format!("<files/connection/{}>", k.as_str().unwrap_or("?")));
                    } else if kind == "Secret" {
                        *v = yaml_serde::Value::String("<redacted>".into());
                    } else if is_pem {
                        *v = yaml_serde::Value::String("<certificate>".into());
                    }
                }
            }
        }
        if let Some(yaml_serde::Value::Mapping(m)) = d.get_mut("binaryData") {
            for (_, v) in m.iter_mut() {
                *v = yaml_serde::Value::String("<channel artifact>".into());
            }
        }
        redact_checksums(&mut d);
        out += "---\n";
        out += &yaml_serde::to_string(&d).unwrap();
    }
    redact_package_ids(&redact_ski_names(&out))
}

/// A CCaaS package ID is `<label>:<sha256 of the package>`, and the package holds a fresh
/// key: show the label, not the hash.
fn redact_package_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(':') {
        let after = &rest[i + 1..];
        out.push_str(&rest[..=i]);
        if after.len() >= 64 && after[..64].chars().all(|c| c.is_ascii_hexdigit()) && !after[64..].starts_with(|c: char| c.is_ascii_hexdigit()) {
            out.push_str("<sha256 of the package>");
            rest = &after[64..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Fabric 1.4 key files are named `<hex SKI>_sk`: show the pattern, not the key's SKI.
fn redact_ski_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("_sk") {
        let head = &rest[..i];
        let hex_len = head.chars().rev().take_while(|c| c.is_ascii_hexdigit()).count();
        if hex_len == 64 {
            out.push_str(&head[..head.len() - 64]);
            out.push_str("<SKI>_sk");
        } else {
            out.push_str(head);
            out.push_str("_sk");
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

/// `checksum/*` pod annotations hash the (freshly generated) crypto: show that they are
/// there, not their value.
fn redact_checksums(v: &mut yaml_serde::Value) {
    match v {
        yaml_serde::Value::Mapping(m) => {
            for (k, val) in m.iter_mut() {
                if k.as_str().is_some_and(|k| k.starts_with("checksum/")) {
                    *val = yaml_serde::Value::String("<sha256 of the crypto material>".into());
                } else {
                    redact_checksums(val);
                }
            }
        }
        yaml_serde::Value::Sequence(s) => s.iter_mut().for_each(redact_checksums),
        _ => {}
    }
}

/// The whole pipeline of checks for one example.
fn check_example(example: &str, snapshot_it: bool) -> BTreeMap<String, usize> {
    let b = build(example);
    let home = b.out.join("helm-home");
    let secrets = b.out.join("secrets");
    let umbrella_crypto = secrets.join(format!("{}-crypto.yaml", b.plan.network.chart.name));

    // No private key anywhere under the chart; the secrets are 0600.
    assert_eq!(fabchart::emit::find_private_key(&b.chart), None, "{example}: a private key under the chart");
    for e in std::fs::read_dir(&secrets).unwrap().flatten() {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(e.metadata().unwrap().permissions().mode() & 0o777, 0o600, "{}", e.path().display());
    }

    // Lint, both Helm versions, umbrella and each subchart on its own.
    let mut targets = vec![(b.chart.clone(), umbrella_crypto.clone())];
    for o in &b.plan.orgs {
        targets.push((b.chart.join("charts").join(&o.slug), secrets.join(format!("{}-crypto.yaml", o.slug))));
    }
    for bin in ["helm3", "helm4"] {
        for (chart, crypto) in &targets {
            let (ok, out, err) = helm_run(bin, &home, &["lint", "--strict", chart.to_str().unwrap(), "-f", crypto.to_str().unwrap()]);
            assert!(ok, "{example}: {bin} lint --strict {}:\n{out}{err}", chart.display());
        }
    }

    // Template: deterministic, same with Helm 3 and 4, valid for Kubernetes 1.27 and 1.33.
    let render = |bin: &str, chart: &Path, crypto: &Path| {
        let args = ["template", "r", chart.to_str().unwrap(), "-f", crypto.to_str().unwrap(), "--kube-version", "1.33.0"];
        let (ok, out, err) = helm_run(bin, &home, &args);
        assert!(ok, "{example}: {bin} template {}: {err}", chart.display());
        out
    };
    let manifests = render("helm4", &b.chart, &umbrella_crypto);
    assert_eq!(manifests, render("helm4", &b.chart, &umbrella_crypto), "{example}: two renders differ");
    let h3 = render("helm3", &b.chart, &umbrella_crypto);
    assert_eq!(docs(&h3), docs(&manifests), "{example}: Helm 3 and 4 render different objects");
    for k8s in ["1.27.0", "1.33.0"] {
        validate(&manifests, k8s);
    }
    for (chart, crypto) in targets.iter().skip(1) {
        validate(&render("helm4", chart, crypto), "1.33.0");
    }

    let objects = docs(&manifests);
    // NodePorts: exactly `fabchart ports`.
    let mut rendered: Vec<(String, String, u16, u16)> = vec![];
    for d in &objects {
        if s(d, &["kind"]).and_then(|k| k.as_str()) != Some("Service") {
            continue;
        }
        let ns = s(d, &["metadata", "namespace"]).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let name = s(d, &["metadata", "name"]).and_then(|v| v.as_str()).unwrap_or("").to_string();
        for p in s(d, &["spec", "ports"]).and_then(|p| p.as_sequence()).into_iter().flatten() {
            if let Some(np) = p.get("nodePort").and_then(|v| v.as_u64()) {
                let port = p.get("port").and_then(|v| v.as_u64()).unwrap() as u16;
                rendered.push((ns.clone(), name.clone(), port, np as u16));
            }
        }
    }
    rendered.sort();
    let mut planned: Vec<(String, String, u16, u16)> = fabchart::report::port_rows(&b.plan, false)
        .into_iter()
        .map(|r| (r.namespace, r.service, r.port, r.node_port.unwrap()))
        .collect();
    planned.sort();
    assert_eq!(rendered, planned, "{example}: Service nodePorts differ from `fabchart ports`");

    // Every host a container dials (env values host:port) is a SAN of the target's TLS cert.
    let mut sans_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let store = b.out.join("crypto-config");
    for o in &b.plan.orgs {
        let cert = |p: PathBuf| fabchart::crypto::cert_sans(&std::fs::read_to_string(p).unwrap()).unwrap();
        sans_of.insert(o.ca.server.dns.fqdn.clone(), cert(fabchart::crypto::ca_server_dir(&store, o).join("tls/server.crt")));
        for n in &o.nodes {
            let dir = fabchart::crypto::store::nodes_dir(&store, o).join(&n.common_name);
            sans_of.insert(n.endpoint.dns.fqdn.clone(), cert(dir.join("tls/server.crt")));
        }
    }
    let mut dialled = 0;
    for d in &objects {
        let containers = s(d, &["spec", "template", "spec", "containers"]).and_then(|c| c.as_sequence()).cloned().unwrap_or_default();
        for c in containers {
            for e in c.get("env").and_then(|e| e.as_sequence()).cloned().unwrap_or_default() {
                let Some(v) = e.get("value").and_then(|v| v.as_str()) else { continue };
                for addr in v.split([',', ' ']) {
                    let Some((host, port)) = addr.rsplit_once(':') else { continue };
                    if port.parse::<u16>().is_err() || host.starts_with("0.0.0.0") || host == "localhost" {
                        continue;
                    }
                    if let Some(sans) = sans_of.get(host) {
                        assert!(sans.contains(&format!("DNS:{host}")), "{example}: {host} (env {:?}) is not a SAN of its certificate", e.get("name"));
                        dialled += 1;
                    }
                }
            }
        }
    }
    assert!(dialled > 0, "{example}: no dialled address was checked");

    if snapshot_it {
        snapshot!(format!("chart-{example}"), redact(&manifests));
    }

    // Release sizes (Helm 4 offline dry run): umbrella and each org on its own.
    let mut sizes = BTreeMap::new();
    for (label, chart, crypto) in std::iter::once(("umbrella".to_string(), b.chart.clone(), umbrella_crypto.clone()))
        .chain(b.plan.orgs.iter().map(|o| (o.slug.clone(), b.chart.join("charts").join(&o.slug), secrets.join(format!("{}-crypto.yaml", o.slug)))))
    {
        let args = ["install", "r", chart.to_str().unwrap(), "-f", crypto.to_str().unwrap(), "--dry-run=client", "-o", "json"];
        let (ok, out, err) = helm_run("helm4", &home, &args);
        assert!(ok, "{example}: helm4 install --dry-run=client {label}: {err}");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(out.as_bytes()).unwrap();
        let size = gz.finish().unwrap().len().div_ceil(3) * 4;
        sizes.insert(label, size);
    }
    // fabchart's estimate (what build reports and warns with) within 40% of Helm's figure.
    let kafka_nodes = b.plan.kafka.as_ref().map_or(0, |k| k.brokers.len() + k.zookeepers.len());
    let nodes: usize = b.plan.orgs.iter().map(|o| o.nodes.len()).sum::<usize>() + kafka_nodes;
    let crypto_text = std::fs::read_to_string(&umbrella_crypto).unwrap();
    let estimate = fabchart::emit::release_estimate(&b.chart, &crypto_text, nodes, b.plan.orgs.len());
    let real = sizes["umbrella"];
    assert!(estimate * 10 >= real * 6 && estimate * 10 <= real * 14, "{example}: estimate {estimate} vs Helm's {real}");
    for o in b.plan.orgs.iter().filter(|o| o.kind == fabchart::topology::OrgKind::Peer) {
        let text = std::fs::read_to_string(secrets.join(format!("{}-crypto.yaml", o.slug))).unwrap();
        let e = fabchart::emit::release_estimate(&b.chart.join("charts").join(&o.slug), &text, o.nodes.len(), 1);
        let r = sizes[&o.slug];
        assert!(e * 10 >= r * 6 && e * 10 <= r * 14, "{example}/{}: estimate {e} vs Helm's {r}", o.slug);
    }
    println!("release sizes {example}: {sizes:?} (fabchart's estimate of the umbrella: {estimate})");
    let _ = std::fs::remove_dir_all(&b.out);
    sizes
}

#[test]
fn talk() {
    check_example("talk", true);
}

#[test]
fn chaincode_2_5() {
    check_example("chaincode-2.5", true);
}

#[test]
fn raft_2_5() {
    check_example("raft-2.5", true);
}

#[test]
fn kafka_1_4() {
    check_example("kafka-1.4", true);
}

#[test]
fn bft_3_1() {
    check_example("bft-3.1", true);
}

#[test]
fn starter() {
    check_example("starter", false);
}

/// 20 orgs of 20 peers: the umbrella release is too large for one Helm release, so build
/// warns and points at per-org releases, which fit.
#[test]
fn large_needs_per_org_releases() {
    let sizes = check_example("large", false);
    assert!(sizes["umbrella"] > fabchart::emit::RELEASE_LIMIT, "{sizes:?}");
    for (k, v) in &sizes {
        if k != "umbrella" {
            assert!(*v < fabchart::emit::RELEASE_LIMIT, "{k}: {v}");
        }
    }
    let out = tmp("large-warn");
    let o = fabchart(&["build", "values-examples/large.yaml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success());
    let err = stderr(&o);
    assert!(err.contains("over Helm's 1 MiB release limit") && err.contains("install one release per org"), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}

/// Rebuilding rewrites the chart identically (the crypto is reused, so even the secrets
/// files are byte-identical); nothing random is generated by templates.
#[test]
fn rebuild_gives_the_same_chart() {
    let out = tmp("same");
    for _ in 0..2 {
        let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let snap = |d: &Path| -> BTreeMap<String, Vec<u8>> {
        let mut m = BTreeMap::new();
        let mut stack = vec![d.to_path_buf()];
        while let Some(x) = stack.pop() {
            for e in std::fs::read_dir(&x).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    m.insert(e.path().display().to_string(), std::fs::read(e.path()).unwrap());
                }
            }
        }
        m
    };
    let first = snap(&out);
    let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert_eq!(first, snap(&out));
    let _ = std::fs::remove_dir_all(&out);
}

/// Rendering without the crypto values fails with a message that says what to pass.
#[test]
fn installing_without_crypto_says_what_to_pass() {
    let b = build("talk");
    let home = b.out.join("helm-home");
    let (ok, _, err) = helm_run("helm4", &home, &["template", "r", b.chart.join("charts/org1").to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("secrets/org1-crypto.yaml"), "{err}");
    let _ = std::fs::remove_dir_all(&b.out);
}
