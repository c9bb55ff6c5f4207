//! From the configuration a running channel has (as fabchart recorded it) to the one the
//! topology now describes, in steps Fabric accepts, each one config update:
//!
//! 1. consenters leaving, one per update (applied before the upgrade removes their pods);
//! 2. orderer orgs joining the channel (before their orderers become consenters);
//! 3. application (or 1.4 consortium) orgs added, changed or removed, one org per update;
//! 4. existing orderer orgs' MSPs and policies;
//! 5. batch settings; consensus options;
//! 6. consenter certificate rotations, one per update (etcdraft counts a new client TLS
//!    certificate as a membership change; BFT rewrites the mapping and BlockValidation);
//! 7. consenters joining, one per update, each with its org's `Endpoints` entry;
//! 8. consenter addresses and orderer endpoints (no membership change);
//! 9. orderer orgs leaving;
//! 10. other policies and values;
//! 11. channel capabilities (and, for V3_0, the removal of global `OrdererAddresses`),
//!     last: every earlier step runs under the old capabilities.
//!
//! Changes Fabric would refuse (a consensus type change, removing every consenter,
//! lowering capabilities, V3_0 without per-org endpoints) are refused here, up front.

use std::collections::BTreeMap;

use prost::Message;

use super::encode::bft_block_validation;
use super::proto::{self as pb, bytes};
use super::update::same_content;

/// What a step changes, in the words `diff`, CHANGELOG and the build report share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    OrgAdded(String),
    OrgRemoved(String),
    /// An org's values or policies: which parts ("anchor peers", "MSP", "policies").
    OrgChanged(String, Vec<&'static str>),
    ConsortiumOrgAdded(String, String),
    ConsortiumOrgRemoved(String, String),
    OrdererOrgAdded(String),
    OrdererOrgRemoved(String),
    OrdererOrgChanged(String, Vec<&'static str>),
    Batch,
    ConsensusOptions,
    ConsenterAdded(String),
    ConsenterRemoved(String),
    ConsenterCerts(String),
    ConsenterAddresses,
    Capabilities(String, String),
    Other(Vec<String>),
}

impl Change {
    /// A removal is a breaking change for a running network; everything else is minor.
    pub fn removal(&self) -> bool {
        matches!(self, Change::OrgRemoved(_) | Change::ConsortiumOrgRemoved(..) | Change::OrdererOrgRemoved(_) | Change::ConsenterRemoved(_))
    }

    /// One line, prefixed by the caller with `channel <name>: `.
    pub fn describe(&self) -> String {
        match self {
            Change::OrgAdded(o) => format!("org {o} added"),
            Change::OrgRemoved(o) => format!("org {o} removed"),
            Change::OrgChanged(o, parts) => format!("{} of org {o} changed", join_words(parts)),
            Change::ConsortiumOrgAdded(c, o) => format!("org {o} added to consortium {c}"),
            Change::ConsortiumOrgRemoved(c, o) => format!("org {o} removed from consortium {c}"),
            Change::OrdererOrgAdded(o) => format!("orderer org {o} added"),
            Change::OrdererOrgRemoved(o) => format!("orderer org {o} removed"),
            Change::OrdererOrgChanged(o, parts) => format!("{} of orderer org {o} changed", join_words(parts)),
            Change::Batch => "batch settings changed".into(),
            Change::ConsensusOptions => "consensus options changed".into(),
            Change::ConsenterAdded(a) => format!("orderer {a} added to the consenters"),
            Change::ConsenterRemoved(a) => format!("orderer {a} removed from the consenters"),
            Change::ConsenterCerts(a) => format!("certificates of consenter {a} re-issued"),
            Change::ConsenterAddresses => "consenter addresses or orderer endpoints changed".into(),
            Change::Capabilities(from, to) => format!("capabilities raised from {from} to {to}"),
            Change::Other(keys) => format!("{} changed", keys.join(", ")),
        }
    }

    /// A short file-name slug (`add-org4msp`).
    pub fn slug(&self) -> String {
        let s = match self {
            Change::OrgAdded(o) | Change::ConsortiumOrgAdded(_, o) => format!("add-{o}"),
            Change::OrgRemoved(o) | Change::ConsortiumOrgRemoved(_, o) => format!("remove-{o}"),
            Change::OrgChanged(o, parts) if parts == &["anchor peers"] => format!("anchors-{o}"),
            Change::OrgChanged(o, parts) if parts == &["MSP"] => format!("msp-{o}"),
            Change::OrgChanged(o, _) => format!("update-{o}"),
            Change::OrdererOrgAdded(o) => format!("add-orderer-org-{o}"),
            Change::OrdererOrgRemoved(o) => format!("remove-orderer-org-{o}"),
            Change::OrdererOrgChanged(o, _) => format!("update-orderer-org-{o}"),
            Change::Batch => "batch".into(),
            Change::ConsensusOptions => "consensus-options".into(),
            Change::ConsenterAdded(a) => format!("add-consenter-{}", host_of(a)),
            Change::ConsenterRemoved(a) => format!("remove-consenter-{}", host_of(a)),
            Change::ConsenterCerts(a) => format!("rotate-consenter-{}", host_of(a)),
            Change::ConsenterAddresses => "consenter-addresses".into(),
            Change::Capabilities(_, to) => format!("capabilities-{to}"),
            Change::Other(_) => "other".into(),
        };
        let mut out = String::new();
        for c in s.to_ascii_lowercase().chars() {
            let c = if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' };
            if !(c == '-' && out.ends_with('-')) {
                out.push(c);
            }
        }
        out.trim_matches('-').chars().take(60).collect()
    }
}

fn host_of(addr: &str) -> &str {
    addr.split(['.', ':']).next().unwrap_or(addr)
}

fn join_words(parts: &[&str]) -> String {
    match parts {
        [] => "settings".into(),
        [a] => a.to_string(),
        _ => format!("{} and {}", parts[..parts.len() - 1].join(", "), parts[parts.len() - 1]),
    }
}

/// One config update to make.
#[derive(Debug, Clone)]
pub struct Step {
    pub change: Change,
    /// Applied by the pre-upgrade Job, while the leaving orderer still runs.
    pub pre: bool,
    /// The channel group (content) after this step.
    pub target: pb::ConfigGroup,
}

/// Where a refused change comes from in the topology, for a located error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Consensus,
    FabricVersion,
    /// The channel's `OrdererOrgs`.
    OrdererOrgs,
    /// The channel entry.
    Channel,
}

