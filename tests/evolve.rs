//! A running network's channels evolve: one case per change kind. Each case builds an
//! example (v1), changes the topology (or renews a certificate), rebuilds into the same OUT
//! with `--bump auto`, and checks with tools that share nothing with fabchart's encoder:
//!
//! - every existing channel's genesis block is byte-identical, in OUT and in the subcharts;
//! - each new envelope decodes with the official Fabric protobuf bindings
//!   (scripts/decode/decode.js): channel ID, header type CONFIG_UPDATE, epoch 0;
//! - decode.js applies the updates in order to the genesis configuration with its own
//!   implementation of the orderer's rules (read set at current versions, written elements
//!   at current+1 or new at 0) and lands exactly on the configuration fabchart records
//!   (state/<channel>_config.json);
//! - every signature verifies with openssl over the bytes Fabric signs (signature header ‖
//!   config update; the envelope's own over its payload), and the signers satisfy every
//!   policy the update's delta needs, judged by the configuration before it;
//! - CHANGELOG and `fabchart diff` say what changed; a rebuild without changes writes no
//!   update; refused changes are located errors that write nothing.
//!
//! Review JSON of four kinds is snapshotted (certificates by subject, signatures,
//! nonces and timestamps redacted).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;


use base64ct::{Base64, Encoding};
use common::*;
use serde_json::Value;


fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(repo().join(format!("values-examples/{name}.yaml"))).unwrap()
}

/// `text` with `from` replaced by `to`, which must be there.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the example no longer has {from:?}");
    text.replacen(from, to, 1)
}

/// A scratch OUT holding v1 of an example (each case builds its own: the folders hold
/// private keys, and a passing case removes its folder).
fn v1(case: &str, example_name: &str) -> PathBuf {
    let out = tmp(case);
    let o = fabchart(&["build", &format!("values-examples/{example_name}.yaml"), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "build {example_name}: {}", stderr(&o));
    out
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    let (ok, _, err) = run(Command::new("cp").arg("-a").arg(from).arg(to));
    assert!(ok, "cp -a {}: {err}", from.display());
}

/// Every file under `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.insert(e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

fn openssl(args: &[&str], dir: &Path) -> (bool, String) {
    let (ok, out, err) = run(Command::new("openssl").args(args).current_dir(dir));
    (ok, out + &err)
}

/// Verifies every signature of an envelope with openssl; returns the signers' MSP IDs.
fn openssl_verifies(tx: &Path, scratch: &Path) -> Vec<String> {
    let dir = scratch.join(format!("sigs-{}", tx.file_stem().unwrap().to_string_lossy()));
    let list = decode(&["--signatures", tx.to_str().unwrap(), dir.to_str().unwrap()]);
    let mut signers = vec![];
    for s in list.as_array().unwrap() {
        let n = s["name"].as_str().unwrap();
        let (ok, out) = openssl(&["x509", "-in", &format!("{n}.pem"), "-pubkey", "-noout", "-out", &format!("{n}.pub")], &dir);
        assert!(ok, "{}: signer {n}'s certificate: {out}", tx.display());
        let (_, text) = openssl(&["x509", "-in", &format!("{n}.pem"), "-noout", "-text"], &dir);
        let (ok, out) = if text.contains("ED25519") {
            openssl(&["pkeyutl", "-verify", "-pubin", "-inkey", &format!("{n}.pub"), "-rawin", "-in", &format!("{n}.data"), "-sigfile", &format!("{n}.sig")], &dir)
        } else {
            openssl(&["dgst", "-sha256", "-verify", &format!("{n}.pub"), "-signature", &format!("{n}.sig"), &format!("{n}.data")], &dir)
        };
        assert!(ok && out.contains("Verified"), "{}: signature {n} ({}) does not verify: {out}", tx.display(), s["mspid"]);
        if n != "outer" {
            assert_eq!(s["nonce_bytes"], 24, "{}: Fabric's nonces are 24 bytes", tx.display());
            signers.push(s["mspid"].as_str().unwrap().to_string());
        }
    }
    signers
}

/// What a case expects of its rebuild.
struct Expect<'a> {
    /// CHANGELOG lines (each also in the build report), e.g. "channel mychannel: org Org4MSP added".
    changes: &'a [&'a str],
    /// Per channel: the summaries of the updates, in order.
    updates: &'a [(&'a str, &'a [&'a str])],
    /// Snapshot the review JSON of the first update of this channel under this name.
    snapshot: Option<(&'a str, &'a str)>,
}

struct Outcome {
    out: PathBuf,
    report: String,
}

