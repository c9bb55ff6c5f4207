//! Connection profiles for applications, per peer org, in two flavours:
//!
//! - in the cluster: the Services' cluster addresses (`connection.json`/`.yaml`,
//!   `gateway.json`); the org subchart carries these and puts them in a ConfigMap;
//! - from outside: the NodePorts, on each node's first `ExternalHosts` name or else
//!   `Network.NodePorts.Address` (`connection-external.*`, `gateway-external.json`),
//!   written when the nodes are published and an address is known.
//!
//! `connection.*` is a common connection profile (the layout of fabric-samples'
//! test-network ccp-template: `name`, `version`, `client.organization`, `organizations`,
//! `peers` with `url` grpcs://, `tlsCACerts.pem` and `grpcOptions`, `certificateAuthorities`
//! with `url`, `caName`, `tlsCACerts.pem` as a list, plus the org's `channels` and their
//! `orderers`). `gateway.json` holds what the Fabric Gateway client API needs: the MSP ID,
//! a peer endpoint, its TLS root certificate and the host name its certificate carries.
//! Every TLS CA certificate is the store's file, byte for byte. Identities (certificates
//! and private keys of the org's Admin and users) go to `OUT/secrets/<org>-identities.json`,
//! mode 0600, never into a profile or the chart.

use std::path::Path;

use serde_json::{Value, json};

use crate::crypto::store;
use crate::plan::{Endpoint, NodeKind, OrgPlan, Plan};
use crate::topology::OrgKind;

/// Where profiles go under OUT.
pub const DIR: &str = "connection";

