//! `fabchart report`: one self-contained page (or a standalone SVG diagram) about a build's
//! output directory, for people: the network as a diagram, the NodePort table with any
//! conflict, every certificate on a time axis to its expiry, the release sizes against
//! Helm's 1 MiB limit, and the chart's changelog. And `fabchart certs --format prometheus`,
//! the certificates' expiry for a node_exporter textfile collector ([`metrics`]).
//!
//! Everything is read from OUT as the build left it, never recomputed from a topology:
//! - `OUT/fabchart-plan.json`, the plan the build recorded (read as JSON: the plan types
//!   only serialise);
//! - the NodePort table of the umbrella's `values.yaml` (`fabchart.nodePorts`: the rows of
//!   [`crate::report::port_rows`], as the build wrote them for the chart);
//! - the crypto store, through [`crate::crypto::certs::list`] (certificates only: no key
//!   file is ever opened);
//! - the release sizes, estimated by [`crate::emit::release_estimate`] from the chart and the
//!   crypto values files of `OUT/secrets` (read only to be measured; nothing of them is
//!   written);
//! - `OUT/<chart>/CHANGELOG.md`.
//!
//! The page needs no network: inline CSS, SVG and a few lines of script, and no URL at all
//! (text that holds one is written with `://` escaped). It is a function of OUT and the
//! time it is made for (`--now`), so it can be compared byte for byte.

pub mod diagram;
pub mod metrics;
pub mod page;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::crypto::certs::{self, CertInfo};
use crate::report::PortRow;

/// What the report shows, read from a build's output directory.
pub struct Overview {
    pub out: PathBuf,
    pub network: Network,
    /// Orderer orgs, then peer orgs (the plan's order).
    pub orgs: Vec<Org>,
    pub kafka: Option<Kafka>,
    pub channels: Vec<Channel>,
    pub chaincodes: Vec<Chaincode>,
    /// The published NodePorts, as the chart's values hold them.
    pub ports: Vec<PortRow>,
    pub store: PathBuf,
    /// Every issued certificate, with the name of its org (the store folder's name when no
    /// org of the plan has it), by expiry.
    pub certs: Vec<(String, CertInfo)>,
    /// The umbrella release first, then one per org.
    pub releases: Vec<Release>,
    /// `OUT/<chart>/CHANGELOG.md`, when there.
    pub changelog: Option<String>,
}

pub struct Network {
    pub name: String,
    pub fabric_version: String,
    pub consensus: String,
    pub chart_name: String,
    pub chart_version: String,
    pub node_ports_enabled: bool,
    /// Inclusive NodePort range.
    pub range: (u32, u32),
}

pub struct Org {
    pub name: String,
    pub orderer: bool,
    pub slug: String,
    pub domain: String,
    pub msp_id: String,
    pub namespace: String,
    /// The Fabric CA server's host name.
    pub ca: String,
    pub nodes: Vec<Node>,
}

pub struct Node {
    pub hostname: String,
    pub couchdb: bool,
}

pub struct Kafka {
    pub namespace: String,
    pub brokers: Vec<String>,
    pub zookeepers: Vec<String>,
}

pub struct Channel {
    pub name: String,
    /// Member peer orgs.
    pub orgs: Vec<String>,
    pub orderer_orgs: Vec<String>,
}

pub struct Chaincode {
    pub name: String,
    pub version: String,
    /// (channel, approving orgs, committing org).
    pub channels: Vec<(String, Vec<String>, String)>,
    /// (org, chaincode server host name).
    pub servers: Vec<(String, String)>,
    pub port: u64,
}

pub struct Release {
    /// `umbrella` or the org's slug.
    pub label: String,
    /// The org's name (None for the umbrella).
    pub org: Option<String>,
    /// Estimated size of the release's Secret, in bytes; None when it cannot be estimated.
    pub bytes: Option<usize>,
    /// Why not, when not.
    pub note: Option<String>,
}

