//! The values an org subchart reads (chart-skeleton/contract/org-values.yaml) and the
//! crypto values files (contract/org-crypto.yaml), built from the plan and the store.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::crypto::store;
use crate::plan::{Endpoint, NodeKind, OrgPlan, Plan};
use crate::topology::{Component, OrgKind};

#[derive(Serialize)]
pub struct Global {
    pub network: String,
    #[serde(rename = "fabricVersion")]
    pub fabric_version: String,
    pub consensus: String,
    #[serde(rename = "clusterDomain")]
    pub cluster_domain: String,
}

impl Global {
    pub fn of(plan: &Plan) -> Global {
        Global {
            network: plan.network.name.clone(),
            fabric_version: plan.network.fabric_version.as_str().into(),
            consensus: plan.network.consensus.as_str().into(),
            cluster_domain: plan.network.cluster_domain.clone(),
        }
    }
}

#[derive(Serialize)]
struct OrgInfo {
    name: String,
    slug: String,
    kind: OrgKind,
    #[serde(rename = "mspId")]
    msp_id: String,
    domain: String,
    namespace: String,
    #[serde(rename = "nodeOUs")]
    node_ous: bool,
}

#[derive(Serialize)]
struct Image {
    repository: String,
    tag: String,
}

/// What every Service-backed node (CA, peer, orderer) tells the templates.
#[derive(Serialize)]
struct Node {
    hostname: String,
    #[serde(rename = "commonName")]
    common_name: String,
    address: String,
    ports: BTreeMap<&'static str, u16>,
    #[serde(rename = "nodePorts")]
    node_ports: BTreeMap<&'static str, u16>,
    /// The Service publishing `nodePorts` ("" when none): `<hostname>-nodeport`.
    #[serde(rename = "nodePortService")]
    node_port_service: String,
}

