//! Semantic versions from the topology. `build` records the plan it built from
//! (`OUT/fabchart-plan.json`); comparing a new plan with it says how the running network
//! would change:
//!
//! - major: an org, node, user or channel removed or renamed, a namespace, MSP ID or
//!   NodePort changed, the consensus or Fabric version changed (breaking for a running
//!   network);
//! - minor: orgs, nodes, users or channels added; any change to a channel's configuration
//!   but a removal (members, anchor peers, consenters, certificates, settings,
//!   capabilities), in the words of the channel stage's updates;
//! - patch: images, storage, CouchDB, SANs and other values.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Patch,
    Minor,
    Major,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub level: Level,
    pub what: String,
}

pub const RECORD: &str = "fabchart-plan.json";

fn by_key<'a>(v: &'a Value, list: &str, key: &str) -> BTreeMap<String, &'a Value> {
    v.get(list)
        .and_then(|l| l.as_array())
        .into_iter()
        .flatten()
        .filter_map(|x| Some((x.get(key)?.as_str()?.to_string(), x)))
        .collect()
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p).unwrap_or(&Value::Null);
    }
    cur
}

/// Published ports of an endpoint: (container port, NodePort).
fn node_ports(e: &Value) -> Vec<(u64, u64)> {
    e.get("ports")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p.get("containerPort")?.as_u64()?, p.get("nodePort")?.as_u64()?)))
        .collect()
}

/// Members present on one side only: a removal is major, an addition minor.
fn membership<V>(out: &mut Vec<Change>, old: &BTreeMap<String, V>, new: &BTreeMap<String, V>, what: &str) {
    for k in old.keys().filter(|k| !new.contains_key(*k)) {
        out.push(Change { level: Level::Major, what: format!("{what} {k} removed") });
    }
    for k in new.keys().filter(|k| !old.contains_key(*k)) {
        out.push(Change { level: Level::Minor, what: format!("{what} {k} added") });
    }
}

/// What changed from `old` to `new` (both plans as JSON), most severe first.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out: Vec<Change> = vec![];
    fn push(out: &mut Vec<Change>, level: Level, what: String) {
        out.push(Change { level, what });
    }
    for (key, label) in [("consensus", "consensus"), ("fabricVersion", "Fabric version"), ("name", "network name")] {
        let (a, b) = (s(old, &["network", key]), s(new, &["network", key]));
        if a != b {
            push(&mut out, Level::Major, format!("{label} changed from {a} to {b}"));
        }
    }
    let (old_orgs, new_orgs) = (by_key(old, "orgs", "name"), by_key(new, "orgs", "name"));
    membership(&mut out, &old_orgs, &new_orgs, "org");
    for (name, o) in &old_orgs {
        let Some(n) = new_orgs.get(name) else { continue };
        for (key, label) in [("namespace", "namespace"), ("mspId", "MSP ID"), ("domain", "domain")] {
            if o.get(key) != n.get(key) {
                push(&mut out, Level::Major, format!("{name}: {label} changed from {} to {}", s(o, &[key]), s(n, &[key])));
            }
        }
        if node_ports(s(o, &["ca", "server"])) != node_ports(s(n, &["ca", "server"])) {
            push(&mut out, Level::Major, format!("{name}: NodePorts of the CA changed"));
        }
        let (on, nn) = (by_key(o, "nodes", "hostname"), by_key(n, "nodes", "hostname"));
        membership(&mut out, &on, &nn, &format!("{name}: node"));
        for (h, a) in &on {
            let Some(b) = nn.get(h) else { continue };
            if node_ports(a) != node_ports(b) {
                push(&mut out, Level::Major, format!("{name}: NodePorts of {h} changed"));
            }
            if a.get("sans") != b.get("sans") {
                push(&mut out, Level::Patch, format!("{name}: TLS names of {h} changed"));
            }
            if a.get("couchdb") != b.get("couchdb") {
                push(&mut out, Level::Patch, format!("{name}: CouchDB of {h} turned {}", if b.get("couchdb") == Some(&Value::Bool(true)) { "on" } else { "off" }));
            }
        }
        membership(&mut out, &by_key(o, "users", "name"), &by_key(n, "users", "name"), &format!("{name}: user"));
        if o.get("images") != n.get("images") {
            push(&mut out, Level::Patch, format!("{name}: images changed"));
        }
        if o.get("storage") != n.get("storage") {
            push(&mut out, Level::Patch, format!("{name}: storage changed"));
        }
    }
    let (oc, nc) = (by_key(old, "channels", "name"), by_key(new, "channels", "name"));
    membership(&mut out, &oc, &nc, "channel");
    for (c, a) in &oc {
        let Some(b) = nc.get(c) else { continue };
        for ch in channel_changes(old, a, new, b) {
            out.push(channel_change(c, &ch));
        }
    }
    let (occ, ncc) = (by_key(old, "chaincodes", "name"), by_key(new, "chaincodes", "name"));
    membership(&mut out, &occ, &ncc, "chaincode");
    for (name, a) in &occ {
        let Some(b) = ncc.get(name) else { continue };
        out.extend(chaincode_changes(name, a, b));
    }
    // Anything else (descriptions, probes of the generator...) is a patch.
    let nothing_else = out.is_empty();
    if nothing_else && without_chart_version(old) != without_chart_version(new) {
        out.push(Change { level: Level::Patch, what: "other values changed".into() });
    }
    out.sort_by(|a, b| b.level.cmp(&a.level));
    out
}

