//! NodePorts by the talk's formula.
//!
//! Peer org N (1-based position in PeerOrgs, or its `NodePortSlot`):
//! CA 7054 → `Base + (N-1)·OrgStride`; peer M 7051 → `… + 2M+1`, 7052 → `… + 2M+2`.
//! Orderer k (1-based over orderer orgs in file order, nodes in cryptogen order, or pinned):
//! 7050 → `OrdererBase + k`. Orderer-org CAs are not exposed (the talk exposed only the
//! peer orgs' CAs); their Services stay ClusterIP.
//!
//! Stability: a peer's M is its template index (or the `N` of a Specs `peer<N>`, or pinned),
//! an org's N its position or pin; appending orgs or peers never moves an existing port.

use std::collections::HashMap;

use super::build::OrgSrc;
use super::defaults as def;
use super::*;
use crate::diag::{Diagnostics, Span};
use crate::topology::NodePortsSpec;

/// The scheme with defaults applied and its numbers checked.
pub fn scheme(s: &NodePortsSpec, d: &mut Diagnostics) -> NodePortScheme {
    let mut num = |v: &Option<crate::topology::Sp<i64>>, default: u32, key: &str, min: i64| -> u32 {
        match v {
            None => default,
            Some(x) if x.v < min || x.v > 65535 => {
                d.error(Some(x.span), format!("Network.NodePorts.{key} is {}, outside {min}..65535", x.v))
                    .add_help(format!("the default is {default}"));
                default
            }
            Some(x) => x.v as u32,
        }
    };
    let base = num(&s.base, def::NODEPORT_BASE, "Base", 1);
    let org_stride = num(&s.org_stride, def::NODEPORT_ORG_STRIDE, "OrgStride", 3);
    let orderer_base = num(&s.orderer_base, def::NODEPORT_ORDERER_BASE, "OrdererBase", 0);
    let range = s.range.as_ref().map(|r| (r.v.0 as u32, r.v.1 as u32)).unwrap_or(def::NODEPORT_RANGE);
    let address = s.address.as_ref().and_then(|a| {
        let ok = a.v.parse::<std::net::IpAddr>().is_ok() || super::names::dns_subdomain(&a.v).is_ok();
        if !ok {
            d.error(Some(a.span), format!("Network.NodePorts.Address `{}` is not a host name or IP address", a.v))
                .add_help("give the name or IP of a cluster node that apps outside the cluster reach, e.g. `Address: 203.0.113.10`");
        }
        ok.then(|| a.v.clone())
    });
    NodePortScheme { enabled: s.enabled.as_ref().is_none_or(|e| e.v), base, org_stride, orderer_base, range, address }
}

struct Claim {
    owner: String,
    orderer: bool,
}

