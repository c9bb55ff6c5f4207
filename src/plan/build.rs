//! Resolving a [`Topology`] into a [`Plan`]: defaults, cryptogen's node expansion, names,
//! SANs, ports. Problems that only show once names are composed (clashing host names,
//! invalid Service names, unknown anchor peers, NodePort clashes) are reported here.

use std::collections::{BTreeMap, HashMap};

use super::defaults as def;
use super::names;
use super::ports;
use super::*;
use crate::diag::{Diagnostics, Span};
use crate::topology::template::{self, Vars};
use crate::topology::{Component, OrgSpec, Resources, Sp, Topology};

/// Where a planned node came from, for messages.
pub(crate) struct NodeSrc {
    pub span: Span,
    /// `Specs[1]` or `Template (Index 3)`.
    pub origin: String,
    /// NodePortIndex pinned by the user.
    pub pinned: Option<u32>,
    /// Where the node's host name is written (its Specs `Hostname`, or the Template).
    pub host_span: Span,
}

pub(crate) struct OrgSrc {
    pub span: Span,
    pub label: String,
    pub slot: Option<Sp<i64>>,
    pub nodes: Vec<NodeSrc>,
}

/// Suffix of the Service that publishes a node's NodePorts.
pub const NODEPORT_SUFFIX: &str = "-nodeport";

/// Nodes and users of a whole network, at most.
const MAX_NETWORK_NODES: i64 = 20_000;

/// Renders a template string at `at`, reporting a bad template there.
fn render(d: &mut Diagnostics, text: &str, at: Span, what: &str, vars: &[(&str, &str)]) -> Option<String> {
    match template::render(text, &Vars { pairs: vars }) {
        Ok(s) => Some(s),
        Err(e) => {
            d.error(Some(at), format!("{what}: {e}"))
                .add_help("cryptogen templates are Go templates of field references, e.g. \"{{.Hostname}}.{{.Domain}}\"");
            None
        }
    }
}

fn check_host(d: &mut Diagnostics, name: &str, at: Span, what: &str) -> bool {
    if name.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let wildcard = name.strip_prefix("*.").unwrap_or(name);
    match names::dns_subdomain(wildcard) {
        Ok(()) => true,
        Err(e) => {
            d.error(Some(at), format!("{what} `{name}` is not a valid DNS name or IP address: {e}"))
                .add_help("TLS clients check these names; use letters, digits, `-` and `.`");
            false
        }
    }
}

