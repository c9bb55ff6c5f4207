//! What a real cluster checks, read off the rendered manifests: each test here would have
//! caught one of the defects found by installing the charts into Kubernetes 1.34 with real
//! Fabric 2.5 / 3.1 nodes (no cluster here). Every example is built and rendered (umbrella,
//! Helm 4, its crypto values), and every container of every workload is checked.
//!
//! - Peers Ready without Docker: on 2.5/3.1 a peer runs with FABRIC_CFG_PATH on a volume an
//!   init container of its pod writes, and that init container's script, run under dash
//!   and busybox on a core.yaml laid out as Fabric's, empties `vm.endpoint` and nothing
//!   else (and fails on a core.yaml without one); probes use endpoints whose health needs
//!   nothing the pod lacks (1.4 peers: a TCP probe; their /healthz checks Docker).
//!   (`peers_run_a_core_yaml_without_a_docker_endpoint`, `the_core_yaml_script_empties_only_vm_endpoint`)
//! - Every file a Fabric process is told to read (env values that are paths, and path lists)
//!   lies on a volume mounted in its container; nothing is mounted over the image's own
//!   configuration folder. (`every_file_a_container_reads_is_mounted`)
//! - Every peer pulls blocks from the ordering service, on every version.
//!   (`every_peer_pulls_blocks_from_the_orderers`)
//! - extraEnv overrides replace by name: no container has a name twice, with or without
//!   overrides, and an override keeps the chart's position. (`env_names_are_unique_and_extra_env_replaces`)
//! - CLI pods: the network's own Fabric version, and ORDERER_CA (a mounted bundle holding the
//!   TLS CA of ORDERER_ADDRESS's org) whenever ORDERER_ADDRESS is set. (`cli_pods_work_on_every_version`)
//! - Ledgers outlive `helm uninstall`: kept namespaces, retained PVCs.
//!   (`helm_uninstall_keeps_every_ledger`)

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use yaml_serde::Value;

const EXAMPLES: [&str; 5] = ["talk", "raft-2.5", "kafka-1.4", "bft-3.1", "chaincode-2.5"];

struct Rendered {
    example: &'static str,
    out: PathBuf,
    plan: fabchart::plan::Plan,
    objects: Vec<Value>,
}

fn docs(manifests: &str) -> Vec<Value> {
    manifests.split("\n---").filter_map(|d| yaml_serde::from_str::<Value>(d).ok()).filter(|v| !v.is_null()).collect()
}

fn render(out: &Path, chart: &Path, values: &[&Path]) -> Vec<Value> {
    let mut args: Vec<String> = vec!["template".into(), "r".into(), chart.display().to_string(), "--kube-version".into(), "1.33.0".into()];
    for v in values {
        args.push("-f".into());
        args.push(v.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    docs(&helm("helm4", &out.join("helm-home"), &args))
}

/// Every example, built and rendered once per test process.
fn rendered() -> &'static [Rendered] {
    static ALL: OnceLock<Vec<Rendered>> = OnceLock::new();
    ALL.get_or_init(|| {
        EXAMPLES
            .iter()
            .map(|&example| {
                let (out, plan) = build_example(example);
                let chart = out.join(&plan.network.chart.name);
                let crypto = out.join(format!("secrets/{}-crypto.yaml", plan.network.chart.name));
                let objects = render(&out, &chart, &[&crypto]);
                Rendered { example, out, plan, objects }
            })
            .collect()
    })
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    Some(cur)
}

fn name(v: &Value) -> String {
    s(v, &["metadata", "name"]).and_then(|n| n.as_str()).unwrap_or("").to_string()
}

/// (workload, pod spec) of every Deployment, StatefulSet and Job.
fn pods(objects: &[Value]) -> Vec<(String, &Value)> {
    objects
        .iter()
        .filter(|d| matches!(d["kind"].as_str(), Some("Deployment" | "StatefulSet" | "Job")))
        .map(|d| (format!("{} {}/{}", d["kind"].as_str().unwrap(), s(d, &["metadata", "namespace"]).and_then(|n| n.as_str()).unwrap_or(""), name(d)), s(d, &["spec", "template", "spec"]).unwrap()))
        .collect()
}

/// Containers and init containers of a pod spec.
fn containers(pod: &Value) -> Vec<&Value> {
    ["initContainers", "containers"].iter().flat_map(|k| pod.get(*k).and_then(|c| c.as_sequence()).into_iter().flatten()).collect()
}

fn env(c: &Value) -> Vec<(String, Option<String>)> {
    c.get("env")
        .and_then(|e| e.as_sequence())
        .into_iter()
        .flatten()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e.get("value").and_then(|v| v.as_str()).map(String::from)))
        .collect()
}

