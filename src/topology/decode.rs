//! The YAML tree into a [`Topology`]: shapes, types, required keys, unknown keys (with a
//! "did you mean"), duplicate keys. Every problem is recorded and decoding carries on,
//! so one run reports all of them.

use super::yaml::{Node, Value, parse_bool, parse_int_checked};
use super::*;
use crate::diag::{Diagnostics, Span, did_you_mean};

/// Keys of each section, as the reference table in README.md lists them.
const TOP_KEYS: &[&str] = &["Network", "OrdererOrgs", "PeerOrgs", "Channels", "Chaincodes"];
const NETWORK_KEYS: &[&str] = &[
    "Name",
    "FabricVersion",
    "Consensus",
    "Chart",
    "ClusterDomain",
    "NodePorts",
    "Kafka",
    "CouchDB",
    "Storage",
    "Images",
    "Orderer",
];
/// configtx.yaml's orderer settings (`Network.Orderer`; a channel has the batch keys).
const ORDERER_KEYS: &[&str] = &["BatchTimeout", "BatchSize", "EtcdRaft", "SmartBFT"];
pub const BATCH_SIZE_KEYS: &[&str] = &["MaxMessageCount", "AbsoluteMaxBytes", "PreferredMaxBytes"];
pub const ETCDRAFT_KEYS: &[&str] = &["TickInterval", "ElectionTick", "HeartbeatTick", "MaxInflightBlocks", "SnapshotIntervalSize"];
pub const SMARTBFT_KEYS: &[&str] = &[
    "RequestBatchMaxCount",
    "RequestBatchMaxBytes",
    "RequestBatchMaxInterval",
    "IncomingMessageBufferSize",
    "RequestPoolSize",
    "RequestForwardTimeout",
    "RequestComplainTimeout",
    "RequestAutoRemoveTimeout",
    "ViewChangeResendInterval",
    "ViewChangeTimeout",
    "LeaderHeartbeatTimeout",
    "LeaderHeartbeatCount",
    "CollectTimeout",
];
const CHART_KEYS: &[&str] = &["Name", "Version", "Description"];
const NODEPORT_KEYS: &[&str] = &["Enabled", "Base", "OrgStride", "OrdererBase", "Range", "Address"];
const KAFKA_KEYS: &[&str] = &["Brokers", "ZooKeepers"];
const ORG_KEYS: &[&str] = &[
    "Name",
    "Domain",
    "EnableNodeOUs",
    "CA",
    "Specs",
    "Template",
    "Users",
    "Namespace",
    "MSPID",
    "CouchDB",
    "NodePortSlot",
    "Storage",
    "Images",
];
const CA_KEYS: &[&str] = &[
    "Hostname",
    "CommonName",
    "Country",
    "Province",
    "Locality",
    "OrganizationalUnit",
    "StreetAddress",
    "PostalCode",
    "SANS",
    "ExternalHosts",
    "PublicKeyAlgorithm",
];
/// cryptogen accepts the subject fields on node specs and ignores them.
const SUBJECT_KEYS: &[&str] =
    &["Country", "Province", "Locality", "OrganizationalUnit", "StreetAddress", "PostalCode"];
const SPEC_KEYS: &[&str] = &[
    "Hostname",
    "CommonName",
    "SANS",
    "ExternalHosts",
    "PublicKeyAlgorithm",
    "NodePortIndex",
    "Country",
    "Province",
    "Locality",
    "OrganizationalUnit",
    "StreetAddress",
    "PostalCode",
];
const TEMPLATE_KEYS: &[&str] = &["Count", "Start", "Hostname", "SANS", "ExternalHosts", "PublicKeyAlgorithm"];
const USERS_KEYS: &[&str] = &["Count", "PublicKeyAlgorithm"];
const CHANNEL_KEYS: &[&str] = &["Name", "Orgs", "AnchorPeers", "OrdererOrgs", "BatchTimeout", "BatchSize"];
const IMAGE_KEYS: &[&str] = &["Repository", "Tag"];
const CHAINCODE_KEYS: &[&str] = &["Name", "Version", "Image", "Channels", "Orgs", "EndorsementPolicy", "InitRequired", "Collections", "Port", "Replicas", "Env"];
const COLLECTION_KEYS: &[&str] = &["Name", "Policy", "RequiredPeerCount", "MaxPeerCount", "BlockToLive", "MemberOnlyRead", "MemberOnlyWrite", "EndorsementPolicy"];
const STORAGE_KEYS: &[&str] = &["Class", "Peer", "Orderer", "CA", "CouchDB", "Kafka", "ZooKeeper"];
const IMAGES_KEYS: &[&str] = &["Peer", "Orderer", "CA", "Tools", "CouchDB", "Kafka", "ZooKeeper"];