/// Builds an endpoint: DNS names, address, SANs (deduplicated, case-insensitively, first
/// occurrence kept) and ports.
pub(crate) fn endpoint(
    hostname: &str,
    common_name: Option<&str>,
    namespace: &str,
    cluster_domain: &str,
    extra_sans: &[String],
    external_hosts: Vec<String>,
    ports: Vec<Port>,
) -> Endpoint {
    let service = hostname.to_ascii_lowercase();
    let dns = DnsNames {
        short: service.clone(),
        namespaced: format!("{service}.{namespace}"),
        svc: format!("{service}.{namespace}.svc"),
        fqdn: format!("{service}.{namespace}.svc.{cluster_domain}"),
    };
    let main_port = ports.first().map(|p| p.container_port).unwrap_or(0);
    let mut sans: Vec<San> = Vec::new();
    let names = common_name
        .into_iter()
        .chain(std::iter::once(hostname))
        .chain(extra_sans.iter().map(String::as_str))
        .chain([dns.short.as_str(), &dns.namespaced, &dns.svc, &dns.fqdn])
        .chain(external_hosts.iter().map(String::as_str));
    for n in names {
        let san = San::parse(n);
        let dup = sans.iter().any(|s| match (s, &san) {
            (San::Dns(a), San::Dns(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        });
        if !dup {
            sans.push(san);
        }
    }
    Endpoint {
        hostname: hostname.to_string(),
        namespace: namespace.to_string(),
        address: format!("{}:{main_port}", dns.fqdn),
        node_port_service: None, // set by ports::assign
        service,
        dns,
        external_hosts,
        sans,
        ports,
    }
}

fn merge_resources(version: FabricVersion, net: &Resources, org: &Resources) -> (StoragePlan, BTreeMap<Component, Image>) {
    let class = org.storage_class.as_ref().or(net.storage_class.as_ref()).map(|s| s.v.clone()).filter(|s| !s.is_empty());
    let mut sizes = BTreeMap::new();
    let mut images = BTreeMap::new();
    for c in Component::ALL {
        let pick = |r: &Resources| r.sizes.iter().find(|(k, _)| *k == c).map(|(_, v)| v.v.clone());
        if c.has_storage() {
            sizes.insert(c, pick(org).or_else(|| pick(net)).unwrap_or_else(|| def::storage_size(c).to_string()));
        }
        let mut img = def::image(version, c);
        for r in [net, org] {
            if let Some((_, spec)) = r.images.iter().find(|(k, _)| *k == c) {
                if let Some(repo) = &spec.repository {
                    img.repository = repo.v.clone();
                }
                if let Some(tag) = &spec.tag {
                    img.tag = tag.v.clone();
                }
            }
        }
        images.insert(c, img);
    }
    (StoragePlan { class, sizes }, images)
}

fn slug(name: &str) -> String {
    names::namespace_from_domain(name)
}

/// The network-wide settings, defaults applied.
fn network(t: &Topology, d: &mut Diagnostics) -> NetworkPlan {
    let n = &t.network;
    let name = n.name.clone().map(|s| s.v).unwrap_or_else(|| def::NETWORK_NAME.into());
    if let (Some(s), Err(e)) = (&n.name, names::dns1123_label(&name)) {
        d.error(Some(s.span), format!("Network.Name `{name}` cannot label Kubernetes objects: {e}"))
            .add_help("use a DNS-1123 label, e.g. `demo`: NetworkPolicies select the network's namespaces by it");
    }
    let version = n.fabric_version.as_ref().map(|s| s.v).unwrap_or(FabricVersion::V2_5);
    let consensus = n.consensus.as_ref().map(|s| s.v).unwrap_or(Consensus::EtcdRaft);
    let chart_name = n.chart_name.clone().map(|s| s.v).unwrap_or_else(|| format!("{name}-network"));
    if let Err(e) = names::dns1123_label(&chart_name) {
        let at = n.chart_name.as_ref().map(|s| s.span).or(n.name.as_ref().map(|s| s.span));
        d.error(at, format!("chart name `{chart_name}` is not a valid Helm chart name: {e}"))
            .add_help("set Network.Chart.Name to a lower-case DNS label, e.g. `demo-network`");
    }
    let chart_version = n.chart_version.clone().map(|s| s.v).unwrap_or_else(|| def::CHART_VERSION.into());
    if let (Some(s), Err(e)) = (&n.chart_version, semver::Version::parse(&chart_version)) {
        d.error(Some(s.span), format!("Network.Chart.Version `{chart_version}` is not a SemVer 2 version: {e}"))
            .add_help("write three numbers, e.g. \"0.1.0\" (Helm 4's lint --strict rejects `v1.0` and `1.0`)");
    }
    let cluster_domain = n.cluster_domain.clone().map(|s| s.v).unwrap_or_else(|| def::CLUSTER_DOMAIN.into());
    if let (Some(s), Err(e)) = (&n.cluster_domain, names::dns_subdomain(&cluster_domain)) {
        d.error(Some(s.span), format!("Network.ClusterDomain `{cluster_domain}` is not a DNS domain: {e}"))
            .add_help("it is the kubelet's --cluster-domain, `cluster.local` unless your cluster says otherwise");
    }
    NetworkPlan {
        name: name.clone(),
        fabric_version: version,
        consensus,
        chart: ChartPlan {
            name: chart_name,
            version: chart_version,
            description: n
                .chart_description
                .clone()
                .map(|s| s.v)
                .unwrap_or_else(|| format!("Hyperledger Fabric {} network `{name}`", version.as_str())),
        },
        cluster_domain,
        node_ports: ports::scheme(&n.node_ports, d),
        orderer: super::orderer::settings(&n.orderer, consensus, d),
    }
}

fn org(t: &Topology, net: &NetworkPlan, o: &OrgSpec, d: &mut Diagnostics) -> Option<(OrgPlan, OrgSrc)> {
    let name = o.name.as_ref()?.v.clone();
    let domain_sp = o.domain.as_ref()?;
    let domain = domain_sp.v.clone();
    let label = o.label();
    if let Err(e) = names::dns_subdomain(&domain) {
        d.error(Some(domain_sp.span), format!("Domain `{domain}` of {label} is not a DNS domain: {e}"))
            .add_help("the Domain ends every host name of the org (`peer0.<Domain>`); use letters, digits, `-` and `.`");
    }
    let namespace = match &o.namespace {
        Some(ns) => {
            if let Err(e) = names::dns1123_label(&ns.v) {
                d.error(Some(ns.span), format!("Namespace `{}` of {label} is not a valid Kubernetes namespace: {e}", ns.v))
                    .add_help("use a DNS-1123 label: lower-case letters, digits and `-`, at most 63 characters");
            }
            ns.v.clone()
        }
        None => {
            let ns = names::namespace_from_domain(&domain);
            if let Err(e) = names::dns1123_label(&ns) {
                d.error(Some(domain_sp.span), format!("the namespace derived from Domain `{domain}` (`{ns}`) is not valid: {e}"))
                    .add_help(format!("set `Namespace:` on {label} explicitly"));
            }
            ns
        }
    };
    if ["default", "kube-system", "kube-public", "kube-node-lease"].contains(&namespace.as_str()) {
        let at = o.namespace.as_ref().map(|n| n.span).unwrap_or(domain_sp.span);
        d.warning(Some(at), format!("{label} would run in Kubernetes' own namespace `{namespace}`"))
            .add_help("give the org a namespace of its own: the chart applies default-deny NetworkPolicies to it");
    }
    let msp_id = match &o.msp_id {
        Some(m) => m.v.clone(),
        None => format!("{}MSP", name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>()),
    };
    let msp_ok = !msp_id.is_empty()
        && msp_id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && msp_id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !msp_ok {
        let at = o.msp_id.as_ref().map(|m| m.span).or(o.name.as_ref().map(|n| n.span));
        d.error(at, format!("MSP ID `{msp_id}` of {label} is not usable"))
            .add_help("an MSP ID goes into channel configs and environment variables: use letters, digits, `.`, `-` and `_`, e.g. `MSPID: Org1MSP`");
    }

    // The CA: cryptogen's defaults.
    let ca_span = o.ca.span.unwrap_or(o.span);
    let ca_host_sp = o.ca.hostname.clone();
    let ca_host = ca_host_sp.as_ref().map(|h| h.v.clone()).unwrap_or_else(|| "ca".into());
    let ca_cn = match &o.ca.common_name {
        Some(cn) => render(d, &cn.v, cn.span, &format!("{label}.CA.CommonName"), &[("Hostname", &ca_host), ("Domain", &domain)]),
        None => Some(format!("{ca_host}.{domain}")),
    }
    .unwrap_or_default();
    let vars_for = |h: &str, cn: &str| vec![("Hostname", h.to_string()), ("Domain", domain.clone()), ("CommonName", cn.to_string())];
    let render_list = |d: &mut Diagnostics, list: &[Sp<String>], what: &str, h: &str, cn: &str| -> Vec<String> {
        let vars = vars_for(h, cn);
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        list.iter()
            .filter_map(|s| render(d, &s.v, s.span, what, &pairs).filter(|r| check_host(d, r, s.span, what)))
            .collect()
    };
    let ca_sans = render_list(d, &o.ca.sans, &format!("{label}.CA.SANS"), &ca_host, &ca_cn);
    let ca_ext = render_list(d, &o.ca.external_hosts, &format!("{label}.CA.ExternalHosts"), &ca_host, &ca_cn);
    let ca = CaPlan {
        tls_common_name: format!("tls{ca_cn}"),
        common_name: ca_cn.clone(),
        subject: Subject {
            country: o.ca.country.clone().map(|s| s.v).unwrap_or_else(|| def::COUNTRY.into()),
            province: o.ca.province.clone().map(|s| s.v).unwrap_or_else(|| def::PROVINCE.into()),
            locality: o.ca.locality.clone().map(|s| s.v).unwrap_or_else(|| def::LOCALITY.into()),
            organizational_unit: o.ca.organizational_unit.clone().map(|s| s.v),
            street_address: o.ca.street_address.clone().map(|s| s.v),
            postal_code: o.ca.postal_code.clone().map(|s| s.v),
        },
        key_algorithm: o.ca.key_algorithm.as_ref().map(|k| k.v).unwrap_or(KeyAlgorithm::Ecdsa),
        server: endpoint(&ca_host, Some(&ca_cn), &namespace, &net.cluster_domain, &ca_sans, ca_ext, def::ca_ports()),
    };
    let mut hosts_seen: Vec<(String, String, String)> = vec![]; // (service, CN, origin)
    let ca_host_span = ca_host_sp.as_ref().map(|h| h.span).unwrap_or(ca_span);
    check_service(d, &ca_host, ca_host_span, &format!("{label}.CA.Hostname"));
    check_host(d, &ca_cn, o.ca.common_name.as_ref().map(|c| c.span).unwrap_or(ca_span), &format!("{label} CA common name"));
    hosts_seen.push((ca.server.service.clone(), ca_cn.to_ascii_lowercase(), "the CA".into()));

    // Nodes in cryptogen's order: Specs, then Template.
    let couchdb = o.kind == OrgKind::Peer && o.couchdb.as_ref().or(t.network.couchdb.as_ref()).is_some_and(|c| c.v);
    let prefix = o.kind.prefix();
    let max_m = net.node_ports.max_peer_index();
    let mut nodes: Vec<NodePlan> = vec![];
    let mut srcs: Vec<NodeSrc> = vec![];
    struct Raw {
        hostname: String,
        cn_tpl: Option<Sp<String>>,
        sans: Vec<Sp<String>>,
        ext: Vec<Sp<String>>,
        key: Option<KeyAlgorithm>,
        src: NodeSrc,
        /// Templated index, or the digits of a Specs `peer<N>` host name.
        natural_index: Option<u32>,
    }
    let mut raws: Vec<Raw> = vec![];
    for (i, s) in o.specs.iter().enumerate() {
        let natural = s.hostname.v.strip_prefix(prefix).filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit())).and_then(|r| r.parse().ok());
        raws.push(Raw {
            hostname: s.hostname.v.clone(),
            cn_tpl: s.common_name.clone(),
            sans: s.sans.clone(),
            ext: s.external_hosts.clone(),
            key: s.key_algorithm.as_ref().map(|k| k.v),
            src: NodeSrc {
                span: s.span,
                origin: format!("Specs[{i}]"),
                pinned: s.node_port_index.as_ref().map(|p| p.v as u32),
                host_span: s.hostname.span,
            },
            natural_index: natural,
        });
    }
    if let Some(tp) = &o.template {
        let count = tp.count.as_ref().map(|c| c.v).unwrap_or(0) as u32;
        let start = tp.start.as_ref().map(|c| c.v).unwrap_or(0) as u32;
        for idx in start..start + count {
            let idx_s = idx.to_string();
            let hostname = match &tp.hostname {
                Some(h) => match render(d, &h.v, h.span, &format!("{label}.Template.Hostname"), &[("Prefix", prefix), ("Index", &idx_s), ("Domain", &domain)]) {
                    Some(h) => h,
                    None => break, // reported once, not once per node
                },
                None => format!("{prefix}{idx}"),
            };
            raws.push(Raw {
                hostname,
                cn_tpl: None,
                sans: tp.sans.clone(),
                ext: tp.external_hosts.clone(),
                key: tp.key_algorithm.as_ref().map(|k| k.v),
                src: NodeSrc {
                    span: tp.span,
                    origin: format!("Template (Index {idx})"),
                    pinned: None,
                    host_span: tp.hostname.as_ref().map(|h| h.span).unwrap_or(tp.span),
                },
                natural_index: Some(idx),
            });
        }
    }
    let mut top_down = max_m;
    for r in raws {
        let what = format!("{label} {}", r.src.origin);
        let cn = match &r.cn_tpl {
            Some(c) => render(d, &c.v, c.span, &format!("{what}.CommonName"), &[("Hostname", &r.hostname), ("Domain", &domain)]),
            None => Some(format!("{}.{domain}", r.hostname)),
        };
        let Some(cn) = cn else { continue };
        let sans = render_list(d, &r.sans, &format!("{what}.SANS"), &r.hostname, &cn);
        let ext = render_list(d, &r.ext, &format!("{what}.ExternalHosts"), &r.hostname, &cn);
        if !check_service(d, &r.hostname, r.src.host_span, &format!("{what} host name"))
            || !check_host(d, &cn, r.cn_tpl.as_ref().map(|c| c.span).unwrap_or(r.src.host_span), &format!("{what} common name"))
        {
            continue;
        }
        let svc = r.hostname.to_ascii_lowercase();
        if svc == "admin" {
            d.error(Some(r.src.host_span), format!("{what}: `admin` is reserved for the org's Admin identity (its Secret is admin-tls-msp)"))
                .add_help("rename the node");
            continue;
        }
        if net.node_ports.enabled && svc.len() + NODEPORT_SUFFIX.len() > 63 {
            d.error(Some(r.src.host_span), format!("{what}: host name `{}` is too long for its NodePort Service `{svc}{NODEPORT_SUFFIX}` (63 characters at most)", r.hostname))
                .add_help(format!("use a host name of at most {} characters", 63 - NODEPORT_SUFFIX.len()));
            continue;
        }
        if let Some((_, _, first)) = hosts_seen.iter().find(|(s, c, _)| *s == svc || *c == cn.to_ascii_lowercase()) {
            d.error(Some(r.src.span), format!("{what} is named `{}` ({cn}), like {first} of the same org", r.hostname))
                .add_help("cryptogen would silently keep only the first; rename one of them (or change Template.Start)");
            continue;
        }
        hosts_seen.push((svc, cn.to_ascii_lowercase(), r.src.origin.clone()));
        // NodePort index: pinned, else natural (template index or `peer<N>`), else from the top.
        let index = match (o.kind, r.src.pinned, r.natural_index) {
            (_, Some(p), _) => p,
            (OrgKind::Peer, None, Some(n)) => n,
            (OrgKind::Peer, None, None) => {
                let m = top_down;
                top_down = top_down.saturating_sub(1);
                m
            }
            (OrgKind::Orderer, None, _) => 0, // k is assigned network-wide in ports::assign
        };
        let (kind, port_list) = match o.kind {
            OrgKind::Peer => (NodeKind::Peer, def::peer_ports(couchdb)),
            OrgKind::Orderer => (NodeKind::Orderer, def::orderer_ports(net.fabric_version)),
        };
        nodes.push(NodePlan {
            kind,
            common_name: cn.clone(),
            node_port_index: index,
            key_algorithm: r.key.unwrap_or(KeyAlgorithm::Ecdsa),
            couchdb,
            endpoint: endpoint(&r.hostname, Some(&cn), &namespace, &net.cluster_domain, &sans, ext, port_list),
        });
        srcs.push(r.src);
    }

    let user_count = match o.kind {
        OrgKind::Peer => o.users.as_ref().and_then(|u| u.count.as_ref()).map(|c| c.v).unwrap_or(0) as u32,
        OrgKind::Orderer => 0,
    };
    let user_key = o.users.as_ref().and_then(|u| u.key_algorithm.as_ref()).map(|k| k.v).unwrap_or(KeyAlgorithm::Ecdsa);
    let mut users = vec![UserPlan { name: "Admin".into(), common_name: format!("Admin@{domain}"), admin: true, key_algorithm: KeyAlgorithm::Ecdsa }];
    users.extend((1..=user_count).map(|i| UserPlan {
        name: format!("User{i}"),
        common_name: format!("User{i}@{domain}"),
        admin: false,
        key_algorithm: user_key,
    }));
    let (storage, images) = merge_resources(net.fabric_version, &t.network.resources, &o.resources);
    let org_slug = slug(&name);
    if let Err(e) = names::dns1123_label(&org_slug) {
        d.error(o.name.as_ref().map(|n| n.span), format!("{label}'s Name gives no usable chart name (`{org_slug}`): {e}"))
            .add_help("the org's subchart and values files are named after its Name, lower-cased: use letters and digits, e.g. `Org1`");
    } else if ["global", "fabchart", "tags"].contains(&org_slug.as_str()) {
        d.error(o.name.as_ref().map(|n| n.span), format!("{label}'s Name `{name}` would be the umbrella chart's reserved values key `{org_slug}`"))
            .add_help("rename the org, e.g. `GlobalOrg`");
    }
    let plan = OrgPlan {
        slug: org_slug,
        name,
        kind: o.kind,
        domain,
        msp_id,
        namespace,
        enable_node_ous: o.enable_node_ous.as_ref().is_some_and(|b| b.v),
        node_port_slot: None,
        ca,
        nodes,
        users,
        couchdb,
        storage,
        images,
    };
    Some((plan, OrgSrc { span: o.span, label, slot: o.node_port_slot.clone(), nodes: srcs }))
}

