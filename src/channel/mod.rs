//! Stage 5, channels: configtx.yaml and the channel artifacts configtxgen would make from
//! it, encoded natively (no Fabric binaries):
//! - Fabric 2.5/3.1: one application-channel genesis block per channel, for the channel
//!   participation API (orderers join with it, then peers);
//! - Fabric 1.4: the system channel's genesis block the orderers boot from, and per
//!   channel the channel-creation transaction and each org's anchor-peer update.
//!
//! Each artifact also gets a JSON rendering in configtxlator's layout for review.
//! Artifacts are a pure function of the plan and the crypto store: timestamps and nonces
//! are derived, never taken from the clock or a random source.

pub mod encode;
pub mod profile;
pub mod proto;
pub mod render;

use std::collections::BTreeMap;
use std::path::Path;

use prost::Message;

use crate::plan::Plan;
use crate::topology::{FabricVersion, OrgKind};
use profile::SYSTEM_CHANNEL;

/// The folder under OUT holding every artifact, configtx.yaml and the JSON renderings.
pub const DIR: &str = "channel-artifacts";

/// What one org's subchart carries (file names inside [`DIR`]).
#[derive(Debug, Clone, Default)]
pub struct OrgChannels {
    /// Fabric 1.4 orderer orgs: the system channel genesis block.
    pub system_block: Option<String>,
    pub channels: Vec<OrgChannel>,
    /// Orderer orgs: configtx.yaml goes into a ConfigMap.
    pub configtx: bool,
}

#[derive(Debug, Clone)]
pub struct OrgChannel {
    pub name: String,
    /// 2.5/3.1: the application channel's genesis block.
    pub block: Option<String>,
    /// 1.4: the channel creation transaction (the org that creates the channel).
    pub create_tx: Option<String>,
    /// 1.4: this org's anchor-peer update.
    pub anchor_tx: Option<String>,
}

pub struct Artifacts {
    /// File name → contents, in a stable order.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Org slug → what its subchart carries.
    pub orgs: BTreeMap<String, OrgChannels>,
}

impl Artifacts {
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(|v| v.as_slice())
    }
}

/// Builds every channel artifact of `plan` from the crypto store. `dir` is where
/// configtx.yaml will be written (its paths are relative to it).
pub fn build(plan: &Plan, store_dir: &Path, dir: &Path) -> Result<Artifacts, String> {
    let v = plan.network.fabric_version;
    let profiles = profile::profiles(plan, store_dir);
    let mut files = BTreeMap::new();
    let mut orgs: BTreeMap<String, OrgChannels> = plan.orgs.iter().map(|o| (o.slug.clone(), OrgChannels::default())).collect();
    files.insert("configtx.yaml".to_string(), profile::configtx_yaml(plan, &profiles, store_dir, dir).into_bytes());
    for o in plan.orgs.iter().filter(|o| o.kind == OrgKind::Orderer) {
        orgs.get_mut(&o.slug).expect("org").configtx = true;
    }

    for p in &profiles {
        let mut r = encode::Reader::default();
        if p.orderer.is_some() {
            // A genesis block: the system channel (1.4) or an application channel (2.5/3.1).
            let group = encode::channel_group(&mut r, p)?;
            let block = encode::genesis_block(v, &p.channel_id, group, encode::timestamp(&r.certs));
            let name = format!("{}.block", p.channel_id);
            files.insert(format!("{}.json", p.channel_id), render::pretty(&config_json(&block)?).into_bytes());
            files.insert(name.clone(), block.encode_to_vec());
            if p.channel_id == SYSTEM_CHANNEL && v == FabricVersion::V1_4 {
                for o in plan.orgs.iter().filter(|o| o.kind == OrgKind::Orderer) {
                    orgs.get_mut(&o.slug).expect("org").system_block = Some(name.clone());
                }
                continue;
            }
            let ch = plan.channels.iter().find(|c| c.name == p.channel_id).expect("profile of a channel");
            for member in ch.orgs.iter().chain(&ch.orderer_orgs) {
                if let Some(o) = plan.org(member) {
                    orgs.get_mut(&o.slug).expect("org").channels.push(OrgChannel { name: ch.name.clone(), block: Some(name.clone()), create_tx: None, anchor_tx: None });
                }
            }
        } else {
            // 1.4: channel creation transaction and anchor-peer updates.
            let update = encode::channel_create_update(&mut r, p)?;
            let ts = encode::timestamp(&r.certs);
            let tx = encode::update_envelope(&update, Some(ts));
            let tx_name = format!("{}.tx", p.channel_id);
            files.insert(format!("{}.json", p.channel_id), render::pretty(&render::config_update(&update)?).into_bytes());
            files.insert(tx_name.clone(), tx.encode_to_vec());
            let ch = plan.channels.iter().find(|c| c.name == p.channel_id).expect("profile of a channel");
            let app = p.application.as_ref().expect("channel profiles have an application");
            for (i, member) in ch.orgs.iter().enumerate() {
                let Some(o) = plan.org(member) else { continue };
                let anchors = app.orgs.iter().find(|a| a.org.msp_id == o.msp_id).map(|a| a.anchor_peers.clone()).unwrap_or_default();
                let anchor_tx = if anchors.is_empty() {
                    None
                } else {
                    let u = encode::anchor_peers_update(&ch.name, &o.msp_id, &anchors);
                    let n = format!("{}-{}-anchors.tx", ch.name, o.slug);
                    files.insert(format!("{}-{}-anchors.json", ch.name, o.slug), render::pretty(&render::config_update(&u)?).into_bytes());
                    files.insert(n.clone(), encode::update_envelope(&u, None).encode_to_vec());
                    Some(n)
                };
                orgs.get_mut(&o.slug).expect("org").channels.push(OrgChannel {
                    name: ch.name.clone(),
                    block: None,
                    create_tx: (i == 0).then(|| tx_name.clone()),
                    anchor_tx,
                });
            }
        }
    }
    Ok(Artifacts { files, orgs })
}