/// Every section and its keys, for documentation checks (README's reference table).
pub const SECTIONS: &[(&str, &[&str])] = &[
    ("top level", TOP_KEYS),
    ("Network", NETWORK_KEYS),
    ("Network.Chart", CHART_KEYS),
    ("Network.NodePorts", NODEPORT_KEYS),
    ("Network.Kafka", KAFKA_KEYS),
    ("Network.Orderer", ORDERER_KEYS),
    ("BatchSize", BATCH_SIZE_KEYS),
    ("Network.Orderer.EtcdRaft", ETCDRAFT_KEYS),
    ("Network.Orderer.SmartBFT", SMARTBFT_KEYS),
    ("Storage", STORAGE_KEYS),
    ("Images", IMAGES_KEYS),
    ("Images.<component>", IMAGE_KEYS),
    ("org", ORG_KEYS),
    ("CA", CA_KEYS),
    ("Specs[]", SPEC_KEYS),
    ("Template", TEMPLATE_KEYS),
    ("Users", USERS_KEYS),
    ("Channels[]", CHANNEL_KEYS),
    ("Chaincodes[]", CHAINCODE_KEYS),
    ("Chaincodes[].Collections[]", COLLECTION_KEYS),
];

/// A mapping being decoded: hands out entries by key and reports the keys nobody asked for.
struct MapReader<'a> {
    path: String,
    entries: Vec<(&'a str, &'a Node, &'a Node)>,
    used: Vec<bool>,
    known: &'static [&'static str],
}

impl<'a> MapReader<'a> {
    fn get(&mut self, key: &str) -> Option<&'a Node> {
        debug_assert!(self.known.contains(&key), "{key} missing from the known keys");
        let i = self.entries.iter().position(|(k, _, _)| *k == key)?;
        self.used[i] = true;
        Some(self.entries[i].2)
    }
    /// An unknown key that is probably `key` misspelt (reported as unknown already).
    fn has_near_miss(&self, key: &str) -> bool {
        self.entries.iter().enumerate().any(|(i, (k, _, _))| !self.used[i] && !self.known.contains(k) && did_you_mean(k, &[key]).is_some())
    }
    fn key_span(&self, key: &str) -> Option<Span> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, k, _)| k.span)
    }
    fn finish(self, d: &mut Diagnostics) {
        for (i, (key, knode, _)) in self.entries.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            let diag = d.error(Some(knode.span), format!("unknown key `{key}` in {}", self.path));
            match did_you_mean(key, self.known) {
                Some(s) if s.eq_ignore_ascii_case(key) => {
                    diag.add_help(format!("keys are case-sensitive: write `{s}`"));
                }
                Some(s) => {
                    diag.add_help(format!("did you mean `{s}`?"));
                }
                None => {
                    diag.add_help(format!("the keys allowed here are: {}", self.known.join(", ")));
                }
            }
        }
    }
}

struct Decoder<'d> {
    d: &'d mut Diagnostics,
}

impl<'d> Decoder<'d> {
    fn type_error(&mut self, n: &Node, path: &str, expected: &str) {
        let found = n.kind_name();
        let diag = self.d.error(Some(n.span), format!("{path} must be {expected}, but it is {found}"));
        if expected.contains("integer") && found == "a quoted string" {
            diag.add_help("remove the quotes around the number");
        } else if expected.contains("integer") {
            diag.add_help("write a whole number, e.g. `2`");
        } else if expected.starts_with("a list") {
            diag.add_help("start each item with `- ` on its own line, e.g. `- Name: Org1`");
        } else if expected == "true or false" {
            diag.add_help("write `true` or `false`");
        } else if expected.starts_with("a mapping") {
            diag.add_help("write `Key: value` pairs, indented under the key, or `{Key: value}`");
        }
    }