fn env_value(c: &Value, key: &str) -> Option<String> {
    env(c).into_iter().find(|(k, _)| k == key).and_then(|(_, v)| v)
}

fn mounts(c: &Value) -> Vec<(String, String, bool)> {
    c.get("volumeMounts")
        .and_then(|m| m.as_sequence())
        .into_iter()
        .flatten()
        .map(|m| (m["name"].as_str().unwrap().to_string(), m["mountPath"].as_str().unwrap().to_string(), m.get("readOnly").and_then(|r| r.as_bool()).unwrap_or(false)))
        .collect()
}

fn under(path: &str, dir: &str) -> bool {
    path == dir || path.starts_with(&format!("{}/", dir.trim_end_matches('/')))
}

fn version(r: &Rendered) -> fabchart::topology::FabricVersion {
    r.plan.network.fabric_version
}

/// The paths an env value names: an absolute path, or a `[a,b]` / `a,b` list of them.
fn paths_in(value: &str) -> Vec<String> {
    value.trim_start_matches('[').trim_end_matches(']').split(',').map(str::trim).filter(|p| p.starts_with('/')).map(String::from).collect()
}

#[test]
fn every_file_a_container_reads_is_mounted() {
    let mut checked = 0;
    for r in rendered() {
        for (what, pod) in pods(&r.objects) {
            for c in containers(pod) {
                let cname = c["name"].as_str().unwrap();
                let m = mounts(c);
                let image = c["image"].as_str().unwrap_or("");
                for (k, v) in env(c) {
                    let Some(v) = v else { continue };
                    // The home or data folders a server creates on its volume, and file paths
                    // of the settings Fabric reads: every one must be on a mounted volume.
                    for p in paths_in(&v) {
                        assert!(m.iter().any(|(_, dir, _)| under(&p, dir)), "{}: {what} container {cname}: {k}={p} is on no volume mount ({m:?})", r.example);
                        checked += 1;
                    }
                }
                // Fabric's images read their configuration (core.yaml, orderer.yaml) from
                // /etc/hyperledger/fabric: a mount there would hide it.
                if image.contains("fabric-peer") || image.contains("fabric-orderer") || image.contains("fabric-tools") {
                    assert!(!m.iter().any(|(_, dir, _)| dir == "/etc/hyperledger/fabric" || dir == "/etc/hyperledger/fabric/"), "{}: {what} {cname} mounts over the image's configuration folder", r.example);
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} paths checked");
}

#[test]
fn peers_run_a_core_yaml_without_a_docker_endpoint() {
    use fabchart::topology::FabricVersion;
    let mut peers = 0;
    for r in rendered() {
        for (what, pod) in pods(&r.objects) {
            let Some(peer) = pod["containers"].as_sequence().unwrap().iter().find(|c| c["name"].as_str() == Some("peer")) else { continue };
            peers += 1;
            let readiness = &peer["readinessProbe"];
            if version(r) == FabricVersion::V1_4 {
                // 1.4's /healthz checks a Docker daemon (its chaincode ran there): TCP probes.
                assert_eq!(s(readiness, &["tcpSocket", "port"]).and_then(|p| p.as_str()), Some("grpc"), "{}: {what}", r.example);
                assert!(env_value(peer, "FABRIC_CFG_PATH").is_none());
                continue;
            }
            assert_eq!(s(readiness, &["httpGet", "path"]).and_then(|p| p.as_str()), Some("/healthz"), "{}: {what}", r.example);
            // FABRIC_CFG_PATH is a volume the core-yaml init container writes, the peer reads.
            let cfg = env_value(peer, "FABRIC_CFG_PATH").unwrap_or_else(|| panic!("{}: {what}: no FABRIC_CFG_PATH", r.example));
            let (vol, _, ro) = mounts(peer).into_iter().find(|(_, d, _)| *d == cfg).unwrap_or_else(|| panic!("{}: {what}: {cfg} is not mounted", r.example));
            assert!(ro, "{}: {what}: the peer's configuration volume is read-only for it", r.example);
            let init = pod["initContainers"].as_sequence().unwrap().iter().find(|c| c["name"].as_str() == Some("core-yaml")).unwrap_or_else(|| panic!("{}: {what}: no core-yaml init container", r.example));
            assert!(mounts(init).iter().any(|(v, d, ro)| *v == vol && *d == cfg && !ro), "{}: {what}: core-yaml does not write {cfg}", r.example);
            assert_eq!(init["image"], peer["image"], "the image's own core.yaml");
            let volume = pod["volumes"].as_sequence().unwrap().iter().find(|v| v["name"].as_str() == Some(&vol)).unwrap();
            assert!(volume.get("emptyDir").is_some(), "{volume:?}");
            // Nothing sets the Docker endpoint back through the environment.
            assert!(env_value(peer, "CORE_VM_ENDPOINT").is_none());
        }
    }
    let planned: usize = rendered().iter().map(|r| r.plan.orgs.iter().flat_map(|o| &o.nodes).filter(|n| n.kind == fabchart::plan::NodeKind::Peer).count()).sum();
    assert_eq!(peers, planned, "every planned peer was checked");
}

/// A core.yaml laid out as Fabric's sample configuration is (top-level sections, comments,
/// an `endpoint` key in another section), with vm.endpoint set to Docker's socket.
const CORE_YAML: &str = "# a peer configuration\n\
peer:\n    id: jdoe\n    gossip:\n        endpoint:\n        useLeaderElection: false\n\
operations:\n    listenAddress: 127.0.0.1:9443\n\
vm:\n    # Endpoint of the vm management system.\n    # endpoint: in a comment\n    endpoint: unix:///var/run/docker.sock\n    docker:\n        tls:\n            enabled: false\n\
chaincode:\n    externalBuilders:\n        - name: ccaas_builder\n          path: /opt/hyperledger/ccaas_builder\n";

#[test]
fn the_core_yaml_script_empties_only_vm_endpoint() {
    let r = rendered().iter().find(|r| r.example == "raft-2.5").unwrap();
    let (_, pod) = pods(&r.objects).into_iter().find(|(w, _)| w.ends_with("/peer0")).unwrap();
    let init = pod["initContainers"].as_sequence().unwrap().iter().find(|c| c["name"].as_str() == Some("core-yaml")).unwrap();
    let script = init["command"][2].as_str().unwrap().to_string();
    let dir = tmp("core-yaml");
    for (shell, tools) in [("dash", vec!["awk", "cat"]), ("busybox", vec!["awk", "cat"])] {
        let image_cfg = dir.join(format!("{shell}-image"));
        let out = dir.join(format!("{shell}-config"));
        std::fs::create_dir_all(&image_cfg).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        // A PATH with only the tools of the image's shell.
        let bin = dir.join(format!("{shell}-bin"));
        let links: Vec<(&str, PathBuf)> = match shell {
            "dash" => tools.iter().map(|t| (*t, require(if *t == "awk" { "mawk" } else { t }))).collect(),
            _ => tools.iter().map(|t| (*t, require("busybox"))).collect(),
        };
        symlink_dir(&bin, &links);
        let run_script = |core: &str| -> (bool, String, String) {
            std::fs::write(image_cfg.join("core.yaml"), core).unwrap();
            let text = script.replace("/etc/hyperledger/fabric-config", out.to_str().unwrap());
            let mut cmd = match shell {
                "dash" => Command::new(require("dash")),
                _ => {
                    let mut c = Command::new(require("busybox"));
                    c.arg("sh");
                    c
                }
            };
            run(cmd.arg("-c").arg(&text).env_clear().env("PATH", &bin).env("FABRIC_CFG_PATH", &image_cfg))
        };
        let (ok, stdout, stderr) = run_script(CORE_YAML);
        assert!(ok, "{shell}: {stdout}{stderr}");
        let written = std::fs::read_to_string(out.join("core.yaml")).unwrap();
        let expected = CORE_YAML.replace("    endpoint: unix:///var/run/docker.sock", "    endpoint: \"\"");
        assert_ne!(expected, CORE_YAML);
        assert_eq!(written, expected, "{shell}: only vm.endpoint changes");
        let y: Value = yaml_serde::from_str(&written).unwrap();
        assert_eq!(y["vm"]["endpoint"].as_str(), Some(""), "{shell}: the effective vm.endpoint is empty");
        assert_eq!(y["chaincode"]["externalBuilders"][0]["name"].as_str(), Some("ccaas_builder"), "the CCaaS builder stays");
        // A core.yaml of an unknown layout: no peer rather than a wrong one.
        let (ok, stdout, _) = run_script("peer:\n    id: x\n");
        assert!(!ok && stdout.contains("has no vm.endpoint"), "{shell}: {stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_peer_pulls_blocks_from_the_orderers() {
    let mut versions = std::collections::BTreeSet::new();
    for r in rendered() {
        for (what, pod) in pods(&r.objects) {
            for c in pod["containers"].as_sequence().unwrap().iter().filter(|c| c["name"].as_str() == Some("peer")) {
                assert_eq!(env_value(c, "CORE_PEER_GOSSIP_USELEADERELECTION").as_deref(), Some("false"), "{}: {what}", r.example);
                assert_eq!(env_value(c, "CORE_PEER_GOSSIP_ORGLEADER").as_deref(), Some("true"), "{}: {what}", r.example);
                versions.insert(version(r).as_str());
            }
        }
    }
    assert_eq!(versions.into_iter().collect::<Vec<_>>(), ["1.4", "2.5", "3.1"]);
}

fn assert_unique_env(objects: &[Value], label: &str) -> usize {
    let mut n = 0;
    for (what, pod) in pods(objects) {
        for c in containers(pod) {
            let names: Vec<String> = env(c).into_iter().map(|(k, _)| k).collect();
            let mut seen = std::collections::BTreeSet::new();
            for k in &names {
                assert!(seen.insert(k), "{label}: {what} container {}: env {k} twice", c["name"].as_str().unwrap());
            }
            n += 1;
        }
    }
    n
}

#[test]
fn env_names_are_unique_and_extra_env_replaces() {
    for r in rendered() {
        assert!(assert_unique_env(&r.objects, r.example) > 0);
    }
    // Overrides of chart names, new names, and a name given twice, for every component.
    let r = rendered().iter().find(|r| r.example == "raft-2.5").unwrap();
    let overrides = r.out.join("overrides.yaml");
    let comp = |chart_name: &str| format!("[{{name: {chart_name}, value: overridden}}, {{name: MY_SETTING, value: first}}, {{name: MY_SETTING, value: last}}]");
    let text = format!(
        "org1:\n  extraEnv:\n    peer: {}\n    couchdb: {}\n    ca: {}\n    cli: {}\norderer:\n  extraEnv:\n    orderer: {}\n",
        comp("CORE_PEER_GOSSIP_ORGLEADER"),
        comp("COUCHDB_USER"),
        comp("FABRIC_CA_SERVER_CSR_CN"),
        comp("CORE_PEER_ADDRESS"),
        comp("ORDERER_GENERAL_LISTENPORT"),
    );
    std::fs::write(&overrides, text).unwrap();
    let crypto = r.out.join("secrets/demo-network-crypto.yaml");
    let objects = render(&r.out, &r.out.join("demo-network"), &[&crypto, &overrides]);
    assert_unique_env(&objects, "raft-2.5 with overrides");
    let mut replaced = 0;
    for (what, pod) in pods(&objects) {
        let before = pods(&r.objects).into_iter().find(|(w, _)| *w == what).map(|(_, p)| p).unwrap();
        for c in pod["containers"].as_sequence().unwrap() {
            let cname = c["name"].as_str().unwrap();
            let key = match (what.contains("/org1-example-com/") || what.contains(" org1/"), cname) {
                (true, "peer") => "CORE_PEER_GOSSIP_ORGLEADER",
                (true, "couchdb") => "COUCHDB_USER",
                (true, "ca") => "FABRIC_CA_SERVER_CSR_CN",
                (true, "cli") => "CORE_PEER_ADDRESS",
                (_, "orderer") => "ORDERER_GENERAL_LISTENPORT",
                _ => continue,
            };
            let old: Vec<String> = before["containers"].as_sequence().unwrap().iter().find(|x| x["name"].as_str() == Some(cname)).map(|x| env(x).into_iter().map(|(k, _)| k).collect()).unwrap();
            let new = env(c);
            // The chart's names in the chart's order, the override in its place, then the new name once.
            let mut expected = old.clone();
            expected.push("MY_SETTING".into());
            assert_eq!(new.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), expected, "{what} {cname}");
            assert_eq!(env_value(c, key).as_deref(), Some("overridden"), "{what} {cname}");
            assert_eq!(env_value(c, "MY_SETTING").as_deref(), Some("last"), "{what} {cname}: the last of a name given twice");
            replaced += 1;
        }
    }
    // org1: 2 peers (+2 CouchDB sidecars), its CA, its CLI; the orderer org: 3 orderers.
    assert_eq!(replaced, 2 + 2 + 1 + 1 + 3, "every overridden container was checked");
}

#[test]
fn cli_pods_work_on_every_version() {
    let mut clis = 0;
    for r in rendered() {
        let store = r.out.join("crypto-config");
        for (what, pod) in pods(&r.objects).into_iter().filter(|(w, _)| w.starts_with("Deployment ") && w.ends_with("/cli")) {
            clis += 1;
            let c = &pod["containers"][0];
            // The network's own Fabric version (3.x publishes no tools image: the peer image).
            let image = c["image"].as_str().unwrap();
            let default = fabchart::plan::defaults::image(version(r), fabchart::topology::Component::Tools);
            assert_eq!(image, format!("{}:{}", default.repository, default.tag), "{}: {what}", r.example);
            assert!(default.tag.starts_with(&format!("{}.", version(r).as_str())), "{}: tools {} for Fabric {}", r.example, default.tag, version(r).as_str());
            let Some(orderer) = env_value(c, "ORDERER_ADDRESS") else { continue };
            let ca = env_value(c, "ORDERER_CA").unwrap_or_else(|| panic!("{}: {what}: ORDERER_ADDRESS without ORDERER_CA", r.example));
            // ORDERER_CA is a key of a mounted ConfigMap, and holds the TLS CA of the org
            // whose orderer ORDERER_ADDRESS names (byte-equal to the store's).
            let (vol, dir, _) = mounts(c).into_iter().find(|(_, d, _)| under(&ca, d)).unwrap_or_else(|| panic!("{}: {what}: {ca} not mounted", r.example));
            let cm_name = pod["volumes"].as_sequence().unwrap().iter().find(|v| v["name"].as_str() == Some(&vol)).and_then(|v| s(v, &["configMap", "name"])).and_then(|n| n.as_str()).unwrap().to_string();
            let ns = what.split(' ').nth(1).unwrap().split('/').next().unwrap();
            let cm = r.objects.iter().find(|d| d["kind"].as_str() == Some("ConfigMap") && name(d) == cm_name && s(d, &["metadata", "namespace"]).and_then(|n| n.as_str()) == Some(ns)).unwrap();
            let key = ca.strip_prefix(&format!("{dir}/")).unwrap();
            let bundle = cm["data"][key].as_str().unwrap_or_else(|| panic!("{}: {what}: ConfigMap {cm_name} has no {key}", r.example));
            let org = r.plan.orgs.iter().find(|o| o.nodes.iter().any(|n| n.endpoint.address == orderer)).unwrap();
            let tlsca = std::fs::read_to_string(fabchart::crypto::store::find(&fabchart::crypto::store::org_dir(&store, org).join("tlsca"), ".pem").unwrap()).unwrap();
            assert!(bundle.contains(tlsca.trim()), "{}: {what}: ORDERER_CA lacks {}'s TLS CA", r.example, org.name);
        }
    }
    assert!(clis >= 10, "{clis} CLI pods");
}

#[test]
fn helm_uninstall_keeps_every_ledger() {
    let mut kept: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rendered() {
        for d in &r.objects {
            match d["kind"].as_str() {
                Some("Namespace") => {
                    assert_eq!(s(d, &["metadata", "annotations", "helm.sh/resource-policy"]).and_then(|p| p.as_str()), Some("keep"), "{}: Namespace {}", r.example, name(d));
                    *kept.entry(r.example).or_default() += 1;
                }
                Some("PersistentVolumeClaim") => panic!("{}: the release owns PVC {}: uninstall would delete it", r.example, name(d)),
                Some("StatefulSet") => {
                    let claims = s(d, &["spec", "volumeClaimTemplates"]).and_then(|v| v.as_sequence()).map_or(0, |v| v.len());
                    if claims > 0 {
                        let policy = s(d, &["spec", "persistentVolumeClaimRetentionPolicy"]).unwrap_or_else(|| panic!("{}: StatefulSet {} has no PVC retention policy", r.example, name(d)));
                        assert_eq!(policy["whenDeleted"].as_str(), Some("Retain"), "{}: {}", r.example, name(d));
                        assert_eq!(policy["whenScaled"].as_str(), Some("Retain"), "{}: {}", r.example, name(d));
                    }
                }
                _ => {}
            }
        }
        assert_eq!(kept.get(r.example).copied().unwrap_or(0), r.plan.orgs.len(), "{}: every org's namespace is kept", r.example);
    }
}