impl Overview {
    pub fn org(&self, name: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.name == name)
    }
    pub fn peers(&self) -> usize {
        self.orgs.iter().filter(|o| !o.orderer).map(|o| o.nodes.len()).sum()
    }
    pub fn orderers(&self) -> usize {
        self.orgs.iter().filter(|o| o.orderer).map(|o| o.nodes.len()).sum()
    }
}

/// The NodePort table's problems: (index of the row, what is wrong).
pub fn port_conflicts(rows: &[PortRow], range: (u32, u32)) -> BTreeMap<usize, String> {
    let mut by_port: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(p) = r.node_port {
            by_port.entry(p).or_default().push(i);
        }
    }
    let mut out = BTreeMap::new();
    for (port, idx) in &by_port {
        if idx.len() > 1 {
            for &i in idx {
                let others: Vec<String> = idx.iter().filter(|&&j| j != i).map(|&j| format!("{}/{}", rows[j].org, rows[j].node)).collect();
                out.insert(i, format!("NodePort {port} is also used by {}", others.join(", ")));
            }
        }
        if u32::from(*port) < range.0 || u32::from(*port) > range.1 {
            for &i in idx {
                let msg = format!("NodePort {port} is outside the range {}-{}", range.0, range.1);
                out.entry(i).and_modify(|m: &mut String| *m = format!("{m}; {msg}")).or_insert(msg);
            }
        }
    }
    out
}

fn str_at<'a>(v: &'a Value, path: &str) -> &'a str {
    v.pointer(path).and_then(Value::as_str).unwrap_or("")
}

/// The items of the array at `key` (none when it is missing or not an array).
fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_string)).collect()
}

fn not_a_build(out: &Path, missing: &Path, what: &str) -> String {
    format!("{} is missing: {} is not the output of a finished build ({what}); run `fabchart build TOPOLOGY -o {}` first", missing.display(), out.display(), out.display())
}

/// The rows of the umbrella's `fabchart.nodePorts`.
#[derive(Deserialize)]
struct Values {
    fabchart: FabchartValues,
}

#[derive(Deserialize)]
struct FabchartValues {
    #[serde(rename = "nodePorts", default)]
    node_ports: Vec<PortRow>,
}