impl Node {
    fn of(e: &Endpoint, common_name: &str) -> Node {
        let mut ports = BTreeMap::new();
        let mut node_ports = BTreeMap::new();
        for p in e.ports.iter().filter(|p| p.service) {
            ports.insert(p.name, p.container_port);
            if let Some(np) = p.node_port {
                node_ports.insert(p.name, np);
            }
        }
        Node {
            hostname: e.hostname.clone(),
            common_name: common_name.to_string(),
            address: e.address.clone(),
            ports,
            node_ports,
            node_port_service: e.node_port_service.clone().unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct Ca {
    enabled: bool,
    #[serde(flatten)]
    node: Node,
}

#[derive(Serialize)]
struct Peer {
    #[serde(flatten)]
    node: Node,
    #[serde(rename = "chaincodeAddress")]
    chaincode_address: String,
    #[serde(rename = "gossipBootstrap")]
    gossip_bootstrap: String,
    couchdb: bool,
}

#[derive(Serialize)]
struct Broker {
    hostname: String,
    id: u32,
    address: String,
}

#[derive(Serialize)]
struct Zk {
    hostname: String,
    id: u32,
}

#[derive(Serialize)]
struct Kafka {
    enabled: bool,
    brokers: Vec<Broker>,
    zookeepers: Vec<Zk>,
    #[serde(rename = "zookeeperConnect")]
    zookeeper_connect: String,
}

#[derive(Serialize)]
struct External {
    cidr: String,
    except: Vec<String>,
}

#[derive(Serialize)]
struct NetworkPolicy {
    enabled: bool,
    external: Vec<External>,
}

#[derive(Serialize)]
struct RemoteTlsCas {
    #[serde(rename = "ordererOrgs")]
    orderer_orgs: BTreeMap<String, String>,
    #[serde(rename = "peerOrgs")]
    peer_orgs: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Named {
    #[serde(rename = "commonName")]
    common_name: String,
}

#[derive(Serialize)]
struct Create {
    create: bool,
}

#[derive(Serialize)]
struct Cli {
    enabled: bool,
    #[serde(rename = "peerAddress")]
    peer_address: String,
}

#[derive(Serialize)]
struct Probes {
    enabled: bool,
    #[serde(rename = "initialDelaySeconds")]
    initial_delay_seconds: u32,
    #[serde(rename = "periodSeconds")]
    period_seconds: u32,
    #[serde(rename = "failureThreshold")]
    failure_threshold: u32,
}

/// An org subchart's values.yaml (public data only).
#[derive(Serialize)]
pub struct OrgValues {
    global: Global,
    org: OrgInfo,
    namespace: Create,
    images: BTreeMap<String, Image>,
    #[serde(rename = "imagePullPolicy")]
    image_pull_policy: String,
    #[serde(rename = "imagePullSecrets")]
    image_pull_secrets: Vec<BTreeMap<String, String>>,
    storage: BTreeMap<String, String>,
    service: BTreeMap<String, String>,
    resources: BTreeMap<String, BTreeMap<String, String>>,
    probes: Probes,
    #[serde(rename = "extraEnv")]
    extra_env: BTreeMap<String, Vec<BTreeMap<String, String>>>,
    #[serde(rename = "nodeSelector")]
    node_selector: BTreeMap<String, String>,
    tolerations: Vec<BTreeMap<String, String>>,
    affinity: BTreeMap<String, String>,
    logging: String,
    ca: Ca,
    peers: Vec<Peer>,
    orderers: Vec<Node>,
    kafka: Kafka,
    cli: Cli,
    admin: Named,
    #[serde(rename = "networkPolicy")]
    network_policy: NetworkPolicy,
    #[serde(rename = "remoteTlsCas")]
    remote_tls_cas: RemoteTlsCas,
    #[serde(rename = "ordererAddresses")]
    orderer_addresses: Vec<String>,
    /// Fabric 1.4: a system channel genesis block (base64) that overrides the generated one.
    #[serde(rename = "genesisBlock")]
    genesis_block: String,
    #[serde(rename = "channelJobs")]
    channel_jobs: ChannelJobs,
    /// Orderer orgs: chart-relative path of configtx.yaml ("" on peer orgs).
    configtx: String,
    /// Fabric 1.4 orderer orgs: the generated system channel genesis block.
    #[serde(rename = "systemChannel")]
    system_channel: BTreeMap<String, String>,
    channels: Vec<ChannelValues>,
    /// Chaincodes this org runs (servers, packages, definitions to approve and commit).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    chaincodes: Vec<ChaincodeValues>,
    /// Chart-relative folder of the connection profiles ("" when the org has none).
    #[serde(skip_serializing_if = "String::is_empty")]
    connection: String,
    monitoring: Monitoring,
}

/// Monitoring: scrape settings, alerts, dashboards, and the facts only a build knows
/// (the network's namespaces, every certificate's NotAfter).
#[derive(Serialize)]
struct Monitoring {
    annotations: Switch,
    #[serde(rename = "serviceMonitor")]
    service_monitor: ServiceMonitor,
    #[serde(rename = "prometheusRule")]
    prometheus_rule: PrometheusRule,
    dashboards: Dashboards,
    /// NetworkPolicy peers allowed to scrape the operations ports.
    #[serde(rename = "scrapeFrom")]
    scrape_from: Vec<serde_json::Value>,
    /// This org carries the network-wide alerts (consensus) and the dashboards: one org
    /// per network, the first in the topology.
    network: bool,
    /// Every org's namespace (heights compare across the network).
    namespaces: Vec<String>,
    /// The orderer orgs' namespaces.
    #[serde(rename = "ordererNamespaces")]
    orderer_namespaces: Vec<String>,
    /// An expiry alert's command is this plus `--cert <path>`. The chart does not depend
    /// on where it was built: users set their own paths here.
    #[serde(rename = "renewCommand")]
    renew_command: String,
    /// Every certificate of this org in the store, for the expiry alerts.
    certificates: Vec<CertificateFact>,
}

#[derive(Serialize)]
struct Switch {
    enabled: bool,
}

#[derive(Serialize)]
struct ServiceMonitor {
    enabled: bool,
    labels: BTreeMap<String, String>,
    interval: String,
    #[serde(rename = "scrapeTimeout")]
    scrape_timeout: String,
}

#[derive(Serialize)]
struct PrometheusRule {
    enabled: bool,
    labels: BTreeMap<String, String>,
    /// Alert this many days before a certificate's NotAfter.
    #[serde(rename = "certificateExpiryDays")]
    certificate_expiry_days: u32,
    /// A peer this many blocks behind its channel's highest node...
    #[serde(rename = "heightLagBlocks")]
    height_lag_blocks: u32,
    /// ...for this long.
    #[serde(rename = "heightLagFor")]
    height_lag_for: String,
    /// A node that is not scraped (up == 0) for this long is down.
    #[serde(rename = "nodeDownFor")]
    node_down_for: String,
    /// More Raft leader changes than this in 15 minutes on a channel.
    #[serde(rename = "leaderChanges15m")]
    leader_changes_15m: u32,
    /// Endorsement failures above this percentage of proposals, over 10 minutes.
    #[serde(rename = "endorsementFailurePercent")]
    endorsement_failure_percent: u32,
    /// A ledger volume with less free space than this percentage.
    #[serde(rename = "volumeFreePercent")]
    volume_free_percent: u32,
}

#[derive(Serialize)]
struct Dashboards {
    enabled: bool,
    /// Where the ConfigMaps go ("" = the org's namespace).
    namespace: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

/// A certificate's expiry, as `fabchart certs` lists it.
#[derive(Serialize)]
pub struct CertificateFact {
    /// Store-relative path (`peerOrganizations/<domain>/peers/<cn>/tls/server.crt`).
    path: String,
    #[serde(rename = "commonName")]
    common_name: String,
    /// ca | tls | enrollment
    kind: &'static str,
    /// NotAfter, Unix seconds.
    #[serde(rename = "notAfter")]
    not_after: i64,
    /// `fabchart renew` re-issues it (node and user certificates; not CA, CA server or
    /// chaincode server certificates).
    renew: bool,
}

/// The facts for an org's expiry alerts: every certificate under the org's store folder.
pub fn certificate_facts(store_dir: &Path, org: &OrgPlan) -> Result<Vec<CertificateFact>, String> {
    let dir = store::org_dir(store_dir, org);
    let prefix = dir.strip_prefix(store_dir).unwrap_or(&dir).to_path_buf();
    let list = crate::crypto::certs::list(&dir)?;
    let mut facts: Vec<CertificateFact> = list
        .into_iter()
        .map(|c| CertificateFact {
            path: prefix.join(&c.path).display().to_string(),
            kind: c.kind(),
            renew: c.renewable(),
            not_after: c.not_after.unix_timestamp(),
            common_name: c.common_name,
        })
        .collect();
    facts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(facts)
}

/// A chaincode server of this org and the definitions it approves (and commits).
#[derive(Serialize)]
struct ChaincodeValues {
    name: String,
    /// The server's Deployment and Service.
    service: String,
    label: String,
    version: String,
    /// This org's package ID (its package is in the crypto values).
    #[serde(rename = "packageId")]
    package_id: String,
    image: Image,
    port: u16,
    replicas: u32,
    /// `host:port` the peers dial (the package's connection.json address).
    address: String,
    env: Vec<crate::plan::chaincode::EnvVar>,
    channels: Vec<ChaincodeChannelValues>,
}

#[derive(Serialize)]
struct ChaincodeChannelValues {
    name: String,
    sequence: u64,
    #[serde(rename = "initRequired")]
    init_required: bool,
    /// Signature policy text ("" = the channel's /Channel/Application/Endorsement).
    #[serde(rename = "endorsementPolicy")]
    endorsement_policy: String,
    /// `--collections-config` JSON ("" = none).
    collections: String,
    /// Orderers (host:port) serving the channel.
    orderers: Vec<String>,
    /// This org commits the definition (the channel's first approving org).
    commit: bool,
    /// Committing org: one peer per approving org, to collect the commit's endorsements.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    endorsers: Vec<Endorser>,
}

#[derive(Serialize)]
struct Endorser {
    org: String,
    #[serde(rename = "mspId")]
    msp_id: String,
    address: String,
}

#[derive(Serialize)]
struct ChannelJobs {
    enabled: bool,
    #[serde(rename = "backoffLimit")]
    backoff_limit: u32,
    attempts: u32,
    #[serde(rename = "activeDeadlineSeconds")]
    active_deadline_seconds: u32,
}

/// A channel the org takes part in; paths are chart-relative files under `files/channels/`.
#[derive(Serialize)]
struct ChannelValues {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    block: Option<String>,
    #[serde(rename = "createTx", skip_serializing_if = "Option::is_none")]
    create_tx: Option<String>,
    /// Peer orgs a config update adds: wait until the orderers serve the channel to the
    /// org before joining.
    #[serde(rename = "waitMember", skip_serializing_if = "std::ops::Not::not")]
    wait_member: bool,
    /// Orderer orgs: orderers (host names) that join with the genesis block; every other
    /// orderer joins with the latest config block fetched from `orderers`.
    #[serde(rename = "genesisJoin", skip_serializing_if = "Vec::is_empty")]
    genesis_join: Vec<String>,
    /// Orderer orgs a config update adds: they join after the channel-update Job.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    late: bool,
    /// The orderers (host:port) serving the channel, as the expected configuration lists them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    orderers: Vec<String>,
    /// The org applying the channel's config updates: its plan and envelopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    updates: Option<UpdateValues>,
}

#[derive(Serialize)]
struct UpdateValues {
    plan: String,
    files: Vec<String>,
    /// Some update is applied by the pre-upgrade Job.
    pre: bool,
}

/// Where an org subchart keeps its channel artifacts.
pub const CHART_CHANNEL_DIR: &str = "files/channels";
/// Where an org subchart keeps its connection profiles (in-cluster flavour).
pub const CHART_CONNECTION_DIR: &str = "files/connection";

fn chaincode_values(plan: &Plan, org: &OrgPlan, cc: &crate::chaincode::Chaincodes) -> Vec<ChaincodeValues> {
    let first_peer = |name: &str| plan.org(name).and_then(|o| o.nodes.iter().find(|n| n.kind == NodeKind::Peer)).map(|n| n.endpoint.address.clone());
    plan.chaincodes
        .iter()
        .filter_map(|c| {
            let s = c.server(&org.name)?;
            let pkg = cc.package(&c.name, &org.name)?;
            let channels = c
                .channels
                .iter()
                .filter(|ch| ch.orgs.contains(&org.name))
                .filter_map(|ch| {
                    let d = cc.definition(&c.name, &ch.name)?;
                    let commit = ch.committer == org.name;
                    let orderers = plan
                        .channels
                        .iter()
                        .find(|p| p.name == ch.name)
                        .map(|p| plan.orgs.iter().filter(|o| p.orderer_orgs.contains(&o.name)).flat_map(|o| o.nodes.iter().map(|n| n.endpoint.address.clone())).collect())
                        .unwrap_or_default();
                    Some(ChaincodeChannelValues {
                        name: ch.name.clone(),
                        sequence: d.sequence,
                        init_required: d.init_required,
                        endorsement_policy: d.endorsement_policy.clone().unwrap_or_default(),
                        collections: d.collections.clone().unwrap_or_default(),
                        orderers,
                        commit,
                        endorsers: if commit {
                            ch.orgs
                                .iter()
                                .filter_map(|n| Some(Endorser { org: n.clone(), msp_id: plan.org(n)?.msp_id.clone(), address: first_peer(n)? }))
                                .collect()
                        } else {
                            vec![]
                        },
                    })
                })
                .collect();
            Some(ChaincodeValues {
                name: c.name.clone(),
                service: s.endpoint.service.clone(),
                label: c.label.clone(),
                version: c.version.clone(),
                package_id: pkg.id.clone(),
                image: Image { repository: c.image.repository.clone(), tag: c.image.tag.clone() },
                port: c.port,
                replicas: c.replicas,
                address: s.endpoint.address.clone(),
                env: c.env.clone(),
                channels,
            })
        })
        .collect()
}

fn chart_file(name: &str) -> String {
    format!("{CHART_CHANNEL_DIR}/{name}")
}

/// Component names as the chart's values spell them.
pub fn component_key(c: Component) -> &'static str {
    match c {
        Component::Peer => "peer",
        Component::Orderer => "orderer",
        Component::CA => "ca",
        Component::Tools => "tools",
        Component::CouchDB => "couchdb",
        Component::Kafka => "kafka",
        Component::ZooKeeper => "zookeeper",
    }
}

/// The TLS CA certificate of every org, by org Name (public).
pub fn tls_cas(plan: &Plan, store_dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for o in &plan.orgs {
        let p = store::find(&store::org_dir(store_dir, o).join("tlsca"), ".pem")
            .ok_or_else(|| format!("no TLS CA certificate for {} in {}", o.name, store_dir.display()))?;
        out.insert(o.name.clone(), store::read(&p)?);
    }
    Ok(out)
}

pub fn org_values(
    plan: &Plan,
    org: &OrgPlan,
    tls_cas: &BTreeMap<String, String>,
    ch: &crate::channel::OrgChannels,
    cc: &crate::chaincode::Chaincodes,
    certificates: Vec<CertificateFact>,
) -> OrgValues {
    let peers: Vec<&crate::plan::NodePlan> = org.nodes.iter().filter(|n| n.kind == NodeKind::Peer).collect();
    let peer_values = peers
        .iter()
        .enumerate()
        .map(|(i, n)| Peer {
            node: Node::of(&n.endpoint, &n.common_name),
            chaincode_address: format!("{}:7052", n.endpoint.dns.fqdn),
            gossip_bootstrap: peers[(i + 1) % peers.len()].endpoint.address.clone(),
            couchdb: n.couchdb,
        })
        .collect();
    let orderers = org
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Orderer)
        .map(|n| Node::of(&n.endpoint, &n.common_name))
        .collect();
    let first_orderer_org = plan.orgs.iter().find(|o| o.kind == OrgKind::Orderer).map(|o| o.name.as_str());
    let kafka = match (&plan.kafka, first_orderer_org == Some(org.name.as_str())) {
        (Some(k), true) => Kafka {
            enabled: true,
            brokers: k.brokers.iter().enumerate().map(|(i, b)| Broker { hostname: b.hostname.clone(), id: i as u32, address: b.address.clone() }).collect(),
            zookeepers: k.zookeepers.iter().enumerate().map(|(i, z)| Zk { hostname: z.hostname.clone(), id: i as u32 + 1 }).collect(),
            zookeeper_connect: k.zookeepers.iter().map(|z| z.address.clone()).collect::<Vec<_>>().join(","),
        },
        _ => Kafka { enabled: false, brokers: vec![], zookeepers: vec![], zookeeper_connect: String::new() },
    };
    let mut images: BTreeMap<String, Image> = org
        .images
        .iter()
        .map(|(c, i)| (component_key(*c).to_string(), Image { repository: i.repository.clone(), tag: i.tag.clone() }))
        .collect();
    images.insert("busybox".into(), Image { repository: "busybox".into(), tag: "1.36".into() });
    images.insert("curl".into(), Image { repository: "curlimages/curl".into(), tag: "8.11.1".into() });
    let mut storage: BTreeMap<String, String> =
        org.storage.sizes.iter().map(|(c, s)| (component_key(*c).to_string(), s.clone())).collect();
    storage.insert("className".into(), org.storage.class.clone().unwrap_or_default());
    let components = ["peer", "couchdb", "orderer", "ca", "cli", "kafka", "zookeeper"];
    let remote = |kind: OrgKind| -> BTreeMap<String, String> {
        plan.orgs
            .iter()
            .filter(|o| o.kind == kind && o.name != org.name)
            .filter_map(|o| tls_cas.get(&o.name).map(|c| (o.name.clone(), c.clone())))
            .collect()
    };
    OrgValues {
        global: Global::of(plan),
        org: OrgInfo {
            name: org.name.clone(),
            slug: org.slug.clone(),
            kind: org.kind,
            msp_id: org.msp_id.clone(),
            domain: org.domain.clone(),
            namespace: org.namespace.clone(),
            node_ous: org.enable_node_ous,
        },
        namespace: Create { create: true },
        images,
        image_pull_policy: "IfNotPresent".into(),
        image_pull_secrets: vec![],
        storage,
        service: BTreeMap::from([("type".to_string(), if plan.network.node_ports.enabled { "NodePort" } else { "ClusterIP" }.to_string())]),
        resources: components.iter().map(|c| (c.to_string(), BTreeMap::new())).collect(),
        probes: Probes { enabled: true, initial_delay_seconds: 10, period_seconds: 10, failure_threshold: 6 },
        extra_env: ["peer", "orderer", "ca", "couchdb", "cli"].iter().map(|c| (c.to_string(), vec![])).collect(),
        node_selector: BTreeMap::new(),
        tolerations: vec![],
        affinity: BTreeMap::new(),
        logging: "INFO".into(),
        ca: Ca { enabled: true, node: Node::of(&org.ca.server, &org.ca.common_name) },
        peers: peer_values,
        orderers,
        kafka,
        cli: Cli { enabled: true, peer_address: peers.first().map(|p| p.endpoint.address.clone()).unwrap_or_default() },
        admin: Named { common_name: org.users.iter().find(|u| u.admin).map(|u| u.common_name.clone()).unwrap_or_default() },
        network_policy: NetworkPolicy { enabled: true, external: vec![External { cidr: "0.0.0.0/0".into(), except: vec![] }] },
        remote_tls_cas: RemoteTlsCas { orderer_orgs: remote(OrgKind::Orderer), peer_orgs: remote(OrgKind::Peer) },
        orderer_addresses: plan
            .orgs
            .iter()
            .filter(|o| o.kind == OrgKind::Orderer)
            .flat_map(|o| o.nodes.iter().map(|n| n.endpoint.address.clone()))
            .collect(),
        genesis_block: String::new(),
        channel_jobs: ChannelJobs { enabled: true, backoff_limit: 3, attempts: 30, active_deadline_seconds: 1800 },
        configtx: if ch.configtx { chart_file("configtx.yaml") } else { String::new() },
        system_channel: ch
            .system_block
            .as_ref()
            .map(|b| BTreeMap::from([("name".to_string(), crate::channel::profile::SYSTEM_CHANNEL.to_string()), ("block".to_string(), chart_file(b))]))
            .unwrap_or_default(),
        channels: ch
            .channels
            .iter()
            .map(|c| ChannelValues {
                name: c.name.clone(),
                block: c.block.as_deref().map(chart_file),
                create_tx: c.create_tx.as_deref().map(chart_file),
                wait_member: c.wait_member,
                genesis_join: c.genesis_join.clone(),
                late: c.late,
                orderers: c.orderers.clone(),
                updates: c.updates.as_ref().map(|u| UpdateValues { plan: chart_file(&u.plan), files: u.files.iter().map(|f| chart_file(f)).collect(), pre: u.pre }),
            })
            .collect(),
        chaincodes: chaincode_values(plan, org, cc),
        connection: if org.kind == OrgKind::Peer && !peers.is_empty() { CHART_CONNECTION_DIR.to_string() } else { String::new() },
        monitoring: monitoring(plan, org, certificates),
    }
}

fn monitoring(plan: &Plan, org: &OrgPlan, certificates: Vec<CertificateFact>) -> Monitoring {
    let kube_prometheus = BTreeMap::from([("release".to_string(), "kube-prometheus-stack".to_string())]);
    Monitoring {
        annotations: Switch { enabled: true },
        service_monitor: ServiceMonitor { enabled: false, labels: kube_prometheus.clone(), interval: "30s".into(), scrape_timeout: "10s".into() },
        prometheus_rule: PrometheusRule {
            enabled: false,
            labels: kube_prometheus,
            certificate_expiry_days: 30,
            height_lag_blocks: 5,
            height_lag_for: "10m".into(),
            node_down_for: "5m".into(),
            leader_changes_15m: 3,
            endorsement_failure_percent: 5,
            volume_free_percent: 15,
        },
        dashboards: Dashboards {
            enabled: false,
            namespace: String::new(),
            labels: BTreeMap::from([("grafana_dashboard".to_string(), "1".to_string())]),
            annotations: BTreeMap::new(),
        },
        scrape_from: vec![serde_json::json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}})],
        network: plan.orgs.first().is_some_and(|o| o.slug == org.slug),
        namespaces: plan.orgs.iter().map(|o| o.namespace.clone()).collect(),
        orderer_namespaces: plan.orgs.iter().filter(|o| o.kind == OrgKind::Orderer).map(|o| o.namespace.clone()).collect(),
        renew_command: "fabchart renew TOPOLOGY -o OUT".into(),
        certificates,
    }
}