/// How a chaincode changes: a new definition (the next sequence on its channels: Version,
/// Image, EndorsementPolicy, Collections, InitRequired) or new channels or orgs are minor;
/// leaving a channel or an org is major (apps lose it there); the server's port, replicas
/// and env are a patch.
fn chaincode_changes(name: &str, a: &Value, b: &Value) -> Vec<Change> {
    let mut out = vec![];
    let def: Vec<&str> = ["version", "image", "endorsementPolicy", "collections", "initRequired"].into_iter().filter(|k| a.get(*k) != b.get(*k)).collect();
    if !def.is_empty() {
        out.push(Change { level: Level::Minor, what: format!("chaincode {name}: new definition ({} changed)", def.join(", ")) });
    }
    let names = |v: &Value, list: &str, key: &str| -> Vec<String> { v.get(list).and_then(|l| l.as_array()).into_iter().flatten().filter_map(|x| x.get(key)?.as_str().map(String::from)).collect() };
    for (list, key, what) in [("channels", "name", "channel"), ("servers", "org", "org")] {
        let (x, y) = (names(a, list, key), names(b, list, key));
        for gone in x.iter().filter(|n| !y.contains(n)) {
            out.push(Change { level: Level::Major, what: format!("chaincode {name}: {what} {gone} removed") });
        }
        for added in y.iter().filter(|n| !x.contains(n)) {
            out.push(Change { level: Level::Minor, what: format!("chaincode {name}: {what} {added} added") });
        }
    }
    let server: Vec<&str> = ["port", "replicas", "env"].into_iter().filter(|k| a.get(*k) != b.get(*k)).collect();
    if !server.is_empty() {
        out.push(Change { level: Level::Patch, what: format!("chaincode {name}: server {} changed", server.join(", ")) });
    }
    out
}

/// A channel config change in the words the channel stage uses for its updates, so that
/// `diff`, `build --bump auto` and CHANGELOG say the same thing: a removal is major,
/// anything else a channel gains or changes minor.
pub fn channel_change(channel: &str, c: &crate::channel::evolve::Change) -> Change {
    Change { level: if c.removal() { Level::Major } else { Level::Minor }, what: format!("channel {channel}: {}", c.describe()) }
}