/// Reads everything the report shows from OUT (and the crypto store, default
/// OUT/crypto-config). Errors name the missing file and what to run.
pub fn load(out: &Path, crypto_dir: Option<&Path>) -> Result<Overview, String> {
    if !out.is_dir() {
        return Err(format!("{} is not a directory: give the output directory of `fabchart build TOPOLOGY -o OUT`", out.display()));
    }
    let record = out.join(crate::version::RECORD);
    if !record.is_file() {
        return Err(not_a_build(out, &record, "the plan the build records"));
    }
    let plan = crate::version::read_record(&record)?;
    let bad = |what: &str| format!("{}: not a fabchart plan (no {what}); rebuild with `fabchart build TOPOLOGY -o {}`", record.display(), out.display());
    let net = plan.get("network").ok_or_else(|| bad("network"))?;
    let range = net.pointer("/nodePorts/range").and_then(Value::as_array);
    let range = match range.map(|r| r.iter().filter_map(Value::as_u64).collect::<Vec<_>>()).as_deref() {
        Some([a, b]) => (*a as u32, *b as u32),
        _ => return Err(bad("network.nodePorts.range")),
    };
    let network = Network {
        name: str_at(net, "/name").to_string(),
        fabric_version: str_at(net, "/fabricVersion").to_string(),
        consensus: str_at(net, "/consensus").to_string(),
        chart_name: str_at(net, "/chart/name").to_string(),
        chart_version: str_at(net, "/chart/version").to_string(),
        node_ports_enabled: net.pointer("/nodePorts/enabled").and_then(Value::as_bool).unwrap_or(true),
        range,
    };
    if network.name.is_empty() || network.chart_name.is_empty() {
        return Err(bad("network name or chart name"));
    }
    let orgs: Vec<Org> = plan
        .get("orgs")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("orgs"))?
        .iter()
        .map(|o| Org {
            name: str_at(o, "/name").to_string(),
            orderer: str_at(o, "/kind") == "orderer",
            slug: str_at(o, "/slug").to_string(),
            domain: str_at(o, "/domain").to_string(),
            msp_id: str_at(o, "/mspId").to_string(),
            namespace: str_at(o, "/namespace").to_string(),
            ca: str_at(o, "/ca/server/hostname").to_string(),
            nodes: items(o, "nodes")
                .map(|n| Node { hostname: str_at(n, "/hostname").to_string(), couchdb: n.get("couchdb").and_then(Value::as_bool).unwrap_or(false) })
                .collect(),
        })
        .collect();
    let kafka = plan.get("kafka").filter(|k| !k.is_null()).map(|k| {
        let hosts = |key: &str| items(k, key).map(|e| str_at(e, "/hostname").to_string()).collect();
        Kafka { namespace: str_at(k, "/namespace").to_string(), brokers: hosts("brokers"), zookeepers: hosts("zookeepers") }
    });
    let channels = items(&plan, "channels")
        .map(|c| Channel { name: str_at(c, "/name").to_string(), orgs: strings(&c["orgs"]), orderer_orgs: strings(&c["ordererOrgs"]) })
        .collect();
    let chaincodes = items(&plan, "chaincodes")
        .map(|c| Chaincode {
            name: str_at(c, "/name").to_string(),
            version: str_at(c, "/version").to_string(),
            channels: items(c, "channels")
                .map(|ch| (str_at(ch, "/name").to_string(), strings(&ch["orgs"]), str_at(ch, "/committer").to_string()))
                .collect(),
            servers: items(c, "servers").map(|s| (str_at(s, "/org").to_string(), str_at(s, "/hostname").to_string())).collect(),
            port: c.get("port").and_then(Value::as_u64).unwrap_or(0),
        })
        .collect();

    let chart_dir = out.join(&network.chart_name);
    let values_path = chart_dir.join("values.yaml");
    if !values_path.is_file() {
        return Err(not_a_build(out, &values_path, "the umbrella chart's values"));
    }
    let text = std::fs::read_to_string(&values_path).map_err(|e| format!("cannot read {}: {e}", values_path.display()))?;
    let values: Values = yaml_serde::from_str(&text)
        .map_err(|e| format!("{}: no NodePort table (fabchart.nodePorts): {e}; rebuild with `fabchart build TOPOLOGY -o {}`", values_path.display(), out.display()))?;
    let ports = values.fabchart.node_ports;

    let store = crypto_dir.map(Path::to_path_buf).unwrap_or_else(|| out.join("crypto-config"));
    if !store.is_dir() {
        return Err(format!(
            "{} is missing: the crypto store of the build (pass --crypto-dir DIR if the build used `--crypto-dir`); run `fabchart build TOPOLOGY -o {}` first",
            store.display(),
            out.display()
        ));
    }
    let by_folder: BTreeMap<(bool, &str), &str> = orgs.iter().map(|o| ((o.orderer, o.domain.as_str()), o.name.as_str())).collect();
    let certs = certs::list(&store)?
        .into_iter()
        .map(|c| {
            let mut parts = c.path.split('/');
            let kind = parts.next().unwrap_or("");
            let folder = parts.next().unwrap_or("").to_string();
            let org = by_folder.get(&(kind == "ordererOrganizations", folder.as_str())).map(|s| s.to_string()).unwrap_or(folder);
            (org, c)
        })
        .collect();

    let releases = releases(out, &chart_dir, &network.chart_name, &orgs, kafka.as_ref());
    let changelog = std::fs::read_to_string(chart_dir.join("CHANGELOG.md")).ok();
    Ok(Overview { out: out.to_path_buf(), network, orgs, kafka, channels, chaincodes, ports, store, certs, releases, changelog })
}