/// Runs one case: v1 of `example_name`, then `v2` (a topology text) built into the same OUT
/// after `before` (e.g. a renewal) ran.
fn evolve(case: &str, example_name: &str, v2: &str, before: &[&[&str]], want: Expect) -> Outcome {
    let out = v1(&format!("case-{case}"), example_name);
    let artifacts = out.join("channel-artifacts");
    let before_tree = tree(&artifacts);
    let v2_path = out.join("v2.yaml");
    std::fs::write(&v2_path, v2).unwrap();
    // Commands to run first; `V2` and `OUT` stand for the new topology and OUT.
    for cmd in before {
        let args: Vec<String> = cmd
            .iter()
            .map(|a| match *a {
                "V2" => v2_path.to_string_lossy().into_owned(),
                "OUT" => out.to_string_lossy().into_owned(),
                other => other.to_string(),
            })
            .collect();
        let o = fabchart(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{case}: {args:?}: {}", stderr(&o));
    }
    let o = fabchart(&["build", v2_path.to_str().unwrap(), "-o", out.to_str().unwrap(), "--bump", "auto"]);
    assert!(o.status.success(), "{case}: rebuild: {}", stderr(&o));
    let report = stdout(&o);

    // Pinned: every genesis block (and 1.4 creation tx) v1 wrote is still byte for byte there.
    let after_tree = tree(&artifacts);
    for (name, bytes) in before_tree.iter().filter(|(n, _)| n.ends_with(".block") || (n.ends_with(".tx") && !n.starts_with("updates/"))) {
        assert_eq!(after_tree.get(name), Some(bytes), "{case}: {name} changed");
    }
    for (name, bytes) in before_tree.iter().filter(|(n, _)| n.starts_with("updates/")) {
        assert_eq!(after_tree.get(name), Some(bytes), "{case}: an existing update {name} was rewritten");
    }
    let chart = out.join(read_json(&out.join("fabchart-plan.json"))["network"]["chart"]["name"].as_str().unwrap());
    for sub in std::fs::read_dir(chart.join("charts")).unwrap().flatten() {
        for (name, bytes) in tree(&sub.path().join("files/channels")) {
            if name.ends_with(".block") {
                assert_eq!(after_tree.get(&name), Some(&bytes), "{case}: {}'s copy of {name} differs", sub.file_name().to_string_lossy());
            }
        }
    }

    // The updates, decoded and applied independently.
    let changelog = std::fs::read_to_string(chart.join("CHANGELOG.md")).unwrap();
    for line in want.changes {
        assert!(changelog.contains(&format!(": {line}\n")), "{case}: CHANGELOG lacks {line:?}:\n{changelog}");
        assert!(report.contains(line), "{case}: the build report lacks {line:?}:\n{report}");
    }
    for (channel, summaries) in want.updates {
        let state = read_json(&artifacts.join("state").join(format!("{channel}.json")));
        let files: Vec<String> = state["updates"].as_array().unwrap().iter().map(|u| u["file"].as_str().unwrap().to_string()).collect();
        let got: Vec<&str> = state["updates"].as_array().unwrap().iter().map(|u| u["summary"].as_str().unwrap()).collect();
        let new = &got[got.len() - summaries.len()..];
        assert_eq!(new, *summaries, "{case}: updates of {channel}");
        let base = artifacts.join(state["base"]["file"].as_str().unwrap());
        let mut args = vec!["--apply".to_string(), base.to_string_lossy().into_owned()];
        args.extend(files.iter().map(|f| artifacts.join(f).to_string_lossy().into_owned()));
        let applied = decode(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(applied["config"], read_json(&artifacts.join("state").join(format!("{channel}_config.json"))), "{case}: {channel}: applying the updates independently does not give the recorded configuration");
        assert_eq!(applied["config"]["sequence"], state["sequence"].as_u64().unwrap().to_string());
        let mut previous = next_config(&base, &[], &artifacts);
        for (i, step) in applied["steps"].as_array().unwrap().iter().enumerate() {
            let file = &files[i];
            assert_eq!(step["channel"], *channel, "{case}: {file}: channel header");
            assert_eq!(step["type"], 2, "{case}: {file}: header type");
            assert_eq!(step["epoch"], 0, "{case}: {file}: epoch");
            // Read set at the versions the configuration had; written elements at +1 or new at 0.
            let versions = versions(&previous["channel_group"], "/Channel");
            for r in step["read_set"].as_array().unwrap() {
                let r = r.as_str().unwrap();
                let (key, v) = r.rsplit_once(' ').unwrap();
                assert_eq!(versions.get(key).map(|x| x.to_string()), Some(v.to_string()), "{case}: {file}: read set {r}");
            }
            for d in step["delta"].as_array().unwrap() {
                let key = d["key"].as_str().unwrap();
                match versions.get(key) {
                    Some(v) => assert_eq!(d["version"].as_u64(), Some(v + 1), "{case}: {file}: {key}"),
                    None => assert_eq!(d["version"], 0, "{case}: {file}: new {key}"),
                }
            }
            for p in step["policies"].as_array().unwrap() {
                assert_eq!(p["satisfied"], true, "{case}: {file}: the signatures do not satisfy {}", p["policy"]);
            }
            let signers = openssl_verifies(&artifacts.join(file), &out);
            assert_eq!(Value::from(signers), state["updates"][i]["signers"], "{case}: {file}: signers");
            previous = next_config(&base, &files[..=i], &artifacts);
        }
        if let Some((ch, name)) = want.snapshot
            && ch == *channel
        {
            let first = files[files.len() - summaries.len()].replace(".tx", ".json");
            snapshot!(format!("evolve-{name}"), redact(&std::fs::read_to_string(artifacts.join(first)).unwrap()));
        }
    }

    // The same topology again: nothing new.
    let o = fabchart(&["build", v2_path.to_str().unwrap(), "-o", out.to_str().unwrap(), "--bump", "auto"]);
    assert!(o.status.success(), "{case}: second rebuild: {}", stderr(&o));
    assert!(!stdout(&o).contains("update:"), "{case}: an unchanged topology wrote updates: {}", stdout(&o));
    let again = tree(&artifacts);
    assert_eq!(again.keys().collect::<Vec<_>>(), after_tree.keys().collect::<Vec<_>>(), "{case}: an unchanged rebuild added or removed files");
    for (k, v) in &after_tree {
        if k.ends_with(".block") || k.starts_with("updates/") || k.starts_with("state/") {
            assert_eq!(again.get(k), Some(v), "{case}: an unchanged rebuild changed {k}");
        }
    }
    Outcome { out, report }
}

impl Drop for Outcome {
    /// A passing case removes its folder (it holds private keys); a failing one keeps it.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.out);
        }
    }
}

