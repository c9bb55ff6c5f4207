//! Stage 6, chaincode: chaincode as a service (CCaaS) packages, their package IDs, the
//! chaincode definitions each channel is to hold, and connection profiles for apps.
//!
//! - A package is what a peer installs for a CCaaS chaincode, made natively as `peer
//!   lifecycle chaincode calculatepackageid` reads it: a gzip'd tar of `metadata.json`
//!   (`{"type":"ccaas","label":"<name>_<version>"}`) and `code.tar.gz`, which holds
//!   `connection.json`: the address of the org's chaincode Service, a dial timeout, and the
//!   mutual TLS material the peer uses (the org TLS CA as `root_cert`, the peer-client key
//!   pair of the crypto stage). Regular files only, fixed modes and times: the same inputs
//!   give the same bytes, and its package ID is `<label>:<sha256 of the bytes>`.
//!   Each org has its own package (its own Service and client key); a package holds a
//!   private key, so it lives in OUT/chaincode (0600) and the org's crypto values, never
//!   in the chart.
//! - Packages are pinned like genesis blocks: a package in OUT whose content equals the
//!   new one is kept byte for byte (a newer gzip must not change a package ID).
//! - A definition's sequence is the channel's state: `channel-artifacts/state/
//!   <channel>_chaincodes.json` records, per chaincode, the sequence the channel is to
//!   hold and what it defines. A build that changes what a definition holds (Version,
//!   Image, EndorsementPolicy, Collections, InitRequired) gives it the next sequence; an
//!   unchanged one keeps its sequence, so a rebuild never asks for a new approval.

pub mod connection;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::crypto::store;
use crate::plan::Plan;
use crate::plan::chaincode::{ChaincodePlan, collections_json};

/// The folder under OUT with every org's packages and `packages.json`.
pub const DIR: &str = "chaincode";
/// How long a peer waits for a chaincode server's TCP and TLS handshake.
pub const DIAL_TIMEOUT: &str = "10s";

/// One org's package of one chaincode.
#[derive(Debug, Clone)]
pub struct Package {
    pub chaincode: String,
    pub org: String,
    pub slug: String,
    pub label: String,
    /// Relative to OUT/chaincode: `<org slug>/<label>.tar.gz`.
    pub file: String,
    pub bytes: Vec<u8>,
    /// `<label>:<sha256 hex of bytes>`.
    pub id: String,
    /// Kept from OUT (its content is what this build would make).
    pub pinned: bool,
}

/// A chaincode definition a channel is to hold.
#[derive(Debug, Clone)]
pub struct Definition {
    pub channel: String,
    pub chaincode: String,
    pub version: String,
    pub sequence: u64,
    pub endorsement_policy: Option<String>,
    /// The `--collections-config` JSON, when the chaincode has collections.
    pub collections: Option<String>,
    pub init_required: bool,
    /// Orgs (Names) approving it, and the one committing it.
    pub orgs: Vec<String>,
    pub committer: String,
    /// How it differs from the recorded definition: `None` when unchanged, else what
    /// changed (`new`, `version 1.0 → 1.1`, ...).
    pub change: Option<String>,
}

/// What the stage made.
#[derive(Debug, Default)]
pub struct Chaincodes {
    pub packages: Vec<Package>,
    pub definitions: Vec<Definition>,
    /// Chaincodes recorded on a channel that the topology no longer runs there, by channel.
    pub dropped: Vec<(String, String)>,
    /// Per channel with chaincodes: its records after this build (`finish` stamps them).
    records: BTreeMap<String, ChannelRecord>,
}

