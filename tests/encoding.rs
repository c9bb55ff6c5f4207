//! Every protobuf message fabchart writes is encoded as Fabric's Go encoder encodes it, at
//! the byte level: every entry of a map field carries its key (field 1) and its value
//! (field 2), even an empty message. Fabric 1.4's protobuf runtime reads an entry without
//! its value as a nil pointer: its orderer panicked on fabchart's channel creation tx and
//! refused its anchor updates' read sets, although every newer decoder read them right.
//!
//! The walk follows the wire format alone (no decoder that could fill the gap): blocks →
//! envelopes → payloads → ConfigEnvelope (config blocks) or ConfigUpdateEnvelope (creation
//! txs, updates) → ConfigUpdate / Config → ConfigGroup, recursively, and ConfigValues named
//! `Capabilities` → common.Capabilities; at each message it checks the map fields that
//! `fabchart::channel::proto::MESSAGE_MAPS` lists. Over every artifact of talk, raft-2.5,
//! kafka-1.4 (system channel block, creation txs, signed anchor updates), bft-3.1, starter
//! and large, and the update envelopes of an evolved raft-2.5 (an org added). Then each of
//! them is decoded by scripts/decode/decode.js (the official bindings) twice: as a current
//! runtime reads it, and with `--strict-maps`, as Fabric 1.4's reads it (an entry without
//! its value is absent): the two must be equal.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use fabchart::channel::proto::MESSAGE_MAPS;

/// One field of a message on the wire: (field number, wire type, payload). Varints and
/// fixed values are returned as their raw bytes.
type WireField<'a> = (u32, u8, &'a [u8]);

fn fields(mut b: &[u8]) -> Result<Vec<WireField<'_>>, String> {
    fn varint(b: &mut &[u8]) -> Result<u64, String> {
        let mut v = 0u64;
        for i in 0..10 {
            let Some((&x, rest)) = b.split_first() else { return Err("truncated varint".into()) };
            *b = rest;
            v |= ((x & 0x7f) as u64) << (7 * i);
            if x & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint too long".into())
    }
    let mut out = vec![];
    while !b.is_empty() {
        let key = varint(&mut b)?;
        let (field, wt) = ((key >> 3) as u32, (key & 7) as u8);
        let start = b;
        let payload: &[u8] = match wt {
            0 => {
                varint(&mut b)?;
                &start[..start.len() - b.len()]
            }
            1 | 5 => {
                let n = if wt == 1 { 8 } else { 4 };
                if b.len() < n {
                    return Err("truncated fixed".into());
                }
                let (p, rest) = b.split_at(n);
                b = rest;
                p
            }
            2 => {
                let n = varint(&mut b)? as usize;
                if b.len() < n {
                    return Err(format!("field {field}: length {n} past the end"));
                }
                let (p, rest) = b.split_at(n);
                b = rest;
                p
            }
            _ => return Err(format!("wire type {wt}")),
        };
        out.push((field, wt, payload));
    }
    Ok(out)
}

fn int(raw: &[u8]) -> u64 {
    raw.iter().enumerate().map(|(i, x)| ((x & 0x7f) as u64) << (7 * i)).sum()
}

struct Walk {
    /// (where, what) of every entry without its value or key.
    missing: Vec<String>,
    /// Map entries checked, per map field.
    entries: std::collections::BTreeMap<String, usize>,
}

