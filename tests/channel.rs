//! Channel artifacts, checked with an independent decoder: the official Fabric protobuf
//! bindings from npm (@hyperledger/fabric-protos, installed by scripts/install-tools.sh)
//! decode every block and transaction fabchart writes, and the decoded fields are held
//! against the topology's plan and the crypto store. Also: the review JSON equals what
//! the independent decoder prints, snapshots of it per example, determinism across
//! rebuilds, `fabchart channel show`, and the blocks inside the rendered chart.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};


use base64ct::{Base64, Encoding};
use common::*;
use serde_json::Value;


struct Built {
    out: PathBuf,
    plan: Value,
}

/// Builds an example into a scratch folder of its own (`label` keeps tests that build the
/// same example apart: they run in parallel).
fn build_as(example: &str, label: &str) -> Built {
    let out = tmp(&format!("ch-{label}-{example}"));
    let file = format!("values-examples/{example}.yaml");
    let o = fabchart(&["build", &file, "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "build {example}: {}", stderr(&o));
    let p = fabchart(&["plan", &file, "--format", "json"]);
    assert!(p.status.success());
    Built { out, plan: serde_json::from_str(&stdout(&p)).unwrap() }
}

fn build(example: &str) -> Built {
    build_as(example, "check")
}

fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    let mut cur = v;
    for k in path {
        cur = cur.get(*k).unwrap_or_else(|| panic!("no {k:?} in path {path:?}"));
    }
    cur
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(Base64::encode_string(bytes))
}

fn file_b64(p: &Path) -> Value {
    b64(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

fn org<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["orgs"].as_array().unwrap().iter().find(|o| o["name"] == name).unwrap_or_else(|| panic!("org {name}"))
}

fn org_dir(out: &Path, o: &Value) -> PathBuf {
    let kind = if o["kind"] == "orderer" { "ordererOrganizations" } else { "peerOrganizations" };
    out.join("crypto-config").join(kind).join(o["domain"].as_str().unwrap())
}

fn caps(v: &Value) -> BTreeSet<String> {
    keys(at(v, &["values", "Capabilities", "value", "capabilities"]))
}

/// The rule of a signature policy as `n of [msp.ROLE, ...]`.
fn sig_rule(p: &Value) -> String {
    let v = at(p, &["policy", "value"]);
    let ids: Vec<String> = v["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}.{}", i["principal"]["msp_identifier"].as_str().unwrap_or("?"), i["principal"]["role"].as_str().unwrap_or("?")))
        .collect();
    let n = at(v, &["rule", "n_out_of", "n"]);
    let picked: Vec<String> = v["rule"]["n_out_of"]["rules"].as_array().unwrap().iter().map(|r| ids[r["signed_by"].as_u64().unwrap() as usize].clone()).collect();
    format!("{n} of {}", picked.join(","))
}

fn meta_rule(p: &Value) -> String {
    let v = at(p, &["policy", "value"]);
    assert_eq!(p["policy"]["type"], 3, "{p}");
    format!("{} {}", v["rule"].as_str().unwrap(), v["sub_policy"].as_str().unwrap())
}

/// An org group of the decoded config, held against the plan and the crypto store.
fn check_org(g: &Value, o: &Value, out: &Path, version: &str) {
    let msp_id = o["mspId"].as_str().unwrap();
    let dir = org_dir(out, o).join("msp");
    let conf = at(g, &["values", "MSP", "value", "config"]);
    assert_eq!(conf["name"], msp_id);
    let ca = dir.join("cacerts").join(format!("{}-cert.pem", o["ca"]["commonName"].as_str().unwrap()));
    let tlsca = dir.join("tlscacerts").join(format!("{}-cert.pem", o["ca"]["tlsCommonName"].as_str().unwrap()));
    assert_eq!(conf["root_certs"], Value::Array(vec![file_b64(&ca)]), "{msp_id} root certs");
    assert_eq!(conf["tls_root_certs"], Value::Array(vec![file_b64(&tlsca)]), "{msp_id} TLS root certs");
    let node_ous = o["enableNodeOUs"].as_bool().unwrap();
    assert_eq!(conf["fabric_node_ous"]["enable"].as_bool().unwrap_or(false), node_ous, "{msp_id} NodeOUs");
    if node_ous {
        for (k, ou) in [("client_ou_identifier", "client"), ("peer_ou_identifier", "peer"), ("admin_ou_identifier", "admin"), ("orderer_ou_identifier", "orderer")] {
            assert_eq!(conf["fabric_node_ous"][k]["organizational_unit_identifier"], ou);
            assert_eq!(conf["fabric_node_ous"][k]["certificate"], file_b64(&ca));
        }
    } else {
        let admin = dir.join("admincerts").join(format!("Admin@{}-cert.pem", o["domain"].as_str().unwrap()));
        assert_eq!(conf["admins"], Value::Array(vec![file_b64(&admin)]), "{msp_id} admincerts");
    }
    let pol = &g["policies"];
    let m = |r: &str| format!("{msp_id}.{r}");
    let peer_org = o["kind"] == "peer";
    if peer_org && node_ous {
        assert_eq!(sig_rule(&pol["Readers"]), format!("1 of {},{},{}", m("ADMIN"), m("PEER"), m("CLIENT")));
        assert_eq!(sig_rule(&pol["Writers"]), format!("1 of {},{}", m("ADMIN"), m("CLIENT")));
    } else {
        assert_eq!(sig_rule(&pol["Readers"]), format!("1 of {}", m("MEMBER")));
        assert_eq!(sig_rule(&pol["Writers"]), format!("1 of {}", m("MEMBER")));
    }
    assert_eq!(sig_rule(&pol["Admins"]), format!("1 of {}", m("ADMIN")));
    if peer_org && version != "1.4" {
        assert_eq!(sig_rule(&pol["Endorsement"]), format!("1 of {}", m(if node_ous { "PEER" } else { "MEMBER" })));
    } else {
        assert!(pol.get("Endorsement").is_none(), "{msp_id}: no Endorsement policy expected");
    }
    if o["kind"] == "orderer" && version != "1.4" {
        let want: Vec<Value> = o["nodes"].as_array().unwrap().iter().map(|n| n["address"].clone()).collect();
        assert_eq!(at(g, &["values", "Endpoints", "value", "addresses"]), &Value::Array(want), "{msp_id} OrdererEndpoints");
    }
}

/// The Orderer group: consensus, consenters, batch settings, capabilities, orgs.
fn check_orderer(g: &Value, plan: &Value, orderer_orgs: &[&str], out: &Path) {
    let version = plan["network"]["fabricVersion"].as_str().unwrap();
    let consensus = plan["network"]["consensus"].as_str().unwrap();
    let want_orgs: BTreeSet<String> = orderer_orgs.iter().map(|n| org(plan, n)["mspId"].as_str().unwrap().to_string()).collect();
    assert_eq!(keys(&g["groups"]), want_orgs);
    for n in orderer_orgs {
        let o = org(plan, n);
        check_org(&g["groups"][o["mspId"].as_str().unwrap()], o, out, version);
    }
    let ct = at(g, &["values", "ConsensusType", "value"]);
    assert_eq!(ct["type"], consensus);
    assert_eq!(ct["state"], "STATE_NORMAL");
    let bs = at(g, &["values", "BatchSize", "value"]);
    assert_eq!((bs["max_message_count"].as_u64(), bs["absolute_max_bytes"].as_u64(), bs["preferred_max_bytes"].as_u64()), (Some(10), Some(103809024), Some(524288)));
    assert_eq!(at(g, &["values", "BatchTimeout", "value", "timeout"]), "2s");
    let want_cap = if version == "1.4" { "V1_4_2" } else { "V2_0" };
    assert_eq!(caps(g), BTreeSet::from([want_cap.to_string()]));
    for p in ["Readers", "Writers"] {
        assert_eq!(meta_rule(&g["policies"][p]), format!("ANY {p}"));
    }
    assert_eq!(meta_rule(&g["policies"]["Admins"]), "MAJORITY Admins");
    // Every orderer of the serving orgs, in order, with its TLS certificate.
    let orderers: Vec<(&Value, &Value)> = orderer_orgs.iter().flat_map(|n| {
        let o = org(plan, n);
        o["nodes"].as_array().unwrap().iter().map(move |x| (o, x))
    }).collect();
    let tls = |o: &Value, n: &Value| org_dir(out, o).join("orderers").join(n["commonName"].as_str().unwrap()).join("tls/server.crt");
    let host = |n: &Value| n["address"].as_str().unwrap().rsplit_once(':').unwrap().0.to_string();
    match consensus {
        "etcdraft" => {
            assert_eq!(meta_rule(&g["policies"]["BlockValidation"]), "ANY Writers");
            let m = at(ct, &["metadata"]);
            let cs = m["consenters"].as_array().unwrap();
            assert_eq!(cs.len(), orderers.len());
            for (c, (o, n)) in cs.iter().zip(&orderers) {
                assert_eq!(c["host"], host(n));
                assert_eq!(c["port"], 7050);
                assert_eq!(c["client_tls_cert"], file_b64(&tls(o, n)));
                assert_eq!(c["server_tls_cert"], file_b64(&tls(o, n)));
            }
            let opt = &m["options"];
            assert_eq!((opt["tick_interval"].as_str(), opt["election_tick"].as_u64(), opt["heartbeat_tick"].as_u64()), (Some("500ms"), Some(10), Some(1)));
        }
        "BFT" => {
            let cs = at(g, &["values", "Orderers", "value", "consenter_mapping"]).as_array().unwrap();
            assert_eq!(cs.len(), orderers.len());
            for (i, (c, (o, n))) in cs.iter().zip(&orderers).enumerate() {
                assert_eq!(c["id"], i as u64 + 1);
                assert_eq!(c["host"], host(n));
                assert_eq!(c["msp_id"], o["mspId"]);
                let cn = n["commonName"].as_str().unwrap();
                let signcert = org_dir(out, o).join("orderers").join(cn).join("msp/signcerts").join(format!("{cn}-cert.pem"));
                assert_eq!(c["identity"], file_b64(&signcert));
                assert_eq!(c["server_tls_cert"], file_b64(&tls(o, n)));
            }
            // BlockValidation: a quorum ceil((n+f+1)/2) of the consenters' identities.
            let n = cs.len();
            let f = (n - 1) / 3;
            let bv = at(g, &["policies", "BlockValidation", "policy"]);
            assert_eq!(bv["type"], 1);
            assert_eq!(bv["value"]["rule"]["n_out_of"]["n"].as_u64().unwrap() as usize, (n + f + 1).div_ceil(2));
            let ids = bv["value"]["identities"].as_array().unwrap();
            assert_eq!(ids.len(), n);
            for (id, c) in ids.iter().zip(cs) {
                assert_eq!(id["principal_classification"], "IDENTITY");
                assert_eq!(id["principal"]["id_bytes"], c["identity"]);
                assert_eq!(id["principal"]["mspid"], c["msp_id"]);
            }
            let opt = &ct["metadata"];
            assert_eq!(opt["request_batch_max_count"], "100");
            assert_eq!(opt["leader_heartbeat_timeout"], "1m0s");
        }
        "kafka" => {
            let want: Vec<Value> = plan["kafka"]["brokers"].as_array().unwrap().iter().map(|b| b["address"].clone()).collect();
            assert_eq!(at(g, &["values", "KafkaBrokers", "value", "brokers"]), &Value::Array(want));
        }
        "solo" => {}
        other => panic!("consensus {other}"),
    }
}

/// Checks one example end to end; returns the artifact folder.
fn check_example(example: &str, snapshots: bool) -> Built {
    let b = build(example);
    let dir = b.out.join("channel-artifacts");
    let plan = &b.plan;
    let version = plan["network"]["fabricVersion"].as_str().unwrap();
    let channels = plan["channels"].as_array().unwrap();
    assert!(!channels.is_empty(), "{example} has no channel");
    let (chan_cap, app_cap) = match version {
        "1.4" => ("V1_4_3", "V1_4_2"),
        "2.5" => ("V2_0", "V2_5"),
        _ => ("V3_0", "V2_5"),
    };
    let mut files: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();

    if version == "1.4" {
        // The system channel genesis block the orderers boot from.
        let blk = dir.join("system-channel.block");
        let d = decode(&[blk.to_str().unwrap()]);
        check_block_header(&d, "system-channel", 4);
        let cfg = decode(&["--config", blk.to_str().unwrap()]);
        let g = &cfg["channel_group"];
        assert_eq!(keys(&g["groups"]), BTreeSet::from(["Consortiums".to_string(), "Orderer".to_string()]));
        assert_eq!(caps(g), BTreeSet::from([chan_cap.to_string()]));
        let all_orderer_orgs: Vec<&str> = plan["orgs"].as_array().unwrap().iter().filter(|o| o["kind"] == "orderer").map(|o| o["name"].as_str().unwrap()).collect();
        check_orderer(&g["groups"]["Orderer"], plan, &all_orderer_orgs, &b.out);
        let addrs: Vec<Value> = all_orderer_orgs.iter().flat_map(|n| org(plan, n)["nodes"].as_array().unwrap().iter().map(|x| x["address"].clone())).collect();
        assert_eq!(at(g, &["values", "OrdererAddresses", "value", "addresses"]), &Value::Array(addrs));
        let consortia = &g["groups"]["Consortiums"]["groups"];
        let (cons_name, cons) = consortia.as_object().unwrap().iter().next().expect("one consortium");
        let peer_orgs: Vec<&Value> = plan["orgs"].as_array().unwrap().iter().filter(|o| o["kind"] == "peer").collect();
        assert_eq!(keys(&cons["groups"]), peer_orgs.iter().map(|o| o["mspId"].as_str().unwrap().to_string()).collect());
        for o in &peer_orgs {
            check_org(&cons["groups"][o["mspId"].as_str().unwrap()], o, &b.out, version);
        }
        assert_eq!(meta_rule(&json_policy(&cons["values"]["ChannelCreationPolicy"])), "ANY Admins");
        assert_eq!(read_json(&dir.join("system-channel.json")), cfg, "system-channel.json differs from the independent decoding");

        for ch in channels {
            let name = ch["name"].as_str().unwrap();
            let tx = dir.join(format!("{name}.tx"));
            let d = decode(&[tx.to_str().unwrap()]);
            let hdr = at(&d, &["payload", "header", "channel_header"]);
            assert_eq!(hdr["type"], 2);
            assert_eq!(hdr["channel_id"], name);
            let up = at(&d, &["payload", "data", "config_update"]);
            assert_eq!(up["channel_id"], name);
            let ws = &up["write_set"];
            assert_eq!(at(ws, &["values", "Consortium", "value", "name"]), cons_name.as_str());
            let app = &ws["groups"]["Application"];
            assert_eq!(app["version"], "1");
            let members: BTreeSet<String> = ch["orgs"].as_array().unwrap().iter().map(|n| org(plan, n.as_str().unwrap())["mspId"].as_str().unwrap().to_string()).collect();
            assert_eq!(keys(&app["groups"]), members);
            assert_eq!(caps(app), BTreeSet::from([app_cap.to_string()]));
            assert_eq!(read_json(&dir.join(format!("{name}.json"))), *up, "{name}.json differs from the independent decoding");
            // Anchor peers: config updates after creation, one per org, each signed by
            // that org's admin (applied by the orderer org's channel-update Job).
            let state = read_json(&dir.join("state").join(format!("{name}.json")));
            let updates = state["updates"].as_array().unwrap();
            let anchored: Vec<&Value> = ch["anchorPeers"].as_array().unwrap().iter().collect();
            assert_eq!(updates.len(), anchored.len(), "{name}: one anchor-peer update per anchored org");
            for (u, a) in updates.iter().zip(&anchored) {
                let o = org(plan, a["org"].as_str().unwrap());
                let tx = dir.join(u["file"].as_str().unwrap());
                let d = decode(&[tx.to_str().unwrap()]);
                let ws = at(&d, &["payload", "data", "config_update", "write_set"]);
                let og = &ws["groups"]["Application"]["groups"][o["mspId"].as_str().unwrap()];
                assert_eq!(og["version"], "1");
                let peers = at(og, &["values", "AnchorPeers", "value", "anchor_peers"]);
                assert!(peers.as_array().unwrap().iter().any(|p| p["host"] == a["host"] && p["port"] == a["port"]), "{peers}");
                assert_eq!(u["signers"], serde_json::json!([o["mspId"]]), "{name}: the anchor update of {} is signed by its admin", o["mspId"]);
            }
        }
    } else {
        for ch in channels {
            let name = ch["name"].as_str().unwrap();
            let blk = dir.join(format!("{name}.block"));
            let d = decode(&[blk.to_str().unwrap()]);
            check_block_header(&d, name, 5);
            let cfg = decode(&["--config", blk.to_str().unwrap()]);
            let g = &cfg["channel_group"];
            assert_eq!(keys(&g["groups"]), BTreeSet::from(["Application".to_string(), "Orderer".to_string()]));
            assert_eq!(caps(g), BTreeSet::from([chan_cap.to_string()]));
            assert!(g["values"].get("OrdererAddresses").is_none(), "no global orderer addresses after 1.4");
            let orderer_orgs: Vec<&str> = ch["ordererOrgs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            check_orderer(&g["groups"]["Orderer"], plan, &orderer_orgs, &b.out);
            let app = &g["groups"]["Application"];
            assert_eq!(caps(app), BTreeSet::from([app_cap.to_string()]));
            assert_eq!(meta_rule(&app["policies"]["Endorsement"]), "MAJORITY Endorsement");
            assert_eq!(meta_rule(&app["policies"]["LifecycleEndorsement"]), "MAJORITY Endorsement");
            let members: Vec<&Value> = ch["orgs"].as_array().unwrap().iter().map(|n| org(plan, n.as_str().unwrap())).collect();
            assert_eq!(keys(&app["groups"]), members.iter().map(|o| o["mspId"].as_str().unwrap().to_string()).collect());
            for o in &members {
                let og = &app["groups"][o["mspId"].as_str().unwrap()];
                check_org(og, o, &b.out, version);
                let want: Vec<Value> = ch["anchorPeers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["org"] == o["name"])
                    .map(|a| serde_json::json!({"host": a["host"], "port": a["port"]}))
                    .collect();
                if want.is_empty() {
                    assert!(og["values"].get("AnchorPeers").is_none());
                } else {
                    assert_eq!(at(og, &["values", "AnchorPeers", "value", "anchor_peers"]), &Value::Array(want));
                }
            }
            assert_eq!(read_json(&dir.join(format!("{name}.json"))), cfg, "{name}.json differs from the independent decoding");
            // `fabchart channel show` prints the same.
            let o = fabchart(&["channel", "show", b.out.to_str().unwrap(), name]);
            assert!(o.status.success(), "{}", stderr(&o));
            assert_eq!(serde_json::from_str::<Value>(&stdout(&o)).unwrap(), cfg);
        }
    }

    if snapshots {
        let mut text = String::new();
        for f in files.iter().filter(|f| f.ends_with(".json") || f.ends_with(".yaml")) {
            let body = std::fs::read_to_string(dir.join(f)).unwrap();
            text += &format!("=== {f}\n{}\n", if f.ends_with(".json") { redact(&body) } else { body });
        }
        snapshot!(format!("channels-{example}"), text);
    }
    b
}

fn json_policy(v: &Value) -> Value {
    serde_json::json!({"policy": v["value"]})
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
}

fn check_block_header(d: &Value, channel: &str, metadata: usize) {
    assert_eq!(at(d, &["header", "number"]), "0");
    assert_eq!(d["_checks"]["data_hash_ok"], true, "data hash");
    assert_eq!(d["_checks"]["tx_id_ok"], true, "tx id");
    assert_eq!(d["metadata"]["metadata"].as_array().unwrap().len(), metadata, "metadata slots");
    let env = &d["data"]["data"][0];
    let hdr = at(env, &["payload", "header", "channel_header"]);
    assert_eq!(hdr["type"], 1);
    assert_eq!(hdr["channel_id"], channel);
    assert_eq!(at(env, &["payload", "data", "config", "sequence"]), "0");
}

/// The review JSON with every certificate (base64 PEM) replaced by its subject, so the
/// snapshot shows which certificate sits where and stays the same across key generations.
fn redact(json: &str) -> String {
    let mut v: Value = serde_json::from_str(json).unwrap();
    fn walk(v: &mut Value) {
        match v {
            Value::String(s) if s.starts_with("LS0tLS1CRUdJTi") => {
                let pem = Base64::decode_vec(s).unwrap();
                let (_, p) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
                let c = p.parse_x509().unwrap();
                *s = format!("<certificate {}>", c.subject());
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::Object(m) => m.values_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn talk() {
    check_example("talk", true);
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
    check_example("starter", true);
}

#[test]
fn large() {
    check_example("large", false);
}

/// Rebuilding with the same crypto gives byte-identical artifacts; the subcharts carry
/// exactly those bytes.
#[test]
fn rebuild_gives_identical_blocks() {
    let b = build_as("raft-2.5", "rebuild");
    let dir = b.out.join("channel-artifacts");
    let snap = |d: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v = vec![];
        let mut stack = vec![d.to_path_buf()];
        while let Some(x) = stack.pop() {
            for e in std::fs::read_dir(&x).unwrap().map(|e| e.unwrap()) {
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    v.push((e.path().strip_prefix(d).unwrap().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()));
                }
            }
        }
        v.sort();
        v
    };
    let first = snap(&dir);
    let o = fabchart(&["build", "values-examples/raft-2.5.yaml", "-o", b.out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(first, snap(&dir), "a rebuild changed channel artifacts");
    let chart = b.out.join("demo-network/charts");
    for (name, bytes) in &first {
        if name.ends_with(".block") {
            for slug in ["org1", "org2", "orderer"] {
                assert_eq!(&std::fs::read(chart.join(slug).join("files/channels").join(name)).unwrap(), bytes, "{slug}/{name}");
            }
        }
    }
    // org3 is not a member of `bilateral`.
    assert!(!chart.join("org3/files/channels/bilateral.block").exists());
}

#[test]
fn channel_show_names_the_channels_it_has() {
    let b = build_as("kafka-1.4", "show");
    let o = fabchart(&["channel", "show", b.out.to_str().unwrap(), "nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("channels there: mychannel, system-channel"), "{}", stderr(&o));
    let o = fabchart(&["channel", "show", b.out.to_str().unwrap(), "system-channel"]);
    assert!(o.status.success());
    assert_eq!(serde_json::from_str::<Value>(&stdout(&o)).unwrap(), read_json(&b.out.join("channel-artifacts/system-channel.json")));
}

/// The rendered chart carries exactly the artifacts (ConfigMap binaryData decodes to the
/// files' bytes) and the bootstrap Jobs each org kind and Fabric version needs.
#[test]
fn charts_carry_the_blocks_and_the_join_jobs() {
    for (example, jobs) in [
        ("raft-2.5", vec!["orderer-channel-join", "orderer-channel-update", "org1-channel-join", "org2-channel-join", "org3-channel-join"]),
        ("bft-3.1", vec!["orderera-channel-join", "orderera-channel-update", "ordererb-channel-join", "org1-channel-join", "org2-channel-join"]),
        ("kafka-1.4", vec!["orderer-channel-update", "orderer-system-channel-update", "org1-channel-create", "org1-channel-join", "org2-channel-join"]),
    ] {
        let b = build_as(example, "charts");
        let chart = b.out.join(b.plan["network"]["chart"]["name"].as_str().unwrap());
        let crypto = b.out.join("secrets").join(format!("{}-crypto.yaml", b.plan["network"]["chart"]["name"].as_str().unwrap()));
        let home = b.out.join("helm-home");
        let manifests = helm("helm4", &home, &["template", "r", chart.to_str().unwrap(), "-f", crypto.to_str().unwrap()]);
        let mut found_jobs = vec![];
        let mut carried = 0;
        for d in manifests.split("\n---").filter_map(|t| yaml_serde::from_str::<yaml_serde::Value>(t).ok()) {
            let kind = d.get("kind").and_then(|k| k.as_str()).unwrap_or("");
            let name = d["metadata"]["name"].as_str().unwrap_or("").to_string();
            if kind == "Job" {
                let hook = d["metadata"]["annotations"]["helm.sh/hook"].as_str().unwrap_or("");
                assert_eq!(hook, "post-install,post-upgrade", "{example}: {name} is not a post-install/upgrade hook");
                found_jobs.push(name);
            } else if kind == "ConfigMap" {
                if let Some(yaml_serde::Value::Mapping(m)) = d.get("binaryData") {
                    for (k, v) in m {
                        let k = k.as_str().unwrap();
                        let dir = b.out.join("channel-artifacts");
                        let want = std::fs::read(dir.join(k))
                            .or_else(|_| std::fs::read(dir.join("updates").join(k)))
                            .unwrap_or_else(|_| panic!("{example}: {name} carries {k}, which the build did not write"));
                        assert_eq!(Base64::decode_vec(v.as_str().unwrap()).unwrap(), want, "{example}: {name}/{k}");
                        carried += 1;
                    }
                }
            }
        }
        found_jobs.sort();
        assert_eq!(found_jobs, jobs, "{example}: channel Jobs");
        assert!(carried > 0, "{example}: no channel artifact in any ConfigMap");
        // Without the Jobs the artifacts stay, for doing it by hand.
        let sets: Vec<String> = b.plan["orgs"].as_array().unwrap().iter().map(|o| format!("{}.channelJobs.enabled=false", o["slug"].as_str().unwrap())).collect();
        let mut args = vec!["template", "r", chart.to_str().unwrap(), "-f", crypto.to_str().unwrap()];
        for s in &sets {
            args.extend(["--set", s.as_str()]);
        }
        let manifests = helm("helm4", &home, &args);
        assert!(!manifests.contains("kind: Job"), "{example}: channelJobs.enabled=false still renders Jobs");
        assert!(manifests.contains("binaryData"), "{example}: the artifacts must stay without the Jobs");
    }
}