fn check_service(d: &mut Diagnostics, hostname: &str, at: Span, what: &str) -> bool {
    match names::dns1035_label(&hostname.to_ascii_lowercase()) {
        Ok(()) => true,
        Err(e) => {
            d.error(Some(at), format!("{what} `{hostname}` cannot be a Kubernetes Service name: {e}"))
                .add_help("the host name becomes the node's Service; use lower-case letters, digits and `-`, starting with a letter, at most 63 characters");
            false
        }
    }
}

/// Names that must be unique across the network's orgs. A duplicate that only follows
/// from another (a derived namespace from a duplicate Domain, a derived MSP ID from a
/// duplicate Name) is not reported again.
fn check_unique(orgs: &[OrgPlan], srcs: &[OrgSrc], t: &Topology, d: &mut Diagnostics) {
    let specs: Vec<&OrgSpec> = t.orgs().collect();
    let spec_of = |label: &str| specs.iter().find(|o| o.label() == label).copied();
    type Get = fn(&OrgPlan) -> String;
    type Explicit = fn(&OrgSpec) -> Option<Span>;
    // (what, value, span of the key if written, the check it may follow from, help)
    let checks: [(&str, Get, Explicit, Option<usize>, &str); 5] = [
        ("name", |o| o.name.clone(), |s| s.name.as_ref().map(|v| v.span), None, "org names identify orgs in Channels; rename one"),
        ("domain", |o| o.domain.to_ascii_lowercase(), |s| s.domain.as_ref().map(|v| v.span), None, "each org needs its own Domain: it names its certificates and crypto directory"),
        ("namespace", |o| o.namespace.clone(), |s| s.namespace.as_ref().map(|v| v.span), Some(1), "each org runs in its own namespace; set `Namespace:` on one of them"),
        ("MSP ID", |o| o.msp_id.clone(), |s| s.msp_id.as_ref().map(|v| v.span), Some(0), "each org needs its own MSP ID; set `MSPID:` on one of them"),
        ("file name key", |o| o.slug.clone(), |_| None, Some(0), "org names that differ only in case or punctuation would share a chart and values file; rename one"),
    ];
    let mut reported: Vec<Vec<usize>> = vec![vec![]; checks.len()];
    for (ci, (what, get, explicit, follows, help)) in checks.iter().enumerate() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for (oi, (o, s)) in orgs.iter().zip(srcs).enumerate() {
            let v = get(o);
            let Some(first) = seen.get(&v) else {
                seen.insert(v, &s.label);
                continue;
            };
            let spec = spec_of(&s.label);
            let written = spec.and_then(|sp| explicit(sp));
            if written.is_none() && follows.is_some_and(|f| reported[f].contains(&oi)) {
                continue;
            }
            let at = written.or(spec.and_then(|sp| sp.name.as_ref().map(|n| n.span))).or(Some(s.span));
            d.error(at, format!("{} has the same {what} `{v}` as {first}", s.label)).add_help(*help);
            reported[ci].push(oi);
        }
    }
}