/// Assigns every NodePort (and orderer k), then checks range, stride capacity and clashes.
pub(crate) fn assign(s: &NodePortScheme, spec: &NodePortsSpec, orgs: &mut [OrgPlan], srcs: &[OrgSrc], d: &mut Diagnostics) {
    // Orderer k: network-wide counter; an orderer org's NodePortSlot restarts it.
    let mut next_k = 1u32;
    let mut peer_pos = 0u32;
    for (o, src) in orgs.iter_mut().zip(srcs) {
        match o.kind {
            OrgKind::Orderer => {
                if let Some(slot) = &src.slot {
                    next_k = slot.v.max(1) as u32;
                }
                for (n, ns) in o.nodes.iter_mut().zip(&src.nodes) {
                    n.node_port_index = match ns.pinned {
                        Some(k) => k,
                        None => {
                            next_k += 1;
                            next_k - 1
                        }
                    };
                }
            }
            OrgKind::Peer => {
                peer_pos += 1;
                o.node_port_slot = Some(src.slot.as_ref().map(|s| s.v as u32).unwrap_or(peer_pos));
            }
        }
    }
    if !s.enabled {
        return;
    }
    let mut claims: HashMap<u32, Claim> = HashMap::new();
    // One error per cause: orgs pushed out of range by the same `Base` are reported once.
    let mut reported_at: Vec<Span> = vec![];
    for (o, src) in orgs.iter_mut().zip(srcs) {
        if let (Some(slot), OrgKind::Peer) = (&src.slot, o.kind) {
            if slot.v == 0 {
                d.error(Some(slot.span), format!("NodePortSlot of {} must be 1 or more", src.label))
                    .add_help("slot N places the org's ports at Base + (N-1)·OrgStride; the first org has slot 1");
                continue;
            }
        }
        let mut wanted: Vec<(u32, String, Span, usize, usize)> = vec![]; // port, owner, span, node (usize::MAX = CA), port idx
        match o.kind {
            OrgKind::Peer => {
                let n = o.node_port_slot.unwrap_or(1);
                let block = s.base as u64 + (n as u64 - 1) * s.org_stride as u64;
                wanted.push((block as u32, format!("CA `{}` of {}", o.ca.server.hostname, o.name), src.span, usize::MAX, 0));
                let too_high: Vec<(&NodePlan, Span)> = o
                    .nodes
                    .iter()
                    .zip(&src.nodes)
                    .filter(|(n, _)| n.node_port_index > s.max_peer_index())
                    .map(|(n, ns)| (n, ns.span))
                    .collect();
                if let Some((first, span)) = too_high.first() {
                    let top = too_high.iter().map(|(n, _)| n.node_port_index).max().unwrap_or(0);
                    let more = if too_high.len() > 1 { format!(" (and {} more peers up to index {top})", too_high.len() - 1) } else { String::new() };
                    d.error(Some(*span), format!(
                        "peer `{}` of {} has NodePort index {}{more}, but an org's block of OrgStride {} ports holds peers 0..{} (ports Base+(N-1)·OrgStride+2M+1 and +2M+2)",
                        first.endpoint.hostname, src.label, first.node_port_index, s.org_stride, s.max_peer_index()))
                        .add_help(format!("raise Network.NodePorts.OrgStride to at least {} (and keep Base + OrgStride × orgs inside Range), or use fewer peers per org", 2 * top as u64 + 3));
                }
                for (i, (node, ns)) in o.nodes.iter().zip(&src.nodes).enumerate() {
                    let m = node.node_port_index;
                    if m > s.max_peer_index() {
                        continue;
                    }
                    for (pi, p) in node.endpoint.ports.iter().enumerate() {
                        let off = match p.container_port {
                            7051 => 2 * m as u64 + 1,
                            7052 => 2 * m as u64 + 2,
                            _ => continue,
                        };
                        wanted.push(((block + off) as u32, format!("peer `{}` of {} ({})", node.endpoint.hostname, o.name, p.container_port), ns.span, i, pi));
                    }
                }
            }
            OrgKind::Orderer => {
                for (i, (node, ns)) in o.nodes.iter().zip(&src.nodes).enumerate() {
                    let port = s.orderer_base as u64 + node.node_port_index as u64;
                    if let Some(pi) = node.endpoint.ports.iter().position(|p| p.container_port == 7050) {
                        wanted.push((port.min(u32::MAX as u64) as u32, format!("orderer `{}` of {} (7050)", node.endpoint.hostname, o.name), ns.span, i, pi));
                    }
                }
            }
        }
        // The key a fix would change: a pinned slot, else the scheme key, else the node.
        let slot_span = src.slot.as_ref().map(|x| x.span);
        let scheme_span = match o.kind {
            OrgKind::Peer => slot_span.or(spec.base.as_ref().map(|x| x.span)).or(spec.org_stride.as_ref().map(|x| x.span)),
            OrgKind::Orderer => spec.orderer_base.as_ref().map(|x| x.span).or(slot_span),
        };
        let mut outside: Vec<(u32, String, Span)> = vec![];
        let mut clashes: Vec<(u32, String, Span, String, bool)> = vec![];
        for (port, owner, span, node, pi) in wanted {
            if port < s.range.0 || port > s.range.1 {
                outside.push((port, owner, span));
                continue;
            }
            if let Some(first) = claims.get(&port) {
                clashes.push((port, owner, span, first.owner.clone(), first.orderer != (o.kind == OrgKind::Orderer)));
                continue;
            }
            claims.insert(port, Claim { owner: owner.clone(), orderer: o.kind == OrgKind::Orderer });
            let ep = if node == usize::MAX { &mut o.ca.server } else { &mut o.nodes[node].endpoint };
            ep.ports[pi].node_port = Some(port as u16);
            ep.node_port_service = Some(format!("{}{}", ep.service, super::build::NODEPORT_SUFFIX));
        }
        if let Some((port, owner, span, first, across)) = clashes.first() {
            let more = if clashes.len() > 1 { format!(" (and {} more of its ports)", clashes.len() - 1) } else { String::new() };
            let at = if *across { spec.orderer_base.as_ref().map(|x| x.span).or(scheme_span) } else { scheme_span };
            let diag = d.error(at.or(Some(*span)), format!("NodePort {port} of {owner}{more} is already taken by {first}"));
            diag.add_help("NodePorts are unique cluster-wide");
            if *across {
                diag.add_help(format!(
                    "orderers (OrdererBase + k) and peer orgs (Base + (N-1)·OrgStride ...) overlap: put Network.NodePorts.OrdererBase above the last peer org's block (default {})",
                    def::NODEPORT_ORDERER_BASE
                ));
            } else {
                diag.add_help("give the orgs different `NodePortSlot`s, or pin a different `NodePortIndex` on a Specs node");
            }
        }
        if let Some((port, owner, span)) = outside.first().filter(|(_, _, sp)| !reported_at.contains(&scheme_span.unwrap_or(*sp))) {
            reported_at.push(scheme_span.unwrap_or(*span));
            let (lo, hi) = s.range;
            let more = if outside.len() > 1 { format!(" (and {} more of its ports)", outside.len() - 1) } else { String::new() };
            let diag = d.error(scheme_span.or(Some(*span)), format!("NodePort {port} of {owner}{more} is outside the NodePort range {lo}-{hi}"));
            diag.add_help("Kubernetes accepts NodePorts only inside kube-apiserver's --service-node-port-range (default 30000-32767)");
            let from = if o.kind == OrgKind::Orderer { s.orderer_base } else { *port };
            let wider = format!("or, if your cluster runs with a wider --service-node-port-range, declare it as Network.NodePorts.Range, e.g. \"{}-{}\"", from.min(lo), (*port).max(hi));
            match (o.kind, *port < lo) {
                (OrgKind::Orderer, _) => diag.add_help(format!(
                    "set Network.NodePorts.OrdererBase so OrdererBase + k stays inside the range (default {}), {wider}",
                    def::NODEPORT_ORDERER_BASE
                )),
                (OrgKind::Peer, true) => diag.add_help(format!("raise Network.NodePorts.Base to at least {lo}, {wider}")),
                (OrgKind::Peer, false) => diag.add_help(format!(
                    "lower Network.NodePorts.Base or OrgStride, or pin a lower NodePortSlot, {wider}"
                )),
            };
        }
    }
}
