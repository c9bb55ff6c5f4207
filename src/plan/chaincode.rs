//! `Chaincodes`: chaincode run as a service (CCaaS), resolved and checked against the
//! orgs and channels of the plan.
//!
//! Per chaincode and per org running it: a chaincode server (a Deployment and a ClusterIP
//! Service `cc-<name>` in the org's namespace, which the org's peers dial with mutual TLS)
//! and the org's own CCaaS package (its `connection.json` names that Service). Per
//! channel: the orgs that approve the definition (the chaincode's orgs that are members)
//! and the one that commits it (the first of them).
//!
//! Checked here, each at its line: names and versions as Fabric's lifecycle takes them,
//! channels and orgs that exist, orgs that are members of the channels they are listed
//! for, enough approving orgs for the channel's `LifecycleEndorsement` (MAJORITY of the
//! channel's orgs), endorsement and collection policies parsed as Fabric's policy DSL and
//! naming MSP IDs of the channel, ports, replicas, env names, Service names.

use serde::Serialize;

use super::build::endpoint;
use super::policydsl;
use super::*;
use crate::diag::{Diagnostics, Span};
use crate::topology::{ChaincodeSpec, CollectionSpec, Sp, Topology};

/// A chaincode of the network.
#[derive(Debug, Clone, Serialize)]
pub struct ChaincodePlan {
    pub name: String,
    pub version: String,
    /// `<name>_<version>`: the package label, the prefix of every package ID.
    pub label: String,
    pub image: Image,
    /// Canonical policy text (`None`: the channel's `/Channel/Application/Endorsement`).
    #[serde(rename = "endorsementPolicy", skip_serializing_if = "Option::is_none")]
    pub endorsement_policy: Option<String>,
    #[serde(rename = "initRequired")]
    pub init_required: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<CollectionPlan>,
    /// The port the chaincode server listens on (its Service's port).
    pub port: u16,
    pub replicas: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    pub channels: Vec<ChaincodeChannel>,
    /// One per org running it, in plan order.
    pub servers: Vec<ChaincodeServer>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChaincodeChannel {
    pub name: String,
    /// The chaincode's orgs that are members of the channel: each approves the definition.
    pub orgs: Vec<String>,
    /// The org whose Job commits the definition (the first of `orgs`).
    pub committer: String,
}

/// The chaincode server of one org.
#[derive(Debug, Clone, Serialize)]
pub struct ChaincodeServer {
    pub org: String,
    /// CN of the server's TLS certificate (`cc-basic.org1.example.com`).
    #[serde(rename = "commonName")]
    pub common_name: String,
    /// CN of the TLS client certificate the org's peers present to it.
    #[serde(rename = "clientCommonName")]
    pub client_common_name: String,
    /// Its Service (`cc-<name>`), DNS names, SANs and port.
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// The org's package ID, once a build made the package (`fabchart plan --out`).
    #[serde(rename = "packageId", skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
}

/// A private data collection, with Fabric's defaults applied.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CollectionPlan {
    pub name: String,
    pub policy: String,
    #[serde(rename = "requiredPeerCount")]
    pub required_peer_count: u32,
    #[serde(rename = "maxPeerCount")]
    pub max_peer_count: u32,
    #[serde(rename = "blockToLive")]
    pub block_to_live: u64,
    #[serde(rename = "memberOnlyRead")]
    pub member_only_read: bool,
    #[serde(rename = "memberOnlyWrite")]
    pub member_only_write: bool,
    #[serde(rename = "endorsementPolicy", skip_serializing_if = "Option::is_none")]
    pub endorsement_policy: Option<String>,
}

impl ChaincodePlan {
    pub fn server(&self, org: &str) -> Option<&ChaincodeServer> {
        self.servers.iter().find(|s| s.org == org)
    }
}

/// Default port of a chaincode server (fabric-samples' CCaaS examples use 9999).
pub const DEFAULT_PORT: u16 = 9999;
/// Prefix of a chaincode server's Service and Deployment.
pub const SERVICE_PREFIX: &str = "cc-";

