//! Reports on a plan for people and scripts: the NodePort table (`fabchart ports`) and
//! the plan itself (`fabchart plan`).

use serde::Serialize;

use crate::plan::Plan;

/// One published port, as `fabchart ports` prints it (and the umbrella's
/// `fabchart.nodePorts` holds it, which `report` reads back).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct PortRow {
    /// The org's Name.
    pub org: String,
    /// Host name as cryptogen names it: `peer0`, `orderer0`, `ca`.
    pub node: String,
    pub namespace: String,
    pub service: String,
    /// Container port.
    pub port: u16,
    #[serde(rename = "nodePort")]
    pub node_port: Option<u16>,
}

/// Ports published on NodePorts, sorted by NodePort (each org's block stays together).
/// With `all`, also the Service ports that stay inside the cluster (nodePort `null`).
pub fn port_rows(plan: &Plan, all: bool) -> Vec<PortRow> {
    let mut rows: Vec<PortRow> = plan
        .endpoints()
        .into_iter()
        .flat_map(|(org, _, e)| {
            e.ports.iter().filter(move |p| p.service && (all || p.node_port.is_some())).map(move |p| PortRow {
                org: org.to_string(),
                node: e.hostname.clone(),
                namespace: e.namespace.clone(),
                // A published port lives on the node's NodePort Service.
                service: match (&e.node_port_service, p.node_port) {
                    (Some(np), Some(_)) => np.clone(),
                    _ => e.service.clone(),
                },
                port: p.container_port,
                node_port: p.node_port,
            })
        })
        .collect();
    if all {
        // Chaincode servers: ClusterIP only (their org's peers dial them).
        for cc in &plan.chaincodes {
            for s in &cc.servers {
                rows.push(PortRow { org: s.org.clone(), node: s.endpoint.hostname.clone(), namespace: s.endpoint.namespace.clone(), service: s.endpoint.service.clone(), port: cc.port, node_port: None });
            }
        }
    }
    rows.sort_by_key(|r| (r.node_port.is_none(), r.node_port));
    rows
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

pub fn render_ports(rows: &[PortRow], format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(rows).expect("rows serialise") + "\n",
        Format::Csv => {
            let mut s = String::from("org,node,namespace,service,port,nodePort\n");
            for r in rows {
                let np = r.node_port.map(|p| p.to_string()).unwrap_or_default();
                s += &format!("{},{},{},{},{},{np}\n", csv(&r.org), csv(&r.node), r.namespace, r.service, r.port);
            }
            s
        }
        Format::Table => {
            let head = ["ORG", "NODE", "NAMESPACE", "SERVICE", "PORT", "NODEPORT"];
            let cells: Vec<[String; 6]> = rows
                .iter()
                .map(|r| {
                    [
                        r.org.clone(),
                        r.node.clone(),
                        r.namespace.clone(),
                        r.service.clone(),
                        r.port.to_string(),
                        r.node_port.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            let mut w = head.map(str::len);
            for c in &cells {
                for (i, v) in c.iter().enumerate() {
                    w[i] = w[i].max(v.chars().count());
                }
            }
            let line = |c: [&str; 6]| -> String {
                let s: Vec<String> = c.iter().enumerate().map(|(i, v)| format!("{v:<width$}", width = w[i])).collect();
                s.join("  ").trim_end().to_string() + "\n"
            };
            let mut s = line(head);
            for c in &cells {
                s += &line([&c[0], &c[1], &c[2], &c[3], &c[4], &c[5]]);
            }
            s
        }
    }
}

/// Quotes a CSV field when it needs it (org names are free text).
fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Yaml,
    Json,
}

pub fn render_plan(plan: &Plan, format: PlanFormat) -> String {
    render_plan_with(plan, format, &[])
}

/// The plan, each chaincode server with the `packageId` of its org's package when a build
/// made one (`packages`: (chaincode, org, package ID), from OUT/chaincode/packages.json).
pub fn render_plan_with(plan: &Plan, format: PlanFormat, packages: &[(String, String, String)]) -> String {
    let mut plan = plan.clone();
    for cc in plan.chaincodes.iter_mut() {
        for s in cc.servers.iter_mut() {
            s.package_id = packages.iter().find(|(c, o, _)| *c == cc.name && *o == s.org).map(|(_, _, id)| id.clone());
        }
    }
    match format {
        PlanFormat::Json => serde_json::to_string_pretty(&plan).expect("plan serialises") + "\n",
        PlanFormat::Yaml => yaml_serde::to_string(&plan).expect("plan serialises"),
    }
}

/// (chaincode, org, package ID) of every package in OUT/chaincode/packages.json.
pub fn read_packages(out: &std::path::Path) -> Result<Vec<(String, String, String)>, String> {
    let p = out.join(crate::chaincode::DIR).join("packages.json");
    let text = std::fs::read(&p).map_err(|e| format!("cannot read {}: {e} (build first: fabchart build TOPOLOGY -o OUT)", p.display()))?;
    let v: serde_json::Value = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(v["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["chaincode"].as_str()?.to_string(), p["org"].as_str()?.to_string(), p["packageId"].as_str()?.to_string())))
        .collect())
}