/// Consensus requirements that depend on how many orderers the topology expands to.
fn check_orderers(net: &NetworkPlan, orgs: &[OrgPlan], t: &Topology, d: &mut Diagnostics) {
    let count = orgs.iter().filter(|o| o.kind == OrgKind::Orderer).map(|o| o.nodes.len()).sum::<usize>();
    let at = t.network.consensus.as_ref().map(|c| c.span).or(t.orderer_orgs.first().map(|o| o.span));
    let c = net.consensus;
    if count == 0 {
        if let Some(c) = &t.network.consensus {
            d.error(Some(c.span), format!("consensus `{}` needs orderers, but the topology has none", c.v.as_str()))
                .add_help("add an org under `OrdererOrgs:` with `Template: {Count: 1}` or more");
        } else if !t.peer_orgs.is_empty() {
            d.warning(t.orderer_orgs.first().map(|o| o.span).or(at), "the topology has no orderers: the chart will run peers and CAs only")
                .add_help("add an org under `OrdererOrgs:` with at least one orderer to order transactions");
        }
        return;
    }
    match c {
        Consensus::Bft if count < 4 => {
            d.error(at, format!("BFT consensus needs at least 4 orderers (3f+1 to tolerate f faults); the topology has {count}"))
                .add_help("raise the orderer org's Template.Count to 4, or use `Consensus: etcdraft`");
        }
        Consensus::EtcdRaft if count % 2 == 0 => {
            d.warning(at, format!("etcdraft with {count} orderers tolerates no more failures than with {}", count - 1))
                .add_help(format!("use an odd number of orderers ({} or {})", count - 1, count + 1));
        }
        Consensus::Solo if count > 1 => {
            d.error(at, format!("solo consensus runs exactly one orderer; the topology has {count}"))
                .add_help("set the orderer org's Template.Count to 1, or use `Consensus: etcdraft`");
        }
        _ => {}
    }
}