impl Walk {
    /// Checks the map fields of `ty` in `msg`; returns the entries (key, value bytes) of
    /// each map field, by field number.
    fn maps<'a>(&mut self, ty: &str, msg: &'a [u8], at: &str) -> Vec<(u32, String, &'a [u8])> {
        let mut out = vec![];
        for (f, _, payload) in fields(msg).unwrap_or_else(|e| panic!("{at}: {ty}: {e}")) {
            let Some((_, _, vt)) = MESSAGE_MAPS.iter().find(|(m, n, _)| *m == ty && *n == f) else { continue };
            let entry = fields(payload).unwrap_or_else(|e| panic!("{at}: {ty} field {f}: {e}"));
            let key = entry.iter().find(|(n, _, _)| *n == 1).map(|(_, _, k)| String::from_utf8_lossy(k).into_owned());
            let value = entry.iter().find(|(n, _, _)| *n == 2).map(|(_, _, v)| *v);
            let name = key.clone().unwrap_or_else(|| "?".into());
            *self.entries.entry(format!("{ty}.{f} ({vt})")).or_default() += 1;
            match (key, value) {
                (Some(k), Some(v)) => out.push((f, k, v)),
                (k, v) => {
                    self.missing.push(format!("{at}/{name}: {ty} field {f} entry without its {}", if k.is_none() { "key" } else { "value" }));
                    if let Some(v) = v {
                        out.push((f, name, v));
                    }
                }
            }
        }
        out
    }

    fn group(&mut self, g: &[u8], at: &str) {
        for (f, key, v) in self.maps("common.ConfigGroup", g, at) {
            let here = format!("{at}/{key}");
            match f {
                2 => self.group(v, &here),
                3 if key == "Capabilities" => {
                    // ConfigValue.value (field 2) holds common.Capabilities.
                    if let Some((_, _, caps)) = fields(v).unwrap().into_iter().find(|(n, _, _)| *n == 2) {
                        self.maps("common.Capabilities", caps, &here);
                    }
                }
                _ => {}
            }
        }
    }

    fn config_update(&mut self, u: &[u8], at: &str) {
        self.maps("common.ConfigUpdate", u, at);
        for (f, _, g) in fields(u).unwrap() {
            match f {
                2 => self.group(g, &format!("{at} read_set")),
                3 => self.group(g, &format!("{at} write_set")),
                _ => {}
            }
        }
    }

    /// An Envelope (common.Envelope).
    fn envelope(&mut self, env: &[u8], at: &str) {
        let Some((_, _, payload)) = fields(env).unwrap().into_iter().find(|(f, _, _)| *f == 1) else { return };
        let pf = fields(payload).unwrap();
        let header = pf.iter().find(|(f, _, _)| *f == 1).map(|(_, _, h)| *h).unwrap_or_default();
        let ch = fields(header).unwrap().into_iter().find(|(f, _, _)| *f == 1).map(|(_, _, c)| c).unwrap_or_default();
        let ty = fields(ch).unwrap().into_iter().find(|(f, _, _)| *f == 1).map_or(0, |(_, _, t)| int(t));
        let data = pf.iter().find(|(f, _, _)| *f == 2).map(|(_, _, d)| *d).unwrap_or_default();
        match ty {
            1 => {
                // CONFIG: ConfigEnvelope {config 1: Config {channel_group 2}, last_update 2: Envelope}
                for (f, _, x) in fields(data).unwrap() {
                    match f {
                        1 => {
                            for (g, _, cg) in fields(x).unwrap() {
                                if g == 2 {
                                    self.group(cg, &format!("{at} config"));
                                }
                            }
                        }
                        2 => self.envelope(x, &format!("{at} last_update")),
                        _ => {}
                    }
                }
            }
            2 => {
                // CONFIG_UPDATE: ConfigUpdateEnvelope {config_update 1: bytes ConfigUpdate}
                for (f, _, x) in fields(data).unwrap() {
                    if f == 1 {
                        self.config_update(x, &format!("{at} config_update"));
                    }
                }
            }
            _ => {}
        }
    }

    fn block(&mut self, b: &[u8], at: &str) {
        for (f, _, data) in fields(b).unwrap() {
            if f == 2 {
                for (g, _, env) in fields(data).unwrap() {
                    if g == 1 {
                        self.envelope(env, at);
                    }
                }
            }
        }
    }
}

/// Every .block and .tx under OUT/channel-artifacts (updates/ included).
fn artifacts(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fabchart::crypto::store::files(&out.join(fabchart::channel::DIR))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "block" || e == "tx"))
        .collect();
    v.sort();
    v
}

fn walk_all(files: &[PathBuf]) -> Walk {
    let mut w = Walk { missing: vec![], entries: Default::default() };
    for p in files {
        let bytes = std::fs::read(p).unwrap();
        let at = p.file_name().unwrap().to_string_lossy().into_owned();
        if at.ends_with(".block") {
            w.block(&bytes, &at);
        } else {
            w.envelope(&bytes, &at);
        }
    }
    w
}

fn build(topology: &Path, out: &Path) {
    let o = fabchart(&["build", topology.to_str().unwrap(), "-o", out.to_str().unwrap(), "--bump", "auto"]);
    assert!(o.status.success(), "build {}: {}", topology.display(), stderr(&o));
}

