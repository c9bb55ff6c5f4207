//! Stage 1, load: a topology file (a superset of cryptogen's crypto-config.yaml) into a
//! typed [`Topology`] whose values remember their position in the file.
//!
//! Nothing is defaulted here: an absent key stays `None`, so later stages can tell what the
//! user wrote from what fabchart chose, and point at the right line.

pub mod decode;
pub mod template;
pub mod yaml;

use crate::diag::{Diagnostics, Span};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    pub v: T,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum FabricVersion {
    #[serde(rename = "1.4")]
    V1_4,
    #[serde(rename = "2.5")]
    V2_5,
    #[serde(rename = "3.1")]
    V3_1,
}

impl FabricVersion {
    pub const ALL: [(&'static str, FabricVersion); 3] =
        [("1.4", FabricVersion::V1_4), ("2.5", FabricVersion::V2_5), ("3.1", FabricVersion::V3_1)];
    pub fn as_str(self) -> &'static str {
        match self {
            FabricVersion::V1_4 => "1.4",
            FabricVersion::V2_5 => "2.5",
            FabricVersion::V3_1 => "3.1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Consensus {
    #[serde(rename = "solo")]
    Solo,
    #[serde(rename = "kafka")]
    Kafka,
    #[serde(rename = "etcdraft")]
    EtcdRaft,
    #[serde(rename = "BFT")]
    Bft,
}

impl Consensus {
    pub const ALL: [(&'static str, Consensus); 4] = [
        ("solo", Consensus::Solo),
        ("kafka", Consensus::Kafka),
        ("etcdraft", Consensus::EtcdRaft),
        ("BFT", Consensus::Bft),
    ];
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(_, c)| *c == self).map(|(s, _)| *s).unwrap_or("?")
    }
}

/// Key algorithm of a node's or user's keys (cryptogen 3.x `PublicKeyAlgorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyAlgorithm {
    Ecdsa,
    Ed25519,
}

/// The parts of a network that have an image and, for most, a volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Component {
    Peer,
    Orderer,
    CA,
    Tools,
    CouchDB,
    Kafka,
    ZooKeeper,
}

impl Component {
    pub const ALL: [Component; 7] = [
        Component::Peer,
        Component::Orderer,
        Component::CA,
        Component::Tools,
        Component::CouchDB,
        Component::Kafka,
        Component::ZooKeeper,
    ];
    /// The topology key naming this component (also its Storage/Images key).
    pub fn key(self) -> &'static str {
        match self {
            Component::Peer => "Peer",
            Component::Orderer => "Orderer",
            Component::CA => "CA",
            Component::Tools => "Tools",
            Component::CouchDB => "CouchDB",
            Component::Kafka => "Kafka",
            Component::ZooKeeper => "ZooKeeper",
        }
    }
    /// Components with a persistent volume (the CLI pod has none).
    pub fn has_storage(self) -> bool {
        self != Component::Tools
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImageSpec {
    pub repository: Option<Sp<String>>,
    pub tag: Option<Sp<String>>,
}

/// `Storage:` and `Images:` sections, at network level or as an org's override.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub storage_class: Option<Sp<String>>,
    pub sizes: Vec<(Component, Sp<String>)>,
    pub images: Vec<(Component, ImageSpec)>,
}

#[derive(Debug, Clone, Default)]
pub struct NodePortsSpec {
    pub enabled: Option<Sp<bool>>,
    pub base: Option<Sp<i64>>,
    pub org_stride: Option<Sp<i64>>,
    pub orderer_base: Option<Sp<i64>>,
    /// A node address (name or IP) apps outside the cluster reach the NodePorts on.
    pub address: Option<Sp<String>>,
    /// `Range: "30000-32767"`, parsed.
    pub range: Option<Sp<(i64, i64)>>,
}

#[derive(Debug, Clone)]
pub struct KafkaSpec {
    pub span: Span,
    pub brokers: Option<Sp<i64>>,
    pub zookeepers: Option<Sp<i64>>,
}

