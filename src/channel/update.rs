//! Config updates the way Fabric computes and checks them:
//!
//! - [`compute`] is configtxlator's `update.Compute` (read set / write set from an original
//!   and an updated channel group; internal/configtxlator/update/update.go);
//! - [`apply`] is the orderer's `authorizeUpdate` + `computeUpdateResult` +
//!   `configMapToConfig` (common/configtx/update.go, configmap.go): it checks the read set
//!   against the current versions, derives the delta set, checks each delta element's
//!   version, and rebuilds the resulting configuration with the sequence bumped;
//! - [`version_lines`] and [`digest`] fingerprint a configuration by the version of every
//!   element (any change Fabric accepts bumps a version or changes membership, which bumps
//!   the parent), which the upgrade Jobs compare with the live channel.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::proto as pb;

/// The root group's key, as Fabric names it in paths (`/Channel/...`).
pub const ROOT: &str = "Channel";

// ---- configtxlator's update.Compute -----------------------------------------------------

struct MapDiff<T> {
    read: BTreeMap<String, T>,
    write: BTreeMap<String, T>,
    same: BTreeMap<String, T>,
    members_updated: bool,
}

/// A config policy or value, as computeGroupUpdate treats both.
trait Member: Clone + Default {
    fn version(&self) -> u64;
    /// Same mod_policy and content (versions aside).
    fn same(&self, other: &Self) -> bool;
    /// This member's mod_policy and content at `version`.
    fn at(&self, version: u64) -> Self;
    /// An entry carrying only a version (the read set's and unchanged members' form).
    fn bare(version: u64) -> Self;
}

impl Member for pb::ConfigPolicy {
    fn version(&self) -> u64 {
        self.version
    }
    fn same(&self, o: &Self) -> bool {
        self.mod_policy == o.mod_policy && self.policy == o.policy
    }
    fn at(&self, version: u64) -> Self {
        pb::ConfigPolicy { version, ..self.clone() }
    }
    fn bare(version: u64) -> Self {
        pb::ConfigPolicy { version, ..Default::default() }
    }
}

impl Member for pb::ConfigValue {
    fn version(&self) -> u64 {
        self.version
    }
    fn same(&self, o: &Self) -> bool {
        self.mod_policy == o.mod_policy && self.value == o.value
    }
    fn at(&self, version: u64) -> Self {
        pb::ConfigValue { version, ..self.clone() }
    }
    fn bare(version: u64) -> Self {
        pb::ConfigValue { version, ..Default::default() }
    }
}

/// computePoliciesMapUpdate / computeValuesMapUpdate.
fn diff_members<T: Member>(orig: &BTreeMap<String, T>, upd: &BTreeMap<String, T>) -> MapDiff<T> {
    let mut d = MapDiff { read: BTreeMap::new(), write: BTreeMap::new(), same: BTreeMap::new(), members_updated: false };
    for (k, o) in orig {
        match upd.get(k) {
            None => d.members_updated = true,
            Some(u) if u.same(o) => {
                d.same.insert(k.clone(), T::bare(o.version()));
            }
            Some(u) => {
                d.write.insert(k.clone(), u.at(o.version() + 1));
            }
        }
    }
    for (k, u) in upd {
        if !orig.contains_key(k) {
            d.members_updated = true;
            d.write.insert(k.clone(), u.at(0));
        }
    }
    d
}

