//! Several networks on one cluster (the talk's blockchain-as-a-service): what two
//! networks would both claim. NodePorts are cluster-wide, namespaces are too, and the
//! network name labels namespaces for the NetworkPolicies that isolate tenants.

use std::collections::HashMap;

use crate::plan::Plan;

/// One conflict between networks, already phrased for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict(pub String);

/// `plans`: (file name, plan) of each network. Returns every conflict, in a stable order.
pub fn conflicts(plans: &[(&str, &Plan)]) -> Vec<Conflict> {
    let mut out = vec![];
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut namespaces: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut ports: HashMap<u16, (&str, String)> = HashMap::new();
    for (file, plan) in plans {
        if let Some(first) = names.insert(plan.network.name.as_str(), file) {
            out.push(Conflict(format!(
                "{file} and {first} both name their network `{}`: NetworkPolicies could not tell the tenants apart; set a different Network.Name in one",
                plan.network.name
            )));
        }
        for o in &plan.orgs {
            if let Some((ffile, forg)) = namespaces.get(o.namespace.as_str()) {
                out.push(Conflict(format!(
                    "namespace `{}` is claimed by {} in {file} and by {forg} in {ffile}; set `Namespace:` on one of the orgs",
                    o.namespace, o.name
                )));
            }
        }
        for o in &plan.orgs {
            namespaces.entry(o.namespace.as_str()).or_insert((file, o.name.as_str()));
        }
        for r in crate::report::port_rows(plan, false) {
            let Some(np) = r.node_port else { continue };
            let who = format!("{} `{}` ({})", r.org, r.node, r.port);
            if let Some((ffile, fwho)) = ports.get(&np) {
                out.push(Conflict(format!(
                    "NodePort {np} is claimed by {who} in {file} and by {fwho} in {ffile}; give the networks different Network.NodePorts.Base/OrdererBase, or pin NodePortSlot"
                )));
            } else {
                ports.insert(np, (file, who));
            }
        }
    }
    out
}