// ---- crypto values (secret) ----

#[derive(Serialize)]
struct CaCrypto {
    cert: String,
    key: String,
    #[serde(rename = "tlsCert")]
    tls_cert: String,
    #[serde(rename = "tlsKey")]
    tls_key: String,
    #[serde(rename = "bootstrapUser")]
    bootstrap_user: String,
    #[serde(rename = "bootstrapPassword")]
    bootstrap_password: String,
}

#[derive(Serialize)]
struct Pem {
    cert: String,
}

#[derive(Serialize)]
struct Identity {
    signcert: String,
    key: String,
    #[serde(rename = "keyFile")]
    key_file: String,
    #[serde(rename = "tlsCert")]
    tls_cert: String,
    #[serde(rename = "tlsKey")]
    tls_key: String,
    #[serde(rename = "couchdbPassword", skip_serializing_if = "Option::is_none")]
    couchdb_password: Option<String>,
}

#[derive(Serialize)]
pub struct OrgCrypto {
    ca: CaCrypto,
    tlsca: Pem,
    admincert: String,
    nodes: BTreeMap<String, Identity>,
    admin: Identity,
    /// Per chaincode this org runs: its server's TLS pair and the org's CCaaS package
    /// (which holds the peers' client key).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    chaincodes: BTreeMap<String, ChaincodeCrypto>,
}