/// computeGroupUpdate: (read set, write set, whether anything differs). Versions of
/// `upd` are ignored; the result's versions are `orig`'s (bumped where Fabric bumps).
pub fn compute(orig: &pb::ConfigGroup, upd: &pb::ConfigGroup) -> (pb::ConfigGroup, pb::ConfigGroup, bool) {
    let p = diff_members(&orig.policies, &upd.policies);
    let v = diff_members(&orig.values, &upd.values);
    let mut g = MapDiff { read: BTreeMap::new(), write: BTreeMap::new(), same: BTreeMap::new(), members_updated: false };
    for (k, o) in &orig.groups {
        let Some(u) = upd.groups.get(k) else {
            g.members_updated = true;
            continue;
        };
        let (r, w, changed) = compute(o, u);
        if changed {
            g.read.insert(k.clone(), r);
            g.write.insert(k.clone(), w);
        } else {
            g.same.insert(k.clone(), r);
        }
    }
    for (k, u) in &upd.groups {
        if !orig.groups.contains_key(k) {
            g.members_updated = true;
            let (_, w, _) = compute(&pb::ConfigGroup::default(), u);
            g.write.insert(k.clone(), pb::ConfigGroup { version: 0, mod_policy: u.mod_policy.clone(), policies: w.policies, values: w.values, groups: w.groups });
        }
    }
    if !(p.members_updated || v.members_updated || g.members_updated || orig.mod_policy != upd.mod_policy) {
        if p.read.is_empty() && p.write.is_empty() && v.read.is_empty() && v.write.is_empty() && g.read.is_empty() && g.write.is_empty() {
            let r = pb::ConfigGroup { version: orig.version, ..Default::default() };
            return (r.clone(), r, false);
        }
        let r = pb::ConfigGroup { version: orig.version, policies: p.read, values: v.read, groups: g.read, mod_policy: String::new() };
        let w = pb::ConfigGroup { version: orig.version, policies: p.write, values: v.write, groups: g.write, mod_policy: String::new() };
        return (r, w, true);
    }
    let (mut rp, mut wp) = (p.read, p.write);
    for (k, x) in p.same {
        rp.insert(k.clone(), x.clone());
        wp.insert(k, x);
    }
    let (mut rv, mut wv) = (v.read, v.write);
    for (k, x) in v.same {
        rv.insert(k.clone(), x.clone());
        wv.insert(k, x);
    }
    let (mut rg, mut wg) = (g.read, g.write);
    for (k, x) in g.same {
        rg.insert(k.clone(), x.clone());
        wg.insert(k, x);
    }
    (
        pb::ConfigGroup { version: orig.version, policies: rp, values: rv, groups: rg, mod_policy: String::new() },
        pb::ConfigGroup { version: orig.version + 1, policies: wp, values: wv, groups: wg, mod_policy: upd.mod_policy.clone() },
        true,
    )
}

/// `configtxlator compute_update --channel_id`: the ConfigUpdate taking `orig` to `upd`, or
/// None when they do not differ.
pub fn config_update(channel_id: &str, orig: &pb::ConfigGroup, upd: &pb::ConfigGroup) -> Option<pb::ConfigUpdate> {
    let (read, write, changed) = compute(orig, upd);
    changed.then(|| pb::ConfigUpdate { channel_id: channel_id.to_string(), read_set: Some(read), write_set: Some(write), isolated_data: BTreeMap::new() })
}

/// Whether two channel groups hold the same configuration (versions aside).
pub fn same_content(a: &pb::ConfigGroup, b: &pb::ConfigGroup) -> bool {
    !compute(a, b).2
}

// ---- the orderer's side: flatten, check, overlay, rebuild -------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Group,
    Value,
    Policy,
}

impl Kind {
    /// One letter for version lines and summaries.
    pub fn letter(self) -> char {
        match self {
            Kind::Group => 'G',
            Kind::Value => 'V',
            Kind::Policy => 'P',
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::Value => "value",
            Kind::Policy => "policy",
        }
    }
}

/// A config element's place: its kind and path (`/Channel/Orderer/BatchSize`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub kind: Kind,
    pub path: String,
}

impl Key {
    /// The path of the group holding this element (a group's own path for groups).
    pub fn parent(&self) -> &str {
        self.path.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.path.rsplit_once('/').map(|(_, n)| n).unwrap_or(&self.path)
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.path)
    }
}