#[derive(Debug, Clone)]
pub struct Refusal {
    pub subject: Subject,
    pub message: String,
    pub help: String,
}

fn refuse(subject: Subject, message: String, help: impl Into<String>) -> Refusal {
    Refusal { subject, message, help: help.into() }
}

// ---- reading the parts of a channel group ------------------------------------------------

fn sub<'a>(g: &'a pb::ConfigGroup, name: &str) -> Option<&'a pb::ConfigGroup> {
    g.groups.get(name)
}

fn sub_mut<'a>(g: &'a mut pb::ConfigGroup, name: &str) -> &'a mut pb::ConfigGroup {
    g.groups.entry(name.to_string()).or_default()
}

fn consensus_type(g: &pb::ConfigGroup) -> Option<pb::ConsensusType> {
    let v = sub(g, "Orderer")?.values.get("ConsensusType")?;
    pb::ConsensusType::decode(v.value.as_slice()).ok()
}

/// Capability names of a `Capabilities` value.
pub fn capability_names(v: Option<&pb::ConfigValue>) -> Vec<String> {
    v.and_then(|v| pb::Capabilities::decode(v.value.as_slice()).ok()).map(|c| c.capabilities.keys().cloned().collect()).unwrap_or_default()
}

fn endpoints(org: &pb::ConfigGroup) -> Vec<String> {
    org.values.get("Endpoints").and_then(|v| pb::OrdererAddresses::decode(v.value.as_slice()).ok()).map(|a| a.addresses).unwrap_or_default()
}

fn set_endpoints(org: &mut pb::ConfigGroup, list: Vec<String>, mod_policy: &str) {
    let e = org.values.entry("Endpoints".into()).or_insert_with(|| pb::ConfigValue { version: 0, value: vec![], mod_policy: mod_policy.into() });
    e.value = bytes(&pb::OrdererAddresses { addresses: list });
}