#[test]
fn every_map_entry_of_every_artifact_carries_its_value() {
    let mut all = vec![];
    let mut outs = vec![];
    for example in ["talk", "raft-2.5", "kafka-1.4", "bft-3.1", "starter", "large"] {
        let out = tmp(example);
        build(&repo().join(format!("values-examples/{example}.yaml")), &out);
        all.extend(artifacts(&out));
        outs.push(out);
    }
    // Update envelopes of a 2.x channel: raft-2.5 with an org added to mychannel.
    let evolved = tmp("evolved");
    let topo = evolved.join("v2.yaml");
    let text = std::fs::read_to_string(repo().join("values-examples/raft-2.5.yaml")).unwrap();
    let text = text.replace(
        "Channels:\n  - {Name: mychannel, Orgs: [Org1, Org2, Org3]",
        "  - Name: Org4\n    Domain: org4\n    EnableNodeOUs: true\n    Template: {Count: 1}\nChannels:\n  - {Name: mychannel, Orgs: [Org1, Org2, Org3, Org4]",
    );
    assert!(text.contains("Org4"), "the edit applies");
    std::fs::write(&topo, text).unwrap();
    let out = tmp("evolved-out");
    build(&repo().join("values-examples/raft-2.5.yaml"), &out);
    build(&topo, &out);
    let updates: Vec<PathBuf> = artifacts(&out).into_iter().filter(|p| p.to_string_lossy().contains("/updates/")).collect();
    assert!(!updates.is_empty(), "the evolved build wrote no update");
    all.extend(artifacts(&out));
    outs.push(out);
    outs.push(evolved);

    let w = walk_all(&all);
    assert!(w.missing.is_empty(), "{} map entries without their value or key, e.g.:\n{}", w.missing.len(), w.missing.iter().take(20).cloned().collect::<Vec<_>>().join("\n"));
    // The walk reached every kind of map, and the empty values 1.4 tripped on.
    for (ty, f, vt) in MESSAGE_MAPS.iter().filter(|(t, _, _)| *t != "common.ConfigUpdate") {
        let n = w.entries.get(&format!("{ty}.{f} ({vt})")).copied().unwrap_or(0);
        assert!(n > 0, "no entry of {ty}.{f} was walked: {:?}", w.entries);
    }
    println!("map entries checked: {:?} in {} artifacts", w.entries, all.len());
    // The independent decoder as Fabric 1.4's runtime reads (an entry without its value is
    // absent) sees exactly what it sees as a current runtime reads.
    for p in &all {
        let p = p.to_str().unwrap();
        assert_eq!(decode(&["--strict-maps", p]), decode(&[p]), "{p}: a 1.4 reader would see another configuration");
    }
    for o in outs {
        let _ = std::fs::remove_dir_all(o);
    }
}

/// The walk can fail: prost's derived encoding (an empty value left out) is caught.
#[test]
fn an_entry_without_its_value_is_caught() {
    // ConfigGroup { groups: {"Org1MSP": ConfigGroup{}} } as prost's derive writes it, and as
    // Go writes it.
    let prost_style: &[u8] = &[0x12, 0x09, 0x0a, 0x07, b'O', b'r', b'g', b'1', b'M', b'S', b'P'];
    let go_style: &[u8] = &[0x12, 0x0b, 0x0a, 0x07, b'O', b'r', b'g', b'1', b'M', b'S', b'P', 0x12, 0x00];
    let mut w = Walk { missing: vec![], entries: Default::default() };
    w.group(prost_style, "test");
    assert_eq!(w.missing, ["test/Org1MSP: common.ConfigGroup field 2 entry without its value"]);
    let mut w = Walk { missing: vec![], entries: Default::default() };
    w.group(go_style, "test");
    assert!(w.missing.is_empty());
    // fabchart's encoder writes the Go form.
    use prost::Message;
    let g = fabchart::channel::proto::ConfigGroup { groups: [("Org1MSP".to_string(), Default::default())].into(), ..Default::default() };
    assert_eq!(g.encode_to_vec(), go_style);
    let caps = fabchart::channel::proto::Capabilities { capabilities: [("V2_0".to_string(), Default::default())].into() };
    assert_eq!(caps.encode_to_vec(), [0x0a, 0x08, 0x0a, 0x04, b'V', b'2', b'_', b'0', 0x12, 0x00]);
    // And reads both forms back to the same value.
    assert_eq!(fabchart::channel::proto::ConfigGroup::decode(prost_style).unwrap(), g);
}