/// A flattened element: a group keeps only its own fields and its children's names.
#[derive(Debug, Clone, PartialEq)]
pub enum Elem {
    Group { version: u64, mod_policy: String, groups: BTreeSet<String>, values: BTreeSet<String>, policies: BTreeSet<String> },
    Value(pb::ConfigValue),
    Policy(pb::ConfigPolicy),
}

impl Elem {
    pub fn version(&self) -> u64 {
        match self {
            Elem::Group { version, .. } => *version,
            Elem::Value(v) => v.version,
            Elem::Policy(p) => p.version,
        }
    }
    pub fn mod_policy(&self) -> &str {
        match self {
            Elem::Group { mod_policy, .. } => mod_policy,
            Elem::Value(v) => &v.mod_policy,
            Elem::Policy(p) => &p.mod_policy,
        }
    }
}

pub type ConfigMap = BTreeMap<Key, Elem>;

/// validateConfigID: `[a-zA-Z0-9.-]+`, at most 249 characters, not `.` or `..`.
pub fn valid_config_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("empty name".into());
    }
    if id.len() > 249 {
        return Err(format!("name {id:?} is longer than 249 characters"));
    }
    if id == "." || id == ".." {
        return Err(format!("name {id:?} is not allowed"));
    }
    if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-')) {
        return Err(format!("name {id:?} contains {c:?}; only letters, digits, '.' and '-' are allowed"));
    }
    Ok(())
}

/// mapConfig: every element of `root` (the channel group) by key.
pub fn map_config(root: &pb::ConfigGroup) -> Result<ConfigMap, String> {
    let mut out = ConfigMap::new();
    let mut stack = vec![(format!("/{ROOT}"), root)];
    while let Some((path, g)) = stack.pop() {
        out.insert(
            Key { kind: Kind::Group, path: path.clone() },
            Elem::Group {
                version: g.version,
                mod_policy: g.mod_policy.clone(),
                groups: g.groups.keys().cloned().collect(),
                values: g.values.keys().cloned().collect(),
                policies: g.policies.keys().cloned().collect(),
            },
        );
        for (k, v) in &g.values {
            valid_config_id(k).map_err(|e| format!("value in {path}: {e}"))?;
            out.insert(Key { kind: Kind::Value, path: format!("{path}/{k}") }, Elem::Value(v.clone()));
        }
        for (k, p) in &g.policies {
            valid_config_id(k).map_err(|e| format!("policy in {path}: {e}"))?;
            out.insert(Key { kind: Kind::Policy, path: format!("{path}/{k}") }, Elem::Policy(p.clone()));
        }
        for (k, sub) in &g.groups {
            valid_config_id(k).map_err(|e| format!("group in {path}: {e}"))?;
            stack.push((format!("{path}/{k}"), sub));
        }
    }
    Ok(out)
}

/// configMapToConfig: the channel group rebuilt from a map, children by the names each
/// group lists.
pub fn rebuild(map: &ConfigMap) -> Result<pb::ConfigGroup, String> {
    fn group(map: &ConfigMap, path: &str, depth: usize) -> Result<pb::ConfigGroup, String> {
        if depth > 64 {
            return Err(format!("config nested too deeply at {path}"));
        }
        let Some(Elem::Group { version, mod_policy, groups, values, policies }) = map.get(&Key { kind: Kind::Group, path: path.to_string() }) else {
            return Err(format!("missing group at path: {path}"));
        };
        let mut g = pb::ConfigGroup { version: *version, mod_policy: mod_policy.clone(), ..Default::default() };
        for k in groups {
            g.groups.insert(k.clone(), group(map, &format!("{path}/{k}"), depth + 1)?);
        }
        for k in values {
            let key = Key { kind: Kind::Value, path: format!("{path}/{k}") };
            let Some(Elem::Value(v)) = map.get(&key) else { return Err(format!("missing value at path: {}", key.path)) };
            g.values.insert(k.clone(), v.clone());
        }
        for k in policies {
            let key = Key { kind: Kind::Policy, path: format!("{path}/{k}") };
            let Some(Elem::Policy(p)) = map.get(&key) else { return Err(format!("missing policy at path: {}", key.path)) };
            g.policies.insert(k.clone(), p.clone());
        }
        Ok(g)
    }
    group(map, &format!("/{ROOT}"), 0)
}

