//! Stage 2, validate: rules about the topology as written, before anything is expanded:
//! Fabric version × consensus, keys that only some versions or org kinds accept, channel
//! references, sizes and image names. (Rules about expanded names and ports live in the
//! plan stage, which composes them.)

use crate::diag::{Diagnostics, did_you_mean};
use crate::plan::names;
use crate::topology::{Consensus, FabricVersion, KeyAlgorithm, OrgKind, Resources, Sp, Topology};

pub fn validate(t: &Topology, d: &mut Diagnostics) {
    versions(t, d);
    orgs(t, d);
    resources(&t.network.resources, "Network", d);
    channels(t, d);
}

fn versions(t: &Topology, d: &mut Diagnostics) {
    let n = &t.network;
    let version = n.fabric_version.as_ref().map(|v| v.v).unwrap_or(FabricVersion::V2_5);
    let vname = version.as_str();
    if let Some(c) = &n.consensus {
        match (version, c.v) {
            (FabricVersion::V3_1, Consensus::Solo | Consensus::Kafka) => {
                d.error(Some(c.span), format!("Fabric {vname} has no `{}` consensus (removed in 3.0)", c.v.as_str()))
                    .add_help("use `etcdraft` or `BFT`, or set `FabricVersion: \"1.4\"` for the talk's Kafka network");
            }
            (FabricVersion::V1_4 | FabricVersion::V2_5, Consensus::Bft) => {
                d.error(Some(c.span), format!("BFT consensus needs Fabric 3.x; this network is Fabric {vname}"))
                    .add_help("set `FabricVersion: \"3.1\"`, or use `etcdraft`");
            }
            (FabricVersion::V2_5, Consensus::Solo | Consensus::Kafka) => {
                // Deprecated since 2.0, and the channel participation API fabchart's 2.5
                // charts bootstrap with refuses orderers that are not cluster consenters.
                d.error(
                    Some(c.span),
                    format!("Fabric 2.5 channels are joined through the channel participation API, which does not run `{}` orderers (deprecated since 2.0, removed in 3.0)", c.v.as_str()),
                )
                .add_help("use `etcdraft`, or set `FabricVersion: \"1.4\"` for the talk's system-channel network");
            }
            _ => {}
        }
    }
    let consensus = n.consensus.as_ref().map(|c| c.v).unwrap_or(Consensus::EtcdRaft);
    if let Some(k) = &n.kafka {
        if consensus != Consensus::Kafka {
            d.warning(Some(k.span), format!("Network.Kafka is ignored: consensus is `{}`", consensus.as_str()))
                .add_help("remove the Kafka section, or set `Consensus: kafka`");
        } else {
            if let Some(z) = &k.zookeepers {
                if z.v == 0 {
                    d.error(Some(z.span), "a Kafka ordering service needs ZooKeeper: ZooKeepers must be at least 1")
                        .add_help("use 3 (or 5, 7) ZooKeeper servers");
                } else if z.v % 2 == 0 {
                    d.warning(Some(z.span), format!("{} ZooKeeper servers tolerate no more failures than {}", z.v, z.v - 1))
                        .add_help("use an odd number: 3, 5 or 7");
                }
            }
            if let Some(b) = &k.brokers {
                if b.v == 0 {
                    d.error(Some(b.span), "a Kafka ordering service needs brokers: Brokers must be at least 1")
                        .add_help("Fabric recommends at least 4 brokers (replication factor 3, min.insync.replicas 2)");
                } else if b.v < 4 {
                    d.warning(Some(b.span), format!("{} Kafka brokers: Fabric recommends at least 4 for crash tolerance", b.v));
                }
            }
        }
    }
    if consensus == Consensus::Kafka && t.orderer_orgs.is_empty() && !t.peer_orgs.is_empty() {
        d.error(n.consensus.as_ref().map(|c| c.span), "kafka consensus needs an orderer org (Kafka runs in its namespace)")
            .add_help("add an org under `OrdererOrgs:`");
    }
    // PublicKeyAlgorithm is a cryptogen 3.x key.
    if version < FabricVersion::V3_1 {
        for o in t.orgs() {
            let keys: Vec<&Sp<KeyAlgorithm>> = o
                .ca
                .key_algorithm
                .iter()
                .chain(o.specs.iter().filter_map(|s| s.key_algorithm.as_ref()))
                .chain(o.template.iter().filter_map(|t| t.key_algorithm.as_ref()))
                .chain(o.users.iter().filter_map(|u| u.key_algorithm.as_ref()))
                .collect();
            for k in keys.into_iter().filter(|k| k.v == KeyAlgorithm::Ed25519) {
                d.error(Some(k.span), format!("ed25519 keys need Fabric 3.x (channel capability V3_0); {} is Fabric {vname}", o.label()))
                    .add_help("remove `PublicKeyAlgorithm: ed25519`, or set `FabricVersion: \"3.1\"`");
            }
        }
    }
}