/// A consenter, whatever the consensus: etcdraft's (host, port, TLS certs) or BFT's
/// mapping entry (with id, MSP and identity).
#[derive(Debug, Clone, PartialEq)]
enum Cons {
    Raft(pb::RaftConsenter),
    Bft(pb::Consenter),
}

impl Cons {
    fn address(&self) -> String {
        match self {
            Cons::Raft(c) => format!("{}:{}", c.host, c.port),
            Cons::Bft(c) => format!("{}:{}", c.host, c.port),
        }
    }
    /// What membership is keyed by: etcdraft the client TLS certificate; BFT the id.
    fn member_key(&self) -> Vec<u8> {
        match self {
            Cons::Raft(c) => c.client_tls_cert.clone(),
            Cons::Bft(c) => c.id.to_be_bytes().to_vec(),
        }
    }
    /// Whether `other` is this consenter with new certificates (a rotation).
    fn certs_differ(&self, other: &Cons) -> bool {
        match (self, other) {
            (Cons::Raft(a), Cons::Raft(b)) => a.client_tls_cert != b.client_tls_cert,
            (Cons::Bft(a), Cons::Bft(b)) => a.identity != b.identity || a.client_tls_cert != b.client_tls_cert || a.server_tls_cert != b.server_tls_cert,
            _ => true,
        }
    }
    fn tls_cert(&self) -> &[u8] {
        match self {
            Cons::Raft(c) => &c.client_tls_cert,
            Cons::Bft(c) => &c.client_tls_cert,
        }
    }
}

fn consenters(g: &pb::ConfigGroup) -> Vec<Cons> {
    let Some(ct) = consensus_type(g) else { return vec![] };
    match ct.r#type.as_str() {
        "etcdraft" => pb::RaftConfigMetadata::decode(ct.metadata.as_slice()).map(|m| m.consenters.into_iter().map(Cons::Raft).collect()).unwrap_or_default(),
        "BFT" => sub(g, "Orderer")
            .and_then(|o| o.values.get("Orderers"))
            .and_then(|v| pb::Orderers::decode(v.value.as_slice()).ok())
            .map(|o| o.consenter_mapping.into_iter().map(Cons::Bft).collect())
            .unwrap_or_default(),
        _ => vec![],
    }
}

/// `g` with its consenter set replaced by `list` (etcdraft options and BFT settings kept).
fn with_consenters(g: &pb::ConfigGroup, list: &[Cons]) -> pb::ConfigGroup {
    let mut n = g.clone();
    let Some(mut ct) = consensus_type(g) else { return n };
    let orderer = sub_mut(&mut n, "Orderer");
    match ct.r#type.as_str() {
        "etcdraft" => {
            let mut m = pb::RaftConfigMetadata::decode(ct.metadata.as_slice()).unwrap_or_default();
            m.consenters = list.iter().filter_map(|c| if let Cons::Raft(r) = c { Some(r.clone()) } else { None }).collect();
            ct.metadata = bytes(&m);
            if let Some(v) = orderer.values.get_mut("ConsensusType") {
                v.value = bytes(&ct);
            }
        }
        "BFT" => {
            let mapping: Vec<pb::Consenter> = list.iter().filter_map(|c| if let Cons::Bft(b) = c { Some(b.clone()) } else { None }).collect();
            if let Some(bv) = orderer.policies.get_mut("BlockValidation") {
                bv.policy = Some(bft_block_validation(&mapping));
            }
            if let Some(v) = orderer.values.get_mut("Orderers") {
                v.value = bytes(&pb::Orderers { consenter_mapping: mapping });
            }
        }
        _ => {}
    }
    n
}

/// The orderer org whose `Endpoints` list `addr` (BFT entries name their MSP).
fn owner(g: &pb::ConfigGroup, c: &Cons) -> Option<String> {
    let orderer = sub(g, "Orderer")?;
    if let Cons::Bft(b) = c
        && orderer.groups.contains_key(&b.msp_id)
    {
        return Some(b.msp_id.clone());
    }
    let addr = c.address();
    orderer.groups.iter().find(|(_, o)| endpoints(o).contains(&addr)).map(|(k, _)| k.clone())
}