fn kafka(t: &Topology, net: &NetworkPlan, orgs: &[OrgPlan]) -> Option<KafkaPlan> {
    if net.consensus != Consensus::Kafka {
        return None;
    }
    let ns = orgs.iter().find(|o| o.kind == OrgKind::Orderer)?.namespace.clone();
    let k = t.network.kafka.as_ref();
    let brokers = k.and_then(|k| k.brokers.as_ref()).map(|b| b.v as u32).unwrap_or(def::KAFKA_BROKERS);
    let zks = k.and_then(|k| k.zookeepers.as_ref()).map(|b| b.v as u32).unwrap_or(def::ZOOKEEPERS);
    let ep = |name: String, ports: Vec<Port>| endpoint(&name, None, &ns, &net.cluster_domain, &[], vec![], ports);
    Some(KafkaPlan {
        namespace: ns.clone(),
        brokers: (0..brokers).map(|i| ep(format!("kafka{i}"), def::kafka_ports())).collect(),
        zookeepers: (0..zks).map(|i| ep(format!("zookeeper{i}"), def::zookeeper_ports())).collect(),
    })
}

/// Kafka and ZooKeeper Services (`kafka<i>`, `zookeeper<i>`) share the first orderer org's
/// namespace: no CA or orderer of that org may take their names. (Within an org, clashing
/// host names are reported by `org`; across orgs, namespaces are unique.)
fn check_kafka_names(kafka: &KafkaPlan, orgs: &[OrgPlan], srcs: &[OrgSrc], t: &Topology, d: &mut Diagnostics) {
    let Some(i) = orgs.iter().position(|o| o.kind == OrgKind::Orderer) else { return };
    let (o, src) = (&orgs[i], &srcs[i]);
    let taken: Vec<&str> = kafka.brokers.iter().chain(&kafka.zookeepers).map(|e| e.service.as_str()).collect();
    let ca_span = t.orderer_orgs.iter().find(|s| s.label() == src.label).and_then(|s| s.ca.hostname.as_ref().map(|h| h.span));
    let named = std::iter::once((&o.ca.server, ca_span.unwrap_or(src.span)))
        .chain(o.nodes.iter().zip(&src.nodes).map(|(n, ns)| (&n.endpoint, ns.host_span)));
    for (e, span) in named {
        if taken.contains(&e.service.as_str()) {
            d.error(Some(span), format!("`{}` of {} is named like a Kafka/ZooKeeper Service of the same namespace `{}`", e.hostname, src.label, e.namespace))
                .add_help("Kafka brokers are kafka0.. and ZooKeeper servers zookeeper0.. in the first orderer org's namespace: rename the node");
        }
    }
}