fn orgs(t: &Topology, d: &mut Diagnostics) {
    for o in t.orgs() {
        let label = o.label();
        if o.kind == OrgKind::Orderer {
            if let Some(c) = &o.couchdb {
                d.error(Some(c.span), format!("{label}: CouchDB is a peer's state database; orderer orgs have none"))
                    .add_help("remove `CouchDB` from the orderer org");
            }
            if let Some(u) = &o.users {
                if u.count.as_ref().is_some_and(|c| c.v > 0) {
                    d.warning(Some(u.span), format!("{label}: Users is ignored, orderer orgs get only Admin (as with cryptogen)"));
                }
            }
        }
        if !o.incomplete && o.specs.is_empty() && o.template.as_ref().is_none_or(|t| t.count.as_ref().is_none_or(|c| c.v == 0)) {
            d.warning(Some(o.span), format!("{label} has no {}s: neither Specs nor Template.Count", o.kind.prefix()))
                .add_help("add `Template: {Count: 1}` or a `Specs:` list");
        }
        resources(&o.resources, &label, d);
    }
}

fn resources(r: &Resources, path: &str, d: &mut Diagnostics) {
    if let Some(c) = &r.storage_class {
        if let (false, Err(e)) = (c.v.is_empty(), names::dns_subdomain(&c.v)) {
            d.error(Some(c.span), format!("{path}.Storage.Class `{}` is not a StorageClass name: {e}", c.v))
                .add_help("use the name `kubectl get storageclass` shows, or leave Class out for the cluster's default");
        }
    }
    for (comp, s) in &r.sizes {
        if let Err(e) = names::quantity(&s.v) {
            d.error(Some(s.span), format!("{path}.Storage.{}: {e}", comp.key()))
                .add_help("use a Kubernetes quantity such as `10Gi`");
        }
    }
    for (comp, img) in &r.images {
        if let Some(repo) = &img.repository {
            if !names::image_repository(&repo.v) {
                d.error(Some(repo.span), format!("{path}.Images.{}.Repository `{}` is not an image repository", comp.key(), repo.v))
                    .add_help("e.g. `hyperledger/fabric-peer` or `registry.example.com:5000/fabric-peer` (lower case)");
            }
        }
        if let Some(tag) = &img.tag {
            if !names::image_tag(&tag.v) {
                d.error(Some(tag.span), format!("{path}.Images.{}.Tag `{}` is not an image tag", comp.key(), tag.v))
                    .add_help("a tag is letters, digits, `.`, `_` and `-`, e.g. \"2.5.16\" (quote it so YAML keeps it a string)");
            }
        }
    }
}