/// The values and policies of two groups that differ, by name.
fn differing(a: &pb::ConfigGroup, b: &pb::ConfigGroup) -> (Vec<String>, Vec<String>) {
    let mut values: Vec<String> = a.values.keys().chain(b.values.keys()).filter(|k| a.values.get(*k).map(|v| (&v.value, &v.mod_policy)) != b.values.get(*k).map(|v| (&v.value, &v.mod_policy))).cloned().collect();
    values.dedup();
    let mut policies: Vec<String> = a.policies.keys().chain(b.policies.keys()).filter(|k| a.policies.get(*k).map(|p| (&p.policy, &p.mod_policy)) != b.policies.get(*k).map(|p| (&p.policy, &p.mod_policy))).cloned().collect();
    policies.sort();
    policies.dedup();
    values.sort();
    values.dedup();
    (values, policies)
}

fn org_parts(a: &pb::ConfigGroup, b: &pb::ConfigGroup) -> Vec<&'static str> {
    let (values, policies) = differing(a, b);
    let mut parts = vec![];
    for (key, word) in [("MSP", "MSP"), ("AnchorPeers", "anchor peers"), ("Endpoints", "endpoints")] {
        if values.iter().any(|v| v == key) {
            parts.push(word);
        }
    }
    if values.iter().any(|v| !["MSP", "AnchorPeers", "Endpoints"].contains(&v.as_str())) {
        parts.push("values");
    }
    if !policies.is_empty() || a.mod_policy != b.mod_policy || a.groups != b.groups {
        parts.push("policies");
    }
    parts
}

/// Carries elements fabchart does not model (an Application `ACLs` value a configtxgen
/// channel may have) from the current configuration into the target, so that adopting a
/// channel never drops them.
pub fn carry_unmodelled(current: &pb::ConfigGroup, target: &mut pb::ConfigGroup) {
    if let (Some(cur), Some(t)) = (sub(current, "Application"), target.groups.get_mut("Application"))
        && let Some(acls) = cur.values.get("ACLs")
    {
        t.values.entry("ACLs".into()).or_insert_with(|| acls.clone());
    }
}

// ---- the steps ---------------------------------------------------------------------------

struct Planner {
    cur: pb::ConfigGroup,
    steps: Vec<Step>,
}

impl Planner {
    fn step(&mut self, next: pb::ConfigGroup, change: Change, pre: bool) {
        if !same_content(&self.cur, &next) {
            self.steps.push(Step { change, pre, target: next.clone() });
            self.cur = next;
        }
    }
}

