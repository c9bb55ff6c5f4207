//! Profiles to protobuf: the channel configuration tree configtxgen's encoder builds
//! (internal/configtxgen/encoder), the genesis block (common/genesis), and the 1.4
//! channel-creation and anchor-peer update transactions. MSP material is read from the
//! crypto store the way Fabric's `msp.GetVerifyingMspConfig` reads an MSP directory.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::profile::{self, AppOrg, BftValue, OrdererDef, OrgDef, PolicyDef, Policies, Profile};
use super::proto::{self as pb, bytes};
use crate::topology::{Consensus, FabricVersion};

const ADMINS: &str = "Admins";
const ORDERER_ADMINS: &str = "/Channel/Orderer/Admins";

/// Reads files for the encoder and remembers every certificate it embeds (for the
/// block's timestamp, which is the newest NotBefore among them).
#[derive(Default)]
pub struct Reader {
    pub certs: Vec<Vec<u8>>,
}

impl Reader {
    fn file(&mut self, p: &Path) -> Result<Vec<u8>, String> {
        let b = std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        self.certs.push(b.clone());
        Ok(b)
    }

    /// PEM files of an MSP subfolder, sorted by name; a missing folder is empty.
    fn pem_dir(&mut self, dir: &Path) -> Result<Vec<Vec<u8>>, String> {
        let Ok(rd) = std::fs::read_dir(dir) else { return Ok(vec![]) };
        let mut names: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
        names.sort();
        let mut out = vec![];
        for p in names {
            let b = std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            if String::from_utf8_lossy(&b).contains("-----BEGIN") {
                self.certs.push(b.clone());
                out.push(b);
            }
        }
        Ok(out)
    }