    fn map<'a>(&mut self, n: &'a Node, path: &str, known: &'static [&'static str]) -> Option<MapReader<'a>> {
        let out = self.entries(n, path)?;
        let used = vec![false; out.len()];
        Some(MapReader { path: path.to_string(), entries: out, used, known })
    }

    /// A mapping's entries by key text, reporting non-scalar and duplicate keys.
    fn entries<'a>(&mut self, n: &'a Node, path: &str) -> Option<Vec<(&'a str, &'a Node, &'a Node)>> {
        let Value::Map(entries) = &n.value else {
            if !matches!(n.value, Value::Null) {
                self.type_error(n, path, "a mapping (`Key: value` lines)");
            }
            return None;
        };
        let mut out: Vec<(&'a str, &'a Node, &'a Node)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Value::Scalar { text, .. } = &k.value else {
                self.d
                    .error(Some(k.span), format!("keys in {path} must be plain words, not {}", k.kind_name()));
                continue;
            };
            if let Some((_, first, _)) = out.iter().find(|(t, _, _)| *t == text.as_str()) {
                let first_line = first.span.line;
                self.d
                    .error(Some(k.span), format!("duplicate key `{text}` in {path}"))
                    .add_help(format!("it is already set on line {first_line}; keep one of the two"));
                continue;
            }
            out.push((text.as_str(), k, v));
        }
        Some(out)
    }

    fn seq<'a>(&mut self, n: &'a Node, path: &str) -> &'a [Node] {
        match &n.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.type_error(n, path, "a list (`- item` lines or `[a, b]`)");
                &[]
            }
        }
    }

    fn string(&mut self, n: Option<&Node>, path: &str) -> Option<Sp<String>> {
        let n = n?;
        match &n.value {
            Value::Scalar { text, .. } => Some(Sp { v: text.clone(), span: n.span }),
            Value::Null => None,
            _ => {
                self.type_error(n, path, "a string");
                None
            }
        }
    }

    fn strings(&mut self, n: Option<&Node>, path: &str) -> Vec<Sp<String>> {
        let Some(n) = n else { return vec![] };
        let items = self.seq(n, path);
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.string(Some(item), &format!("{path}[{i}]")))
            .collect()
    }

    fn int(&mut self, n: Option<&Node>, path: &str) -> Option<Sp<i64>> {
        let n = n?;
        match &n.value {
            Value::Scalar { text, plain: true } if parse_int_checked(text).is_some() => match parse_int_checked(text) {
                Some(Ok(v)) => Some(Sp { v, span: n.span }),
                _ => {
                    self.d.error(Some(n.span), format!("{path} is {text}, far too large a number")).add_help("use a number that makes sense here");
                    None
                }
            },
            Value::Null => None,
            _ => {
                self.type_error(n, path, "an integer");
                None
            }
        }
    }

    /// A non-negative integer no larger than `max`.
    fn count(&mut self, n: Option<&Node>, path: &str, max: i64, why: &str) -> Option<Sp<i64>> {
        let v = self.int(n, path)?;
        if v.v < 0 {
            self.d
                .error(Some(v.span), format!("{path} must not be negative (it is {})", v.v))
                .add_help("use 0 or a positive number");
            return None;
        }
        if v.v > max {
            self.d
                .error(Some(v.span), format!("{path} is {}, more than fabchart accepts ({max})", v.v))
                .add_help(why.to_string());
            return None;
        }
        Some(v)
    }

    fn bool(&mut self, n: Option<&Node>, path: &str) -> Option<Sp<bool>> {
        let n = n?;
        match &n.value {
            Value::Scalar { text, plain: true } if parse_bool(text).is_some() => {
                Some(Sp { v: parse_bool(text).unwrap(), span: n.span })
            }
            Value::Null => None,
            _ => {
                self.type_error(n, path, "true or false");
                None
            }
        }
    }

    /// One of a fixed set of words; matched case-insensitively, reported with the right case.
    fn choice<T: Copy>(&mut self, n: Option<&Node>, path: &str, options: &[(&'static str, T)]) -> Option<Sp<T>> {
        let s = self.string(n, path)?;
        if let Some((_, v)) = options.iter().find(|(k, _)| k.eq_ignore_ascii_case(&s.v)) {
            return Some(Sp { v: *v, span: s.span });
        }
        let names: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
        let diag = self.d.error(
            Some(s.span),
            format!("{path} `{}` is not one of: {}", s.v, names.join(", ")),
        );
        match did_you_mean(&s.v, &names) {
            Some(m) => diag.add_help(format!("did you mean `{m}`?")),
            None => diag.add_help(format!("write one of them, quoted: e.g. `\"{}\"`", names.last().unwrap_or(&""))),
        };
        None
    }

    /// A name users refer to: not blank, no control characters, no surrounding spaces.
    fn name(&mut self, n: Option<&Node>, path: &str) -> Option<Sp<String>> {
        let s = self.string(n, path)?;
        if s.v.trim().is_empty() || s.v.chars().any(char::is_control) || s.v.trim() != s.v {
            self.d
                .error(Some(s.span), format!("{path} `{}` is blank or holds control characters or surrounding spaces", s.v.escape_debug()))
                .add_help("use a plain single-line name such as `Org1`");
            return None;
        }
        Some(s)
    }

    /// A plain scalar (number or string), as written.
    fn scalar(&mut self, n: Option<&Node>, path: &str) -> Option<Sp<String>> {
        let n = n?;
        match &n.value {
            Value::Scalar { text, .. } => Some(Sp { v: text.clone(), span: n.span }),
            Value::Null => None,
            _ => {
                self.type_error(n, path, "a number or a string");
                None
            }
        }
    }

    /// A mapping of scalar settings with known keys.
    fn settings(&mut self, n: &Node, path: &str, keys: &'static [&'static str]) -> Settings {
        let Some(mut m) = self.map(n, path, keys) else { return vec![] };
        let mut out = vec![];
        for k in keys {
            if let Some(v) = self.scalar(m.get(k), &format!("{path}.{k}")) {
                out.push((*k, v));
            }
        }
        m.finish(self.d);
        out
    }

    /// `BatchTimeout` and `BatchSize` of a mapping (Network.Orderer or a channel).
    fn batch(&mut self, m: &mut MapReader, path: &str) -> OrdererSettingsSpec {
        let mut o = OrdererSettingsSpec { batch_timeout: self.scalar(m.get("BatchTimeout"), &format!("{path}.BatchTimeout")), ..Default::default() };
        if let Some(b) = m.get("BatchSize") {
            o.batch_size = self.settings(b, &format!("{path}.BatchSize"), BATCH_SIZE_KEYS);
        }
        o
    }

    fn orderer_settings(&mut self, n: &Node) -> OrdererSettingsSpec {
        let Some(mut m) = self.map(n, "Network.Orderer", ORDERER_KEYS) else { return OrdererSettingsSpec::default() };
        let mut o = self.batch(&mut m, "Network.Orderer");
        o.span = Some(n.span);
        if let Some(r) = m.get("EtcdRaft") {
            o.etcdraft_span = m.key_span("EtcdRaft");
            o.etcdraft = self.settings(r, "Network.Orderer.EtcdRaft", ETCDRAFT_KEYS);
        }
        if let Some(b) = m.get("SmartBFT") {
            o.smartbft_span = m.key_span("SmartBFT");
            o.smartbft = self.settings(b, "Network.Orderer.SmartBFT", SMARTBFT_KEYS);
        }
        m.finish(self.d);
        o
    }

    fn key_algorithm(&mut self, n: Option<&Node>, path: &str) -> Option<Sp<KeyAlgorithm>> {
        self.choice(n, path, &[("ecdsa", KeyAlgorithm::Ecdsa), ("ed25519", KeyAlgorithm::Ed25519)])
    }

    fn resources(&mut self, storage: Option<&Node>, images: Option<&Node>, path: &str) -> Resources {
        let mut r = Resources::default();
        if let Some(n) = storage {
            let p = format!("{path}.Storage");
            if let Some(mut m) = self.map(n, &p, STORAGE_KEYS) {
                r.storage_class = self.string(m.get("Class"), &format!("{p}.Class"));
                for c in Component::ALL.into_iter().filter(|c| c.has_storage()) {
                    if let Some(s) = self.string(m.get(c.key()), &format!("{p}.{}", c.key())) {
                        r.sizes.push((c, s));
                    }
                }
                m.finish(self.d);
            }
        }
        if let Some(n) = images {
            let p = format!("{path}.Images");
            if let Some(mut m) = self.map(n, &p, IMAGES_KEYS) {
                for c in Component::ALL {
                    let Some(img) = m.get(c.key()) else { continue };
                    let ip = format!("{p}.{}", c.key());
                    if let Some(mut im) = self.map(img, &ip, IMAGE_KEYS) {
                        let spec = ImageSpec {
                            repository: self.string(im.get("Repository"), &format!("{ip}.Repository")),
                            tag: self.string(im.get("Tag"), &format!("{ip}.Tag")),
                        };
                        im.finish(self.d);
                        r.images.push((c, spec));
                    }
                }
                m.finish(self.d);
            }
        }
        r
    }

    fn network(&mut self, n: &Node) -> NetworkSpec {
        let mut net = NetworkSpec { span: Some(n.span), ..Default::default() };
        let Some(mut m) = self.map(n, "Network", NETWORK_KEYS) else { return net };
        net.name = self.string(m.get("Name"), "Network.Name");
        net.fabric_version = self.choice(m.get("FabricVersion"), "Network.FabricVersion", &FabricVersion::ALL);
        net.consensus = self.choice(m.get("Consensus"), "Network.Consensus", &Consensus::ALL);
        if let Some(c) = m.get("Chart") {
            if let Some(mut cm) = self.map(c, "Network.Chart", CHART_KEYS) {
                net.chart_name = self.string(cm.get("Name"), "Network.Chart.Name");
                net.chart_version = self.string(cm.get("Version"), "Network.Chart.Version");
                net.chart_description = self.string(cm.get("Description"), "Network.Chart.Description");
                cm.finish(self.d);
            }
        }
        net.cluster_domain = self.string(m.get("ClusterDomain"), "Network.ClusterDomain");
        if let Some(np) = m.get("NodePorts") {
            if let Some(mut pm) = self.map(np, "Network.NodePorts", NODEPORT_KEYS) {
                let p = &mut net.node_ports;
                p.enabled = self.bool(pm.get("Enabled"), "Network.NodePorts.Enabled");
                p.base = self.int(pm.get("Base"), "Network.NodePorts.Base");
                p.org_stride = self.int(pm.get("OrgStride"), "Network.NodePorts.OrgStride");
                p.orderer_base = self.int(pm.get("OrdererBase"), "Network.NodePorts.OrdererBase");
                p.address = self.string(pm.get("Address"), "Network.NodePorts.Address");
                if let Some(r) = self.string(pm.get("Range"), "Network.NodePorts.Range") {
                    p.range = parse_range(&r.v).map(|v| Sp { v, span: r.span });
                    if p.range.is_none() {
                        self.d
                            .error(Some(r.span), format!("Network.NodePorts.Range `{}` is not a port range", r.v))
                            .add_help("write it as kube-apiserver's --service-node-port-range does, e.g. \"30000-32767\"");
                    }
                }
                pm.finish(self.d);
            }
        }
        if let Some(k) = m.get("Kafka") {
            if let Some(mut km) = self.map(k, "Network.Kafka", KAFKA_KEYS) {
                net.kafka = Some(KafkaSpec {
                    span: m.key_span("Kafka").unwrap_or(k.span),
                    brokers: self.count(km.get("Brokers"), "Network.Kafka.Brokers", 64, "a Kafka ordering service needs 4 to 7 brokers"),
                    zookeepers: self.count(km.get("ZooKeepers"), "Network.Kafka.ZooKeepers", 15, "ZooKeeper ensembles have 3, 5 or 7 servers"),
                });
                km.finish(self.d);
            }
        }
        net.couchdb = self.bool(m.get("CouchDB"), "Network.CouchDB");
        net.resources = self.resources(m.get("Storage"), m.get("Images"), "Network");
        if let Some(o) = m.get("Orderer") {
            net.orderer = self.orderer_settings(o);
        }
        m.finish(self.d);
        net
    }

    fn org(&mut self, n: &Node, kind: OrgKind, position: usize) -> Option<OrgSpec> {
        let path = format!("{}[{position}]", kind.list_key());
        let mut m = self.map(n, &path, ORG_KEYS)?;
        let errors_before = self.d.error_count();
        let name = self.name(m.get("Name"), &format!("{path}.Name"));
        // Messages below name the org by its Name once known.
        let path = match &name {
            Some(nm) => format!("{path} ({})", nm.v),
            None => path,
        };
        m.path = path.clone();
        let domain = self.string(m.get("Domain"), &format!("{path}.Domain"));
        for (key, val) in [("Name", &name), ("Domain", &domain)] {
            if val.is_none() && m.key_span(key).is_none() && !m.has_near_miss(key) {
                self.d
                    .error(Some(n.span), format!("{path} has no `{key}`"))
                    .add_help(format!("every org needs a `{key}`, as in cryptogen's crypto-config.yaml"));
            }
        }
        let mut org = OrgSpec {
            kind,
            position,
            incomplete: false,
            span: n.span,
            name,
            domain,
            enable_node_ous: self.bool(m.get("EnableNodeOUs"), &format!("{path}.EnableNodeOUs")),
            ca: CaSpec::default(),
            specs: vec![],
            template: None,
            users: None,
            namespace: self.string(m.get("Namespace"), &format!("{path}.Namespace")),
            msp_id: self.string(m.get("MSPID"), &format!("{path}.MSPID")),
            couchdb: self.bool(m.get("CouchDB"), &format!("{path}.CouchDB")),
            node_port_slot: self.count(m.get("NodePortSlot"), &format!("{path}.NodePortSlot"), 65535, "a slot is an org's position in the NodePort formula"),
            resources: Resources::default(),
        };
        if let Some(ca) = m.get("CA") {
            let p = format!("{path}.CA");
            if let Some(mut cm) = self.map(ca, &p, CA_KEYS) {
                let mut s = |d: &mut Self, k: &str| d.string(cm.get(k), &format!("{p}.{k}"));
                org.ca = CaSpec {
                    span: Some(ca.span),
                    hostname: s(self, "Hostname"),
                    common_name: s(self, "CommonName"),
                    country: s(self, "Country"),
                    province: s(self, "Province"),
                    locality: s(self, "Locality"),
                    organizational_unit: s(self, "OrganizationalUnit"),
                    street_address: s(self, "StreetAddress"),
                    postal_code: s(self, "PostalCode"),
                    sans: vec![],
                    external_hosts: vec![],
                    key_algorithm: None,
                };
                org.ca.sans = self.strings(cm.get("SANS"), &format!("{p}.SANS"));
                org.ca.external_hosts = self.strings(cm.get("ExternalHosts"), &format!("{p}.ExternalHosts"));
                org.ca.key_algorithm = self.key_algorithm(cm.get("PublicKeyAlgorithm"), &format!("{p}.PublicKeyAlgorithm"));
                cm.finish(self.d);
            }
        }
        if let Some(specs) = m.get("Specs") {
            let p = format!("{path}.Specs");
            for (i, sn) in self.seq(specs, &p).iter().enumerate() {
                let sp = format!("{p}[{i}]");
                let Some(mut sm) = self.map(sn, &sp, SPEC_KEYS) else { continue };
                let hostname = self.string(sm.get("Hostname"), &format!("{sp}.Hostname"));
                for k in SUBJECT_KEYS {
                    if let Some(v) = sm.get(k) {
                        self.d
                            .warning(Some(v.span), format!("{sp}.{k} is ignored: node subjects come from the org's CA section, as in cryptogen"))
                            .add_help(format!("move `{k}` to {path}.CA"));
                    }
                }
                let near_miss = sm.has_near_miss("Hostname");
                let spec = NodeSpec {
                    span: sn.span,
                    hostname: hostname.clone().unwrap_or(Sp { v: String::new(), span: sn.span }),
                    common_name: self.string(sm.get("CommonName"), &format!("{sp}.CommonName")),
                    sans: self.strings(sm.get("SANS"), &format!("{sp}.SANS")),
                    external_hosts: self.strings(sm.get("ExternalHosts"), &format!("{sp}.ExternalHosts")),
                    key_algorithm: self.key_algorithm(sm.get("PublicKeyAlgorithm"), &format!("{sp}.PublicKeyAlgorithm")),
                    node_port_index: self.count(sm.get("NodePortIndex"), &format!("{sp}.NodePortIndex"), 65535, "an index is a node's position in the NodePort formula"),
                };
                sm.finish(self.d);
                match hostname {
                    Some(h) if !h.v.is_empty() => org.specs.push(spec),
                    _ if near_miss => {}
                    _ => {
                        self.d
                            .error(Some(sn.span), format!("{sp} has no `Hostname`"))
                            .add_help("every Specs entry names its node, e.g. `- Hostname: peer0`");
                    }
                }
            }
        }
        if let Some(t) = m.get("Template") {
            let p = format!("{path}.Template");
            if let Some(mut tm) = self.map(t, &p, TEMPLATE_KEYS) {
                org.template = Some(TemplateSpec {
                    span: m.key_span("Template").unwrap_or(t.span),
                    count: self.count(tm.get("Count"), &format!("{p}.Count"), 10_000, "no org needs more than a few hundred nodes; NodePorts hold 49 peers per org by default"),
                    start: self.count(tm.get("Start"), &format!("{p}.Start"), 10_000, "Start is the index of the first templated node, usually 0"),
                    hostname: self.string(tm.get("Hostname"), &format!("{p}.Hostname")),
                    sans: self.strings(tm.get("SANS"), &format!("{p}.SANS")),
                    external_hosts: self.strings(tm.get("ExternalHosts"), &format!("{p}.ExternalHosts")),
                    key_algorithm: self.key_algorithm(tm.get("PublicKeyAlgorithm"), &format!("{p}.PublicKeyAlgorithm")),
                });
                tm.finish(self.d);
            }
        }
        if let Some(u) = m.get("Users") {
            let p = format!("{path}.Users");
            if let Some(mut um) = self.map(u, &p, USERS_KEYS) {
                org.users = Some(UsersSpec {
                    span: m.key_span("Users").unwrap_or(u.span),
                    count: self.count(um.get("Count"), &format!("{p}.Count"), 10_000, "users beyond Admin are User1..UserN; a few are enough, enroll the rest with the CA"),
                    key_algorithm: self.key_algorithm(um.get("PublicKeyAlgorithm"), &format!("{p}.PublicKeyAlgorithm")),
                });
                um.finish(self.d);
            }
        }
        org.resources = self.resources(m.get("Storage"), m.get("Images"), &path);
        m.finish(self.d);
        org.incomplete = self.d.error_count() > errors_before;
        Some(org)
    }

    fn channel(&mut self, n: &Node, i: usize) -> Option<ChannelSpec> {
        let path = format!("Channels[{i}]");
        let errors_before = self.d.error_count();
        let mut m = self.map(n, &path, CHANNEL_KEYS)?;
        let name = self.name(m.get("Name"), &format!("{path}.Name"));
        if name.is_none() && m.key_span("Name").is_none() && !m.has_near_miss("Name") {
            self.d
                .error(Some(n.span), format!("{path} has no `Name`"))
                .add_help("name the channel, e.g. `Name: mychannel`");
        }
        let orgs = self.strings(m.get("Orgs"), &format!("{path}.Orgs"));
        let mut anchor_peers = vec![];
        if let Some(ap) = m.get("AnchorPeers") {
            let p = format!("{path}.AnchorPeers");
            match &ap.value {
                Value::Map(_) => {
                    for (_, k, v) in self.entries(ap, &p).unwrap_or_default() {
                        let Some(org) = self.string(Some(k), &p) else { continue };
                        let peers = match &v.value {
                            // `Org1: peer0` as a shorthand for `Org1: [peer0]`.
                            Value::Scalar { .. } => self.string(Some(v), &p).into_iter().collect(),
                            _ => self.strings(Some(v), &format!("{p}.{}", org.v)),
                        };
                        anchor_peers.push((org, peers));
                    }
                }
                Value::Null => {}
                _ => self.type_error(ap, &p, "a mapping of org names to peer host names"),
            }
        }
        let orderer_orgs = m.get("OrdererOrgs").map(|o| self.strings(Some(o), &format!("{path}.OrdererOrgs")));
        let batch = self.batch(&mut m, &path);
        m.finish(self.d);
        let incomplete = self.d.error_count() > errors_before;
        Some(ChannelSpec { span: n.span, name, orgs, anchor_peers, orderer_orgs, batch, incomplete })
    }
}

