//! Profiles to protobuf: the channel configuration tree configtxgen's encoder builds
//! (internal/configtxgen/encoder), the genesis block (common/genesis), and the 1.4
//! channel-creation and anchor-peer update transactions. MSP material is read from the
//! crypto store the way Fabric's `msp.GetVerifyingMspConfig` reads an MSP directory.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::profile::{self, AppOrg, OrdererDef, OrgDef, PolicyDef, Policies, Profile};
use crate::plan::orderer::BftValue;
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

/// EncodeBFTBlockVerificationPolicy (common/policies/bft.go): a quorum q = ceil((n+f+1)/2),
/// f = (n-1)/3, of the consenters' enrollment identities, in consenter_mapping order.
pub fn bft_block_validation(consenters: &[pb::Consenter]) -> pb::Policy {
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
    pb::Policy { r#type: pb::POLICY_SIGNATURE, value: bytes(&env) }
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
                max_message_count: o.batch.max_message_count,
                absolute_max_bytes: o.batch.absolute_max_bytes,
                preferred_max_bytes: o.batch.preferred_max_bytes,
            },
            ADMINS,
        ),
    );
    g.values.insert("BatchTimeout".into(), value(&pb::BatchTimeout { timeout: o.batch.timeout.clone() }, ADMINS));
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
            let r = &o.raft;
            let options = pb::RaftOptions {
                tick_interval: r.tick_interval.clone(),
                election_tick: r.election_tick,
                heartbeat_tick: r.heartbeat_tick,
                max_inflight_blocks: r.max_inflight_blocks,
                snapshot_interval_size: r.snapshot_interval_size,
            };
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
            let bv = g.policies.get_mut("BlockValidation").expect("BlockValidation is always defined");
            bv.policy = Some(bft_block_validation(&consenters));
            g.values.insert("Orderers".into(), value(&pb::Orderers { consenter_mapping: consenters }, ADMINS));
            let mut opts = pb::BftOptions::default();
            for (key, value) in &o.bft {
                match (*key, value) {
                    ("RequestBatchMaxCount", BftValue::Count(n)) => opts.request_batch_max_count = *n,
                    ("RequestBatchMaxBytes", BftValue::Count(n)) => opts.request_batch_max_bytes = *n,
                    ("IncomingMessageBufferSize", BftValue::Count(n)) => opts.incoming_message_buffer_size = *n,
                    ("RequestPoolSize", BftValue::Count(n)) => opts.request_pool_size = *n,
                    ("LeaderHeartbeatCount", BftValue::Count(n)) => opts.leader_heartbeat_count = *n,
                    ("RequestBatchMaxInterval", BftValue::Duration(d)) => opts.request_batch_max_interval = d.clone(),
                    ("RequestForwardTimeout", BftValue::Duration(d)) => opts.request_forward_timeout = d.clone(),
                    ("RequestComplainTimeout", BftValue::Duration(d)) => opts.request_complain_timeout = d.clone(),
                    ("RequestAutoRemoveTimeout", BftValue::Duration(d)) => opts.request_auto_remove_timeout = d.clone(),
                    ("ViewChangeResendInterval", BftValue::Duration(d)) => opts.view_change_resend_interval = d.clone(),
                    ("ViewChangeTimeout", BftValue::Duration(d)) => opts.view_change_timeout = d.clone(),
                    ("LeaderHeartbeatTimeout", BftValue::Duration(d)) => opts.leader_heartbeat_timeout = d.clone(),
                    ("CollectTimeout", BftValue::Duration(d)) => opts.collect_timeout = d.clone(),
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

/// NewChannelCreateConfigUpdate with DefaultConfigTemplate (configtxgen
/// -outputCreateChannelTx without a system channel context).
pub fn channel_create_update(r: &mut Reader, p: &Profile) -> Result<pb::ConfigUpdate, String> {
    let updated = channel_group(r, p)?;
    let mut template = updated.clone();
    if let Some(app) = template.groups.get_mut("Application") {
        app.values.clear();
        app.policies.clear();
    }
    let (mut read, mut write, _) = super::update::compute(&template, &updated);
    read.values.insert("Consortium".into(), pb::ConfigValue::default());
    let name = p.consortium.clone().unwrap_or_default();
    write.values.insert("Consortium".into(), pb::ConfigValue { version: 0, value: bytes(&pb::Consortium { name }), mod_policy: String::new() });
    Ok(pb::ConfigUpdate { channel_id: p.channel_id.clone(), read_set: Some(read), write_set: Some(write), isolated_data: BTreeMap::new() })
}

/// Fabric 1.4's orderer making a new application channel (DefaultTemplator.NewChannelConfig
/// with PredictableChannelTemplate, then ProposeConfigUpdate): the system channel's
/// channel-level values and policies and its Orderer group, an Application group holding
/// the consortium's ChannelCreationPolicy and the requested orgs (cloned from the
/// consortium), every version zeroed; the creation update applied to that gives the
/// channel's first configuration, at sequence 1.
pub fn created_channel(system: &pb::ConfigGroup, creation: &pb::ConfigUpdate) -> Result<pb::Config, String> {
    let ws = creation.write_set.as_ref().ok_or("the creation update has no write set")?;
    let app_ws = ws.groups.get("Application").ok_or("the creation update has no Application group")?;
    if app_ws.version != 1 {
        return Err(format!("the creation update's Application group is at version {}, not 1", app_ws.version));
    }
    let consortium = ws.values.get("Consortium").ok_or("the creation update names no consortium")?;
    let name = <pb::Consortium as prost::Message>::decode(consortium.value.as_slice()).map_err(|e| e.to_string())?.name;
    let cons = system.groups.get("Consortiums").and_then(|c| c.groups.get(&name)).ok_or_else(|| format!("the system channel has no consortium {name:?}"))?;
    let ccp = cons.values.get("ChannelCreationPolicy").ok_or("the consortium has no ChannelCreationPolicy")?;
    let ccp = <pb::Policy as prost::Message>::decode(ccp.value.as_slice()).map_err(|e| e.to_string())?;
    let mut app = pb::ConfigGroup { mod_policy: "ChannelCreationPolicy".into(), ..Default::default() };
    app.policies.insert("ChannelCreationPolicy".into(), pb::ConfigPolicy { version: 0, policy: Some(ccp), mod_policy: String::new() });
    if !cons.groups.is_empty() {
        for org in app_ws.groups.keys() {
            let g = cons.groups.get(org).ok_or_else(|| format!("the creation update names {org}, which is not in consortium {name}"))?;
            app.groups.insert(org.clone(), g.clone());
        }
    }
    let mut ch = pb::ConfigGroup { mod_policy: system.mod_policy.clone(), values: system.values.clone(), policies: system.policies.clone(), ..Default::default() };
    ch.groups.insert("Orderer".into(), system.groups.get("Orderer").ok_or("the system channel has no Orderer group")?.clone());
    ch.groups.insert("Application".into(), app);
    ch.values.insert("Consortium".into(), value(&pb::Consortium { name }, ADMINS));
    zero_versions(&mut ch);
    let template = pb::Config { sequence: 0, channel_group: Some(ch) };
    Ok(super::update::apply(&template, creation)?.config)
}

fn zero_versions(g: &mut pb::ConfigGroup) {
    g.version = 0;
    g.values.values_mut().for_each(|v| v.version = 0);
    g.policies.values_mut().for_each(|p| p.version = 0);
    g.groups.values_mut().for_each(zero_versions);
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
    config_block(v, channel_id, pb::Config { sequence: 0, channel_group: Some(group) }, 0, ts)
}

/// A block numbered `number` holding one CONFIG envelope with `config` (block 0 is a
/// genesis block; tests also use later numbers to stand in for a live channel's latest
/// config block, which `peer channel fetch config` returns).
pub fn config_block(v: FabricVersion, channel_id: &str, config: pb::Config, number: u64, ts: pb::Timestamp) -> pb::Block {
    let config_env = pb::ConfigEnvelope { config: Some(config), last_update: None };
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
    metadata[1] = bytes(&pb::Metadata { value: bytes(&pb::LastConfig { index: number }) });
    if v >= FabricVersion::V2_5 {
        metadata[0] = bytes(&pb::Metadata { value: bytes(&pb::OrdererBlockMetadata { last_config: Some(pb::LastConfig { index: number }), consenter_metadata: vec![] }) });
    }
    pb::Block {
        header: Some(pb::BlockHeader { number, previous_hash: vec![], data_hash }),
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