/// The steps from `current` to `target` (both channel groups; versions are ignored).
pub fn steps(current: &pb::ConfigGroup, target: &pb::ConfigGroup) -> Result<Vec<Step>, Refusal> {
    let t = target;
    let mut p = Planner { cur: current.clone(), steps: vec![] };

    // Fabric's hard rules first.
    let (ct_cur, ct_new) = (consensus_type(current), consensus_type(t));
    if let (Some(a), Some(b)) = (&ct_cur, &ct_new)
        && a.r#type != b.r#type
    {
        return Err(refuse(
            Subject::Consensus,
            format!("the channel runs {} consensus; changing it to {} is a consensus-type migration, which a config update cannot do", a.r#type, b.r#type),
            "Fabric migrates consensus only through maintenance mode (Kafka/Solo to Raft on 2.x, Raft to BFT on 3.x), with node restarts between steps; keep the consensus the channel has, or migrate by hand and then `fabchart channel import` the result",
        ));
    }
    let (cons_cur, cons_new) = (consenters(current), consenters(t));
    if !cons_cur.is_empty() && cons_new.is_empty() {
        return Err(refuse(Subject::OrdererOrgs, "this would remove the channel's last orderer: a channel needs at least one consenter".into(), "keep at least one orderer in the channel's orderer orgs"));
    }
    let (caps_cur, caps_new) = (capability_names(current.values.get("Capabilities")), capability_names(t.values.get("Capabilities")));
    if let (Some(a), Some(b)) = (caps_cur.iter().max(), caps_new.iter().max())
        && cap_rank(b) < cap_rank(a)
    {
        return Err(refuse(
            Subject::FabricVersion,
            format!("the channel's capability is {a}; this FabricVersion would lower it to {b}"),
            "capabilities only go up: nodes of a lower Fabric version cannot process a channel that used newer features; keep the FabricVersion the network has",
        ));
    }

    // 1. Consenters leaving (pre-upgrade).
    let pairs = pair_consenters(&cons_cur, &cons_new);
    for (i, c) in cons_cur.iter().enumerate() {
        if pairs.iter().any(|(a, _)| *a == i) {
            continue;
        }
        let list: Vec<Cons> = consenters(&p.cur).into_iter().filter(|x| x.member_key() != c.member_key()).collect();
        let mut next = with_consenters(&p.cur, &list);
        if let Some(org) = owner(&p.cur, c) {
            let o = sub_mut(sub_mut(&mut next, "Orderer"), &org);
            let left: Vec<String> = endpoints(o).into_iter().filter(|e| *e != c.address()).collect();
            let keep_for_v3 = left.is_empty();
            if !keep_for_v3 && !endpoints_of(t, &org).contains(&c.address()) {
                let mp = o.values.get("Endpoints").map(|v| v.mod_policy.clone()).unwrap_or_else(|| "Admins".into());
                set_endpoints(o, left, &mp);
            }
        }
        p.step(next, Change::ConsenterRemoved(c.address()), true);
    }

    // 2. Orderer orgs joining.
    if let (Some(_), Some(to)) = (sub(&p.cur, "Orderer"), sub(t, "Orderer")) {
        for (k, g) in &to.groups {
            if !sub(&p.cur, "Orderer").is_some_and(|o| o.groups.contains_key(k)) {
                let mut next = p.cur.clone();
                sub_mut(&mut next, "Orderer").groups.insert(k.clone(), g.clone());
                p.step(next, Change::OrdererOrgAdded(k.clone()), false);
            }
        }
    }

    // 3. Application orgs (and 1.4 consortium orgs), one org per update.
    org_steps(&mut p, t, &["Application"], |k| Change::OrgAdded(k.into()), |k| Change::OrgRemoved(k.into()), |k, parts| Change::OrgChanged(k.into(), parts));
    if let Some(cs) = sub(t, "Consortiums") {
        for c in cs.groups.keys() {
            let c2 = c.clone();
            let c3 = c.clone();
            let c4 = c.clone();
            org_steps(
                &mut p,
                t,
                &["Consortiums", c],
                move |k| Change::ConsortiumOrgAdded(c2.clone(), k.into()),
                move |k| Change::ConsortiumOrgRemoved(c3.clone(), k.into()),
                move |k, parts| Change::OrgChanged(format!("{k} (consortium {c4})"), parts),
            );
        }
    }

    // 4. Existing orderer orgs: everything but Endpoints.
    if let Some(to) = sub(t, "Orderer") {
        for (k, g) in &to.groups {
            let Some(cur) = sub(&p.cur, "Orderer").and_then(|o| o.groups.get(k)).cloned() else { continue };
            let mut want = g.clone();
            match cur.values.get("Endpoints") {
                Some(e) => {
                    want.values.insert("Endpoints".into(), e.clone());
                }
                None => {
                    want.values.remove("Endpoints");
                }
            }
            if !same_content(&cur, &want) {
                let parts = org_parts(&cur, &want);
                let mut next = p.cur.clone();
                sub_mut(&mut next, "Orderer").groups.insert(k.clone(), want);
                p.step(next, Change::OrdererOrgChanged(k.clone(), parts), false);
            }
        }
    }

    // 5. Batch settings, then consensus options.
    if let (Some(_), Some(to)) = (sub(&p.cur, "Orderer"), sub(t, "Orderer")) {
        let mut next = p.cur.clone();
        for key in ["BatchSize", "BatchTimeout", "ChannelRestrictions", "KafkaBrokers"] {
            let o = sub_mut(&mut next, "Orderer");
            match to.values.get(key) {
                Some(v) => {
                    o.values.insert(key.into(), v.clone());
                }
                None => {
                    o.values.remove(key);
                }
            }
        }
        p.step(next, Change::Batch, false);
        if let (Some(mut cur_ct), Some(new_ct)) = (consensus_type(&p.cur), ct_new.clone()) {
            let options_changed = match cur_ct.r#type.as_str() {
                "etcdraft" => {
                    let mut m = pb::RaftConfigMetadata::decode(cur_ct.metadata.as_slice()).unwrap_or_default();
                    let n = pb::RaftConfigMetadata::decode(new_ct.metadata.as_slice()).unwrap_or_default();
                    let changed = m.options != n.options;
                    m.options = n.options;
                    cur_ct.metadata = bytes(&m);
                    changed
                }
                _ => {
                    let changed = cur_ct.metadata != new_ct.metadata;
                    cur_ct.metadata = new_ct.metadata.clone();
                    changed
                }
            };
            if options_changed {
                let mut next = p.cur.clone();
                if let Some(v) = sub_mut(&mut next, "Orderer").values.get_mut("ConsensusType") {
                    v.value = bytes(&cur_ct);
                }
                p.step(next, Change::ConsensusOptions, false);
            }
        }
    }

    // 6. Certificate rotations, one per update.
    for (ci, ni) in &pairs {
        let (c, n) = (&cons_cur[*ci], &cons_new[*ni]);
        if !c.certs_differ(n) {
            continue;
        }
        let list: Vec<Cons> = consenters(&p.cur).into_iter().map(|x| if x.member_key() == c.member_key() { n.clone() } else { x }).collect();
        let next = with_consenters(&p.cur, &list);
        p.step(next, Change::ConsenterCerts(n.address()), false);
    }

    // 7. Consenters joining, one per update, with their org's endpoint.
    for (i, n) in cons_new.iter().enumerate() {
        if pairs.iter().any(|(_, b)| *b == i) {
            continue;
        }
        let mut list = consenters(&p.cur);
        list.push(n.clone());
        let mut next = with_consenters(&p.cur, &list);
        if let Some(org) = owner(t, n)
            && sub(&next, "Orderer").is_some_and(|o| o.groups.contains_key(&org))
        {
            let want = endpoints_of(t, &org);
            let o = sub_mut(sub_mut(&mut next, "Orderer"), &org);
            let have = endpoints(o);
            if !have.contains(&n.address()) && want.contains(&n.address()) {
                let list: Vec<String> = want.into_iter().filter(|e| have.contains(e) || *e == n.address()).collect();
                let mp = o.values.get("Endpoints").map(|v| v.mod_policy.clone()).unwrap_or_else(|| "Admins".into());
                set_endpoints(o, list, &mp);
            }
        }
        p.step(next, Change::ConsenterAdded(n.address()), false);
    }

    // 8. Consenters and endpoints exactly as the topology has them (no membership change).
    if sub(t, "Orderer").is_some() {
        let mut next = with_consenters(&p.cur, &cons_new);
        if let Some(to) = sub(t, "Orderer") {
            for (k, g) in &to.groups {
                if let Some(o) = next.groups.get_mut("Orderer").and_then(|o| o.groups.get_mut(k)) {
                    match g.values.get("Endpoints") {
                        Some(e) => {
                            o.values.insert("Endpoints".into(), e.clone());
                        }
                        None => {
                            o.values.remove("Endpoints");
                        }
                    }
                }
            }
        }
        p.step(next, Change::ConsenterAddresses, false);
    }

    // 9. Orderer orgs leaving.
    if let Some(cur_o) = sub(&p.cur, "Orderer").cloned() {
        for k in cur_o.groups.keys() {
            if !sub(t, "Orderer").is_some_and(|o| o.groups.contains_key(k)) {
                let mut next = p.cur.clone();
                sub_mut(&mut next, "Orderer").groups.remove(k);
                p.step(next, Change::OrdererOrgRemoved(k.clone()), false);
            }
        }
    }

    // 10. Anything else but the channel's capabilities and global orderer addresses.
    let mut next = t.clone();
    for key in ["Capabilities", "OrdererAddresses"] {
        match p.cur.values.get(key) {
            Some(v) => {
                next.values.insert(key.into(), v.clone());
            }
            None => {
                next.values.remove(key);
            }
        }
    }
    if !same_content(&p.cur, &next) {
        let keys = changed_keys(&p.cur, &next);
        p.step(next, Change::Other(keys), false);
    }

    // 11. Capabilities last.
    if !same_content(&p.cur, t) {
        let (from, to) = (caps_cur.join(","), caps_new.join(","));
        if caps_new.iter().any(|c| c == "V3_0") {
            if t.values.contains_key("OrdererAddresses") {
                return Err(refuse(Subject::FabricVersion, "channel capability V3_0 forbids the global OrdererAddresses value".into(), "on Fabric 3.x every orderer org lists its own endpoints"));
            }
            if let Some(o) = sub(t, "Orderer")
                && let Some((k, _)) = o.groups.iter().find(|(_, g)| endpoints(g).is_empty())
            {
                return Err(refuse(Subject::FabricVersion, format!("channel capability V3_0 needs endpoints for every orderer org, and {k} has none"), "give the org at least one orderer in this channel"));
            }
        }
        p.step(t.clone(), if from == to { Change::Other(changed_keys(&p.cur, t)) } else { Change::Capabilities(from, to) }, false);
    }
    debug_assert!(same_content(&p.cur, t));
    Ok(p.steps)
}