/// What changes in channel `a` (of plan `old`) to make it `b` (of plan `new`), as far as
/// plans tell: members, anchor peers, orderer orgs, consenters, capabilities. (Renewed
/// certificates and MSP contents only show in the crypto store: the build reports those.)
fn channel_changes(old: &Value, a: &Value, new: &Value, b: &Value) -> Vec<crate::channel::evolve::Change> {
    use crate::channel::evolve::Change as C;
    let msp = |plan: &Value, name: &str| -> String {
        plan.get("orgs").and_then(|o| o.as_array()).into_iter().flatten().find(|o| o["name"] == name).and_then(|o| o["mspId"].as_str()).unwrap_or(name).to_string()
    };
    let names = |v: &Value, key: &str| -> Vec<String> { v.get(key).and_then(|o| o.as_array()).into_iter().flatten().filter_map(|x| x.as_str().map(String::from)).collect() };
    let mut out = vec![];
    let (oo, no) = (names(a, "ordererOrgs"), names(b, "ordererOrgs"));
    for m in no.iter().filter(|m| !oo.contains(m)) {
        out.push(C::OrdererOrgAdded(msp(new, m)));
    }
    let (ma, mb) = (names(a, "orgs"), names(b, "orgs"));
    for m in mb.iter().filter(|m| !ma.contains(m)) {
        out.push(C::OrgAdded(msp(new, m)));
    }
    let anchors = |v: &Value, org: &str| -> Vec<Value> { v.get("anchorPeers").and_then(|x| x.as_array()).into_iter().flatten().filter(|x| x["org"] == org).map(|x| serde_json::json!([x["host"], x["port"]])).collect() };
    for m in mb.iter().filter(|m| ma.contains(m)) {
        if anchors(a, m) != anchors(b, m) {
            out.push(C::OrgChanged(msp(new, m), vec!["anchor peers"]));
        }
    }
    for m in ma.iter().filter(|m| !mb.contains(m)) {
        out.push(C::OrgRemoved(msp(old, m)));
    }
    // Consenters: the orderers of the channel's orderer orgs (etcdraft, BFT).
    let consensus = |plan: &Value| plan["network"]["consensus"].as_str().unwrap_or("").to_string();
    let orderers = |plan: &Value, orgs: &[String]| -> Vec<String> {
        if !["etcdraft", "BFT"].contains(&consensus(plan).as_str()) {
            return vec![];
        }
        plan.get("orgs").and_then(|o| o.as_array()).into_iter().flatten().filter(|o| orgs.iter().any(|n| o["name"] == n.as_str())).flat_map(|o| o["nodes"].as_array().cloned().unwrap_or_default()).filter_map(|n| n["address"].as_str().map(String::from)).collect()
    };
    let (ca, cb) = (orderers(old, &oo), orderers(new, &no));
    for x in ca.iter().filter(|x| !cb.contains(x)) {
        out.push(C::ConsenterRemoved(x.clone()));
    }
    for x in cb.iter().filter(|x| !ca.contains(x)) {
        out.push(C::ConsenterAdded(x.clone()));
    }
    for m in oo.iter().filter(|m| !no.contains(m)) {
        out.push(C::OrdererOrgRemoved(msp(old, m)));
    }
    let cap = |plan: &Value| match plan["network"]["fabricVersion"].as_str() {
        Some("1.4") => "V1_4_3",
        Some("3.1") => "V3_0",
        _ => "V2_0",
    };
    if cap(old) != cap(new) {
        out.push(C::Capabilities(cap(old).into(), cap(new).into()));
    }
    // (Plans recorded before these settings existed lack them: nothing to compare.)
    if a.get("batch").is_some() && b.get("batch").is_some() && a.get("batch") != b.get("batch") {
        out.push(C::Batch);
    }
    let options = |plan: &Value| -> Value {
        match consensus(plan).as_str() {
            "etcdraft" => plan["network"]["orderer"]["etcdraft"].clone(),
            "BFT" => plan["network"]["orderer"]["smartbft"].clone(),
            _ => Value::Null,
        }
    };
    if consensus(old) == consensus(new) && !options(old).is_null() && !options(new).is_null() && options(old) != options(new) {
        out.push(C::ConsensusOptions);
    }
    out
}

/// Merges `extra` into `changes`, dropping lines already there (the same words), most
/// severe first.
pub fn merge(changes: &mut Vec<Change>, extra: Vec<Change>) {
    for c in extra {
        match changes.iter_mut().find(|x| x.what == c.what) {
            Some(x) => x.level = x.level.max(c.level),
            None => changes.push(c),
        }
    }
    changes.sort_by(|a, b| b.level.cmp(&a.level));
}

fn without_chart_version(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(c) = v.pointer_mut("/network/chart/version") {
        *c = Value::Null;
    }
    v
}

pub fn level(changes: &[Change]) -> Option<Level> {
    changes.iter().map(|c| c.level).max()
}

/// The next version after `v` for a change of `level`.
pub fn bump(v: &semver::Version, level: Level) -> semver::Version {
    match level {
        Level::Major => semver::Version::new(v.major + 1, 0, 0),
        Level::Minor => semver::Version::new(v.major, v.minor + 1, 0),
        Level::Patch => semver::Version::new(v.major, v.minor, v.patch + 1),
    }
}

/// The human-readable list of changes (`fabchart diff`, CHANGELOG entries).
pub fn render(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes to the network\n".into();
    }
    changes.iter().map(|c| format!("- {}: {}\n", c.level.as_str(), c.what)).collect()
}

/// Reads a recorded plan (`fabchart-plan.json`).
pub fn read_record(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a fabchart plan: {e}", path.display()))
}

/// What `build` emits: the plan at its chart version, and what changed since the build
/// recorded in the output directory (`recorded` is false on a first build).
pub struct Versioned {
    pub plan: crate::plan::Plan,
    pub changes: Vec<Change>,
    pub recorded: bool,
}