/// Scalar settings of a section, by key, as written (typed by the plan).
pub type Settings = Vec<(&'static str, Sp<String>)>;

/// `Network.Orderer` (or a channel's batch keys): configtx.yaml's orderer settings.
#[derive(Debug, Clone, Default)]
pub struct OrdererSettingsSpec {
    pub span: Option<Span>,
    pub batch_timeout: Option<Sp<String>>,
    /// `BatchSize`: MaxMessageCount, AbsoluteMaxBytes, PreferredMaxBytes.
    pub batch_size: Settings,
    pub etcdraft: Settings,
    pub etcdraft_span: Option<Span>,
    pub smartbft: Settings,
    pub smartbft_span: Option<Span>,
}

#[derive(Debug, Clone, Default)]
pub struct NetworkSpec {
    /// Where `Network:` is, if present.
    pub span: Option<Span>,
    pub name: Option<Sp<String>>,
    pub fabric_version: Option<Sp<FabricVersion>>,
    pub consensus: Option<Sp<Consensus>>,
    pub chart_name: Option<Sp<String>>,
    pub chart_version: Option<Sp<String>>,
    pub chart_description: Option<Sp<String>>,
    pub cluster_domain: Option<Sp<String>>,
    pub node_ports: NodePortsSpec,
    pub kafka: Option<KafkaSpec>,
    pub couchdb: Option<Sp<bool>>,
    pub resources: Resources,
    pub orderer: OrdererSettingsSpec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum OrgKind {
    #[serde(rename = "orderer")]
    Orderer,
    #[serde(rename = "peer")]
    Peer,
}

impl OrgKind {
    /// cryptogen's `{{.Prefix}}`.
    pub fn prefix(self) -> &'static str {
        match self {
            OrgKind::Orderer => "orderer",
            OrgKind::Peer => "peer",
        }
    }
    pub fn list_key(self) -> &'static str {
        match self {
            OrgKind::Orderer => "OrdererOrgs",
            OrgKind::Peer => "PeerOrgs",
        }
    }
}

/// cryptogen's `CA:` section; fabchart adds `SANS` use and `ExternalHosts`.
#[derive(Debug, Clone, Default)]
pub struct CaSpec {
    pub span: Option<Span>,
    pub hostname: Option<Sp<String>>,
    pub common_name: Option<Sp<String>>,
    pub country: Option<Sp<String>>,
    pub province: Option<Sp<String>>,
    pub locality: Option<Sp<String>>,
    pub organizational_unit: Option<Sp<String>>,
    pub street_address: Option<Sp<String>>,
    pub postal_code: Option<Sp<String>>,
    pub sans: Vec<Sp<String>>,
    pub external_hosts: Vec<Sp<String>>,
    pub key_algorithm: Option<Sp<KeyAlgorithm>>,
}

/// One `Specs:` entry.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    pub span: Span,
    pub hostname: Sp<String>,
    pub common_name: Option<Sp<String>>,
    pub sans: Vec<Sp<String>>,
    pub external_hosts: Vec<Sp<String>>,
    pub key_algorithm: Option<Sp<KeyAlgorithm>>,
    pub node_port_index: Option<Sp<i64>>,
}

#[derive(Debug, Clone)]
pub struct TemplateSpec {
    pub span: Span,
    pub count: Option<Sp<i64>>,
    pub start: Option<Sp<i64>>,
    pub hostname: Option<Sp<String>>,
    pub sans: Vec<Sp<String>>,
    pub external_hosts: Vec<Sp<String>>,
    pub key_algorithm: Option<Sp<KeyAlgorithm>>,
}

#[derive(Debug, Clone)]
pub struct UsersSpec {
    pub span: Span,
    pub count: Option<Sp<i64>>,
    pub key_algorithm: Option<Sp<KeyAlgorithm>>,
}

#[derive(Debug, Clone)]
pub struct OrgSpec {
    pub kind: OrgKind,
    /// Decoding this org reported an error: checks that would only repeat it are skipped.
    pub incomplete: bool,
    /// Position in its list (0-based).
    pub position: usize,
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub domain: Option<Sp<String>>,
    pub enable_node_ous: Option<Sp<bool>>,
    pub ca: CaSpec,
    pub specs: Vec<NodeSpec>,
    pub template: Option<TemplateSpec>,
    pub users: Option<UsersSpec>,
    pub namespace: Option<Sp<String>>,
    pub msp_id: Option<Sp<String>>,
    pub couchdb: Option<Sp<bool>>,
    pub node_port_slot: Option<Sp<i64>>,
    pub resources: Resources,
}