/// What an update does to a configuration, as the orderer sees it.
#[derive(Debug, Clone)]
pub struct Applied {
    pub config: pb::Config,
    /// The delta set: every element the update writes, with its new content.
    pub delta: Vec<(Key, Elem)>,
    /// For each delta element that exists already: the policy its current mod_policy
    /// names (absolute path). New elements are not checked, as in Fabric.
    pub policies: BTreeSet<String>,
}

/// The policy path an existing element's mod_policy names (policyForItem): absolute paths
/// as they are; a relative name inside the group for groups (the root group's `Admins` is
/// `/Channel/Admins`), inside the containing group for values and policies.
pub fn policy_for(key: &Key, mod_policy: &str) -> String {
    if mod_policy.starts_with('/') {
        return mod_policy.to_string();
    }
    match key.kind {
        Kind::Group => format!("{}/{mod_policy}", key.path),
        _ => format!("{}/{mod_policy}", key.parent()),
    }
}

/// authorizeUpdate's structural checks and the resulting configuration: the read set
/// must match current versions, every delta element must be new at version 0 or exist at
/// version current+1, and carry a mod_policy. Errors use Fabric's wording.
pub fn apply(base: &pb::Config, update: &pb::ConfigUpdate) -> Result<Applied, String> {
    let current = map_config(base.channel_group.as_ref().ok_or("the configuration has no channel group")?)?;
    let read = map_config(update.read_set.as_ref().ok_or("the update has no read set")?)?;
    let write = map_config(update.write_set.as_ref().ok_or("the update has no write set")?)?;
    for (k, e) in &read {
        match current.get(k) {
            None => return Err(format!("existing config does not contain element for {k} but was in the read set")),
            Some(c) if c.version() != e.version() => {
                return Err(format!("proposed update requires that key {k} be at version {}, but it is currently at version {}", e.version(), c.version()));
            }
            _ => {}
        }
    }
    let delta: Vec<(Key, Elem)> = write.into_iter().filter(|(k, e)| read.get(k).is_none_or(|r| r.version() != e.version())).collect();
    if delta.is_empty() {
        return Err("delta set was empty -- update would have no effect".into());
    }
    let mut policies = BTreeSet::new();
    for (k, e) in &delta {
        if e.mod_policy().is_empty() {
            return Err(format!("mod_policy not set for {k}"));
        }
        match current.get(k) {
            None if e.version() != 0 => return Err(format!("attempted to set key {k} to version {}, but key does not exist", e.version())),
            None => {}
            Some(c) if e.version() != c.version() + 1 => {
                return Err(format!("attempt to set key {k} to version {}, but key is at version {}", e.version(), c.version()));
            }
            Some(c) => {
                policies.insert(policy_for(k, c.mod_policy()));
            }
        }
    }
    let mut result = current;
    for (k, e) in &delta {
        result.insert(k.clone(), e.clone());
    }
    let group = rebuild(&result)?;
    Ok(Applied { config: pb::Config { sequence: base.sequence + 1, channel_group: Some(group) }, delta, policies })
}

// ---- fingerprints -----------------------------------------------------------------------

/// One line per element, `<G|V|P> <path> <version>`, sorted bytewise: what the upgrade
/// Jobs' awk program prints for a live config block.
pub fn version_lines(group: &pb::ConfigGroup) -> Result<String, String> {
    let map = map_config(group)?;
    let mut lines: Vec<String> = map.iter().map(|(k, e)| format!("{} {} {}\n", k.kind.letter(), k.path, e.version())).collect();
    lines.sort();
    Ok(lines.concat())
}