/// Fabric's lifecycle rules (core/chaincode/lifecycle): chaincode names, versions, collection
/// names; and the package label rule (core/chaincode/persistence).
fn is_chaincode_name(s: &str) -> bool {
    // ^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$
    !s.is_empty() && s.split(['-', '_']).all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
}
fn is_version(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c))
}
fn is_label(s: &str) -> bool {
    // ^[a-zA-Z0-9]+([.+-_][a-zA-Z0-9]+)*$ (kept to its intent: separators . + - _)
    !s.is_empty() && s.split(['.', '+', '-', '_']).all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
}
fn is_collection_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}
/// Environment variable names Kubernetes accepts (C identifiers, as the shims read them).
fn is_env_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Env the chart sets itself: the user's `Env` may not override these.
pub const RESERVED_ENV: &[&str] = &[
    "CHAINCODE_SERVER_ADDRESS",
    "CHAINCODE_ID",
    "CORE_CHAINCODE_ID_NAME",
    "CORE_CHAINCODE_ADDRESS",
    "CORE_CHAINCODE_ID",
    "CORE_CHAINCODE_TLS_CERT_FILE",
    "CORE_CHAINCODE_TLS_KEY_FILE",
    "CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE",
    "CHAINCODE_TLS_DISABLED",
    "CHAINCODE_TLS_CERT",
    "CHAINCODE_TLS_KEY",
    "CHAINCODE_CLIENT_CA_CERT",
    "CORE_PEER_TLS_ENABLED",
    "CORE_TLS_CLIENT_CERT_FILE",
    "CORE_TLS_CLIENT_KEY_FILE",
    "CORE_PEER_TLS_ROOTCERT_FILE",
];

/// Parses a policy and checks that it names only MSP IDs of `members` (MSP ID → org Name).
fn check_policy(d: &mut Diagnostics, text: &Sp<String>, what: &str, members: &[(String, String)], channel: &str) -> Option<String> {
    match policydsl::parse(&text.v) {
        Err(e) => {
            d.error(Some(text.span), format!("{what} `{}` is not a Fabric signature policy: {e}", text.v))
                .add_help("write Fabric's policy language, e.g. \"OR('Org1MSP.peer','Org2MSP.peer')\" or \"OutOf(2,'Org1MSP.peer','Org2MSP.peer','Org3MSP.peer')\"");
            None
        }
        Ok(p) => {
            for m in p.msp_ids() {
                if !members.iter().any(|(id, _)| *id == m) {
                    let known: Vec<&str> = members.iter().map(|(id, _)| id.as_str()).collect();
                    let diag = d.error(Some(text.span), format!("{what} names MSP ID `{m}`, which is not an org of channel `{channel}`"));
                    match crate::diag::did_you_mean(&m, &known) {
                        Some(s) => diag.add_help(format!("did you mean `{s}`?")),
                        None => diag.add_help(format!("the channel's MSP IDs are: {}", known.join(", "))),
                    };
                    return None;
                }
            }
            Some(p.render())
        }
    }
}

fn count(d: &mut Diagnostics, v: &Option<Sp<i64>>, what: &str, min: i64, max: i64, default: i64) -> i64 {
    match v {
        Some(x) if x.v < min || x.v > max => {
            d.error(Some(x.span), format!("{what} is {}, outside {min}..{max}", x.v)).add_help(format!("the default is {default}"));
            default
        }
        Some(x) => x.v,
        None => default,
    }
}

fn collection(d: &mut Diagnostics, c: &CollectionSpec, cc: &str, members: &[(String, String)], channel: &str) -> Option<CollectionPlan> {
    let name = c.name.as_ref()?;
    if !is_collection_name(&name.v) {
        d.error(Some(name.span), format!("collection name `{}` of chaincode {cc} is not one Fabric accepts", name.v))
            .add_help("use letters, digits and `-` (Fabric's implicit collections start with `_`)");
    }
    let Some(policy) = &c.policy else {
        d.error(Some(c.span), format!("collection `{}` of chaincode {cc} has no `Policy`", name.v))
            .add_help("name the orgs whose peers store the private data, e.g. `Policy: \"OR('Org1MSP.member','Org2MSP.member')\"`");
        return None;
    };
    let what = format!("the policy of collection `{}`", name.v);
    let policy = check_policy(d, policy, &what, members, channel)?;
    let required = count(d, &c.required_peer_count, &format!("RequiredPeerCount of collection `{}`", name.v), 0, i32::MAX as i64, 0) as u32;
    let max = count(d, &c.max_peer_count, &format!("MaxPeerCount of collection `{}`", name.v), 0, i32::MAX as i64, 1) as u32;
    if required > max {
        let at = c.required_peer_count.as_ref().map(|x| x.span).unwrap_or(c.span);
        d.error(Some(at), format!("collection `{}` requires {required} peers but disseminates to at most {max} (MaxPeerCount)", name.v))
            .add_help("Fabric rejects RequiredPeerCount > MaxPeerCount: raise MaxPeerCount or lower RequiredPeerCount");
    }
    let btl = count(d, &c.block_to_live, &format!("BlockToLive of collection `{}`", name.v), 0, i64::MAX, 0) as u64;
    let endorsement_policy = match &c.endorsement_policy {
        Some(p) => Some(check_policy(d, p, &format!("the endorsement policy of collection `{}`", name.v), members, channel)?),
        None => None,
    };
    Some(CollectionPlan {
        name: name.v.clone(),
        policy,
        required_peer_count: required,
        max_peer_count: max,
        block_to_live: btl,
        member_only_read: c.member_only_read.as_ref().is_none_or(|b| b.v),
        member_only_write: c.member_only_write.as_ref().is_none_or(|b| b.v),
        endorsement_policy,
    })
}