impl OrgSpec {
    /// How messages name this org: `PeerOrgs[1] (Org2)`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{}[{}] ({})", self.kind.list_key(), self.position, n.v),
            None => format!("{}[{}]", self.kind.list_key(), self.position),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ChannelSpec {
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub orgs: Vec<Sp<String>>,
    /// Org name → peer host names, in file order.
    pub anchor_peers: Vec<(Sp<String>, Vec<Sp<String>>)>,
    /// Orderer orgs serving the channel; `None` = all.
    pub orderer_orgs: Option<Vec<Sp<String>>>,
    /// The channel's own `BatchTimeout` and `BatchSize` (over `Network.Orderer`'s).
    pub batch: OrdererSettingsSpec,
    /// Decoding this channel reported an error.
    pub incomplete: bool,
}

/// A private data collection of a chaincode (Fabric's collection config).
#[derive(Debug, Clone)]
pub struct CollectionSpec {
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub policy: Option<Sp<String>>,
    pub required_peer_count: Option<Sp<i64>>,
    pub max_peer_count: Option<Sp<i64>>,
    pub block_to_live: Option<Sp<i64>>,
    pub member_only_read: Option<Sp<bool>>,
    pub member_only_write: Option<Sp<bool>>,
    pub endorsement_policy: Option<Sp<String>>,
}

/// `Chaincodes[]`: a chaincode run as a service (CCaaS) on some orgs of some channels.
#[derive(Debug, Clone)]
pub struct ChaincodeSpec {
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub version: Option<Sp<String>>,
    pub image: Option<(Span, ImageSpec)>,
    pub channels: Vec<Sp<String>>,
    /// `None`: every peer org of the channels.
    pub orgs: Option<Vec<Sp<String>>>,
    pub endorsement_policy: Option<Sp<String>>,
    pub init_required: Option<Sp<bool>>,
    pub collections: Vec<CollectionSpec>,
    pub port: Option<Sp<i64>>,
    pub replicas: Option<Sp<i64>>,
    pub env: Vec<(Sp<String>, Sp<String>)>,
    /// Decoding this chaincode reported an error.
    pub incomplete: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Topology {
    pub network: NetworkSpec,
    pub orderer_orgs: Vec<OrgSpec>,
    pub peer_orgs: Vec<OrgSpec>,
    pub channels: Vec<ChannelSpec>,
    pub chaincodes: Vec<ChaincodeSpec>,
    /// Whether the file has a `Channels` key at all (absent: the talk's default channel).
    pub channels_declared: bool,
}

impl Topology {
    /// Orderer orgs then peer orgs: the order cryptogen's `generate` does NOT use, but the
    /// one the plan and reports use (orderers first, as the talk's start order does).
    pub fn orgs(&self) -> impl Iterator<Item = &OrgSpec> {
        self.orderer_orgs.iter().chain(self.peer_orgs.iter())
    }
}

/// A topology file's text, with its name for messages.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    /// Reads a file; non-UTF-8 content is reported as a diagnostic, not a panic.
    pub fn read(path: &std::path::Path) -> Result<Source, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(Source::from_bytes(path.display().to_string(), bytes))
    }
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Source {
        match String::from_utf8(bytes) {
            Ok(text) => Source { name, text },
            Err(e) => {
                // Keep the valid prefix so the position of the first bad byte can be shown.
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let mut text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
                text.push('\u{FFFD}');
                Source { name, text }
            }
        }
    }
    pub fn is_utf8_truncated(&self) -> bool {
        self.text.ends_with('\u{FFFD}')
    }
}

/// Loads a topology: YAML syntax, shapes, types and unknown keys. Returns what could be
/// decoded (possibly partial) and every problem found.
pub fn load(source: &Source, diags: &mut Diagnostics) -> Topology {
    if source.is_utf8_truncated() {
        let line = source.text.lines().count().max(1);
        let col = source.text.lines().last().map(|l| l.chars().count() - 1).unwrap_or(0);
        diags
            .error(Some(Span::new(line, col, 1)), "the file is not UTF-8 text (is it a binary file?)")
            .add_help("a topology is a YAML text file; save it as UTF-8");
        return Topology::default();
    }
    let root = match yaml::parse(&source.text) {
        Ok(root) => root,
        Err(d) => {
            diags.push(d);
            return Topology::default();
        }
    };
    match root {
        None => {
            diags
                .error(None, "the topology is empty")
                .add_help("list at least one org under `PeerOrgs:` or `OrdererOrgs:`; `fabchart init` prints a commented example");
            Topology::default()
        }
        Some(root) if matches!(root.value, yaml::Value::Null) => {
            diags
                .error(None, "the topology is empty")
                .add_help("list at least one org under `PeerOrgs:` or `OrdererOrgs:`; `fabchart init` prints a commented example");
            Topology::default()
        }
        Some(root) => decode::decode(&root, diags),
    }
}