/// One org's profiles.
#[derive(Debug, Clone)]
pub struct OrgConnection {
    pub org: String,
    pub slug: String,
    /// File name → text, for OUT/connection/<slug>/.
    pub files: Vec<(String, String)>,
    /// The in-cluster files the org subchart carries (`files/connection/`).
    pub chart_files: Vec<(String, String)>,
    /// `OUT/secrets/<slug>-identities.json` (private).
    pub identities: String,
    /// Why there is no external flavour (`None`: there is one).
    pub no_external: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Flavour {
    Cluster,
    External,
}

/// Host and port a client of `flavour` dials for `e`'s port `container_port`.
fn reach(plan: &Plan, e: &Endpoint, container_port: u16, flavour: Flavour) -> Option<(String, u16)> {
    match flavour {
        Flavour::Cluster => Some((e.dns.fqdn.clone(), container_port)),
        Flavour::External => {
            let np = e.ports.iter().find(|p| p.container_port == container_port)?.node_port?;
            let host = e.external_hosts.first().cloned().or_else(|| plan.network.node_ports.address.clone())?;
            Some((host, np))
        }
    }
}

fn tls_ca(store_dir: &Path, o: &OrgPlan) -> Result<String, String> {
    let p = store::find(&store::org_dir(store_dir, o).join("tlsca"), ".pem").ok_or_else(|| format!("no TLS CA certificate for {}", o.name))?;
    store::read(&p)
}

fn profile(plan: &Plan, org: &OrgPlan, store_dir: &Path, flavour: Flavour) -> Result<Option<Value>, String> {
    let tlsca = tls_ca(store_dir, org)?;
    let peers: Vec<&crate::plan::NodePlan> = org.nodes.iter().filter(|n| n.kind == NodeKind::Peer).collect();
    let mut peer_map = serde_json::Map::new();
    for p in &peers {
        let Some((host, port)) = reach(plan, &p.endpoint, 7051, flavour) else { return Ok(None) };
        peer_map.insert(
            p.common_name.clone(),
            json!({
                "url": format!("grpcs://{host}:{port}"),
                "tlsCACerts": {"pem": tlsca},
                "grpcOptions": {"ssl-target-name-override": p.common_name, "hostnameOverride": p.common_name},
            }),
        );
    }
    let mut cas = serde_json::Map::new();
    let ca = &org.ca.server;
    if let Some((host, port)) = reach(plan, ca, 7054, flavour) {
        // The CA server's certificate carries its cluster names and ExternalHosts; a bare
        // node address is not among them, so that URL cannot be verified by name.
        let verify = flavour == Flavour::Cluster || ca.external_hosts.first() == Some(&host);
        cas.insert(
            org.ca.common_name.clone(),
            json!({"url": format!("https://{host}:{port}"), "caName": org.ca.common_name, "tlsCACerts": {"pem": [tlsca]}, "httpOptions": {"verify": verify}}),
        );
    }
    let mut orderers = serde_json::Map::new();
    let mut channels = serde_json::Map::new();
    for ch in plan.channels.iter().filter(|c| c.orgs.contains(&org.name)) {
        let mut names = vec![];
        for oo in plan.orgs.iter().filter(|o| o.kind == OrgKind::Orderer && ch.orderer_orgs.contains(&o.name)) {
            let oca = tls_ca(store_dir, oo)?;
            for n in &oo.nodes {
                let Some((host, port)) = reach(plan, &n.endpoint, 7050, flavour) else { continue };
                names.push(n.common_name.clone());
                orderers.insert(
                    n.common_name.clone(),
                    json!({"url": format!("grpcs://{host}:{port}"), "tlsCACerts": {"pem": oca}, "grpcOptions": {"ssl-target-name-override": n.common_name, "hostnameOverride": n.common_name}}),
                );
            }
        }
        let roles: serde_json::Map<String, Value> = peers
            .iter()
            .map(|p| (p.common_name.clone(), json!({"endorsingPeer": true, "chaincodeQuery": true, "ledgerQuery": true, "eventSource": true, "discover": true})))
            .collect();
        channels.insert(ch.name.clone(), json!({"orderers": names, "peers": roles}));
    }
    let suffix = if flavour == Flavour::External { "-external" } else { "" };
    Ok(Some(json!({
        "name": format!("{}-{}{suffix}", plan.network.name, org.slug),
        "version": "1.0.0",
        "client": {"organization": org.name, "connection": {"timeout": {"peer": {"endorser": "300"}}}},
        "organizations": {
            org.name.clone(): {
                "mspid": org.msp_id,
                "peers": peers.iter().map(|p| p.common_name.clone()).collect::<Vec<_>>(),
                "certificateAuthorities": cas.keys().cloned().collect::<Vec<_>>(),
            }
        },
        "peers": peer_map,
        "certificateAuthorities": cas,
        "orderers": orderers,
        "channels": channels,
    })))
}

/// What the Fabric Gateway client needs: one endpoint (the org's first peer; `peers` lists
/// every peer to fail over to), its TLS root certificate and the name its certificate
/// carries, with the channels and chaincodes the org runs.
fn gateway(plan: &Plan, org: &OrgPlan, store_dir: &Path, flavour: Flavour) -> Result<Option<Value>, String> {
    let tlsca = tls_ca(store_dir, org)?;
    let mut peers = vec![];
    for p in org.nodes.iter().filter(|n| n.kind == NodeKind::Peer) {
        let Some((host, port)) = reach(plan, &p.endpoint, 7051, flavour) else { return Ok(None) };
        peers.push(json!({"endpoint": format!("{host}:{port}"), "hostNameOverride": p.common_name}));
    }
    let Some(first) = peers.first().cloned() else { return Ok(None) };
    let channels: Vec<&str> = plan.channels.iter().filter(|c| c.orgs.contains(&org.name)).map(|c| c.name.as_str()).collect();
    let chaincodes: Vec<Value> = plan
        .chaincodes
        .iter()
        .filter(|c| c.server(&org.name).is_some())
        .map(|c| json!({"name": c.name, "channels": c.channels.iter().filter(|x| x.orgs.contains(&org.name)).map(|x| x.name.clone()).collect::<Vec<_>>()}))
        .collect();
    Ok(Some(json!({
        "mspId": org.msp_id,
        "endpoint": first["endpoint"],
        "hostNameOverride": first["hostNameOverride"],
        "tlsRootCert": tlsca,
        "peers": peers,
        "channels": channels,
        "chaincodes": chaincodes,
        "identities": format!("secrets/{}-identities.json", org.slug),
    })))
}

/// Every identity of the org (Admin, User1..), in the wallet layout of Fabric's SDKs:
/// `{name: {credentials: {certificate, privateKey}, mspId, type: "X.509", version: 1}}`.
fn identities(org: &OrgPlan, store_dir: &Path) -> Result<String, String> {
    let mut m = serde_json::Map::new();
    for u in &org.users {
        let dir = store::user_dir(store_dir, org, u).join("msp");
        let key = store::find(&dir.join("keystore"), "_sk").ok_or_else(|| format!("no key in {}", dir.join("keystore").display()))?;
        m.insert(
            u.name.clone(),
            json!({
                "credentials": {
                    "certificate": store::read(&dir.join("signcerts").join(format!("{}-cert.pem", u.common_name)))?,
                    "privateKey": store::read(&key)?,
                },
                "mspId": org.msp_id,
                "type": "X.509",
                "version": 1,
            }),
        );
    }
    Ok(serde_json::to_string_pretty(&Value::Object(m)).expect("json") + "\n")
}

fn texts(base: &str, v: &Value) -> Result<Vec<(String, String)>, String> {
    Ok(vec![
        (format!("{base}.json"), serde_json::to_string_pretty(v).expect("json") + "\n"),
        (format!("{base}.yaml"), yaml_serde::to_string(v).map_err(|e| e.to_string())?),
    ])
}

/// The profiles of every peer org that has peers, made in parallel.
pub fn build(plan: &Plan, store_dir: &Path) -> Result<Vec<OrgConnection>, String> {
    use rayon::prelude::*;
    let orgs: Vec<&OrgPlan> = plan.orgs.iter().filter(|o| o.kind == OrgKind::Peer && o.nodes.iter().any(|n| n.kind == NodeKind::Peer)).collect();
    orgs.par_iter().map(|org| org_connection(plan, org, store_dir)).collect()
}

fn org_connection(plan: &Plan, org: &OrgPlan, store_dir: &Path) -> Result<OrgConnection, String> {
    {
        let mut files = vec![];
        let cluster = profile(plan, org, store_dir, Flavour::Cluster)?.expect("cluster addresses always exist");
        let gw = gateway(plan, org, store_dir, Flavour::Cluster)?.expect("the org has a peer");
        files.extend(texts("connection", &cluster)?);
        files.push(("gateway.json".into(), serde_json::to_string_pretty(&gw).expect("json") + "\n"));
        let chart_files = files.clone();
        let no_external = match (profile(plan, org, store_dir, Flavour::External)?, gateway(plan, org, store_dir, Flavour::External)?) {
            (Some(p), Some(g)) => {
                files.extend(texts("connection-external", &p)?);
                files.push(("gateway-external.json".into(), serde_json::to_string_pretty(&g).expect("json") + "\n"));
                None
            }
            _ if !plan.network.node_ports.enabled => Some("NodePorts are off (Network.NodePorts.Enabled: false)".to_string()),
            _ => Some("no address outside the cluster is known: set Network.NodePorts.Address (a node's name or IP) or the peers' ExternalHosts".to_string()),
        };
        Ok(OrgConnection { org: org.name.clone(), slug: org.slug.clone(), files, chart_files, identities: identities(org, store_dir)?, no_external })
    }
}

/// Writes OUT/connection/<slug>/ for every org (swapped in whole) and each org's
/// identities file under OUT/secrets (0600).
pub fn write(out: &Path, orgs: &[OrgConnection]) -> Result<(), String> {
    let dir = out.join(DIR);
    if orgs.is_empty() && !dir.exists() {
        return Ok(());
    }
    let mut files: Vec<(String, Vec<u8>, u32)> = vec![];
    for o in orgs {
        for (n, t) in &o.files {
            files.push((format!("{}/{n}", o.slug), t.clone().into_bytes(), 0o644));
        }
    }
    crate::emit::replace_dir(out, &dir, &files)?;
    let secrets = out.join("secrets");
    store::mkdir(&secrets)?;
    for o in orgs {
        store::replace(&secrets.join(format!("{}-identities.json", o.slug)), o.identities.as_bytes(), 0o600)?;
    }
    Ok(())
}