/// Resolves and checks `Chaincodes`.
pub fn plan(t: &Topology, net: &NetworkPlan, orgs: &[OrgPlan], channels: &[ChannelPlan], d: &mut Diagnostics) -> Vec<ChaincodePlan> {
    let mut out: Vec<ChaincodePlan> = vec![];
    let mut seen: Vec<(String, String)> = vec![]; // (service, name)
    if !t.chaincodes.is_empty() && net.fabric_version == FabricVersion::V1_4 {
        let at = t.network.fabric_version.as_ref().map(|v| v.span).or(Some(t.chaincodes[0].span));
        d.error(at, "Chaincodes need Fabric 2.x or later: Fabric 1.4 has neither the chaincode lifecycle nor chaincode as a service")
            .add_help("set `Network.FabricVersion: \"2.5\"` (or 3.1), or remove `Chaincodes`");
        return out;
    }
    for cs in &t.chaincodes {
        if cs.incomplete {
            continue;
        }
        if let Some(p) = chaincode(cs, net, orgs, channels, &mut seen, d) {
            out.push(p);
        }
    }
    out
}

fn chaincode(cs: &ChaincodeSpec, net: &NetworkPlan, orgs: &[OrgPlan], channels: &[ChannelPlan], seen: &mut Vec<(String, String)>, d: &mut Diagnostics) -> Option<ChaincodePlan> {
    let name = cs.name.as_ref()?;
    let version = cs.version.as_ref()?;
    let (img_span, img) = cs.image.as_ref()?;
    let before = d.error_count();
    if !is_chaincode_name(&name.v) {
        d.error(Some(name.span), format!("chaincode name `{}` is not one Fabric's lifecycle accepts", name.v))
            .add_help("use letters and digits, joined by single `-` or `_` (^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$), e.g. `basic` or `asset-transfer`");
        return None;
    }
    if name.v.starts_with("_") || ["lscc", "cscc", "qscc", "_lifecycle"].contains(&name.v.as_str()) {
        d.error(Some(name.span), format!("chaincode name `{}` is a Fabric system chaincode's", name.v)).add_help("choose another name");
    }
    let label = format!("{}_{}", name.v, version.v);
    if !is_version(&version.v) {
        d.error(Some(version.span), format!("chaincode version `{}` is not one Fabric's lifecycle accepts", version.v))
            .add_help("use letters, digits, `.`, `_`, `+` and `-`, e.g. \"1.0\"");
    } else if !is_label(&label) {
        d.error(Some(version.span), format!("the package label `{label}` (Name_Version) is not one Fabric accepts"))
            .add_help("a label is letters and digits separated by single `.`, `+`, `-` or `_`: e.g. Version \"1.0\" gives basic_1.0");
    }
    if let Some((_, first)) = seen.iter().find(|(_, n)| n.eq_ignore_ascii_case(&name.v)) {
        let what = if *first == name.v { format!("chaincode `{}` is declared twice", name.v) } else { format!("chaincode `{}` is declared twice (as `{first}` before: names that differ in case share a Service)", name.v) };
        d.error(Some(name.span), what).add_help("a chaincode name is unique on a channel; list all its channels under one entry");
        return None;
    }
    let service = format!("{SERVICE_PREFIX}{}", name.v.to_ascii_lowercase().replace('_', "-"));
    if let Err(e) = names::dns1035_label(&service) {
        d.error(Some(name.span), format!("chaincode `{}` gives Service name `{service}`, which Kubernetes refuses: {e}", name.v))
            .add_help(format!("use a name of at most {} characters", 63 - SERVICE_PREFIX.len()));
    }
    if let Some((_, other)) = seen.iter().find(|(s, _)| *s == service) {
        d.error(Some(name.span), format!("chaincodes `{}` and `{other}` would share the Service `{service}`", name.v))
            .add_help("names that differ only in case or in `-` versus `_` share a Service: rename one");
    }
    seen.push((service.clone(), name.v.clone()));
    let image = match (&img.repository, &img.tag) {
        (Some(r), tag) => {
            if !names::image_repository(&r.v) || r.v.rsplit('/').next().is_some_and(|last| last.contains(':')) {
                d.error(Some(r.span), format!("image repository `{}` of chaincode {} is not an image repository", r.v, name.v))
                    .add_help("write it in lower case without tag or digest, e.g. `Repository: registry.example.com/asset-transfer-basic`, and the tag under `Tag`");
            }
            let tag = match tag {
                Some(t) if names::image_tag(&t.v) => t.v.clone(),
                Some(t) => {
                    d.error(Some(t.span), format!("image tag `{}` of chaincode {} is not an image tag", t.v, name.v))
                        .add_help("a tag is letters, digits, `.`, `_` and `-`, e.g. \"1.0\" (quote it so YAML keeps it a string)");
                    t.v.clone()
                }
                None => {
                    d.error(Some(*img_span), format!("the image of chaincode {} has no `Tag`", name.v))
                        .add_help("pin the chaincode image: `Tag: \"1.0\"` (a moving tag would run different code than the peers approved)");
                    String::new()
                }
            };
            Image { repository: r.v.clone(), tag }
        }
        (None, _) => {
            d.error(Some(*img_span), format!("the image of chaincode {} has no `Repository`", name.v))
                .add_help("`Image: {Repository: registry.example.com/asset-transfer-basic, Tag: \"1.0\"}`");
            return None;
        }
    };
    // Channels and orgs.
    let peer_org = |n: &str| orgs.iter().find(|o| o.name == n && o.kind == OrgKind::Peer);
    let mut chans: Vec<(&ChannelPlan, Span)> = vec![];
    for c in &cs.channels {
        match channels.iter().find(|p| p.name == c.v) {
            Some(p) if chans.iter().any(|(x, _)| x.name == p.name) => {
                d.error(Some(c.span), format!("chaincode {} lists channel `{}` twice", name.v, c.v)).add_help("list each channel once");
            }
            Some(p) => chans.push((p, c.span)),
            None => {
                let known: Vec<&str> = channels.iter().map(|p| p.name.as_str()).collect();
                let diag = d.error(Some(c.span), format!("chaincode {} runs on channel `{}`, which the topology does not have", name.v, c.v));
                match crate::diag::did_you_mean(&c.v, &known) {
                    Some(s) => diag.add_help(format!("did you mean `{s}`?")),
                    None => diag.add_help(format!("the channels are: {}", if known.is_empty() { "none".into() } else { known.join(", ") })),
                };
            }
        }
    }
    if cs.channels.is_empty() {
        d.error(Some(cs.span), format!("chaincode {} lists no channel", name.v)).add_help("`Channels: [mychannel]`");
    }
    let explicit: Option<Vec<&Sp<String>>> = cs.orgs.as_ref().map(|l| l.iter().collect());
    let before_orgs = d.error_count();
    if let Some(list) = &explicit {
        if list.is_empty() {
            d.error(Some(cs.span), format!("chaincode {} has an empty `Orgs` list", name.v)).add_help("remove `Orgs` to run it on every peer org of its channels, or name them");
        }
        for (i, o) in list.iter().enumerate() {
            if list[..i].iter().any(|x| x.v == o.v) {
                d.error(Some(o.span), format!("chaincode {} lists org `{}` twice", name.v, o.v)).add_help("list each org once");
                continue;
            }
            if peer_org(&o.v).is_none() {
                let known: Vec<&str> = orgs.iter().filter(|x| x.kind == OrgKind::Peer).map(|x| x.name.as_str()).collect();
                let what = if orgs.iter().any(|x| x.name == o.v) { "is an orderer org: chaincode runs on peer orgs" } else { "is not in the topology" };
                let diag = d.error(Some(o.span), format!("chaincode {} names org `{}`, which {what}", name.v, o.v));
                match crate::diag::did_you_mean(&o.v, &known) {
                    Some(s) => diag.add_help(format!("did you mean `{s}`?")),
                    None => diag.add_help(format!("the peer orgs are: {}", known.join(", "))),
                };
                continue;
            }
            for (ch, _) in &chans {
                if !ch.orgs.contains(&o.v) {
                    d.error(Some(o.span), format!("chaincode {} runs org `{}` on channel `{}`, but `{}` is not a member of that channel", name.v, o.v, ch.name, o.v))
                        .add_help(format!("add {} to channel {}'s `Orgs`, or remove it from this chaincode's `Orgs`", o.v, ch.name));
                }
            }
        }
    }
    // The orgs running it: the explicit list, else every peer org of its channels (plan order).
    let cc_orgs: Vec<&OrgPlan> = orgs
        .iter()
        .filter(|o| o.kind == OrgKind::Peer)
        .filter(|o| match &explicit {
            Some(list) => list.iter().any(|x| x.v == o.name),
            None => chans.iter().any(|(c, _)| c.orgs.contains(&o.name)),
        })
        .collect();
    let mut cc_channels = vec![];
    for (ch, span) in &chans {
        let approvers: Vec<String> = cc_orgs.iter().filter(|o| ch.orgs.contains(&o.name)).map(|o| o.name.clone()).collect();
        let members = ch.orgs.len();
        let needed = members / 2 + 1;
        // (An org already reported as unknown or not a member would only be counted again.)
        if approvers.len() < needed && !approvers.is_empty() && d.error_count() == before_orgs {
            let at = cs.orgs.as_ref().and_then(|l| l.first().map(|x| x.span)).unwrap_or(*span);
            d.error(Some(at), format!(
                "chaincode {} would be approved by {} of channel `{}`'s {members} orgs, but committing a definition needs a majority ({needed}): the channel's LifecycleEndorsement is MAJORITY Endorsement",
                name.v, approvers.len(), ch.name))
                .add_help("list more of the channel's orgs under the chaincode's `Orgs` (or remove `Orgs` to use them all)");
        }
        if approvers.is_empty() {
            d.error(Some(*span), format!("no org of chaincode {} is a member of channel `{}`", name.v, ch.name)).add_help("add the chaincode's orgs to the channel, or remove the channel from the chaincode");
            continue;
        }
        let no_peer: Vec<&str> = approvers.iter().filter(|a| peer_org(a).is_some_and(|o| o.nodes.iter().all(|n| n.kind != NodeKind::Peer))).map(|s| s.as_str()).collect();
        if !no_peer.is_empty() {
            d.error(Some(*span), format!("chaincode {}: org(s) {} of channel `{}` have no peer to install it on", name.v, no_peer.join(", "), ch.name))
                .add_help("give the org a peer (`Template: {Count: 1}`), or leave it out of the chaincode's `Orgs`");
        }
        cc_channels.push(ChaincodeChannel { name: ch.name.clone(), committer: approvers[0].clone(), orgs: approvers });
    }
    // Policies name MSP IDs of every channel the chaincode runs on.
    let members_of = |ch: &ChannelPlan| -> Vec<(String, String)> { ch.orgs.iter().filter_map(|n| peer_org(n)).map(|o| (o.msp_id.clone(), o.name.clone())).collect() };
    let mut endorsement_policy = None;
    if let Some(p) = &cs.endorsement_policy {
        if p.v.starts_with('/') {
            d.error(Some(p.span), format!("EndorsementPolicy `{}` is a channel policy path; fabchart takes a signature policy here", p.v))
                .add_help("remove the key to use the channel's /Channel/Application/Endorsement policy, or write e.g. \"OR('Org1MSP.peer','Org2MSP.peer')\"");
        } else {
            for (ch, _) in &chans {
                endorsement_policy = check_policy(d, p, &format!("the endorsement policy of chaincode {}", name.v), &members_of(ch), &ch.name);
                if endorsement_policy.is_none() {
                    break;
                }
            }
        }
    }
    let mut collections: Vec<CollectionPlan> = vec![];
    for c in &cs.collections {
        let mut plan = None;
        for (ch, _) in &chans {
            plan = collection(d, c, &name.v, &members_of(ch), &ch.name);
            if plan.is_none() {
                break;
            }
        }
        if let Some(p) = plan {
            if collections.iter().any(|x| x.name == p.name) {
                d.error(c.name.as_ref().map(|n| n.span), format!("chaincode {} declares collection `{}` twice", name.v, p.name)).add_help("collection names are unique per chaincode");
                continue;
            }
            collections.push(p);
        }
    }
    let port = count(d, &cs.port, &format!("Port of chaincode {}", name.v), 1, 65535, DEFAULT_PORT as i64) as u16;
    let replicas = count(d, &cs.replicas, &format!("Replicas of chaincode {}", name.v), 1, 100, 1) as u32;
    let mut env = vec![];
    for (k, v) in &cs.env {
        if !is_env_name(&k.v) {
            d.error(Some(k.span), format!("`{}` is not an environment variable name", k.v)).add_help("use letters, digits and `_`, not starting with a digit");
        } else if RESERVED_ENV.contains(&k.v.as_str()) {
            d.error(Some(k.span), format!("{} is set by the chart for the chaincode server (package ID, address, TLS files)", k.v))
                .add_help("remove it from `Env`: fabchart computes it");
        } else if env.iter().any(|e: &EnvVar| e.name == k.v) {
            d.error(Some(k.span), format!("`{}` is set twice in Env", k.v)).add_help("keep one");
        } else {
            env.push(EnvVar { name: k.v.clone(), value: v.v.clone() });
        }
    }
    // One server per org; its Service must not take a node's name.
    let servers: Vec<ChaincodeServer> = cc_orgs
        .iter()
        .map(|o| {
            let common_name = format!("{service}.{}", o.domain);
            let ep = endpoint(&service, None, &o.namespace, &net.cluster_domain, &[], vec![], vec![Port { name: "chaincode", container: "chaincode", container_port: port, service: true, node_port: None }]);
            if o.nodes.iter().any(|n| n.endpoint.service == service) || o.ca.server.service == service {
                d.error(Some(name.span), format!("chaincode {}'s Service `{service}` would take the name of a node of {}", name.v, o.name)).add_help("rename the chaincode or the node");
            }
            ChaincodeServer { org: o.name.clone(), client_common_name: format!("peer-client.{common_name}"), common_name, endpoint: ep, package_id: None }
        })
        .collect();
    if d.error_count() > before {
        return None;
    }
    Some(ChaincodePlan {
        name: name.v.clone(),
        version: version.v.clone(),
        label,
        image,
        endorsement_policy,
        init_required: cs.init_required.as_ref().is_some_and(|b| b.v),
        collections,
        port,
        replicas,
        env,
        channels: cc_channels,
        servers,
    })
}