/// The evolved chart passes what every chart must: Helm 3 and 4 lint --strict, and its
/// manifests (hooks included: pre-upgrade ones render only with pending updates)
/// kubernetes-validate --strict. Returns Helm 4's manifests.
fn chart_checks(out: &Path) -> String {
    let plan = read_json(&out.join("fabchart-plan.json"));
    let name = plan["network"]["chart"]["name"].as_str().unwrap();
    let chart = out.join(name);
    let crypto = out.join("secrets").join(format!("{name}-crypto.yaml"));
    let home = out.join("helm-home");
    for bin in ["helm3", "helm4"] {
        let (ok, o, e) = helm_run(bin, &home, &["lint", "--strict", chart.to_str().unwrap(), "-f", crypto.to_str().unwrap()]);
        assert!(ok, "{bin} lint --strict {}:\n{o}{e}", chart.display());
    }
    let manifests = helm("helm4", &home, &["template", "r", chart.to_str().unwrap(), "-f", crypto.to_str().unwrap()]);
    validate(&manifests, "1.33");
    manifests
}

/// The configuration after the updates `files`, as decode.js computes it.
fn next_config(base: &Path, files: &[String], artifacts: &Path) -> Value {
    let mut args = vec!["--apply".to_string(), base.to_string_lossy().into_owned()];
    args.extend(files.iter().map(|f| artifacts.join(f).to_string_lossy().into_owned()));
    decode(&args.iter().map(String::as_str).collect::<Vec<_>>())["config"].clone()
}

/// `G|V|P <path>` → version, from configtxlator JSON.
fn versions(g: &Value, path: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    out.insert(format!("G {path}"), g["version"].as_str().unwrap().parse().unwrap());
    for (kind, field) in [("V", "values"), ("P", "policies")] {
        for (k, v) in g[field].as_object().unwrap() {
            out.insert(format!("{kind} {path}/{k}"), v["version"].as_str().unwrap().parse().unwrap());
        }
    }
    for (k, sub) in g["groups"].as_object().unwrap() {
        out.extend(versions(sub, &format!("{path}/{k}")));
    }
    out
}

/// Review JSON with certificates shown by subject, and what changes with every key
/// generation (signatures, nonces, timestamps) replaced.
fn redact(json: &str) -> String {
    let mut v: Value = serde_json::from_str(json).unwrap();
    fn walk(v: &mut Value, key: &str) {
        match v {
            Value::String(s) if s.starts_with("LS0tLS1CRUdJTi") => {
                let pem = Base64::decode_vec(s).unwrap();
                let (_, p) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
                let c = p.parse_x509().unwrap();
                *s = format!("<certificate {}>", c.subject());
            }
            Value::String(s) if matches!(key, "signature" | "nonce") && !s.is_empty() => *s = format!("<{key}>"),
            Value::String(s) if key == "timestamp" => *s = "<timestamp>".into(),
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, key)),
            Value::Object(m) => m.iter_mut().for_each(|(k, x)| walk(x, k)),
            _ => {}
        }
    }
    walk(&mut v, "");
    serde_json::to_string_pretty(&v).unwrap()
}

const ORG4: &str = "  - Name: Org4\n    Domain: org4\n    EnableNodeOUs: true\n    Template: {Count: 1}\n    Users: {Count: 1}\nChannels:";
const MYCHANNEL: &str = "{Name: mychannel, Orgs: [Org1, Org2, Org3], AnchorPeers: {Org1: [peer0], Org2: [peer0], Org3: [peer0]}}";

#[test]
fn a_peer_org_joins_a_channel() {
    let v2 = edit(&edit(&example("raft-2.5"), "Channels:", ORG4), MYCHANNEL, "{Name: mychannel, Orgs: [Org1, Org2, Org3, Org4], AnchorPeers: {Org1: [peer0], Org2: [peer0], Org3: [peer0], Org4: [peer0]}}");
    let o = evolve(
        "add-org",
        "raft-2.5",
        &v2,
        &[],
        Expect { changes: &["channel mychannel: org Org4MSP added"], updates: &[("mychannel", &["org Org4MSP added"])], snapshot: Some(("mychannel", "add-org")) },
    );
    // Majority of the existing application orgs signs (2 of 3); the new org's peers wait for
    // membership before joining with the genesis block.
    let state = read_json(&o.out.join("channel-artifacts/state/mychannel.json"));
    assert_eq!(state["updates"][0]["signers"], serde_json::json!(["Org1MSP", "Org2MSP"]));
    let values = std::fs::read_to_string(o.out.join("demo-network/charts/org4/values.yaml")).unwrap();
    assert!(values.contains("waitMember: true"), "org4 does not wait for membership:\n{values}");
    let manifests = chart_checks(&o.out);
    assert!(manifests.contains("sh /scripts/channel-update.sh fetch 'mychannel'"), "org4's join Job does not wait for membership");
    assert!(o.report.contains("version 0.2.0"), "{}", o.report);
}