/// The plan recorded by the last build in `out_dir` (None on a first build).
pub fn recorded(out_dir: &std::path::Path) -> Result<Option<Value>, String> {
    let path = out_dir.join(RECORD);
    if !path.exists() {
        return Ok(None);
    }
    read_record(&path).map(Some)
}

/// Versions `plan` given what changed since the recorded build (`changes`, from [`diff`]
/// and the channel stage): with `bump`, the recorded version bumped by the most severe
/// change; without, the topology's version, refused when it equals the recorded one but
/// the network differs.
pub fn settle(plan: &crate::plan::Plan, recorded: Option<&Value>, changes: Vec<Change>, bump: bool) -> Result<Versioned, String> {
    let mut plan = plan.clone();
    let Some(old) = recorded else { return Ok(Versioned { plan, changes: vec![], recorded: false }) };
    let old_version = old.pointer("/network/chart/version").and_then(|v| v.as_str()).unwrap_or("0.0.0").to_string();
    let old_v = semver::Version::parse(&old_version).map_err(|e| format!("{RECORD}: recorded version `{old_version}`: {e}"))?;
    if bump {
        plan.network.chart.version = level(&changes).map(|l| self::bump(&old_v, l)).unwrap_or(old_v).to_string();
    } else if !changes.is_empty() && plan.network.chart.version == old_version {
        return Err(format!(
            "chart version {old_version} was already built from a different network ({}); raise Network.Chart.Version, or pass --bump auto",
            render(&changes).trim_end().replace('\n', "; ")
        ));
    }
    Ok(Versioned { plan, changes, recorded: true })
}

/// What changed between the recorded build and `plan`, as far as plans tell.
pub fn plan_changes(plan: &crate::plan::Plan, recorded: Option<&Value>) -> Result<Vec<Change>, String> {
    let Some(old) = recorded else { return Ok(vec![]) };
    let new = serde_json::to_value(plan).map_err(|e| e.to_string())?;
    Ok(diff(old, &new))
}

/// The chart's CHANGELOG.md: `previous` with this build's entry on top (none when the
/// network did not change).
pub fn changelog(previous: &str, v: &Versioned, updates: &[crate::channel::NewUpdate]) -> String {
    let version = &v.plan.network.chart.version;
    let mut entry = if !v.recorded {
        let nodes: usize = v.plan.orgs.iter().map(|o| o.nodes.len()).sum();
        format!("## {version}\n\n- initial network: {} orgs, {nodes} nodes, {} channels\n\n", v.plan.orgs.len(), v.plan.channels.len())
    } else if v.changes.is_empty() && updates.is_empty() {
        String::new()
    } else {
        format!("## {version}\n\n{}\n", render(&v.changes))
    };
    if !updates.is_empty() {
        entry += "Channel config updates (applied in this order by the channel-update Jobs on `helm upgrade`):\n\n";
        for u in updates {
            entry += &format!("- {}\n", update_line(u));
        }
        entry += "\n";
    }
    match previous.strip_prefix("# Changelog\n\n") {
        Some(rest) => format!("# Changelog\n\n{entry}{rest}"),
        None => format!("# Changelog\n\n{entry}{previous}"),
    }
}

/// One update in one line: channel, sequence, what, who signed, the file.
pub fn update_line(u: &crate::channel::NewUpdate) -> String {
    let signed = if u.signers.is_empty() { "unsigned".to_string() } else { format!("signed by {}", u.signers.join(", ")) };
    let missing = if u.unsatisfied.is_empty() { String::new() } else { format!("; NEEDS MORE SIGNATURES for {}", u.unsatisfied.join(", ")) };
    format!("{} sequence {}: {} ({signed}{missing}; {}/{})", u.channel, u.sequence, u.change.describe(), crate::channel::DIR, u.file)
}

/// Records the plan a build emitted, for the next `--bump auto`.
pub fn write_record(out_dir: &std::path::Path, plan: &crate::plan::Plan) -> Result<(), String> {
    let text = serde_json::to_string_pretty(plan).map_err(|e| e.to_string())? + "\n";
    crate::crypto::store::replace(&out_dir.join(RECORD), text.as_bytes(), 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps() {
        let v = semver::Version::parse("1.4.2").unwrap();
        assert_eq!(bump(&v, Level::Major).to_string(), "2.0.0");
        assert_eq!(bump(&v, Level::Minor).to_string(), "1.5.0");
        assert_eq!(bump(&v, Level::Patch).to_string(), "1.4.3");
    }
}