impl<'d> Decoder<'d> {
    fn chaincode(&mut self, n: &Node, i: usize) -> Option<ChaincodeSpec> {
        let mut path = format!("Chaincodes[{i}]");
        let errors_before = self.d.error_count();
        let mut m = self.map(n, &path, CHAINCODE_KEYS)?;
        let name = self.name(m.get("Name"), &format!("{path}.Name"));
        if let Some(nm) = &name {
            path = format!("{path} ({})", nm.v);
            m.path = path.clone();
        } else if m.key_span("Name").is_none() && !m.has_near_miss("Name") {
            self.d.error(Some(n.span), format!("{path} has no `Name`")).add_help("name the chaincode, e.g. `Name: basic`");
        }
        let version = self.string(m.get("Version"), &format!("{path}.Version"));
        if version.is_none() && m.key_span("Version").is_none() && !m.has_near_miss("Version") {
            self.d.error(Some(n.span), format!("{path} has no `Version`")).add_help("give it a version, quoted: e.g. `Version: \"1.0\"` (the package label is <Name>_<Version>)");
        }
        let image = match m.get("Image") {
            Some(img) => {
                let ip = format!("{path}.Image");
                self.map(img, &ip, IMAGE_KEYS).map(|mut im| {
                    let spec = ImageSpec { repository: self.string(im.get("Repository"), &format!("{ip}.Repository")), tag: self.string(im.get("Tag"), &format!("{ip}.Tag")) };
                    im.finish(self.d);
                    (img.span, spec)
                })
            }
            None => {
                if !m.has_near_miss("Image") {
                    self.d.error(Some(n.span), format!("{path} has no `Image`")).add_help("name the chaincode server image: `Image: {Repository: registry.example.com/basic, Tag: \"1.0\"}`");
                }
                None
            }
        };
        let channels = self.strings(m.get("Channels"), &format!("{path}.Channels"));
        if m.key_span("Channels").is_none() && !m.has_near_miss("Channels") {
            self.d.error(Some(n.span), format!("{path} has no `Channels`")).add_help("list the channels it runs on: `Channels: [mychannel]`");
        }
        let orgs = m.get("Orgs").map(|o| self.strings(Some(o), &format!("{path}.Orgs")));
        let endorsement_policy = self.string(m.get("EndorsementPolicy"), &format!("{path}.EndorsementPolicy"));
        let init_required = self.bool(m.get("InitRequired"), &format!("{path}.InitRequired"));
        let mut collections = vec![];
        if let Some(list) = m.get("Collections") {
            for (j, c) in self.seq(list, &format!("{path}.Collections")).iter().enumerate() {
                let cp = format!("{path}.Collections[{j}]");
                let Some(mut cm) = self.map(c, &cp, COLLECTION_KEYS) else { continue };
                collections.push(CollectionSpec {
                    span: c.span,
                    name: self.name(cm.get("Name"), &format!("{cp}.Name")),
                    policy: self.string(cm.get("Policy"), &format!("{cp}.Policy")),
                    required_peer_count: self.int(cm.get("RequiredPeerCount"), &format!("{cp}.RequiredPeerCount")),
                    max_peer_count: self.int(cm.get("MaxPeerCount"), &format!("{cp}.MaxPeerCount")),
                    block_to_live: self.int(cm.get("BlockToLive"), &format!("{cp}.BlockToLive")),
                    member_only_read: self.bool(cm.get("MemberOnlyRead"), &format!("{cp}.MemberOnlyRead")),
                    member_only_write: self.bool(cm.get("MemberOnlyWrite"), &format!("{cp}.MemberOnlyWrite")),
                    endorsement_policy: self.string(cm.get("EndorsementPolicy"), &format!("{cp}.EndorsementPolicy")),
                });
                cm.finish(self.d);
            }
        }
        let port = self.int(m.get("Port"), &format!("{path}.Port"));
        let replicas = self.int(m.get("Replicas"), &format!("{path}.Replicas"));
        let mut env = vec![];
        if let Some(e) = m.get("Env") {
            let ep = format!("{path}.Env");
            for (_, k, v) in self.entries(e, &ep).unwrap_or_default() {
                let (Some(k), Some(v)) = (self.string(Some(k), &ep), self.scalar(Some(v), &ep)) else { continue };
                env.push((k, v));
            }
        }
        m.finish(self.d);
        let incomplete = self.d.error_count() > errors_before;
        Some(ChaincodeSpec { span: n.span, name, version, image, channels, orgs, endorsement_policy, init_required, collections, port, replicas, env, incomplete })
    }
}