#[test]
fn a_peer_org_leaves_a_channel() {
    let v2 = edit(&example("raft-2.5"), MYCHANNEL, "{Name: mychannel, Orgs: [Org1, Org2], AnchorPeers: {Org1: [peer0], Org2: [peer0]}}");
    let o = evolve("remove-org", "raft-2.5", &v2, &[], Expect { changes: &["channel mychannel: org Org3MSP removed"], updates: &[("mychannel", &["org Org3MSP removed"])], snapshot: None });
    assert!(o.report.contains("version 1.0.0"), "a removal is a major bump: {}", o.report);
}

#[test]
fn anchor_peers_change() {
    let v2 = edit(&example("raft-2.5"), MYCHANNEL, "{Name: mychannel, Orgs: [Org1, Org2, Org3], AnchorPeers: {Org1: [peer1], Org2: [peer0], Org3: [peer0]}}");
    let o = evolve(
        "anchors",
        "raft-2.5",
        &v2,
        &[],
        Expect { changes: &["channel mychannel: anchor peers of org Org1MSP changed"], updates: &[("mychannel", &["anchor peers of org Org1MSP changed"])], snapshot: None },
    );
    // Only the org's own admin signs.
    let state = read_json(&o.out.join("channel-artifacts/state/mychannel.json"));
    assert_eq!(state["updates"][0]["signers"], serde_json::json!(["Org1MSP"]));
}

#[test]
fn an_orderer_joins_and_a_certificate_is_renewed() {
    // The issue's scenario: a fourth peer org, a fourth orderer, a renewed orderer0 TLS cert.
    let v2 = edit(&edit(&edit(&example("raft-2.5"), "Template: {Count: 3}", "Template: {Count: 4}"), "Channels:", ORG4), MYCHANNEL, "{Name: mychannel, Orgs: [Org1, Org2, Org3, Org4], AnchorPeers: {Org1: [peer0], Org2: [peer0], Org3: [peer0], Org4: [peer0]}}");
    let o = evolve(
        "orderer",
        "raft-2.5",
        &v2,
        &[&["renew", "V2", "-o", "OUT", "--cert", "orderer0.orgorderer1/tls"]],
        Expect {
            changes: &[
                "channel mychannel: org Org4MSP added",
                "channel mychannel: orderer orderer3.orgorderer1.svc.cluster.local:7050 added to the consenters",
                "channel mychannel: certificates of consenter orderer0.orgorderer1.svc.cluster.local:7050 re-issued",
                "channel bilateral: orderer orderer3.orgorderer1.svc.cluster.local:7050 added to the consenters",
            ],
            updates: &[
                ("mychannel", &["org Org4MSP added", "certificates of consenter orderer0.orgorderer1.svc.cluster.local:7050 re-issued", "orderer orderer3.orgorderer1.svc.cluster.local:7050 added to the consenters"]),
                ("bilateral", &["certificates of consenter orderer0.orgorderer1.svc.cluster.local:7050 re-issued", "orderer orderer3.orgorderer1.svc.cluster.local:7050 added to the consenters"]),
            ],
            snapshot: None,
        },
    );
    for (i, name) in [(1usize, "rotate-consenter"), (2, "add-orderer")] {
        let state = read_json(&o.out.join("channel-artifacts/state/mychannel.json"));
        let f = state["updates"][i]["file"].as_str().unwrap().replace(".tx", ".json");
        snapshot!(format!("evolve-{name}"), redact(&std::fs::read_to_string(o.out.join("channel-artifacts").join(f)).unwrap()));
    }
    // orderer3 joins the running channels with their latest config block, before the
    // update Job makes it a consenter; the others keep joining with the genesis block.
    let values = std::fs::read_to_string(o.out.join("demo-network/charts/orderer/values.yaml")).unwrap();
    assert!(values.contains("genesisJoin:\n  - orderer0\n  - orderer1\n  - orderer2\n"), "{values}");
    let manifests = chart_checks(&o.out);
    for job in ["orderer-channel-join", "orderer-orderer-onboard", "orderer-channel-update", "org4-channel-join"] {
        assert!(manifests.contains(&format!("name: {job}\n")), "no Job {job}");
    }
    assert!(manifests.contains("exec sh /scripts/orderer-join.sh 'mychannel' 'orderer3.orgorderer1.svc.cluster.local:7053' '/tmp/mychannel.live.block'"), "orderer3 does not join with the fetched config block");
}

#[test]
fn an_orderer_leaves_before_its_pod_goes() {
    let v2 = edit(&example("raft-2.5"), "Template: {Count: 3}", "Template: {Count: 2}");
    let o = evolve(
        "remove-orderer",
        "raft-2.5",
        &v2,
        &[],
        Expect {
            changes: &["channel mychannel: orderer orderer2.orgorderer1.svc.cluster.local:7050 removed from the consenters"],
            updates: &[("mychannel", &["orderer orderer2.orgorderer1.svc.cluster.local:7050 removed from the consenters"])],
            snapshot: None,
        },
    );
    // Applied by the pre-upgrade Job, with its own hook ConfigMaps.
    let state = read_json(&o.out.join("channel-artifacts/state/mychannel.json"));
    assert_eq!(state["updates"][0]["pre"], true);
    let manifests = chart_checks(&o.out);
    for name in ["orderer-channel-update-pre", "orderer-channels-pre", "orderer-channel-scripts-pre"] {
        assert!(manifests.contains(&format!("name: {name}\n")), "no {name}");
    }
    assert!(manifests.contains("helm.sh/hook: pre-upgrade"));
}