fn channels(t: &Topology, d: &mut Diagnostics) {
    let peer_orgs: Vec<&str> = t.peer_orgs.iter().filter_map(|o| o.name.as_ref().map(|n| n.v.as_str())).collect();
    let orderer_orgs: Vec<&str> = t.orderer_orgs.iter().filter_map(|o| o.name.as_ref().map(|n| n.v.as_str())).collect();
    let mut seen: Vec<(&str, usize)> = vec![];
    for c in &t.channels {
        let Some(name) = &c.name else { continue };
        if let Err(e) = names::channel_name(&name.v) {
            d.error(Some(name.span), format!("channel name `{}` is not valid in Fabric: {e}", name.v))
                .add_help("e.g. `mychannel`");
        }
        if let Some((_, line)) = seen.iter().find(|(n, _)| *n == name.v) {
            d.error(Some(name.span), format!("channel `{}` is declared twice (first on line {line})", name.v))
                .add_help("merge the two entries, or rename one");
        }
        seen.push((&name.v, name.span.line));
        if c.orgs.is_empty() && !c.incomplete {
            d.error(Some(c.span), format!("channel `{}` has no member orgs", name.v))
                .add_help(format!("list peer orgs, e.g. `Orgs: [{}]`", peer_orgs.join(", ")));
        }
        let unknown = |d: &mut Diagnostics, s: &Sp<String>, known: &[&str], what: &str| {
            let diag = d.error(Some(s.span), format!("channel `{}` names {what} `{}`, which the topology does not declare", name.v, s.v));
            match did_you_mean(&s.v, known) {
                Some(m) => diag.add_help(format!("did you mean `{m}`?")),
                None => diag.add_help(format!("the {what}s are: {}", if known.is_empty() { "none".into() } else { known.join(", ") })),
            };
        };
        for (i, o) in c.orgs.iter().enumerate() {
            if c.orgs[..i].iter().any(|p| p.v == o.v) {
                d.error(Some(o.span), format!("channel `{}` lists org `{}` twice", name.v, o.v))
                    .add_help("remove one of the two");
            } else if !peer_orgs.contains(&o.v.as_str()) {
                if orderer_orgs.contains(&o.v.as_str()) {
                    d.error(Some(o.span), format!("`{}` is an orderer org; a channel's Orgs are its peer orgs", o.v))
                        .add_help("list orderer orgs under the channel's `OrdererOrgs:` instead");
                } else {
                    unknown(d, o, &peer_orgs, "peer org");
                }
            }
        }
        for (org, peers) in &c.anchor_peers {
            for (i, p) in peers.iter().enumerate() {
                if peers[..i].iter().any(|q| q.v == p.v) {
                    d.error(Some(p.span), format!("channel `{}` lists anchor peer `{}` of {} twice", name.v, p.v, org.v))
                        .add_help("remove one of the two");
                }
            }
            if orderer_orgs.contains(&org.v.as_str()) {
                d.error(Some(org.span), format!("`{}` is an orderer org; anchor peers belong to peer orgs", org.v))
                    .add_help("list the channel's peer orgs' peers here");
            } else if !peer_orgs.contains(&org.v.as_str()) {
                unknown(d, org, &peer_orgs, "peer org");
            } else if !c.orgs.iter().any(|o| o.v == org.v) {
                d.error(Some(org.span), format!("channel `{}` sets anchor peers for `{}`, which is not one of its Orgs", name.v, org.v))
                    .add_help(format!("add `{}` to the channel's Orgs, or remove its anchor peers", org.v));
            }
        }
        if let Some(list) = &c.orderer_orgs {
            if list.is_empty() && !c.incomplete {
                d.error(Some(c.span), format!("channel `{}` has no orderer orgs, so nothing would order it", name.v))
                    .add_help(format!("list at least one, e.g. `OrdererOrgs: [{}]`, or leave the key out for all", orderer_orgs.first().unwrap_or(&"Orderer")));
            }
        }
        for o in c.orderer_orgs.iter().flatten() {
            if peer_orgs.contains(&o.v.as_str()) {
                d.error(Some(o.span), format!("`{}` is a peer org; a channel's OrdererOrgs are orderer orgs", o.v))
                    .add_help("list peer orgs under the channel's `Orgs:` instead");
            } else if !orderer_orgs.contains(&o.v.as_str()) {
                unknown(d, o, &orderer_orgs, "orderer org");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_are_ordered() {
        use crate::topology::FabricVersion::*;
        assert!(V1_4 < V2_5 && V2_5 < V3_1);
    }
}