#[derive(Serialize)]
struct ChaincodeCrypto {
    #[serde(rename = "tlsCert")]
    tls_cert: String,
    #[serde(rename = "tlsKey")]
    tls_key: String,
    /// The package (`.tar.gz`), base64.
    package: String,
}

/// A password derived from a private key: stable across builds, secret as the key is.
fn derive(secret: &str, label: &str) -> String {
    let d = Sha256::digest(format!("fabchart:{label}:{secret}").as_bytes());
    store::hex(&d[..16])
}

fn identity(dir: &Path, cn: &str, tls_stem: &str, couchdb: bool) -> Result<Identity, String> {
    let keystore = dir.join("msp/keystore");
    let key_path = store::find(&keystore, "_sk").ok_or_else(|| format!("no key in {}", keystore.display()))?;
    let key = store::read(&key_path)?;
    Ok(Identity {
        signcert: store::read(&dir.join("msp/signcerts").join(format!("{cn}-cert.pem")))?,
        key_file: key_path.file_name().unwrap_or_default().to_string_lossy().into_owned(),
        couchdb_password: couchdb.then(|| derive(&key, "couchdb")),
        key,
        tls_cert: store::read(&dir.join("tls").join(format!("{tls_stem}.crt")))?,
        tls_key: store::read(&dir.join("tls").join(format!("{tls_stem}.key")))?,
    })
}

