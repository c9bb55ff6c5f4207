//! What configtx.yaml says, as data: organizations, policies, the orderer section and one
//! profile per channel (plus the system channel on 1.4). Both configtx.yaml (for users'
//! own configtxgen) and the native blocks are made from these values, so the two cannot
//! disagree. Paths are into the crypto store; `configtx.yaml` writes them relative to
//! its own directory, as configtxgen resolves them.

use std::path::{Path, PathBuf};

use crate::crypto::store;
use crate::plan::{NodeKind, OrgPlan, Plan};
use crate::topology::{Consensus, FabricVersion, OrgKind};

/// The system channel's ID on Fabric 1.4.
pub const SYSTEM_CHANNEL: &str = "system-channel";

/// An MSP role as the policy language names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Admin,
    Client,
    Peer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Client => "client",
            Role::Peer => "peer",
        }
    }
    /// MSPRole.MSPRoleType
    pub fn code(self) -> i32 {
        match self {
            Role::Member => 0,
            Role::Admin => 1,
            Role::Client => 2,
            Role::Peer => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyDef {
    /// `OR('<msp>.<role>', ...)`: any one of the principals.
    AnyOf(Vec<(String, Role)>),
    /// `ANY|ALL|MAJORITY <SubPolicy>`.
    ImplicitMeta(&'static str, &'static str),
}

impl PolicyDef {
    pub fn type_name(&self) -> &'static str {
        match self {
            PolicyDef::AnyOf(_) => "Signature",
            PolicyDef::ImplicitMeta(..) => "ImplicitMeta",
        }
    }
    pub fn rule(&self) -> String {
        match self {
            PolicyDef::AnyOf(ps) => {
                let list: Vec<String> = ps.iter().map(|(m, r)| format!("'{m}.{}'", r.as_str())).collect();
                format!("OR({})", list.join(","))
            }
            PolicyDef::ImplicitMeta(rule, sub) => format!("{rule} {sub}"),
        }
    }
}

pub type Policies = Vec<(&'static str, PolicyDef)>;

#[derive(Debug, Clone)]
pub struct OrgDef {
    /// Config group key and configtx.yaml `Name`: the MSP ID.
    pub name: String,
    pub msp_id: String,
    pub msp_dir: PathBuf,
    pub kind: OrgKind,
    pub policies: Policies,
    /// Orderer orgs, 2.x+: `OrdererEndpoints`.
    pub orderer_endpoints: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Consenter {
    pub id: u32,
    pub host: String,
    pub port: u16,
    pub msp_id: String,
    /// The orderer's enrollment certificate (BFT `Identity`).
    pub identity: PathBuf,
    pub client_tls_cert: PathBuf,
    pub server_tls_cert: PathBuf,
}

#[derive(Debug, Clone)]
pub struct OrdererDef {
    pub orderer_type: Consensus,
    pub batch: crate::plan::orderer::Batch,
    pub raft: crate::plan::orderer::RaftOptions,
    pub bft: Vec<(&'static str, crate::plan::orderer::BftValue)>,
    /// Global orderer addresses (Fabric 1.4 only; replaced by OrdererEndpoints in 2.0).
    pub addresses: Vec<String>,
    pub kafka_brokers: Vec<String>,
    pub consenters: Vec<Consenter>,
    pub orgs: Vec<OrgDef>,
    pub policies: Policies,
    pub capabilities: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub struct AppOrg {
    pub org: OrgDef,
    /// (host, port)
    pub anchor_peers: Vec<(String, u16)>,
}

#[derive(Debug, Clone)]
pub struct ApplicationDef {
    pub orgs: Vec<AppOrg>,
    pub policies: Policies,
    pub capabilities: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub struct Profile {
    /// configtx.yaml profile name.
    pub name: String,
    pub channel_id: String,
    pub policies: Policies,
    pub capabilities: Vec<&'static str>,
    pub orderer: Option<OrdererDef>,
    pub application: Option<ApplicationDef>,
    /// System channel (1.4): consortium name and member orgs.
    pub consortiums: Vec<(String, Vec<OrgDef>)>,
    /// Channel creation (1.4): the consortium the channel belongs to.
    pub consortium: Option<String>,
}

/// configtx.yaml's `MaxChannels` (0: no limit; only read on 1.4's system channel).
pub const MAX_CHANNELS: u64 = 0;

/// (channel, orderer, application) capabilities of a Fabric version.
pub fn capabilities(v: FabricVersion) -> (&'static str, &'static str, &'static str) {
    match v {
        FabricVersion::V1_4 => ("V1_4_3", "V1_4_2", "V1_4_2"),
        FabricVersion::V2_5 => ("V2_0", "V2_0", "V2_5"),
        FabricVersion::V3_1 => ("V3_0", "V2_0", "V2_5"),
    }
}

fn meta_policies(extra: &[(&'static str, PolicyDef)]) -> Policies {
    let mut p: Policies = vec![
        ("Readers", PolicyDef::ImplicitMeta("ANY", "Readers")),
        ("Writers", PolicyDef::ImplicitMeta("ANY", "Writers")),
        ("Admins", PolicyDef::ImplicitMeta("MAJORITY", "Admins")),
    ];
    p.extend(extra.iter().cloned());
    p
}

/// An org's own policies: role-based with NodeOUs, member/admin without.
fn org_policies(org: &OrgPlan, v: FabricVersion) -> Policies {
    let m = |roles: &[Role]| PolicyDef::AnyOf(roles.iter().map(|r| (org.msp_id.clone(), *r)).collect());
    let mut p: Policies = match (org.kind, org.enable_node_ous) {
        (OrgKind::Peer, true) => vec![
            ("Readers", m(&[Role::Admin, Role::Peer, Role::Client])),
            ("Writers", m(&[Role::Admin, Role::Client])),
            ("Admins", m(&[Role::Admin])),
        ],
        _ => vec![("Readers", m(&[Role::Member])), ("Writers", m(&[Role::Member])), ("Admins", m(&[Role::Admin]))],
    };
    if org.kind == OrgKind::Peer && v >= FabricVersion::V2_5 {
        p.push(("Endorsement", m(&[if org.enable_node_ous { Role::Peer } else { Role::Member }])));
    }
    p
}

fn org_def(plan: &Plan, org: &OrgPlan, store_dir: &Path) -> OrgDef {
    let v = plan.network.fabric_version;
    OrgDef {
        name: org.msp_id.clone(),
        msp_id: org.msp_id.clone(),
        msp_dir: store::org_dir(store_dir, org).join("msp"),
        kind: org.kind,
        policies: org_policies(org, v),
        orderer_endpoints: if org.kind == OrgKind::Orderer && v >= FabricVersion::V2_5 {
            org.nodes.iter().filter(|n| n.kind == NodeKind::Orderer).map(|n| n.endpoint.address.clone()).collect()
        } else {
            vec![]
        },
    }
}

fn host_port(address: &str) -> (String, u16) {
    let (h, p) = address.rsplit_once(':').unwrap_or((address, "7050"));
    (h.to_string(), p.parse().unwrap_or(7050))
}

fn orderer_def(plan: &Plan, orderer_orgs: &[&OrgPlan], store_dir: &Path, batch: &crate::plan::orderer::Batch) -> OrdererDef {
    let v = plan.network.fabric_version;
    let consensus = plan.network.consensus;
    let mut consenters = vec![];
    let mut addresses = vec![];
    for o in orderer_orgs {
        for n in o.nodes.iter().filter(|n| n.kind == NodeKind::Orderer) {
            addresses.push(n.endpoint.address.clone());
            let dir = store::nodes_dir(store_dir, o).join(&n.common_name);
            let (host, port) = host_port(&n.endpoint.address);
            consenters.push(Consenter {
                id: consenters.len() as u32 + 1,
                host,
                port,
                msp_id: o.msp_id.clone(),
                identity: dir.join("msp/signcerts").join(format!("{}-cert.pem", n.common_name)),
                client_tls_cert: dir.join("tls/server.crt"),
                server_tls_cert: dir.join("tls/server.crt"),
            });
        }
    }
    if !matches!(consensus, Consensus::EtcdRaft | Consensus::Bft) {
        consenters.clear();
    }
    let (_, orderer_cap, _) = capabilities(v);
    OrdererDef {
        orderer_type: consensus,
        batch: batch.clone(),
        raft: plan.network.orderer.etcdraft.clone().unwrap_or_default(),
        bft: plan.network.orderer.smartbft.clone().unwrap_or_else(crate::plan::orderer::default_smartbft),
        addresses: if v == FabricVersion::V1_4 { addresses } else { vec![] },
        kafka_brokers: match (&plan.kafka, consensus) {
            (Some(k), Consensus::Kafka) => k.brokers.iter().map(|b| b.address.clone()).collect(),
            _ => vec![],
        },
        consenters,
        orgs: orderer_orgs.iter().map(|o| org_def(plan, o, store_dir)).collect(),
        policies: meta_policies(&[("BlockValidation", PolicyDef::ImplicitMeta("ANY", "Writers"))]),
        capabilities: vec![orderer_cap],
    }
}

fn application_def(plan: &Plan, channel: &crate::plan::ChannelPlan, store_dir: &Path) -> ApplicationDef {
    let v = plan.network.fabric_version;
    let orgs = channel
        .orgs
        .iter()
        .filter_map(|name| plan.org(name))
        .map(|o| AppOrg {
            org: org_def(plan, o, store_dir),
            anchor_peers: channel.anchor_peers.iter().filter(|a| a.org == o.name).map(|a| (a.host.clone(), a.port)).collect(),
        })
        .collect();
    let extra: Vec<(&'static str, PolicyDef)> = if v >= FabricVersion::V2_5 {
        vec![
            ("LifecycleEndorsement", PolicyDef::ImplicitMeta("MAJORITY", "Endorsement")),
            ("Endorsement", PolicyDef::ImplicitMeta("MAJORITY", "Endorsement")),
        ]
    } else {
        vec![]
    };
    ApplicationDef { orgs, policies: meta_policies(&extra), capabilities: vec![capabilities(v).2] }
}

/// The 1.4 consortium every application channel belongs to.
pub fn consortium_name(plan: &Plan) -> String {
    format!("{}-consortium", plan.network.name)
}

/// Profile name of a channel in configtx.yaml: the channel name itself (unique, and never
/// `SystemChannel`, which channel names cannot spell).
pub fn profile_name(channel: &str) -> String {
    channel.to_string()
}

/// Every profile of the network: the system channel (1.4), then one per channel.
pub fn profiles(plan: &Plan, store_dir: &Path) -> Vec<Profile> {
    let v = plan.network.fabric_version;
    let channel_cap = capabilities(v).0;
    let mut out = vec![];
    let orderer_orgs: Vec<&OrgPlan> = plan.orgs.iter().filter(|o| o.kind == OrgKind::Orderer).collect();
    if v == FabricVersion::V1_4 {
        let peer_orgs = plan.orgs.iter().filter(|o| o.kind == OrgKind::Peer).map(|o| org_def(plan, o, store_dir)).collect();
        out.push(Profile {
            name: "SystemChannel".into(),
            channel_id: SYSTEM_CHANNEL.into(),
            policies: meta_policies(&[]),
            capabilities: vec![channel_cap],
            orderer: Some(orderer_def(plan, &orderer_orgs, store_dir, &plan.network.orderer.batch)),
            application: None,
            consortiums: vec![(consortium_name(plan), peer_orgs)],
            consortium: None,
        });
    }
    for ch in &plan.channels {
        let app = application_def(plan, ch, store_dir);
        let (orderer, consortium) = if v == FabricVersion::V1_4 {
            (None, Some(consortium_name(plan)))
        } else {
            let orgs: Vec<&OrgPlan> = ch.orderer_orgs.iter().filter_map(|n| plan.org(n)).collect();
            (Some(orderer_def(plan, &orgs, store_dir, &ch.batch)), None)
        };
        out.push(Profile {
            name: profile_name(&ch.name),
            channel_id: ch.name.clone(),
            policies: meta_policies(&[]),
            capabilities: vec![channel_cap],
            orderer,
            application: Some(app),
            consortiums: vec![],
            consortium,
        });
    }
    out
}

// ---- configtx.yaml ------------------------------------------------------------------------

/// `path` as configtx.yaml beside `base` refers to it: relative when below a common root.
fn rel(path: &Path, base: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (p, b) = (abs(path), abs(base));
    let pc: Vec<_> = p.components().collect();
    let bc: Vec<_> = b.components().collect();
    let common = pc.iter().zip(&bc).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return p.display().to_string();
    }
    let mut r = PathBuf::new();
    for _ in common..bc.len() {
        r.push("..");
    }
    for c in &pc[common..] {
        r.push(c);
    }
    r.display().to_string()
}

fn q(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

fn policies_yaml(out: &mut String, indent: &str, p: &Policies) {
    out.push_str(&format!("{indent}Policies:\n"));
    for (name, def) in p {
        out.push_str(&format!("{indent}  {name}:\n{indent}    Type: {}\n{indent}    Rule: {}\n", def.type_name(), q(&def.rule())));
    }
}

fn caps_yaml(out: &mut String, indent: &str, caps: &[&str]) {
    out.push_str(&format!("{indent}Capabilities:\n"));
    for c in caps {
        out.push_str(&format!("{indent}  {c}: true\n"));
    }
}

/// YAML anchor of an org: its MSP ID, any other character spelled as `_xHH` so that two
/// MSP IDs never share an anchor.
fn anchor(org: &OrgDef) -> String {
    org.name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c.to_string() } else { format!("_x{:02X}", c as u32) })
        .collect()
}

/// configtx.yaml for `profiles`, its paths relative to `dir` (where it is written).
pub fn configtx_yaml(plan: &Plan, profiles: &[Profile], store_dir: &Path, dir: &Path) -> String {
    let v = plan.network.fabric_version;
    let mut y = String::new();
    y.push_str(&format!(
        "# configtx.yaml for the Fabric {} network {:?}, generated by fabchart from the topology.\n\
         # fabchart encodes the same channel configuration natively (the .block/.tx files\n\
         # beside this file); to make them with configtxgen instead, from this directory:\n",
        v.as_str(),
        plan.network.name
    ));
    for p in profiles {
        let what = if p.channel_id == SYSTEM_CHANNEL || p.orderer.is_some() {
            format!("-outputBlock {}.block", p.channel_id)
        } else {
            format!("-outputCreateChannelTx {}.tx", p.channel_id)
        };
        y.push_str(&format!("#   configtxgen -configPath . -profile {} -channelID {} {what}\n", p.name, p.channel_id));
    }
    y.push_str("# MSPDir and certificate paths are relative to this file's directory.\n---\n");

    // Organizations: every org of the network, with its own policies.
    let orgs: Vec<OrgDef> = plan.orgs.iter().map(|o| org_def(plan, o, store_dir)).collect();
    y.push_str("Organizations:\n");
    for o in &orgs {
        y.push_str(&format!("  - &{}\n    Name: {}\n    ID: {}\n    MSPDir: {}\n", anchor(o), q(&o.name), q(&o.msp_id), q(&rel(&o.msp_dir, dir))));
        policies_yaml(&mut y, "    ", &o.policies);
        if !o.orderer_endpoints.is_empty() {
            y.push_str("    OrdererEndpoints:\n");
            for e in &o.orderer_endpoints {
                y.push_str(&format!("      - {}\n", q(e)));
            }
        }
    }

    y.push_str(if profiles.is_empty() { "\nProfiles: {}\n" } else { "\nProfiles:\n" });
    for p in profiles {
        y.push_str(&format!("  {}:\n", p.name));
        policies_yaml(&mut y, "    ", &p.policies);
        caps_yaml(&mut y, "    ", &p.capabilities);
        if let Some(c) = &p.consortium {
            y.push_str(&format!("    Consortium: {}\n", q(c)));
        }
        if let Some(o) = &p.orderer {
            y.push_str(&format!("    Orderer:\n      OrdererType: {}\n", o.orderer_type.as_str()));
            if !o.addresses.is_empty() {
                y.push_str("      Addresses:\n");
                for a in &o.addresses {
                    y.push_str(&format!("        - {}\n", q(a)));
                }
            }
            y.push_str(&format!(
                "      BatchTimeout: {}\n      BatchSize:\n        MaxMessageCount: {}\n        AbsoluteMaxBytes: {}\n        PreferredMaxBytes: {}\n      MaxChannels: {MAX_CHANNELS}\n",
                o.batch.timeout, o.batch.max_message_count, o.batch.absolute_max_bytes, o.batch.preferred_max_bytes
            ));
            if !o.kafka_brokers.is_empty() {
                y.push_str("      Kafka:\n        Brokers:\n");
                for b in &o.kafka_brokers {
                    y.push_str(&format!("          - {}\n", q(b)));
                }
            }
            match o.orderer_type {
                Consensus::EtcdRaft => {
                    y.push_str("      EtcdRaft:\n        Consenters:\n");
                    for c in &o.consenters {
                        y.push_str(&format!(
                            "          - Host: {}\n            Port: {}\n            ClientTLSCert: {}\n            ServerTLSCert: {}\n",
                            q(&c.host),
                            c.port,
                            q(&rel(&c.client_tls_cert, dir)),
                            q(&rel(&c.server_tls_cert, dir))
                        ));
                    }
                    let r = &o.raft;
                    y.push_str(&format!(
                        "        Options:\n          TickInterval: {}\n          ElectionTick: {}\n          HeartbeatTick: {}\n          MaxInflightBlocks: {}\n          SnapshotIntervalSize: {}\n",
                        r.tick_interval, r.election_tick, r.heartbeat_tick, r.max_inflight_blocks, r.snapshot_interval_size
                    ));
                }
                Consensus::Bft => {
                    y.push_str("      ConsenterMapping:\n");
                    for c in &o.consenters {
                        y.push_str(&format!(
                            "        - ID: {}\n          Host: {}\n          Port: {}\n          MSPID: {}\n          Identity: {}\n          ClientTLSCert: {}\n          ServerTLSCert: {}\n",
                            c.id,
                            q(&c.host),
                            c.port,
                            q(&c.msp_id),
                            q(&rel(&c.identity, dir)),
                            q(&rel(&c.client_tls_cert, dir)),
                            q(&rel(&c.server_tls_cert, dir))
                        ));
                    }
                    y.push_str("      SmartBFT:\n");
                    for (key, value) in &o.bft {
                        match value {
                            crate::plan::orderer::BftValue::Count(n) => y.push_str(&format!("        {key}: {n}\n")),
                            crate::plan::orderer::BftValue::Duration(d) => y.push_str(&format!("        {key}: {d}\n")),
                        }
                    }
                }
                Consensus::Solo | Consensus::Kafka => {}
            }
            y.push_str("      Organizations:\n");
            for org in &o.orgs {
                y.push_str(&format!("        - *{}\n", anchor(org)));
            }
            policies_yaml(&mut y, "      ", &o.policies);
            caps_yaml(&mut y, "      ", &o.capabilities);
        }
        if let Some(a) = &p.application {
            y.push_str("    Application:\n      Organizations:\n");
            for ao in &a.orgs {
                if ao.anchor_peers.is_empty() {
                    y.push_str(&format!("        - *{}\n", anchor(&ao.org)));
                } else {
                    y.push_str(&format!("        - <<: *{}\n          AnchorPeers:\n", anchor(&ao.org)));
                    for (h, port) in &ao.anchor_peers {
                        y.push_str(&format!("            - Host: {}\n              Port: {port}\n", q(h)));
                    }
                }
            }
            policies_yaml(&mut y, "      ", &a.policies);
            caps_yaml(&mut y, "      ", &a.capabilities);
        }
        if !p.consortiums.is_empty() {
            y.push_str("    Consortiums:\n");
            for (name, members) in &p.consortiums {
                y.push_str(&format!("      {}:\n        Organizations:\n", q(name)));
                for m in members {
                    y.push_str(&format!("          - *{}\n", anchor(m)));
                }
            }
        }
    }
    y
}