/// Capability names sort by version (`V1_4_3` < `V2_0` < `V3_0`).
fn cap_rank(c: &str) -> Vec<u32> {
    c.trim_start_matches('V').split('_').filter_map(|x| x.parse().ok()).collect()
}

fn endpoints_of(g: &pb::ConfigGroup, org: &str) -> Vec<String> {
    sub(g, "Orderer").and_then(|o| o.groups.get(org)).map(endpoints).unwrap_or_default()
}

/// Which element paths differ between two groups (for an "other changes" summary).
fn changed_keys(a: &pb::ConfigGroup, b: &pb::ConfigGroup) -> Vec<String> {
    let (Ok(ma), Ok(mb)) = (super::update::map_config(a), super::update::map_config(b)) else { return vec!["configuration".into()] };
    let mut out: Vec<String> = vec![];
    for (k, e) in ma.iter().chain(mb.iter()) {
        let other = if ma.get(k) == Some(e) { mb.get(k) } else { ma.get(k) };
        let same = match (e, other) {
            (super::update::Elem::Group { .. }, _) => true,
            (x, Some(y)) => x.mod_policy() == y.mod_policy() && match (x, y) {
                (super::update::Elem::Value(p), super::update::Elem::Value(q)) => p.value == q.value,
                (super::update::Elem::Policy(p), super::update::Elem::Policy(q)) => p.policy == q.policy,
                _ => false,
            },
            (_, None) => false,
        };
        let name = k.path.trim_start_matches("/Channel/").trim_start_matches("/Channel").to_string();
        if !same && !out.contains(&name) {
            out.push(name);
        }
    }
    out.sort();
    if out.is_empty() {
        out.push("group policies".into());
    }
    out
}