/// The umbrella's and each org's release size, as the build estimates them
/// ([`crate::emit::release_estimate`], with the build's node counts: the Kafka brokers and
/// ZooKeeper servers belong to the first orderer org's release).
fn releases(out: &Path, chart_dir: &Path, chart: &str, orgs: &[Org], kafka: Option<&Kafka>) -> Vec<Release> {
    use rayon::prelude::*;
    let kafka_nodes = kafka.map_or(0, |k| k.brokers.len() + k.zookeepers.len());
    let first_orderer = orgs.iter().find(|o| o.orderer).map(|o| o.name.as_str());
    let nodes_of = |o: &Org| o.nodes.len() + if Some(o.name.as_str()) == first_orderer { kafka_nodes } else { 0 };
    let all_nodes: usize = orgs.iter().map(nodes_of).sum();
    let secrets = out.join("secrets");
    let mut jobs: Vec<(String, Option<String>, PathBuf, PathBuf, usize, usize)> =
        vec![("umbrella".to_string(), None, chart_dir.to_path_buf(), secrets.join(format!("{chart}-crypto.yaml")), all_nodes, orgs.len())];
    for o in orgs {
        jobs.push((o.slug.clone(), Some(o.name.clone()), chart_dir.join("charts").join(&o.slug), secrets.join(format!("{}-crypto.yaml", o.slug)), nodes_of(o), 1));
    }
    jobs.into_par_iter()
        .map(|(label, org, chart, crypto, nodes, n_orgs)| {
            if !chart.join("Chart.yaml").is_file() {
                return Release { label, org, bytes: None, note: Some(format!("{} is missing", chart.join("Chart.yaml").display())) };
            }
            // The crypto values hold private keys: read to be measured (compressed size), never shown.
            match std::fs::read_to_string(&crypto) {
                Ok(text) => Release { label, org, bytes: Some(crate::emit::release_estimate(&chart, &text, nodes, n_orgs)), note: None },
                Err(e) => Release { label, org, bytes: None, note: Some(format!("cannot read {}: {e}", crypto.display())) },
            }
        })
        .collect()
}

/// Parses `--now` (RFC 3339).
pub fn parse_now(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|e| format!("--now {s}: not an RFC 3339 time (e.g. 2030-01-31T12:00:00Z): {e}"))
}

// ---- text helpers shared by the page and the diagram -------------------------------------

/// Escapes text for HTML and XML (content and attribute values). A `://` is written
/// `:&#47;/`, so the output never holds a URL, whatever the names hold.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o.replace("://", ":&#47;/")
}

/// Rough width of `s` in pixels at `size` px in a sans-serif font (for layout; errs wide).
pub fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | 'I' => 0.32,
            'f' | 't' | 'r' | ' ' | '(' | ')' | '-' => 0.42,
            'm' | 'w' | 'M' | 'W' | '@' => 0.92,
            'A'..='Z' => 0.72,
            '0'..='9' => 0.64,
            '…' => 0.9,
            _ => 0.6,
        })
        .sum::<f64>()
        * size
}

/// `s`, cut with an ellipsis to fit `max` pixels at `size` px.
pub fn fit(s: &str, max: f64, size: f64) -> String {
    if text_width(s, size) <= max {
        return s.to_string();
    }
    let mut cut: String = s.to_string();
    while !cut.is_empty() && text_width(&cut, size) + text_width("…", size) > max {
        cut.pop();
    }
    format!("{cut}…")
}

/// A date as `2036-11-27`.
pub fn day(t: OffsetDateTime) -> String {
    t.date().to_string()
}

/// A time as `2026-11-30 19:23 UTC`.
pub fn minute(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}

/// Bytes as whole KiB, as `fabchart build` prints them.
pub fn kib(b: usize) -> String {
    format!("{} KiB", b / 1024)
}