/// The channel of a file without a `Channels` key (a plain crypto-config.yaml): the talk's
/// `mychannel`, with every peer org, each anchored at its first peer, served by every
/// orderer org.
pub const DEFAULT_CHANNEL: &str = "mychannel";

fn default_channel(net: &NetworkPlan, orgs: &[OrgPlan]) -> Vec<ChannelPlan> {
    let peer_orgs: Vec<&OrgPlan> = orgs.iter().filter(|o| o.kind == OrgKind::Peer).collect();
    if peer_orgs.is_empty() || !orgs.iter().any(|o| o.kind == OrgKind::Orderer) {
        return vec![];
    }
    let anchor_peers = peer_orgs
        .iter()
        .filter_map(|o| o.nodes.iter().find(|n| n.kind == NodeKind::Peer).map(|n| (o, n)))
        .map(|(o, n)| AnchorPeer { org: o.name.clone(), hostname: n.endpoint.hostname.clone(), host: n.endpoint.dns.fqdn.clone(), port: 7051 })
        .collect();
    vec![ChannelPlan {
        name: DEFAULT_CHANNEL.into(),
        orgs: peer_orgs.iter().map(|o| o.name.clone()).collect(),
        orderer_orgs: orgs.iter().filter(|o| o.kind == OrgKind::Orderer).map(|o| o.name.clone()).collect(),
        anchor_peers,
        batch: net.orderer.batch.clone(),
    }]
}