/// `state/<channel>_chaincodes.json`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
struct ChannelRecord {
    about: String,
    chaincodes: BTreeMap<String, DefinitionRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct DefinitionRecord {
    sequence: u64,
    version: String,
    /// The chaincode server image (repository:tag) this sequence was defined with.
    image: String,
    #[serde(rename = "endorsementPolicy")]
    endorsement_policy: Option<String>,
    #[serde(rename = "initRequired")]
    init_required: bool,
    collections: serde_json::Value,
    /// Org Name → the package ID it approves (informational: a new package ID alone is
    /// approved again at the same sequence, which Fabric allows).
    #[serde(rename = "packageIds")]
    package_ids: BTreeMap<String, String>,
    /// The chart version that introduced this sequence.
    #[serde(rename = "chartVersion")]
    chart_version: String,
}

impl DefinitionRecord {
    /// What differs between two definitions, in words (empty: the same definition).
    fn differences(&self, new: &DefinitionRecord) -> Vec<String> {
        let mut out = vec![];
        if self.version != new.version {
            out.push(format!("version {} → {}", self.version, new.version));
        }
        if self.image != new.image {
            out.push(format!("image {} → {}", self.image, new.image));
        }
        if self.endorsement_policy != new.endorsement_policy {
            let p = |x: &Option<String>| x.clone().unwrap_or_else(|| "the channel's Endorsement".into());
            out.push(format!("endorsement policy {} → {}", p(&self.endorsement_policy), p(&new.endorsement_policy)));
        }
        if self.init_required != new.init_required {
            out.push(format!("InitRequired {} → {}", self.init_required, new.init_required));
        }
        if self.collections != new.collections {
            out.push("collections changed".into());
        }
        out
    }
}

/// `metadata.json` as fabric-samples writes it for CCaaS (no `path`).
pub fn metadata_json(label: &str) -> String {
    format!(r#"{{"type":"ccaas","label":{}}}"#, serde_json::Value::from(label))
}

/// `connection.json` as Fabric's ccaas builder and peer read it (PEM strings inline).
pub fn connection_json(address: &str, client_key: &str, client_cert: &str, root_cert: &str) -> String {
    #[derive(Serialize)]
    struct Conn<'a> {
        address: &'a str,
        dial_timeout: &'a str,
        tls_required: bool,
        client_auth_required: bool,
        client_key: &'a str,
        client_cert: &'a str,
        root_cert: &'a str,
    }
    let c = Conn { address, dial_timeout: DIAL_TIMEOUT, tls_required: true, client_auth_required: true, client_key, client_cert, root_cert };
    serde_json::to_string_pretty(&c).expect("json") + "\n"
}

/// The package bytes for a label and a connection.json.
pub fn package_bytes(label: &str, connection: &str) -> Result<Vec<u8>, String> {
    use crate::package::reproducible_tgz;
    let best = flate2::Compression::best();
    let code = reproducible_tgz(&[("connection.json".to_string(), connection.as_bytes().to_vec())], 0, best)?;
    reproducible_tgz(&[("metadata.json".to_string(), metadata_json(label).into_bytes()), ("code.tar.gz".to_string(), code)], 0, best)
}

pub fn package_id(label: &str, bytes: &[u8]) -> String {
    format!("{label}:{}", crate::package::hex_sha256(bytes))
}

/// A package's content: `metadata.json`, and each file of `code.tar.gz` (path, bytes).
pub type Unpacked = (Vec<u8>, Vec<(String, Vec<u8>)>);

pub fn unpack(bytes: &[u8]) -> Result<Unpacked, String> {
    let top = crate::package::read_tgz(bytes)?;
    let get = |n: &str| top.iter().find(|(p, _)| p == n).map(|(_, b)| b.clone()).ok_or_else(|| format!("the package has no {n}"));
    let code = crate::package::read_tgz(&get("code.tar.gz")?).map_err(|e| format!("code.tar.gz: {e}"))?;
    Ok((get("metadata.json")?, code))
}

fn record_path(channel: &str) -> String {
    format!("{}/{channel}_chaincodes.json", crate::channel::state::STATE_DIR)
}

/// Packages, package IDs and definitions of the plan's chaincodes. `out` is OUT (its
/// packages and channel records are read, nothing is written).
pub fn build(plan: &Plan, store_dir: &Path, out: &Path) -> Result<Chaincodes, String> {
    let mut r = Chaincodes::default();
    for cc in &plan.chaincodes {
        for s in &cc.servers {
            let org = plan.org(&s.org).ok_or_else(|| format!("internal: no org {}", s.org))?;
            let tls = crate::crypto::chaincode_dir(store_dir, org, &cc.name).join("tls");
            let conn = connection_json(&s.endpoint.address, &store::read(&tls.join("client.key"))?, &store::read(&tls.join("client.crt"))?, &store::read(&tls.join("ca.crt"))?);
            let fresh = package_bytes(&cc.label, &conn)?;
            let file = format!("{}/{}.tar.gz", org.slug, cc.label);
            let (bytes, pinned) = match std::fs::read(out.join(DIR).join(&file)) {
                Ok(old) if unpack(&old).ok() == unpack(&fresh).ok() => (old, true),
                _ => (fresh, false),
            };
            r.packages.push(Package { chaincode: cc.name.clone(), org: org.name.clone(), slug: org.slug.clone(), label: cc.label.clone(), file, id: package_id(&cc.label, &bytes), bytes, pinned });
        }
    }
    let state_dir = out.join(crate::channel::DIR);
    for ch in &plan.channels {
        let path = state_dir.join(record_path(&ch.name));
        let recorded: ChannelRecord = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| format!("{}: not a chaincode record: {e}", path.display()))?,
            Err(_) => ChannelRecord::default(),
        };
        let on_channel: Vec<&ChaincodePlan> = plan.chaincodes.iter().filter(|c| c.channels.iter().any(|x| x.name == ch.name)).collect();
        if on_channel.is_empty() && recorded.chaincodes.is_empty() {
            continue;
        }
        let mut rec = ChannelRecord {
            about: format!(
                "The chaincode definitions fabchart expects channel {} to hold: per chaincode the sequence and what it defines. A change to Version, Image, EndorsementPolicy, Collections or InitRequired gives the next sequence. Keep this file: it is the channel's state.",
                ch.name
            ),
            chaincodes: BTreeMap::new(),
        };
        for cc in on_channel {
            let c = cc.channels.iter().find(|x| x.name == ch.name).expect("filtered");
            let collections = (!cc.collections.is_empty()).then(|| collections_json(&cc.collections));
            let mut new = DefinitionRecord {
                sequence: 1,
                version: cc.version.clone(),
                image: format!("{}:{}", cc.image.repository, cc.image.tag),
                endorsement_policy: cc.endorsement_policy.clone(),
                init_required: cc.init_required,
                collections: collections.as_deref().map(|j| serde_json::from_str(j).expect("json")).unwrap_or(serde_json::Value::Null),
                package_ids: r.packages.iter().filter(|p| p.chaincode == cc.name && c.orgs.contains(&p.org)).map(|p| (p.org.clone(), p.id.clone())).collect(),
                chart_version: String::new(),
            };
            let change = match recorded.chaincodes.get(&cc.name) {
                None => Some("new".to_string()),
                Some(old) => {
                    let diffs = old.differences(&new);
                    if diffs.is_empty() {
                        new.sequence = old.sequence;
                        new.chart_version = old.chart_version.clone();
                        None
                    } else {
                        new.sequence = old.sequence + 1;
                        Some(diffs.join(", "))
                    }
                }
            };
            r.definitions.push(Definition {
                channel: ch.name.clone(),
                chaincode: cc.name.clone(),
                version: cc.version.clone(),
                sequence: new.sequence,
                endorsement_policy: cc.endorsement_policy.clone(),
                collections,
                init_required: cc.init_required,
                orgs: c.orgs.clone(),
                committer: c.committer.clone(),
                change,
            });
            rec.chaincodes.insert(cc.name.clone(), new);
        }
        // A definition stays on the channel when the topology drops the chaincode (Fabric
        // has no way to remove one): its record is kept.
        for (name, old) in &recorded.chaincodes {
            if !rec.chaincodes.contains_key(name) {
                r.dropped.push((ch.name.clone(), name.clone()));
                rec.chaincodes.insert(name.clone(), old.clone());
            }
        }
        r.records.insert(ch.name.clone(), rec);
    }
    Ok(r)
}