/// `"30000-32767"` → (30000, 32767).
pub fn parse_range(s: &str) -> Option<(i64, i64)> {
    let (a, b) = s.split_once('-')?;
    let a: i64 = a.trim().parse().ok()?;
    let b: i64 = b.trim().parse().ok()?;
    (1..=65535).contains(&a).then_some(())?;
    (a..=65535).contains(&b).then_some((a, b))
}

pub fn decode(root: &Node, diags: &mut Diagnostics) -> Topology {
    let mut d = Decoder { d: diags };
    let mut t = Topology::default();
    if !matches!(root.value, Value::Map(_)) {
        d.d.error(Some(root.span), format!("a topology is a mapping with `PeerOrgs:`, `OrdererOrgs:` and optionally `Network:` and `Channels:`, but this file is {}", root.kind_name()))
            .add_help("`fabchart init` prints a commented example");
        return t;
    }
    let Some(mut m) = d.map(root, "the topology", TOP_KEYS) else { return t };
    if let Some(n) = m.get("Network") {
        t.network = d.network(n);
    }
    for kind in [OrgKind::Orderer, OrgKind::Peer] {
        if let Some(list) = m.get(kind.list_key()) {
            let orgs: Vec<OrgSpec> = d
                .seq(list, kind.list_key())
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    if matches!(n.value, Value::Null) {
                        d.d.error(Some(n.span), format!("{}[{i}] is empty", kind.list_key()))
                            .add_help("remove the lone `-`, or describe the org under it (`- Name: ...`)");
                    }
                    d.org(n, kind, i)
                })
                .collect();
            match kind {
                OrgKind::Orderer => t.orderer_orgs = orgs,
                OrgKind::Peer => t.peer_orgs = orgs,
            }
        }
    }
    if let Some(list) = m.get("Channels") {
        t.channels_declared = true;
        t.channels = d
            .seq(list, "Channels")
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                if matches!(n.value, Value::Null) {
                    d.d.error(Some(n.span), format!("Channels[{i}] is empty"))
                        .add_help("remove the lone `-`, or describe the channel under it (`- Name: mychannel`)");
                }
                d.channel(n, i)
            })
            .collect();
    }
    if let Some(list) = m.get("Chaincodes") {
        t.chaincodes = d
            .seq(list, "Chaincodes")
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                if matches!(n.value, Value::Null) {
                    d.d.error(Some(n.span), format!("Chaincodes[{i}] is empty"))
                        .add_help("remove the lone `-`, or describe the chaincode under it (`- Name: basic`)");
                }
                d.chaincode(n, i)
            })
            .collect();
    }
    m.finish(d.d);
    if t.orderer_orgs.is_empty() && t.peer_orgs.is_empty() && !d.d.has_errors() {
        d.d.error(Some(root.span), "the topology declares no orgs")
            .add_help("list at least one org under `PeerOrgs:` or `OrdererOrgs:`");
    }
    t
}