fn channels(t: &Topology, net: &NetworkPlan, orgs: &[OrgPlan], incomplete: &[String], d: &mut Diagnostics) -> Vec<ChannelPlan> {
    let consensus = net.consensus;
    if !t.channels_declared {
        return default_channel(net, orgs);
    }
    let mut out = vec![];
    for c in &t.channels {
        let Some(name) = &c.name else { continue };
        if name.v == crate::channel::profile::SYSTEM_CHANNEL {
            d.error(Some(name.span), format!("channel name `{}` is reserved for Fabric 1.4's system channel", name.v))
                .add_help("choose another name, e.g. `mychannel`");
        }
        let mut anchor_peers = vec![];
        for (org_name, peers) in &c.anchor_peers {
            let Some(org) = orgs.iter().find(|o| o.name == org_name.v && o.kind == OrgKind::Peer) else { continue };
            for p in peers {
                match org.nodes.iter().find(|n| n.endpoint.hostname == p.v || n.common_name == p.v) {
                    Some(n) => anchor_peers.push(AnchorPeer {
                        org: org.name.clone(),
                        hostname: n.endpoint.hostname.clone(),
                        host: n.endpoint.dns.fqdn.clone(),
                        port: 7051,
                    }),
                    None if incomplete.contains(&org.name) => {} // its own errors come first
                    None => {
                        let names: Vec<&str> = org.nodes.iter().map(|n| n.endpoint.hostname.as_str()).collect();
                        let diag = d.error(Some(p.span), format!("channel `{}` names anchor peer `{}`, which {} does not have", name.v, p.v, org.name));
                        match crate::diag::did_you_mean(&p.v, &names) {
                            Some(m) => diag.add_help(format!("did you mean `{m}`?")),
                            None => diag.add_help(format!("{}'s peers are: {}", org.name, if names.is_empty() { "none".to_string() } else { names.join(", ") })),
                        };
                    }
                }
            }
        }
        let all_orderers = orgs.iter().filter(|o| o.kind == OrgKind::Orderer).map(|o| o.nodes.len()).sum::<usize>();
        let orderer_orgs = match &c.orderer_orgs {
            Some(list) => {
                // BFT needs 3f+1 consenters on every channel, not only in the network.
                let n: usize = orgs.iter().filter(|o| o.kind == OrgKind::Orderer && list.iter().any(|s| s.v == o.name)).map(|o| o.nodes.len()).sum();
                if consensus == Consensus::Bft && n > 0 && n < 4 && all_orderers >= 4 {
                    d.error(list.first().map(|s| s.span), format!("channel `{}` would have {n} BFT consenters; BFT needs at least 4 (3f+1 to tolerate f = 1 fault)", name.v))
                        .add_help("list more orderer orgs under this channel's `OrdererOrgs`, or remove the key to use every orderer org");
                }
                list.iter().map(|s| s.v.clone()).collect()
            }
            None => orgs.iter().filter(|o| o.kind == OrgKind::Orderer).map(|o| o.name.clone()).collect(),
        };
        let batch = super::orderer::channel_batch(&c.batch, &net.orderer.batch, &name.v, d);
        if net.fabric_version == crate::topology::FabricVersion::V1_4
            && let Some(span) = c.batch.batch_timeout.as_ref().map(|t| t.span).or(c.batch.batch_size.first().map(|(_, v)| v.span))
        {
            d.error(Some(span), format!("channel `{}` sets its own batch settings, but on Fabric 1.4 a channel takes the system channel's orderer settings", name.v))
                .add_help("set them for every channel under `Network.Orderer` instead");
        }
        out.push(ChannelPlan { name: name.v.clone(), orgs: c.orgs.iter().map(|s| s.v.clone()).collect(), orderer_orgs, anchor_peers, batch });
    }
    out
}