#[test]
fn batch_settings_and_consensus_options_change() {
    let v2 = edit(
        &edit(&example("raft-2.5"), "  Storage: {Peer: 20Gi}", "  Storage: {Peer: 20Gi}\n  Orderer:\n    BatchTimeout: 1000ms\n    EtcdRaft: {SnapshotIntervalSize: 32 MB}"),
        "{Name: bilateral, Orgs: [Org1, Org2], AnchorPeers: {Org1: [peer1], Org2: [peer1]}}",
        "{Name: bilateral, Orgs: [Org1, Org2], AnchorPeers: {Org1: [peer1], Org2: [peer1]}, BatchSize: {MaxMessageCount: 50}}",
    );
    let o = evolve(
        "batch",
        "raft-2.5",
        &v2,
        &[],
        Expect {
            changes: &["channel mychannel: batch settings changed", "channel mychannel: consensus options changed", "channel bilateral: batch settings changed"],
            updates: &[("mychannel", &["batch settings changed", "consensus options changed"]), ("bilateral", &["batch settings changed", "consensus options changed"])],
            snapshot: None,
        },
    );
    let cfg = read_json(&o.out.join("channel-artifacts/state/bilateral_config.json"));
    let orderer = &cfg["channel_group"]["groups"]["Orderer"]["values"];
    assert_eq!(orderer["BatchTimeout"]["value"]["timeout"], "1s", "configtxgen writes Go's duration form");
    assert_eq!(orderer["BatchSize"]["value"]["max_message_count"], 50);
    assert_eq!(orderer["ConsensusType"]["value"]["metadata"]["options"]["snapshot_interval_size"], 32 * 1024 * 1024);
    // diff says the same, without the crypto.
    let p = o.out.join("v2.yaml");
    let d = fabchart(&["diff", "values-examples/raft-2.5.yaml", p.to_str().unwrap()]);
    assert!(stdout(&d).contains("- minor: channel bilateral: batch settings changed\n"), "{}", stdout(&d));
}

#[test]
fn an_org_msp_changes_and_its_old_admin_certificate_signs() {
    // talk: NodeOUs off, so the Admin's certificate is in the MSP (admincerts). Renewing it
    // changes the MSP; the channel still only knows the old certificate, so the update is
    // signed with it (same key).
    let o = evolve(
        "msp",
        "talk",
        &example("talk"),
        &[&["renew", "V2", "-o", "OUT", "--cert", "Admin@org1/msp"]],
        Expect { changes: &["channel mychannel: MSP of org Org1MSP changed"], updates: &[("mychannel", &["MSP of org Org1MSP changed"])], snapshot: None },
    );
    let state = read_json(&o.out.join("channel-artifacts/state/mychannel.json"));
    assert_eq!(state["updates"][0]["signers"], serde_json::json!(["Org1MSP"]));
    assert!(!o.report.contains("NEEDS MORE SIGNATURES"), "{}", o.report);
}

#[test]
fn capabilities_rise_from_2_5_to_3_1() {
    let v2 = edit(&example("raft-2.5"), "FabricVersion: \"2.5\"", "FabricVersion: \"3.1\"");
    let o = evolve(
        "v3",
        "raft-2.5",
        &v2,
        &[],
        Expect {
            changes: &["channel mychannel: capabilities raised from V2_0 to V3_0", "channel bilateral: capabilities raised from V2_0 to V3_0"],
            updates: &[("mychannel", &["capabilities raised from V2_0 to V3_0"]), ("bilateral", &["capabilities raised from V2_0 to V3_0"])],
            snapshot: Some(("mychannel", "capabilities-v3")),
        },
    );
    // /Channel/Admins: a majority of the orderer orgs' and of the application orgs' admins.
    let state = read_json(&o.out.join("channel-artifacts/state/mychannel.json"));
    assert_eq!(state["updates"][0]["signers"], serde_json::json!(["OrdererMSP", "Org1MSP", "Org2MSP"]));
}

#[test]
fn a_bft_consenter_joins_with_a_new_id_and_block_validation() {
    let text = example("bft-3.1");
    let i = text.find("  - Name: OrdererB").unwrap();
    let v2 = format!("{}{}", &text[..i], edit(&text[i..], "Template: {Count: 2}", "Template: {Count: 3}"));
    let o = evolve(
        "bft",
        "bft-3.1",
        &v2,
        &[],
        Expect {
            changes: &["channel mychannel: orderer orderer2.orderer-b.svc.cluster.local:7050 added to the consenters"],
            updates: &[("mychannel", &["orderer orderer2.orderer-b.svc.cluster.local:7050 added to the consenters"])],
            snapshot: None,
        },
    );
    let cfg = read_json(&o.out.join("channel-artifacts/state/mychannel_config.json"));
    let orderer = &cfg["channel_group"]["groups"]["Orderer"];
    let ids: Vec<u64> = orderer["values"]["Orderers"]["value"]["consenter_mapping"].as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    // 5 consenters: f = 1, quorum ceil((5+1+1)/2) = 4 of the 5 identities, in mapping order.
    let bv = &orderer["policies"]["BlockValidation"]["policy"]["value"];
    assert_eq!(bv["rule"]["n_out_of"]["n"], 4);
    assert_eq!(bv["identities"].as_array().unwrap().len(), 5);
    assert!(orderer["groups"]["OrdererBMSP"]["values"]["Endpoints"]["value"]["addresses"].as_array().unwrap().iter().any(|a| a == "orderer2.orderer-b.svc.cluster.local:7050"));
}

