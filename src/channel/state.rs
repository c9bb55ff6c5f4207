//! What OUT/channel-artifacts records of each channel: the configuration the channel
//! started from (its pinned genesis block, a config block imported from the live network,
//! or on Fabric 1.4 the configuration the orderer built from the creation transaction)
//! and every update fabchart generated since, in order. The configuration the live
//! channel is expected to have is that base with each update applied, exactly as the
//! orderer applies it; `state/<channel>.json` also records the resulting sequence and
//! version digest, and every load recomputes and checks them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use prost::Message;
use serde::{Deserialize, Serialize};

use super::proto as pb;
use super::{evolve, update};

/// The folder under OUT/channel-artifacts holding the records: `<channel>.json`, and
/// `<channel>_config.json` (the expected live configuration), `<channel>_created.pb` (1.4),
/// `<channel>_import-<sequence>.block` (imports). Channel names never hold `_`.
pub const STATE_DIR: &str = "state";
/// The folder under OUT/channel-artifacts holding the update envelopes and their JSON.
pub const UPDATES_DIR: &str = "updates";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BaseKind {
    /// The channel's genesis block, made by fabchart (or adopted from an earlier build).
    Genesis,
    /// A config block fetched from the running network (`fabchart channel import`).
    Import,
    /// Fabric 1.4: the configuration the orderer makes from the channel creation tx.
    Created,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Base {
    pub kind: BaseKind,
    /// A block (genesis or imported) or a `common.Config` (created), relative to
    /// channel-artifacts.
    pub file: String,
    pub sequence: u64,
    pub digest: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateRecord {
    /// The envelope, relative to channel-artifacts.
    pub file: String,
    /// The config sequence the update takes the channel to.
    pub sequence: u64,
    pub summary: String,
    /// Applied by the pre-upgrade Job (a consenter leaving while its pod still runs).
    pub pre: bool,
    /// MSP IDs of the admins whose signatures it carries as built.
    pub signers: Vec<String>,
    /// Version digest of the configuration the update applies to.
    #[serde(rename = "digestBefore")]
    pub digest_before: String,
    /// The chart version that introduced it.
    #[serde(rename = "chartVersion")]
    pub chart_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelState {
    pub channel: String,
    pub base: Base,
    pub updates: Vec<UpdateRecord>,
    /// After every update: the sequence and version digest of the expected live config.
    pub sequence: u64,
    pub digest: String,
    /// BFT: the highest consenter id the channel ever used (ids are never reused).
    #[serde(rename = "bftHighestId", default)]
    pub bft_highest_id: u32,
    /// Consenters (host:port) that left the channel at some point: they never join with
    /// the genesis block again.
    #[serde(rename = "consentersRemoved", default)]
    pub consenters_removed: Vec<String>,
}

/// A channel's state with everything derived from it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub state: ChannelState,
    /// The base configuration.
    pub base: pb::Config,
    /// The expected live configuration (base + every update).
    pub config: pb::Config,
    /// The configuration before each update (same order as `state.updates`).
    pub before: Vec<pb::Config>,
    /// The pinned genesis block, when OUT has it.
    pub genesis: Option<Vec<u8>>,
}

pub fn state_path(artifacts: &Path, channel: &str) -> PathBuf {
    artifacts.join(STATE_DIR).join(format!("{channel}.json"))
}

/// The `common.Config` inside a config block (the first envelope's CONFIG payload).
pub fn block_config(block: &[u8]) -> Result<(pb::Config, pb::Block, String), String> {
    let b = pb::Block::decode(block).map_err(|e| format!("not a block: {e}"))?;
    let first = b.data.as_ref().and_then(|d| d.data.first()).ok_or("the block holds no transaction")?;
    let env = pb::Envelope::decode(first.as_slice()).map_err(|e| format!("not an envelope: {e}"))?;
    let payload = pb::Payload::decode(env.payload.as_slice()).map_err(|e| format!("bad payload: {e}"))?;
    let ch = pb::ChannelHeader::decode(payload.header.as_ref().map(|h| h.channel_header.as_slice()).unwrap_or(&[])).map_err(|e| format!("bad channel header: {e}"))?;
    if ch.r#type != pb::HEADER_TYPE_CONFIG {
        return Err(format!("block {} is not a config block (its transaction has header type {}); fetch one with `peer channel fetch config`", b.header.as_ref().map_or(0, |h| h.number), ch.r#type));
    }
    let ce = pb::ConfigEnvelope::decode(payload.data.as_slice()).map_err(|e| format!("bad config envelope: {e}"))?;
    let config = ce.config.ok_or("the config envelope holds no config")?;
    if config.channel_group.is_none() {
        return Err("the config holds no channel group".into());
    }
    Ok((config, b, ch.channel_id))
}

fn read(dir: &Path, rel: &str) -> Result<Vec<u8>, String> {
    let p = dir.join(rel);
    std::fs::read(&p).map_err(|e| format!("cannot read {}: {e} (OUT/channel-artifacts is the network's channel state: restore it from version control)", p.display()))
}

/// Re-encodes `Capabilities` values (a protobuf map, which Fabric marshals in random
/// order) in fabchart's sorted encoding, so an imported configuration compares by
/// content. Versions and everything else stay as they are.
pub fn canonical(g: &mut pb::ConfigGroup) {
    if let Some(v) = g.values.get_mut("Capabilities")
        && let Ok(c) = pb::Capabilities::decode(v.value.as_slice())
    {
        v.value = pb::bytes(&c);
    }
    for sub in g.groups.values_mut() {
        canonical(sub);
    }
}

/// Loads a channel's records from `artifacts` (OUT/channel-artifacts), recomputing the
/// expected configuration. None when fabchart has no record of the channel.
pub fn load(artifacts: &Path, channel: &str) -> Result<Option<Loaded>, String> {
    let path = state_path(artifacts, channel);
    let genesis = std::fs::read(artifacts.join(format!("{channel}.block"))).ok();
    let state: ChannelState = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: not a fabchart channel record: {e}", path.display()))?,
        Err(_) => return Ok(None),
    };
    if state.channel != channel {
        return Err(format!("{} records channel {:?}, not {channel:?}", path.display(), state.channel));
    }
    let raw = read(artifacts, &state.base.file)?;
    let mut base = match state.base.kind {
        BaseKind::Created => pb::Config::decode(raw.as_slice()).map_err(|e| format!("{}: {e}", state.base.file))?,
        _ => block_config(&raw).map_err(|e| format!("{}: {e}", state.base.file))?.0,
    };
    if let Some(g) = base.channel_group.as_mut() {
        canonical(g);
    }
    check(&path, "base", base.sequence, &base, state.base.sequence, &state.base.digest)?;
    let mut config = base.clone();
    let mut before = vec![];
    for u in &state.updates {
        let bytes = read(artifacts, &u.file)?;
        let parsed = super::sign::parse(&bytes).map_err(|e| format!("{}: {e}", u.file))?;
        if parsed.update.channel_id != channel {
            return Err(format!("{}: an update for channel {:?}, recorded for {channel:?}", u.file, parsed.update.channel_id));
        }
        let digest = update::digest(config.channel_group.as_ref().expect("checked"))?;
        if digest != u.digest_before {
            return Err(format!("{}: recorded for a configuration with digest {}, but the records give {digest} before it", u.file, u.digest_before));
        }
        let applied = update::apply(&config, &parsed.update).map_err(|e| format!("{}: does not apply to the recorded configuration: {e}", u.file))?;
        before.push(config);
        config = applied.config;
        if config.sequence != u.sequence {
            return Err(format!("{}: takes the channel to sequence {}, recorded as {}", u.file, config.sequence, u.sequence));
        }
    }
    check(&path, "latest", config.sequence, &config, state.sequence, &state.digest)?;
    Ok(Some(Loaded { state, base, config, before, genesis }))
}

fn check(path: &Path, what: &str, seq: u64, c: &pb::Config, want_seq: u64, want_digest: &str) -> Result<(), String> {
    let d = update::digest(c.channel_group.as_ref().ok_or("no channel group")?)?;
    if seq != want_seq || d != want_digest {
        return Err(format!(
            "{}: the {what} configuration recomputed from the recorded files is at sequence {seq} (digest {}), but the record says {want_seq} ({}); OUT/channel-artifacts was changed by hand: restore it from version control, or re-adopt the live channel with `fabchart channel import`",
            path.display(),
            &d[..12],
            want_digest.get(..12).unwrap_or(want_digest)
        ));
    }
    Ok(())
}

impl Loaded {
    /// A fresh record whose base is a genesis block (file name relative to artifacts).
    pub fn genesis(channel: &str, file: &str, block: &[u8]) -> Result<Loaded, String> {
        let (mut config, _, id) = block_config(block)?;
        if id != channel {
            return Err(format!("{file} is a block of channel {id:?}, not {channel:?}"));
        }
        if let Some(g) = config.channel_group.as_mut() {
            canonical(g);
        }
        let g = config.channel_group.as_ref().expect("checked");
        let digest = update::digest(g)?;
        let state = ChannelState {
            channel: channel.to_string(),
            base: Base { kind: BaseKind::Genesis, file: file.to_string(), sequence: config.sequence, digest: digest.clone() },
            updates: vec![],
            sequence: config.sequence,
            digest,
            bft_highest_id: evolve::highest_bft_id(g),
            consenters_removed: vec![],
        };
        Ok(Loaded { state, base: config.clone(), config, before: vec![], genesis: Some(block.to_vec()) })
    }

    /// A fresh record whose base is a configuration (1.4 created channels, imports).
    pub fn from_config(channel: &str, kind: BaseKind, file: &str, config: pb::Config, genesis: Option<Vec<u8>>) -> Result<Loaded, String> {
        let g = config.channel_group.as_ref().ok_or("no channel group")?;
        let digest = update::digest(g)?;
        let state = ChannelState {
            channel: channel.to_string(),
            base: Base { kind, file: file.to_string(), sequence: config.sequence, digest: digest.clone() },
            updates: vec![],
            sequence: config.sequence,
            digest,
            bft_highest_id: evolve::highest_bft_id(g),
            consenters_removed: vec![],
        };
        Ok(Loaded { state, base: config.clone(), config, before: vec![], genesis })
    }

    pub fn group(&self) -> &pb::ConfigGroup {
        self.config.channel_group.as_ref().expect("loaded configs have a channel group")
    }

    /// Records an update (already applied to `config`).
    pub fn push(&mut self, record: UpdateRecord, after: pb::Config) -> Result<(), String> {
        let removed: Vec<String> = {
            let (a, b) = (evolve::consenter_addresses(self.group()), evolve::consenter_addresses(after.channel_group.as_ref().ok_or("no channel group")?));
            a.into_iter().filter(|x| !b.contains(x)).collect()
        };
        for r in removed {
            if !self.state.consenters_removed.contains(&r) {
                self.state.consenters_removed.push(r);
            }
        }
        self.before.push(std::mem::replace(&mut self.config, after));
        let highest = evolve::highest_bft_id(self.group());
        self.state.bft_highest_id = self.state.bft_highest_id.max(highest);
        self.state.sequence = self.config.sequence;
        self.state.digest = update::digest(self.group())?;
        self.state.updates.push(record);
        Ok(())
    }

    /// The record as written to `state/<channel>.json`.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(&self.state).expect("json") + "\n"
    }
}

/// Every channel fabchart has a record of in `artifacts`, by name.
pub fn recorded(artifacts: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(artifacts.join(STATE_DIR)).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        // Records are `<channel>.json`; the other files of the folder carry `_` (never in
        // a channel name) before their suffix.
        if let Some(ch) = name.strip_suffix(".json").filter(|n| !n.contains('_')) {
            out.insert(ch.to_string(), e.path());
        }
    }
    out
}

/// A build killed between moving OUT/channel-artifacts aside and moving the new one in
/// leaves only the old one, under a temporary name: put it back.
pub fn recover(artifacts: &Path) -> Result<(), String> {
    let (Some(parent), Some(name)) = (artifacts.parent(), artifacts.file_name()) else { return Ok(()) };
    let aside = parent.join(format!("{}old-{}", crate::crypto::store::TMP_PREFIX, name.to_string_lossy()));
    if !artifacts.exists() && aside.is_dir() {
        std::fs::rename(&aside, artifacts).map_err(|e| format!("cannot restore {} from {}: {e}", artifacts.display(), aside.display()))?;
    }
    Ok(())
}