/// Resolves the topology into a plan, reporting every problem into `d`. The plan is only
/// meaningful when `d` has no errors afterwards.
pub fn build(t: &Topology, d: &mut Diagnostics) -> Plan {
    let network = network(t, d);
    let mut orgs = vec![];
    let mut srcs = vec![];
    let mut incomplete = vec![];
    // Each org is capped on its own while decoding; the network as a whole is capped here,
    // before anything is expanded (aliases can repeat a large org many times).
    let total: i64 = t
        .orgs()
        .map(|o| {
            o.specs.len() as i64
                + o.template.as_ref().and_then(|t| t.count.as_ref()).map_or(0, |c| c.v)
                + o.users.as_ref().and_then(|u| u.count.as_ref()).map_or(0, |c| c.v)
        })
        .sum();
    if total > MAX_NETWORK_NODES {
        d.error(t.orgs().next().map(|o| o.span), format!("the topology expands to {total} nodes and users, more than fabchart accepts ({MAX_NETWORK_NODES})"))
            .add_help("a network this size exceeds what one chart and one cluster serve; split it into several networks");
        return Plan { network, orgs, kafka: None, channels: vec![], chaincodes: vec![] };
    }
    for o in t.orgs() {
        let before = d.error_count();
        if let Some((p, s)) = org(t, &network, o, d) {
            if o.incomplete || d.error_count() > before {
                incomplete.push(p.name.clone());
            }
            orgs.push(p);
            srcs.push(s);
        }
    }
    check_unique(&orgs, &srcs, t, d);
    check_orderers(&network, &orgs, t, d);
    ports::assign(&network.node_ports, &t.network.node_ports, &mut orgs, &srcs, d);
    let kafka = kafka(t, &network, &orgs);
    if let Some(k) = &kafka {
        check_kafka_names(k, &orgs, &srcs, t, d);
    }
    let channels = channels(t, &network, &orgs, &incomplete, d);
    let chaincodes = super::chaincode::plan(t, &network, &orgs, &channels, d);
    Plan { network, orgs, kafka, channels, chaincodes }
}