/// Orgs under `path` (e.g. Application): added, changed and removed, one update each.
fn org_steps(
    p: &mut Planner,
    t: &pb::ConfigGroup,
    path: &[&str],
    added: impl Fn(&str) -> Change,
    removed: impl Fn(&str) -> Change,
    changed: impl Fn(&str, Vec<&'static str>) -> Change,
) {
    let at = |g: &pb::ConfigGroup| -> Option<pb::ConfigGroup> {
        let mut cur = g;
        for s in path {
            cur = cur.groups.get(*s)?;
        }
        Some(cur.clone())
    };
    let (Some(cur_section), Some(to)) = (at(&p.cur), at(t)) else { return };
    let set = |g: &mut pb::ConfigGroup, org: &str, v: Option<pb::ConfigGroup>| {
        let mut cur = g;
        for s in path {
            cur = cur.groups.entry(s.to_string()).or_default();
        }
        match v {
            Some(v) => {
                cur.groups.insert(org.to_string(), v);
            }
            None => {
                cur.groups.remove(org);
            }
        }
    };
    for (k, g) in &to.groups {
        match cur_section.groups.get(k) {
            None => {
                let mut next = p.cur.clone();
                set(&mut next, k, Some(g.clone()));
                p.step(next, added(k), false);
            }
            Some(c) if !same_content(c, g) => {
                let parts = org_parts(c, g);
                let mut next = p.cur.clone();
                set(&mut next, k, Some(g.clone()));
                p.step(next, changed(k, parts), false);
            }
            _ => {}
        }
    }
    for k in cur_section.groups.keys() {
        if !to.groups.contains_key(k) {
            let mut next = p.cur.clone();
            set(&mut next, k, None);
            p.step(next, removed(k), false);
        }
    }
}

/// Pairs each current consenter with its counterpart in the target: the same membership
/// key (etcdraft client certificate, BFT id), else the same address, else the same TLS
/// public key. Unpaired ones leave or join.
fn pair_consenters(cur: &[Cons], new: &[Cons]) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(usize, usize)> = vec![];
    let free = |pairs: &Vec<(usize, usize)>, i: usize, j: usize| !pairs.iter().any(|(a, b)| *a == i || *b == j);
    let rules: [&dyn Fn(&Cons, &Cons) -> bool; 3] = [
        &|a, b| a.member_key() == b.member_key(),
        &|a, b| a.address() == b.address(),
        &|a, b| public_key(a.tls_cert()).is_some() && public_key(a.tls_cert()) == public_key(b.tls_cert()),
    ];
    for rule in rules {
        for (i, a) in cur.iter().enumerate() {
            for (j, b) in new.iter().enumerate() {
                if free(&pairs, i, j) && rule(a, b) {
                    pairs.push((i, j));
                }
            }
        }
    }
    pairs.sort();
    pairs
}