#[test]
fn a_1_4_org_joins_the_consortium_then_the_channel() {
    let v2 = edit(
        &edit(&example("kafka-1.4"), "Channels:", "  - Name: Org3\n    Domain: org3\n    Template: {Count: 1}\n    Users: {Count: 1}\nChannels:"),
        "{Name: mychannel, Orgs: [Org1, Org2], AnchorPeers: {Org1: [peer0], Org2: [peer0]}}",
        "{Name: mychannel, Orgs: [Org1, Org2, Org3], AnchorPeers: {Org1: [peer0], Org2: [peer0], Org3: [peer0]}}",
    );
    let o = evolve(
        "v14",
        "kafka-1.4",
        &v2,
        &[],
        Expect {
            changes: &["channel system-channel: org Org3MSP added to consortium talk-kafka-consortium", "channel mychannel: org Org3MSP added"],
            updates: &[("system-channel", &["org Org3MSP added to consortium talk-kafka-consortium"]), ("mychannel", &["org Org3MSP added"])],
            snapshot: None,
        },
    );
    let manifests = chart_checks(&o.out);
    for job in ["orderer-system-channel-update", "orderer-channel-update", "org3-channel-join"] {
        assert!(manifests.contains(&format!("name: {job}\n")), "no Job {job}");
    }
}