/// The `common.Config` of a genesis block, rendered.
fn config_json(block: &proto::Block) -> Result<serde_json::Value, String> {
    let env: proto::Envelope = proto::Envelope::decode(block.data.as_ref().and_then(|d| d.data.first()).map(|d| d.as_slice()).unwrap_or(&[])).map_err(|e| format!("protobuf: {e}"))?;
    let payload = proto::Payload::decode(env.payload.as_slice()).map_err(|e| format!("protobuf: {e}"))?;
    let ce = proto::ConfigEnvelope::decode(payload.data.as_slice()).map_err(|e| format!("protobuf: {e}"))?;
    render::config(&ce.config.unwrap_or_default())
}

/// `fabchart channel show`: a channel's configuration from OUT/channel-artifacts, as JSON
/// (`common.Config` of a genesis block; `common.ConfigUpdate` of a 1.4 creation tx).
pub fn show(out_dir: &Path, channel: &str) -> Result<String, String> {
    let dir = out_dir.join(DIR);
    let block = dir.join(format!("{channel}.block"));
    let tx = dir.join(format!("{channel}.tx"));
    if let Ok(b) = std::fs::read(&block) {
        let block = proto::Block::decode(b.as_slice()).map_err(|e| format!("{}: not a block: {e}", block.display()))?;
        return Ok(render::pretty(&config_json(&block)?));
    }
    if let Ok(b) = std::fs::read(&tx) {
        let env = proto::Envelope::decode(b.as_slice()).map_err(|e| format!("{}: not an envelope: {e}", tx.display()))?;
        let payload = proto::Payload::decode(env.payload.as_slice()).map_err(|e| format!("{}: {e}", tx.display()))?;
        let cue = proto::ConfigUpdateEnvelope::decode(payload.data.as_slice()).map_err(|e| format!("{}: {e}", tx.display()))?;
        let u = proto::ConfigUpdate::decode(cue.config_update.as_slice()).map_err(|e| format!("{}: {e}", tx.display()))?;
        return Ok(render::pretty(&render::config_update(&u)?));
    }
    let mut known: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    n.strip_suffix(".block").or_else(|| n.strip_suffix(".tx").filter(|s| !s.ends_with("-anchors"))).map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    known.sort();
    if known.is_empty() {
        return Err(format!("{} holds no channel artifacts: run `fabchart build TOPOLOGY -o {}` first", dir.display(), out_dir.display()));
    }
    Err(format!("no channel {channel:?} in {}; channels there: {}", dir.display(), known.join(", ")))
}
