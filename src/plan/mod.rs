//! Stage 3, plan: the one resolved, typed model of the network that later stages (crypto,
//! chart emission, packaging) consume. Every default is applied here, every name is
//! composed here, every NodePort is computed here; nothing downstream invents a name.
//!
//! The plan is a pure function of the topology: the same file gives the same plan,
//! byte for byte when serialised (`fabchart plan`).

pub mod build;
pub mod chaincode;
pub mod defaults;
pub mod names;
pub mod orderer;
pub mod policydsl;
pub mod ports;

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::topology::{Component, Consensus, FabricVersion, KeyAlgorithm, OrgKind};

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub network: NetworkPlan,
    /// Orderer orgs (file order), then peer orgs (file order).
    pub orgs: Vec<OrgPlan>,
    /// Kafka brokers and ZooKeeper servers, when consensus is kafka.
    pub kafka: Option<KafkaPlan>,
    pub channels: Vec<ChannelPlan>,
    /// Chaincodes run as a service (`Chaincodes`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chaincodes: Vec<chaincode::ChaincodePlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkPlan {
    pub name: String,
    #[serde(rename = "fabricVersion")]
    pub fabric_version: FabricVersion,
    pub consensus: Consensus,
    pub chart: ChartPlan,
    #[serde(rename = "clusterDomain")]
    pub cluster_domain: String,
    #[serde(rename = "nodePorts")]
    pub node_ports: NodePortScheme,
    /// configtx.yaml's orderer settings (`Network.Orderer`).
    pub orderer: orderer::OrdererSettings,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChartPlan {
    pub name: String,
    pub version: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodePortScheme {
    pub enabled: bool,
    pub base: u32,
    #[serde(rename = "orgStride")]
    pub org_stride: u32,
    #[serde(rename = "ordererBase")]
    pub orderer_base: u32,
    /// Inclusive, as kube-apiserver's `--service-node-port-range`.
    pub range: (u32, u32),
    /// A node address apps outside the cluster reach the NodePorts on (connection profiles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl NodePortScheme {
    /// Highest templated peer index M whose ports (`+2M+1`, `+2M+2`) fit an org's block.
    pub fn max_peer_index(&self) -> u32 {
        (self.org_stride.saturating_sub(3)) / 2
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgPlan {
    pub name: String,
    pub kind: OrgKind,
    /// Lower-case key of the org for file and chart names (`org1`).
    pub slug: String,
    pub domain: String,
    #[serde(rename = "mspId")]
    pub msp_id: String,
    pub namespace: String,
    #[serde(rename = "enableNodeOUs")]
    pub enable_node_ous: bool,
    /// Peer orgs: N in the NodePort formula. Orderer orgs: none (orderers use k).
    #[serde(rename = "nodePortSlot", skip_serializing_if = "Option::is_none")]
    pub node_port_slot: Option<u32>,
    pub ca: CaPlan,
    /// Peers or orderers, in cryptogen order (Specs, then Template).
    pub nodes: Vec<NodePlan>,
    /// Admin first, then User1..UserN (orderer orgs: Admin only).
    pub users: Vec<UserPlan>,
    /// Peer orgs: each peer gets a CouchDB sidecar.
    pub couchdb: bool,
    pub storage: StoragePlan,
    pub images: BTreeMap<Component, Image>,
}

/// Subject fields every certificate of the org carries (cryptogen's CA section).
#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub country: String,
    pub province: String,
    pub locality: String,
    #[serde(rename = "organizationalUnit", skip_serializing_if = "Option::is_none")]
    pub organizational_unit: Option<String>,
    #[serde(rename = "streetAddress", skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(rename = "postalCode", skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaPlan {
    /// CN of the signing CA (`ca.<Domain>`); the TLS CA is `tls` + this.
    #[serde(rename = "commonName")]
    pub common_name: String,
    #[serde(rename = "tlsCommonName")]
    pub tls_common_name: String,
    pub subject: Subject,
    #[serde(rename = "keyAlgorithm")]
    pub key_algorithm: KeyAlgorithm,
    /// The Fabric CA server: its Service, names and the SANs of its TLS certificate.
    pub server: Endpoint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NodeKind {
    #[serde(rename = "peer")]
    Peer,
    #[serde(rename = "orderer")]
    Orderer,
    #[serde(rename = "ca")]
    Ca,
    #[serde(rename = "kafka")]
    Kafka,
    #[serde(rename = "zookeeper")]
    ZooKeeper,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodePlan {
    pub kind: NodeKind,
    /// Common name, also the node's directory in the crypto store (`peer0.org1`).
    #[serde(rename = "commonName")]
    pub common_name: String,
    /// M (peers) or k (orderers) of the NodePort formula.
    #[serde(rename = "nodePortIndex")]
    pub node_port_index: u32,
    #[serde(rename = "keyAlgorithm")]
    pub key_algorithm: KeyAlgorithm,
    /// Peers: runs a CouchDB sidecar (its port is in `endpoint.ports`).
    pub couchdb: bool,
    #[serde(flatten)]
    pub endpoint: Endpoint,
}

/// Something other pods and clients dial: its Service, DNS names, TLS SANs and ports.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    /// Host name as cryptogen names it (`peer0`, `orderer0`, `ca`).
    pub hostname: String,
    pub namespace: String,
    /// Kubernetes Service name (the host name, lower-cased): a ClusterIP Service with every
    /// port; its DNS names are what other nodes dial and what the TLS certificate holds.
    pub service: String,
    /// The Service that publishes the planned NodePorts (`<service>-nodeport`), when any:
    /// it carries only those ports, so Kubernetes allocates no NodePort of its own that
    /// could take another org's planned one.
    #[serde(rename = "nodePortService", skip_serializing_if = "Option::is_none")]
    pub node_port_service: Option<String>,
    pub dns: DnsNames,
    /// `host:port` other nodes dial (the Service's cluster FQDN and the main port).
    pub address: String,
    /// Names outside the cluster that reach this node (through its NodePorts).
    #[serde(rename = "externalHosts")]
    pub external_hosts: Vec<String>,
    /// Every name a client may dial: the TLS certificate's SANs, in this order.
    pub sans: Vec<San>,
    pub ports: Vec<Port>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsNames {
    pub short: String,
    pub namespaced: String,
    pub svc: String,
    pub fqdn: String,
}

/// A subject alternative name; serialised as openssl prints it (`DNS:peer0`, `IP:127.0.0.1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    Dns(String),
    Ip(IpAddr),
}

impl std::fmt::Display for San {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            San::Dns(d) => write!(f, "DNS:{d}"),
            San::Ip(ip) => write!(f, "IP:{ip}"),
        }
    }
}

impl Serialize for San {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl San {
    pub fn parse(s: &str) -> San {
        match s.parse::<IpAddr>() {
            Ok(ip) => San::Ip(ip),
            Err(_) => San::Dns(s.to_string()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Port {
    /// IANA service name, <= 15 characters (Kubernetes port name).
    pub name: &'static str,
    /// The container serving it (`peer`, `couchdb`, ...).
    pub container: &'static str,
    #[serde(rename = "containerPort")]
    pub container_port: u16,
    /// Whether the node's Service publishes it (CouchDB stays pod-local).
    pub service: bool,
    #[serde(rename = "nodePort")]
    pub node_port: Option<u16>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserPlan {
    /// `Admin` or `User<i>`.
    pub name: String,
    /// `Admin@<Domain>`, also the user's directory in the crypto store.
    #[serde(rename = "commonName")]
    pub common_name: String,
    pub admin: bool,
    #[serde(rename = "keyAlgorithm")]
    pub key_algorithm: KeyAlgorithm,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoragePlan {
    /// `None`: the cluster's default StorageClass.
    pub class: Option<String>,
    pub sizes: BTreeMap<Component, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    pub repository: String,
    pub tag: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct KafkaPlan {
    pub namespace: String,
    pub brokers: Vec<Endpoint>,
    pub zookeepers: Vec<Endpoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChannelPlan {
    pub name: String,
    /// Member peer orgs, by Name.
    pub orgs: Vec<String>,
    #[serde(rename = "ordererOrgs")]
    pub orderer_orgs: Vec<String>,
    #[serde(rename = "anchorPeers")]
    pub anchor_peers: Vec<AnchorPeer>,
    /// Batch timeout and size (the channel's own, else `Network.Orderer`'s).
    pub batch: orderer::Batch,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnchorPeer {
    pub org: String,
    pub hostname: String,
    /// Host and port written into the channel config (a SAN of the peer's TLS cert).
    pub host: String,
    pub port: u16,
}

impl Plan {
    pub fn chaincode(&self, name: &str) -> Option<&chaincode::ChaincodePlan> {
        self.chaincodes.iter().find(|c| c.name == name)
    }
    pub fn org(&self, name: &str) -> Option<&OrgPlan> {
        self.orgs.iter().find(|o| o.name == name)
    }
    /// Every endpoint of the network with its org: CAs, nodes, Kafka and ZooKeeper.
    pub fn endpoints(&self) -> Vec<(&str, NodeKind, &Endpoint)> {
        let mut v: Vec<(&str, NodeKind, &Endpoint)> = Vec::new();
        for o in &self.orgs {
            v.push((&o.name, NodeKind::Ca, &o.ca.server));
            for n in &o.nodes {
                v.push((&o.name, n.kind, &n.endpoint));
            }
        }
        if let Some(k) = &self.kafka {
            let owner = self.orgs.iter().find(|o| o.kind == OrgKind::Orderer).map(|o| o.name.as_str()).unwrap_or("");
            v.extend(k.brokers.iter().map(|e| (owner, NodeKind::Kafka, e)));
            v.extend(k.zookeepers.iter().map(|e| (owner, NodeKind::ZooKeeper, e)));
        }
        v
    }
}