pub fn org_crypto(store_dir: &Path, org: &OrgPlan, plan: &Plan, cc: &crate::chaincode::Chaincodes) -> Result<OrgCrypto, String> {
    use base64ct::{Base64, Encoding};
    let mut chaincodes = BTreeMap::new();
    for c in plan.chaincodes.iter().filter(|c| c.server(&org.name).is_some()) {
        let tls = crate::crypto::chaincode_dir(store_dir, org, &c.name).join("tls");
        let pkg = cc.package(&c.name, &org.name).ok_or_else(|| format!("internal: no package of {} for {}", c.name, org.name))?;
        chaincodes.insert(
            c.name.clone(),
            ChaincodeCrypto { tls_cert: store::read(&tls.join("server.crt"))?, tls_key: store::read(&tls.join("server.key"))?, package: Base64::encode_string(&pkg.bytes) },
        );
    }
    let od = store::org_dir(store_dir, org);
    let ca_key_path = store::find(&od.join("ca"), "_sk").ok_or_else(|| format!("no CA key in {}", od.join("ca").display()))?;
    let ca_key = store::read(&ca_key_path)?;
    let ca_cert = store::read(&store::find(&od.join("ca"), ".pem").ok_or("no CA certificate")?)?;
    let server = crate::crypto::ca_server_dir(store_dir, org).join("tls");
    let admin = org.users.iter().find(|u| u.admin).ok_or("no Admin")?;
    let admin_dir = store::user_dir(store_dir, org, admin);
    let mut nodes = BTreeMap::new();
    for n in &org.nodes {
        let dir = store::nodes_dir(store_dir, org).join(&n.common_name);
        nodes.insert(n.endpoint.hostname.clone(), identity(&dir, &n.common_name, "server", n.couchdb)?);
    }
    let admin_identity = identity(&admin_dir, &admin.common_name, "client", false)?;
    Ok(OrgCrypto {
        ca: CaCrypto {
            cert: ca_cert,
            bootstrap_password: derive(&ca_key, "ca-bootstrap"),
            key: ca_key,
            tls_cert: store::read(&server.join("server.crt"))?,
            tls_key: store::read(&server.join("server.key"))?,
            bootstrap_user: "admin".into(),
        },
        tlsca: Pem { cert: store::read(&store::find(&od.join("tlsca"), ".pem").ok_or("no TLS CA certificate")?)? },
        admincert: admin_identity.signcert.clone(),
        nodes,
        admin: admin_identity,
        chaincodes,
    })
}