/// SHA-256 (hex) of [`version_lines`]: equal for two configurations exactly when every
/// element is at the same version.
pub fn digest(group: &pb::ConfigGroup) -> Result<String, String> {
    Ok(crate::crypto::store::hex(&Sha256::digest(version_lines(group)?.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: u64, bytes: &[u8]) -> pb::ConfigValue {
        pb::ConfigValue { version: v, value: bytes.to_vec(), mod_policy: "Admins".into() }
    }

    fn sample() -> pb::Config {
        let mut org1 = pb::ConfigGroup { mod_policy: "Admins".into(), ..Default::default() };
        org1.values.insert("MSP".into(), value(0, b"msp1"));
        let mut app = pb::ConfigGroup { mod_policy: "Admins".into(), ..Default::default() };
        app.groups.insert("Org1MSP".into(), org1);
        let mut root = pb::ConfigGroup { mod_policy: "Admins".into(), ..Default::default() };
        root.groups.insert("Application".into(), app);
        root.values.insert("Capabilities".into(), value(0, b"v2"));
        pb::Config { sequence: 0, channel_group: Some(root) }
    }

    #[test]
    fn add_modify_and_remove_round_trip_through_apply() {
        let base = sample();
        let g = base.channel_group.clone().unwrap();
        // Add an org: the Application group bumps, the new org is at 0.
        let mut next = g.clone();
        let mut org2 = next.groups["Application"].groups["Org1MSP"].clone();
        org2.values.insert("MSP".into(), value(0, b"msp2"));
        next.groups.get_mut("Application").unwrap().groups.insert("Org2MSP".into(), org2);
        let u = config_update("ch", &g, &next).unwrap();
        let a = apply(&base, &u).unwrap();
        assert_eq!(a.config.sequence, 1);
        assert_eq!(a.policies, BTreeSet::from(["/Channel/Application/Admins".to_string()]));
        let got = a.config.channel_group.clone().unwrap();
        assert!(same_content(&got, &next));
        assert_eq!(got.groups["Application"].version, 1);
        assert_eq!(got.groups["Application"].groups["Org2MSP"].version, 0);
        // Modify a value: only that value bumps; the value's own group's policy is asked.
        let mut next2 = got.clone();
        next2.values.get_mut("Capabilities").unwrap().value = b"v3".to_vec();
        let u2 = config_update("ch", &got, &next2).unwrap();
        let a2 = apply(&a.config, &u2).unwrap();
        assert_eq!(a2.config.channel_group.as_ref().unwrap().values["Capabilities"].version, 1);
        assert_eq!(a2.policies, BTreeSet::from(["/Channel/Admins".to_string()]));
        // Remove the org again.
        let mut next3 = a2.config.channel_group.clone().unwrap();
        next3.groups.get_mut("Application").unwrap().groups.remove("Org2MSP");
        let u3 = config_update("ch", a2.config.channel_group.as_ref().unwrap(), &next3).unwrap();
        let a3 = apply(&a2.config, &u3).unwrap();
        assert!(!a3.config.channel_group.as_ref().unwrap().groups["Application"].groups.contains_key("Org2MSP"));
        assert_eq!(a3.config.channel_group.as_ref().unwrap().groups["Application"].version, 2);
        // A stale base is refused with Fabric's words.
        let err = apply(&base, &u3).unwrap_err();
        assert!(err.contains("be at version"), "{err}");
        assert!(config_update("ch", &g, &g).is_none());
    }

    #[test]
    fn digests_follow_versions_only() {
        let a = sample();
        let g = a.channel_group.clone().unwrap();
        let mut h = g.clone();
        h.values.get_mut("Capabilities").unwrap().value = b"other".to_vec();
        assert_eq!(digest(&g).unwrap(), digest(&h).unwrap());
        h.values.get_mut("Capabilities").unwrap().version = 1;
        assert_ne!(digest(&g).unwrap(), digest(&h).unwrap());
        assert_eq!(version_lines(&g).unwrap().lines().next(), Some("G /Channel 0"));
    }
}