/// A change Fabric refuses is a located error, and nothing of OUT's channel state changes.
fn refused(case: &str, v1_text: &str, v2: &str, want: &[&str]) {
    let out = tmp(&format!("refuse-{case}"));
    let p1 = out.join("v1.yaml");
    std::fs::write(&p1, v1_text).unwrap();
    let o = fabchart(&["build", p1.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{case}: v1: {}", stderr(&o));
    let before = tree(&out.join("channel-artifacts"));
    let record = std::fs::read(out.join("fabchart-plan.json")).unwrap();
    let p = out.join("v2.yaml");
    std::fs::write(&p, v2).unwrap();
    let o = fabchart(&["build", p.to_str().unwrap(), "-o", out.to_str().unwrap(), "--bump", "auto"]);
    assert_eq!(o.status.code(), Some(1), "{case}: {}", stderr(&o));
    let err = stderr(&o);
    for w in want {
        assert!(err.contains(w), "{case}: the error lacks {w:?}:\n{err}");
    }
    assert!(err.contains("v2.yaml:"), "{case}: the error is not located:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(tree(&out.join("channel-artifacts")), before, "{case}: the channel state changed");
    assert_eq!(std::fs::read(out.join("fabchart-plan.json")).unwrap(), record, "{case}: the record changed");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn changes_fabric_refuses_are_located_errors() {
    let raft = example("raft-2.5");
    let raft31 = edit(&raft, "FabricVersion: \"2.5\"", "FabricVersion: \"3.1\"");
    refused("consensus", &raft31, &edit(&raft31, "Consensus: etcdraft", "Consensus: BFT").replace("Template: {Count: 3}", "Template: {Count: 4}"), &[
        "channel mychannel: the channel runs etcdraft consensus; changing it to BFT",
        "maintenance mode",
        "v2.yaml:7:14",
    ]);
    refused("lower-capabilities", &raft31, &raft, &["the channel's capability is V3_0; this FabricVersion would lower it to V2_0", "capabilities only go up"]);
    refused("to-1.4", &raft, &edit(&raft, "FabricVersion: \"2.5\"", "FabricVersion: \"1.4\""), &["FabricVersion 1.4 cannot take it there"]);
    let kafka = example("kafka-1.4");
    refused("1.4-orderer", &kafka, &edit(&kafka, "Template: {Count: 2}", "Template: {Count: 3}"), &["on Fabric 1.4 fabchart updates"]);
}

/// `channel sign` adds an admin's signature (the ConfigUpdate bytes untouched), `channel
/// show` lists signers and the policies they satisfy; an update fabchart cannot sign well
/// enough (the old admin key was replaced with --rekey) is flagged until someone who still
/// holds an identity the channel accepts signs it.
#[test]
fn channel_sign_adds_a_signature_fabchart_could_not_make() {
    let out = v1("sign", "talk");
    // Keep the Admin's current identity aside, as an admin would keep theirs, then replace
    // its key and certificate: the channel only knows the old one.
    let admin = out.join("crypto-config/peerOrganizations/org1/users/Admin@org1/msp");
    let kept = out.join("kept-admin-msp");
    copy_dir(&admin, &kept);
    let topo = repo().join("values-examples/talk.yaml");
    let o = fabchart(&["renew", topo.to_str().unwrap(), "-o", out.to_str().unwrap(), "--cert", "Admin@org1/msp", "--rekey"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = fabchart(&["build", topo.to_str().unwrap(), "-o", out.to_str().unwrap(), "--bump", "auto"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("NEEDS MORE SIGNATURES for /Channel/Application/Org1MSP/Admins"), "{}", stdout(&o));
    assert!(stderr(&o).contains("fabchart channel sign"), "{}", stderr(&o));
    let state = read_json(&out.join("channel-artifacts/state/mychannel.json"));
    let tx = out.join("channel-artifacts").join(state["updates"][0]["file"].as_str().unwrap());
    let before = std::fs::read(&tx).unwrap();

    let show = fabchart(&["channel", "show", out.to_str().unwrap(), tx.to_str().unwrap()]);
    assert!(show.status.success(), "{}", stderr(&show));
    assert!(stderr(&show).contains("policy /Channel/Application/Org1MSP/Admins: NOT satisfied"), "{}", stderr(&show));

    // The kept identity signs; its MSP ID comes from the channel's records.
    let o = fabchart(&["channel", "sign", tx.to_str().unwrap(), "--msp", kept.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("(Org1MSP)"), "{}", stdout(&o));
    let show = fabchart(&["channel", "show", out.to_str().unwrap(), tx.file_name().unwrap().to_str().unwrap()]);
    assert!(stderr(&show).contains("policy /Channel/Application/Org1MSP/Admins: satisfied"), "{}", stderr(&show));
    let json: Value = serde_json::from_str(&stdout(&show)).unwrap();
    let old: Value = serde_json::from_str(&std::fs::read_to_string(tx.with_extension("json")).unwrap()).unwrap();
    assert_eq!(json["payload"]["data"]["config_update"], old["payload"]["data"]["config_update"], "signing changed the ConfigUpdate");
    assert_eq!(json["payload"]["data"]["signatures"].as_array().unwrap().len(), old["payload"]["data"]["signatures"].as_array().unwrap().len() + 1);
    openssl_verifies(&tx, &out);
    let applied = decode(&["--apply", out.join("channel-artifacts/mychannel.block").to_str().unwrap(), tx.to_str().unwrap()]);
    assert_eq!(applied["steps"][0]["policies"][0]["satisfied"], true, "{applied}");
    // The same identity again: refused, the file untouched.
    let signed = std::fs::read(&tx).unwrap();
    assert_ne!(signed, before);
    let o = fabchart(&["channel", "sign", tx.to_str().unwrap(), "--msp", kept.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("has signed this update already"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&tx).unwrap(), signed);
    // The chart carries the envelope as OUT has it: a rebuild ships the signed one, and
    // writes no new update.
    let o = fabchart(&["build", topo.to_str().unwrap(), "-o", out.to_str().unwrap(), "--bump", "auto"]);
    assert!(o.status.success() && !stdout(&o).contains("update:"), "{}{}", stdout(&o), stderr(&o));
    let name = tx.file_name().unwrap().to_str().unwrap();
    let chart_copy = std::fs::read_dir(out.join("fabric-network/charts")).unwrap().flatten().map(|d| d.path().join("files/channels").join(name)).find(|p| p.exists()).expect("an org carries the update");
    assert_eq!(std::fs::read(chart_copy).unwrap(), signed);
    let _ = std::fs::remove_dir_all(&out);
}

/// A channel changed outside fabchart is adopted from its config block: later updates are
/// computed against what the network has (read set at the imported versions).
#[test]
fn channel_import_adopts_a_live_config() {
    use fabchart::channel::{encode, proto as pb, state};
    let out = v1("import", "raft-2.5");
    let artifacts = out.join("channel-artifacts");
    let genesis = std::fs::read(artifacts.join("mychannel.block")).unwrap();
    // The live channel: someone set BatchTimeout to 5s by hand (sequence 1).
    let l = state::load(&artifacts, "mychannel").unwrap().unwrap();
    let mut live = l.config.clone();
    live.sequence += 1;
    let bt = live.channel_group.as_mut().unwrap().groups.get_mut("Orderer").unwrap().values.get_mut("BatchTimeout").unwrap();
    bt.version += 1;
    bt.value = pb::bytes(&pb::BatchTimeout { timeout: "5s".into() });
    let block = encode::config_block(fabchart::topology::FabricVersion::V2_5, "mychannel", live, 7, pb::Timestamp { seconds: 0, nanos: 0 });
    let block_path = out.join("live.block");
    std::fs::write(&block_path, pb::bytes(&block)).unwrap();

    // Without import, fabchart's records say sequence 0: the Job would report drift. With it:
    let o = fabchart(&["channel", "import", out.to_str().unwrap(), "mychannel", block_path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("at config sequence 1 (block 7)"), "{}", stdout(&o));
    let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", out.to_str().unwrap(), "--bump", "auto"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("update: mychannel sequence 2: batch settings changed"), "{}", stdout(&o));
    let state = read_json(&artifacts.join("state/mychannel.json"));
    assert_eq!(state["base"]["kind"], "import");
    let tx = artifacts.join(state["updates"][0]["file"].as_str().unwrap());
    let applied = decode(&["--apply", block_path.to_str().unwrap(), tx.to_str().unwrap()]);
    assert_eq!(applied["config"], read_json(&artifacts.join("state/mychannel_config.json")));
    assert_eq!(applied["config"]["channel_group"]["groups"]["Orderer"]["values"]["BatchTimeout"]["version"], "2");
    assert_eq!(applied["config"]["channel_group"]["groups"]["Orderer"]["values"]["BatchTimeout"]["value"]["timeout"], "2s");
    // The genesis block stays pinned: peers still join with it.
    assert_eq!(std::fs::read(artifacts.join("mychannel.block")).unwrap(), genesis);

    // Refusals: another channel's block, a block that is not a config block, a later block
    // for a channel OUT has no genesis for.
    let o = fabchart(&["channel", "import", out.to_str().unwrap(), "bilateral", block_path.to_str().unwrap()]);
    assert!(stderr(&o).contains("is a block of channel \"mychannel\", not \"bilateral\""), "{}", stderr(&o));
    let junk = out.join("junk.block");
    std::fs::write(&junk, b"not a block").unwrap();
    let o = fabchart(&["channel", "import", out.to_str().unwrap(), "mychannel", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a block"), "{}", stderr(&o));
    let fresh = tmp("import-fresh");
    let o = fabchart(&["channel", "import", fresh.to_str().unwrap(), "mychannel", block_path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("pass it with --genesis"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&fresh);
}

/// An OUT written before fabchart kept records (only the blocks of the channels it
/// created) is adopted as is: the blocks stay, the records start from them, and a change
/// becomes an update against them. On 1.4 the creation tx stays and the anchor peers the
/// earlier version's Jobs set become the first updates (the live channel has them: the Job
/// finds them applied).
#[test]
fn an_out_without_records_adopts_its_blocks() {
    for (example, channel) in [("raft-2.5", "mychannel"), ("kafka-1.4", "mychannel")] {
        let out = v1(&format!("adopt-{example}"), example);
        let artifacts = out.join("channel-artifacts");
        let _ = std::fs::remove_dir_all(artifacts.join("state"));
        let _ = std::fs::remove_dir_all(artifacts.join("updates"));
        let pinned: Vec<(String, Vec<u8>)> = tree(&artifacts).into_iter().filter(|(n, _)| n.ends_with(".block") || n.ends_with(".tx")).collect();
        let o = fabchart(&["build", &format!("values-examples/{example}.yaml"), "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{example}: {}", stderr(&o));
        assert!(!stdout(&o).contains("channels: new:"), "{example}: the rebuild made new channels: {}", stdout(&o));
        for (n, b) in &pinned {
            assert_eq!(&std::fs::read(artifacts.join(n)).unwrap(), b, "{example}: {n} changed");
        }
        let state = read_json(&artifacts.join("state").join(format!("{channel}.json")));
        assert!(state["base"]["kind"] == "genesis" || state["base"]["kind"] == "created", "{example}: {state}");
        let _ = std::fs::remove_dir_all(&out);
    }
}

/// A rebuild with nothing new writes nothing (every mtime stays) and says so; the tree is
/// byte for byte what a full build of the same inputs writes. Any change to an input (a
/// renewed certificate, a deleted chart file, an edited topology) runs the whole pipeline.
#[test]
fn an_unchanged_rebuild_writes_nothing_and_equals_a_full_build() {
    use std::os::unix::fs::MetadataExt;
    let out = v1("unchanged", "raft-2.5");
    let stamp = |dir: &Path| -> BTreeMap<String, (i64, i64, u64)> {
        let mut m = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let md = e.metadata().unwrap();
                if md.is_dir() {
                    stack.push(e.path());
                }
                m.insert(e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned(), (md.mtime(), md.mtime_nsec(), md.ino()));
            }
        }
        m
    };
    let before = stamp(&out);
    let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success() && stdout(&o).starts_with("unchanged: "), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stamp(&out), before, "an unchanged rebuild touched OUT");

    // The same inputs built in full elsewhere (the store copied: keys are the inputs) give
    // the same bytes: chart, secrets, channel artifacts, records.
    let full = tmp("unchanged-full");
    copy_dir(&out.join("crypto-config"), &full.join("crypto-config"));
    let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", full.to_str().unwrap()]);
    assert!(o.status.success() && !stdout(&o).starts_with("unchanged"), "{}", stderr(&o));
    let (a, b) = (tree(&out), tree(&full));
    let keys = |t: &BTreeMap<String, Vec<u8>>| t.keys().filter(|k| k.as_str() != "fabchart-build.json").cloned().collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b), "a full build writes other files");
    for (k, v) in &a {
        if k != "fabchart-build.json" {
            assert_eq!(Some(v), b.get(k), "{k} differs from a full build's");
        }
    }

    // Inputs that change: each runs the pipeline again.
    let chart_file = out.join("demo-network/charts/org1/values.yaml");
    std::fs::remove_file(&chart_file).unwrap();
    let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success() && !stdout(&o).starts_with("unchanged"), "a deleted chart file went unnoticed");
    assert!(chart_file.exists(), "the deleted chart file was not written again");
    let o = fabchart(&["renew", "values-examples/raft-2.5.yaml", "-o", out.to_str().unwrap(), "--cert", "peer0.org1/tls"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success() && !stdout(&o).starts_with("unchanged"), "a renewed certificate went unnoticed");
    // A certificate added to an org's MSP folder (the channel stage lists it) counts too:
    // here a second root, which the channel gets as an MSP update.
    let msp = out.join("crypto-config/peerOrganizations/org2/msp");
    std::fs::copy(msp.join("tlscacerts/tlsca.org2-cert.pem"), msp.join("cacerts/zz-extra-root.pem")).unwrap();
    let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", out.to_str().unwrap(), "--bump", "auto"]);
    assert!(o.status.success() && stdout(&o).contains("update: mychannel sequence 1: MSP of org Org2MSP changed"), "an added MSP certificate went unnoticed: {}{}", stdout(&o), stderr(&o));
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&full);
}