    /// msp.GetVerifyingMspConfig(dir, id, "bccsp").
    pub fn msp_config(&mut self, dir: &Path, id: &str) -> Result<pb::MspConfig, String> {
        let root_certs = self.pem_dir(&dir.join("cacerts"))?;
        if root_certs.is_empty() {
            return Err(format!("{}: no CA certificate in cacerts/ (rebuild the crypto store)", dir.display()));
        }
        let mut conf = pb::FabricMspConfig {
            name: id.to_string(),
            root_certs,
            intermediate_certs: self.pem_dir(&dir.join("intermediatecerts"))?,
            admins: self.pem_dir(&dir.join("admincerts"))?,
            revocation_list: self.pem_dir(&dir.join("crls"))?,
            signing_identity: None,
            organizational_unit_identifiers: vec![],
            crypto_config: Some(pb::FabricCryptoConfig {
                signature_hash_family: "SHA2".into(),
                identity_identifier_hash_function: "SHA256".into(),
            }),
            tls_root_certs: self.pem_dir(&dir.join("tlscacerts"))?,
            tls_intermediate_certs: self.pem_dir(&dir.join("tlsintermediatecerts"))?,
            fabric_node_ous: None,
        };
        let cfg = dir.join("config.yaml");
        if cfg.exists() {
            let text = std::fs::read_to_string(&cfg).map_err(|e| format!("cannot read {}: {e}", cfg.display()))?;
            let doc: MspYaml = yaml_serde::from_str(&text).map_err(|e| format!("{}: {e}", cfg.display()))?;
            if let Some(n) = doc.node_ous.filter(|n| n.enable) {
                let ou = |x: Option<OuYaml>| -> Result<Option<pb::FabricOuIdentifier>, String> {
                    let Some(x) = x else { return Ok(None) };
                    let certificate = match x.certificate.as_deref() {
                        Some(c) if !c.is_empty() => std::fs::read(dir.join(c)).map_err(|e| format!("cannot read {}: {e}", dir.join(c).display()))?,
                        _ => vec![],
                    };
                    Ok(Some(pb::FabricOuIdentifier { certificate, organizational_unit_identifier: x.ou }))
                };
                conf.fabric_node_ous = Some(pb::FabricNodeOus {
                    enable: true,
                    client_ou_identifier: ou(n.client)?,
                    peer_ou_identifier: ou(n.peer)?,
                    admin_ou_identifier: ou(n.admin)?,
                    orderer_ou_identifier: ou(n.orderer)?,
                });
            }
        }
        Ok(pb::MspConfig { r#type: 0, config: bytes(&conf) })
    }
}

#[derive(serde::Deserialize)]
struct MspYaml {
    #[serde(rename = "NodeOUs")]
    node_ous: Option<NodeOusYaml>,
}

#[derive(serde::Deserialize)]
struct NodeOusYaml {
    #[serde(rename = "Enable", default)]
    enable: bool,
    #[serde(rename = "ClientOUIdentifier")]
    client: Option<OuYaml>,
    #[serde(rename = "PeerOUIdentifier")]
    peer: Option<OuYaml>,
    #[serde(rename = "AdminOUIdentifier")]
    admin: Option<OuYaml>,
    #[serde(rename = "OrdererOUIdentifier")]
    orderer: Option<OuYaml>,
}

#[derive(serde::Deserialize)]
struct OuYaml {
    #[serde(rename = "Certificate")]
    certificate: Option<String>,
    #[serde(rename = "OrganizationalUnitIdentifier", default)]
    ou: String,
}

/// The AnchorPeers value of (host, port) pairs.
fn anchor_peers(anchors: &[(String, u16)]) -> pb::AnchorPeers {
    pb::AnchorPeers { anchor_peers: anchors.iter().map(|(h, p)| pb::AnchorPeer { host: h.clone(), port: *p as i32 }).collect() }
}

fn value<M: prost::Message>(m: &M, mod_policy: &str) -> pb::ConfigValue {
    pb::ConfigValue { version: 0, value: bytes(m), mod_policy: mod_policy.into() }
}

/// policydsl.FromString for the `OR('msp.role', ...)` rules fabchart writes, and
/// policies.ImplicitMetaFromString.
pub fn policy(def: &PolicyDef) -> pb::Policy {
    match def {
        PolicyDef::AnyOf(principals) => {
            let mut identities: Vec<pb::MspPrincipal> = vec![];
            let mut rules = vec![];
            for (msp, role) in principals {
                let p = pb::MspPrincipal {
                    principal_classification: pb::PRINCIPAL_ROLE,
                    principal: bytes(&pb::MspRole { msp_identifier: msp.clone(), role: role.code() }),
                };
                let i = identities.iter().position(|x| *x == p).unwrap_or_else(|| {
                    identities.push(p);
                    identities.len() - 1
                });
                rules.push(signed_by(i as i32));
            }
            let env = pb::SignaturePolicyEnvelope { version: 0, rule: Some(n_out_of(1, rules)), identities };
            pb::Policy { r#type: pb::POLICY_SIGNATURE, value: bytes(&env) }
        }
        PolicyDef::ImplicitMeta(rule, sub) => {
            let rule = match *rule {
                "ALL" => pb::IMPLICIT_ALL,
                "MAJORITY" => pb::IMPLICIT_MAJORITY,
                _ => pb::IMPLICIT_ANY,
            };
            pb::Policy { r#type: pb::POLICY_IMPLICIT_META, value: bytes(&pb::ImplicitMetaPolicy { sub_policy: sub.to_string(), rule }) }
        }
    }
}

fn signed_by(i: i32) -> pb::SignaturePolicy {
    pb::SignaturePolicy { r#type: Some(pb::signature_policy::Type::SignedBy(i)) }
}

fn n_out_of(n: i32, rules: Vec<pb::SignaturePolicy>) -> pb::SignaturePolicy {
    pb::SignaturePolicy { r#type: Some(pb::signature_policy::Type::NOutOf(pb::signature_policy::NOutOf { n, rules })) }
}

fn add_policies(g: &mut pb::ConfigGroup, p: &Policies) {
    for (name, def) in p {
        g.policies.insert(name.to_string(), pb::ConfigPolicy { version: 0, policy: Some(policy(def)), mod_policy: ADMINS.into() });
    }
}

fn capabilities(caps: &[&str]) -> pb::Capabilities {
    pb::Capabilities { capabilities: caps.iter().map(|c| (c.to_string(), pb::Capability {})).collect() }
}

fn group(mod_policy: &str) -> pb::ConfigGroup {
    pb::ConfigGroup { mod_policy: mod_policy.into(), ..Default::default() }
}

/// NewOrdererOrgGroup / NewConsortiumOrgGroup / NewApplicationOrgGroup.
fn org_group(r: &mut Reader, o: &OrgDef, anchors: &[(String, u16)]) -> Result<pb::ConfigGroup, String> {
    let mut g = group(ADMINS);
    let msp = r.msp_config(&o.msp_dir, &o.msp_id)?;
    add_policies(&mut g, &o.policies);
    g.values.insert("MSP".into(), value(&msp, ADMINS));
    if !o.orderer_endpoints.is_empty() {
        g.values.insert("Endpoints".into(), value(&pb::OrdererAddresses { addresses: o.orderer_endpoints.clone() }, ADMINS));
    }
    if !anchors.is_empty() {
        let a = anchor_peers(anchors);
        g.values.insert("AnchorPeers".into(), value(&a, ADMINS));
    }
    Ok(g)
}

fn orderer_group(r: &mut Reader, o: &OrdererDef) -> Result<pb::ConfigGroup, String> {
    let mut g = group(ADMINS);
    add_policies(&mut g, &o.policies);
    g.values.insert(
        "BatchSize".into(),
        value(
            &pb::BatchSize {
                max_message_count: profile::MAX_MESSAGE_COUNT,
                absolute_max_bytes: profile::ABSOLUTE_MAX_BYTES,
                preferred_max_bytes: profile::PREFERRED_MAX_BYTES,
            },
            ADMINS,
        ),
    );
    g.values.insert("BatchTimeout".into(), value(&pb::BatchTimeout { timeout: profile::BATCH_TIMEOUT.into() }, ADMINS));
    g.values.insert("ChannelRestrictions".into(), value(&pb::ChannelRestrictions { max_count: profile::MAX_CHANNELS }, ADMINS));
    if !o.capabilities.is_empty() {
        g.values.insert("Capabilities".into(), value(&capabilities(&o.capabilities), ADMINS));
    }
    if !o.kafka_brokers.is_empty() {
        g.values.insert("KafkaBrokers".into(), value(&pb::KafkaBrokers { brokers: o.kafka_brokers.clone() }, ADMINS));
    }
    let metadata = match o.orderer_type {
        Consensus::Solo | Consensus::Kafka => vec![],
        Consensus::EtcdRaft => {
            let mut consenters = vec![];
            for c in &o.consenters {
                consenters.push(pb::RaftConsenter {
                    host: c.host.clone(),
                    port: c.port as u32,
                    client_tls_cert: r.file(&c.client_tls_cert)?,
                    server_tls_cert: r.file(&c.server_tls_cert)?,
                });
            }
            let (ti, et, hb, mib, sis) = profile::RAFT_OPTIONS;
            let options = pb::RaftOptions { tick_interval: ti.into(), election_tick: et, heartbeat_tick: hb, max_inflight_blocks: mib, snapshot_interval_size: sis };
            bytes(&pb::RaftConfigMetadata { consenters, options: Some(options) })
        }
        Consensus::Bft => {
            let mut consenters = vec![];
            for c in &o.consenters {
                consenters.push(pb::Consenter {
                    id: c.id,
                    host: c.host.clone(),
                    port: c.port as u32,
                    msp_id: c.msp_id.clone(),
                    identity: r.file(&c.identity)?,
                    client_tls_cert: r.file(&c.client_tls_cert)?,
                    server_tls_cert: r.file(&c.server_tls_cert)?,
                });
            }
            // EncodeBFTBlockVerificationPolicy: a quorum of the consenters' identities.
            let n = consenters.len();
            let f = n.saturating_sub(1) / 3;
            let quorum = (n + f + 1).div_ceil(2) as i32;
            let identities = consenters
                .iter()
                .map(|c| pb::MspPrincipal {
                    principal_classification: pb::PRINCIPAL_IDENTITY,
                    principal: bytes(&pb::SerializedIdentity { mspid: c.msp_id.clone(), id_bytes: c.identity.clone() }),
                })
                .collect();
            let rules = (0..n as i32).map(signed_by).collect();
            let env = pb::SignaturePolicyEnvelope { version: 0, rule: Some(n_out_of(quorum, rules)), identities };
            let bv = g.policies.get_mut("BlockValidation").expect("BlockValidation is always defined");
            bv.policy = Some(pb::Policy { r#type: pb::POLICY_SIGNATURE, value: bytes(&env) });
            g.values.insert("Orderers".into(), value(&pb::Orderers { consenter_mapping: consenters }, ADMINS));
            let mut opts = pb::BftOptions::default();
            for s in &profile::BFT_OPTIONS {
                match (s.key, &s.value) {
                    ("RequestBatchMaxCount", BftValue::Count(n)) => opts.request_batch_max_count = *n,
                    ("RequestBatchMaxBytes", BftValue::Count(n)) => opts.request_batch_max_bytes = *n,
                    ("IncomingMessageBufferSize", BftValue::Count(n)) => opts.incoming_message_buffer_size = *n,
                    ("RequestPoolSize", BftValue::Count(n)) => opts.request_pool_size = *n,
                    ("LeaderHeartbeatCount", BftValue::Count(n)) => opts.leader_heartbeat_count = *n,
                    ("RequestBatchMaxInterval", BftValue::Duration(d)) => opts.request_batch_max_interval = d.to_string(),
                    ("RequestForwardTimeout", BftValue::Duration(d)) => opts.request_forward_timeout = d.to_string(),
                    ("RequestComplainTimeout", BftValue::Duration(d)) => opts.request_complain_timeout = d.to_string(),
                    ("RequestAutoRemoveTimeout", BftValue::Duration(d)) => opts.request_auto_remove_timeout = d.to_string(),
                    ("ViewChangeResendInterval", BftValue::Duration(d)) => opts.view_change_resend_interval = d.to_string(),
                    ("ViewChangeTimeout", BftValue::Duration(d)) => opts.view_change_timeout = d.to_string(),
                    ("LeaderHeartbeatTimeout", BftValue::Duration(d)) => opts.leader_heartbeat_timeout = d.to_string(),
                    ("CollectTimeout", BftValue::Duration(d)) => opts.collect_timeout = d.to_string(),
                    (k, _) => unreachable!("SmartBFT option {k} has no field"),
                }
            }
            bytes(&opts)
        }
    };
    let ct = pb::ConsensusType { r#type: o.orderer_type.as_str().into(), metadata, state: 0 };
    g.values.insert("ConsensusType".into(), value(&ct, ADMINS));
    for org in &o.orgs {
        g.groups.insert(org.name.clone(), org_group(r, org, &[])?);
    }
    Ok(g)
}

fn application_group(r: &mut Reader, orgs: &[AppOrg], policies: &Policies, caps: &[&str]) -> Result<pb::ConfigGroup, String> {
    let mut g = group(ADMINS);
    add_policies(&mut g, policies);
    if !caps.is_empty() {
        g.values.insert("Capabilities".into(), value(&capabilities(caps), ADMINS));
    }
    for o in orgs {
        g.groups.insert(o.org.name.clone(), org_group(r, &o.org, &o.anchor_peers)?);
    }
    Ok(g)
}

/// NewChannelGroup: the root of a profile's channel configuration.
pub fn channel_group(r: &mut Reader, p: &Profile) -> Result<pb::ConfigGroup, String> {
    let mut g = group(ADMINS);
    add_policies(&mut g, &p.policies);
    g.values.insert("HashingAlgorithm".into(), value(&pb::HashingAlgorithm { name: "SHA256".into() }, ADMINS));
    g.values.insert("BlockDataHashingStructure".into(), value(&pb::BlockDataHashingStructure { width: u32::MAX }, ADMINS));
    if let Some(o) = p.orderer.as_ref().filter(|o| !o.addresses.is_empty()) {
        g.values.insert("OrdererAddresses".into(), value(&pb::OrdererAddresses { addresses: o.addresses.clone() }, ORDERER_ADMINS));
    }
    if let Some(c) = &p.consortium {
        g.values.insert("Consortium".into(), value(&pb::Consortium { name: c.clone() }, ADMINS));
    }
    if !p.capabilities.is_empty() {
        g.values.insert("Capabilities".into(), value(&capabilities(&p.capabilities), ADMINS));
    }
    if let Some(o) = &p.orderer {
        g.groups.insert("Orderer".into(), orderer_group(r, o)?);
    }
    if let Some(a) = &p.application {
        g.groups.insert("Application".into(), application_group(r, &a.orgs, &a.policies, &a.capabilities)?);
    }
    if !p.consortiums.is_empty() {
        let mut cs = group(ORDERER_ADMINS);
        // Not referenced anywhere: degrades control of the system channel to the orderer admins.
        let accept_all = pb::SignaturePolicyEnvelope { version: 0, rule: Some(n_out_of(0, vec![])), identities: vec![] };
        cs.policies.insert(
            ADMINS.into(),
            pb::ConfigPolicy { version: 0, policy: Some(pb::Policy { r#type: pb::POLICY_SIGNATURE, value: bytes(&accept_all) }), mod_policy: ORDERER_ADMINS.into() },
        );
        for (name, members) in &p.consortiums {
            let mut c = group(ORDERER_ADMINS);
            for m in members {
                c.groups.insert(m.name.clone(), org_group(r, m, &[])?);
            }
            let any_admins = policy(&PolicyDef::ImplicitMeta("ANY", "Admins"));
            c.values.insert("ChannelCreationPolicy".into(), value(&any_admins, ORDERER_ADMINS));
            cs.groups.insert(name.clone(), c);
        }
        g.groups.insert("Consortiums".into(), cs);
    }
    Ok(g)
}

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

/// computeGroupUpdate: (read set, write set, updated).
fn diff_group(orig: &pb::ConfigGroup, upd: &pb::ConfigGroup) -> (pb::ConfigGroup, pb::ConfigGroup, bool) {
    let p = diff_members(&orig.policies, &upd.policies);
    let v = diff_members(&orig.values, &upd.values);
    let mut g = MapDiff { read: BTreeMap::new(), write: BTreeMap::new(), same: BTreeMap::new(), members_updated: false };
    for (k, o) in &orig.groups {
        let Some(u) = upd.groups.get(k) else {
            g.members_updated = true;
            continue;
        };
        let (r, w, changed) = diff_group(o, u);
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
            let (_, w, _) = diff_group(&pb::ConfigGroup::default(), u);
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

/// NewChannelCreateConfigUpdate with DefaultConfigTemplate (configtxgen
/// -outputCreateChannelTx without a system channel context).
pub fn channel_create_update(r: &mut Reader, p: &Profile) -> Result<pb::ConfigUpdate, String> {
    let updated = channel_group(r, p)?;
    let mut template = updated.clone();
    if let Some(app) = template.groups.get_mut("Application") {
        app.values.clear();
        app.policies.clear();
    }
    let (mut read, mut write, _) = diff_group(&template, &updated);
    read.values.insert("Consortium".into(), pb::ConfigValue::default());
    let name = p.consortium.clone().unwrap_or_default();
    write.values.insert("Consortium".into(), pb::ConfigValue { version: 0, value: bytes(&pb::Consortium { name }), mod_policy: String::new() });
    Ok(pb::ConfigUpdate { channel_id: p.channel_id.clone(), read_set: Some(read), write_set: Some(write), isolated_data: BTreeMap::new() })
}

/// configtxgen -outputAnchorPeersUpdate -asOrg <org> (Fabric 1.4).
pub fn anchor_peers_update(channel_id: &str, org: &str, anchors: &[(String, u16)]) -> pb::ConfigUpdate {
    let org_at = |version: u64, with_anchor: bool| {
        let mut g = pb::ConfigGroup { version, ..Default::default() };
        if version > 0 {
            g.mod_policy = ADMINS.into();
        }
        g.values.insert("MSP".into(), pb::ConfigValue::default());
        for k in ["Readers", "Writers", "Admins"] {
            g.policies.insert(k.into(), pb::ConfigPolicy::default());
        }
        if with_anchor {
            let a = anchor_peers(anchors);
            g.values.insert("AnchorPeers".into(), pb::ConfigValue { version: 0, value: bytes(&a), mod_policy: ADMINS.into() });
        }
        g
    };
    let app = |org_group: pb::ConfigGroup| {
        let mut g = pb::ConfigGroup { version: 1, mod_policy: ADMINS.into(), ..Default::default() };
        g.groups.insert(org.to_string(), org_group);
        let mut root = pb::ConfigGroup::default();
        root.groups.insert("Application".into(), g);
        root
    };
    pb::ConfigUpdate {
        channel_id: channel_id.to_string(),
        read_set: Some(app(org_at(0, false))),
        write_set: Some(app(org_at(1, true))),
        isolated_data: BTreeMap::new(),
    }
}

// ---- blocks and envelopes ---------------------------------------------------------------

/// The block's fixed timestamp: the newest NotBefore of the certificates it embeds, so
/// it changes only when the crypto does.
pub fn timestamp(certs: &[Vec<u8>]) -> pb::Timestamp {
    let mut newest = 0i64;
    for pem in certs {
        for p in x509_parser::pem::Pem::iter_from_buffer(pem).flatten() {
            if let Ok(c) = p.parse_x509() {
                newest = newest.max(c.validity().not_before.timestamp());
            }
        }
    }
    pb::Timestamp { seconds: newest, nanos: 0 }
}

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}


/// genesis.Factory.Block: block 0 of a channel holding one CONFIG envelope. The nonce is
/// derived from the channel ID and configuration instead of random bytes, so the block is
/// the same for the same configuration.
pub fn genesis_block(v: FabricVersion, channel_id: &str, group: pb::ConfigGroup, ts: pb::Timestamp) -> pb::Block {
    let config_env = pb::ConfigEnvelope { config: Some(pb::Config { sequence: 0, channel_group: Some(group) }), last_update: None };
    let data = bytes(&config_env);
    let nonce = sha256(&[b"fabchart genesis nonce\0", channel_id.as_bytes(), b"\0", &data])[..24].to_vec();
    let tx_id = crate::crypto::store::hex(&sha256(&[&nonce]));
    let ch = pb::ChannelHeader {
        r#type: pb::HEADER_TYPE_CONFIG,
        version: 1,
        timestamp: Some(ts),
        channel_id: channel_id.into(),
        tx_id,
        epoch: 0,
        extension: vec![],
        tls_cert_hash: vec![],
    };
    let sh = pb::SignatureHeader { creator: vec![], nonce };
    let payload = pb::Payload { header: Some(pb::Header { channel_header: bytes(&ch), signature_header: bytes(&sh) }), data };
    let env = pb::Envelope { payload: bytes(&payload), signature: vec![] };
    let block_data = pb::BlockData { data: vec![bytes(&env)] };
    let data_hash = sha256(&block_data.data.iter().map(|d| d.as_slice()).collect::<Vec<_>>());
    // 1.4 has 4 metadata slots (SIGNATURES, LAST_CONFIG, TRANSACTIONS_FILTER, ORDERER);
    // 2.0 added COMMIT_HASH and records the last config in SIGNATURES as well.
    let slots = if v == FabricVersion::V1_4 { 4 } else { 5 };
    let mut metadata = vec![vec![]; slots];
    metadata[1] = bytes(&pb::Metadata { value: bytes(&pb::LastConfig { index: 0 }) });
    if v >= FabricVersion::V2_5 {
        metadata[0] = bytes(&pb::Metadata { value: bytes(&pb::OrdererBlockMetadata { last_config: Some(pb::LastConfig { index: 0 }), consenter_metadata: vec![] }) });
    }
    pb::Block {
        header: Some(pb::BlockHeader { number: 0, previous_hash: vec![], data_hash }),
        data: Some(block_data),
        metadata: Some(pb::BlockMetadata { metadata }),
    }
}

/// An unsigned CONFIG_UPDATE envelope as configtxgen writes it (peer channel create /
/// update sign and re-wrap it before sending).
pub fn update_envelope(update: &pb::ConfigUpdate, ts: Option<pb::Timestamp>) -> pb::Envelope {
    let cue = pb::ConfigUpdateEnvelope { config_update: bytes(update), signatures: vec![] };
    let ch = pb::ChannelHeader { r#type: pb::HEADER_TYPE_CONFIG_UPDATE, channel_id: update.channel_id.clone(), timestamp: ts, ..Default::default() };
    let payload = pb::Payload {
        header: Some(pb::Header { channel_header: bytes(&ch), signature_header: bytes(&pb::SignatureHeader::default()) }),
        data: bytes(&cue),
    };
    pb::Envelope { payload: bytes(&payload), signature: vec![] }
}