/// A collection config as `peer lifecycle chaincode approveformyorg --collections-config`
/// reads it (fabric internal/peer/chaincode: a JSON array, camelCase keys).
pub fn collections_json(c: &[CollectionPlan]) -> String {
    let list: Vec<serde_json::Value> = c
        .iter()
        .map(|c| {
            let mut v = serde_json::json!({
                "name": c.name,
                "policy": c.policy,
                "requiredPeerCount": c.required_peer_count,
                "maxPeerCount": c.max_peer_count,
                "blockToLive": c.block_to_live,
                "memberOnlyRead": c.member_only_read,
                "memberOnlyWrite": c.member_only_write,
            });
            if let Some(p) = &c.endorsement_policy {
                v["endorsementPolicy"] = serde_json::json!({ "signaturePolicy": p });
            }
            v
        })
        .collect();
    serde_json::to_string_pretty(&list).expect("json") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fabric_name_rules() {
        assert!(is_chaincode_name("basic") && is_chaincode_name("asset-transfer_2") && !is_chaincode_name("a--b") && !is_chaincode_name("-a") && !is_chaincode_name("a.b"));
        assert!(is_version("1.0") && is_version("2.0.0+build-1") && !is_version("1 0") && !is_version(""));
        assert!(is_label("basic_1.0") && !is_label("basic_1..0") && !is_label("basic_"));
        assert!(is_collection_name("private-1") && !is_collection_name("_implicit"));
        assert!(is_env_name("LOG_LEVEL") && !is_env_name("1A") && !is_env_name("A-B"));
    }
}