fn public_key(pem: &[u8]) -> Option<Vec<u8>> {
    let der = super::policy::pem_certs(pem).into_iter().next()?;
    let (_, c) = x509_parser::parse_x509_certificate(&der).ok()?;
    Some(c.public_key().subject_public_key.data.to_vec())
}

/// For BFT: the consenter ids the target should carry, so that ids stay stable: an
/// orderer keeps the id it has (matched by address), a new one gets one above every id
/// the channel ever used.
pub fn bft_ids(current: &pb::ConfigGroup, addresses: &[String], highest_used: u32) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    let mut next = highest_used;
    let cur: Vec<Cons> = consenters(current);
    for c in &cur {
        next = next.max(if let Cons::Bft(b) = c { b.id } else { 0 });
    }
    for a in addresses {
        if let Some(Cons::Bft(b)) = cur.iter().find(|c| c.address() == *a) {
            out.insert(a.clone(), b.id);
        } else {
            next += 1;
            out.insert(a.clone(), next);
        }
    }
    out
}

/// The highest BFT consenter id in a configuration (0 when none).
pub fn highest_bft_id(g: &pb::ConfigGroup) -> u32 {
    consenters(g).iter().map(|c| if let Cons::Bft(b) = c { b.id } else { 0 }).max().unwrap_or(0)
}

/// The addresses (host:port) of a configuration's consenters.
pub fn consenter_addresses(g: &pb::ConfigGroup) -> Vec<String> {
    consenters(g).iter().map(Cons::address).collect()
}

/// etcdraft's rule, checked on every step as a safety net: at most one consenter added,
/// removed or rotated (membership keyed by client TLS certificate).
pub fn raft_membership_changes(a: &pb::ConfigGroup, b: &pb::ConfigGroup) -> usize {
    let (ca, cb) = (consenters(a), consenters(b));
    if !ca.iter().chain(&cb).all(|c| matches!(c, Cons::Raft(_))) {
        return 0;
    }
    let added = cb.iter().filter(|x| !ca.iter().any(|y| y.member_key() == x.member_key())).count();
    let removed = ca.iter().filter(|x| !cb.iter().any(|y| y.member_key() == x.member_key())).count();
    match (added, removed) {
        (1, 1) => 1,
        (a, r) => a + r,
    }
}