impl Chaincodes {
    pub fn package(&self, chaincode: &str, org: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.chaincode == chaincode && p.org == org)
    }
    pub fn definition(&self, chaincode: &str, channel: &str) -> Option<&Definition> {
        self.definitions.iter().find(|d| d.chaincode == chaincode && d.channel == channel)
    }
    /// Definitions that change (new or a new sequence).
    pub fn changed(&self) -> impl Iterator<Item = &Definition> {
        self.definitions.iter().filter(|d| d.change.is_some())
    }

    /// Stamps new sequences with the chart version that introduces them and returns the
    /// records to write under OUT/channel-artifacts (relative path, bytes).
    pub fn finish(&mut self, chart_version: &str) -> Vec<(String, Vec<u8>)> {
        let mut out = vec![];
        for (ch, rec) in self.records.iter_mut() {
            for d in rec.chaincodes.values_mut().filter(|d| d.chart_version.is_empty()) {
                d.chart_version = chart_version.to_string();
            }
            out.push((record_path(ch), (serde_json::to_string_pretty(rec).expect("json") + "\n").into_bytes()));
        }
        out
    }

    /// `packages.json`: every package's org, chaincode, label, file and ID (public).
    pub fn summary_json(&self) -> String {
        let list: Vec<serde_json::Value> = self
            .packages
            .iter()
            .map(|p| serde_json::json!({"chaincode": p.chaincode, "org": p.org, "label": p.label, "file": p.file, "packageId": p.id}))
            .collect();
        serde_json::to_string_pretty(&serde_json::json!({"packages": list})).expect("json") + "\n"
    }
}

/// Writes OUT/chaincode (packages 0600, `packages.json`) whole: staged aside and swapped in.
pub fn write(out: &Path, c: &Chaincodes) -> Result<(), String> {
    let dir = out.join(DIR);
    if c.packages.is_empty() && !dir.exists() {
        return Ok(());
    }
    let mut files: Vec<(String, Vec<u8>, u32)> = c.packages.iter().map(|p| (p.file.clone(), p.bytes.clone(), 0o600)).collect();
    files.push(("packages.json".into(), c.summary_json().into_bytes(), 0o644));
    crate::emit::replace_dir(out, &dir, &files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_is_reproducible_and_reads_back() {
        let conn = connection_json("cc-basic.org1.svc.cluster.local:9999", "KEY", "CERT", "ROOT");
        let a = package_bytes("basic_1.0", &conn).unwrap();
        assert_eq!(a, package_bytes("basic_1.0", &conn).unwrap());
        let (meta, code) = unpack(&a).unwrap();
        assert_eq!(String::from_utf8(meta).unwrap(), r#"{"type":"ccaas","label":"basic_1.0"}"#);
        assert_eq!(code, vec![("connection.json".to_string(), conn.into_bytes())]);
        assert!(package_id("basic_1.0", &a).starts_with("basic_1.0:"));
        assert_eq!(package_id("basic_1.0", &a).len(), "basic_1.0:".len() + 64);
    }
}
