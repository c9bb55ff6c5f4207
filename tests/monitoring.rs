//! Monitoring in the chart (issue: operations view), checked with the real tools:
//!
//! - every example rendered with monitoring on (ServiceMonitors, PrometheusRules, dashboards)
//!   passes Helm 3/4 lint --strict; the Prometheus Operator objects validate against the
//!   operator's own CRD schemas (scripts/monitoring/validate-crds.py, CRDs from a pinned
//!   package) and everything else against kubernetes-validate --strict
//!   (`monitoring_renders_and_validates_for_every_example`);
//! - scraping reaches what the chart serves: annotations and ServiceMonitor endpoints name the
//!   operations port the containers listen on, and the NetworkPolicy opens exactly those
//!   ports to monitoring.scrapeFrom (`scrape_targets_are_the_operations_ports`);
//! - the rules pass `promtool check rules`, and `promtool test rules` shows certificate expiry
//!   firing at the right time with the renew command, a peer falling behind, a node down and
//!   a channel without a Raft leader (`rules_pass_promtool`, `promtool_unit_tests`);
//! - the dashboards are Grafana dashboard models whose every PromQL expression parses
//!   (promtool, through a rules file) (`dashboards_are_grafana_models_with_valid_promql`);
//! - every metric name a rule or dashboard uses is one Fabric 2.5/3.1 exports, from the list
//!   kept in tests/data/fabric-metrics.txt (from Fabric's metrics reference), or one of the
//!   few others named there (`every_metric_name_is_known`);
//! - a snapshot of raft-2.5's monitoring objects (`monitoring_snapshot_raft_2_5`).

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use yaml_serde::Value;

const EXAMPLES: [&str; 6] = ["talk", "raft-2.5", "kafka-1.4", "bft-3.1", "chaincode-2.5", "starter"];

struct Rendered {
    example: &'static str,
    out: PathBuf,
    plan: fabchart::plan::Plan,
    /// Rendered with every monitoring switch on.
    manifests: String,
    objects: Vec<Value>,
}

fn docs(manifests: &str) -> Vec<Value> {
    manifests.split("\n---").filter_map(|d| yaml_serde::from_str::<Value>(d).ok()).filter(|v| !v.is_null()).collect()
}

/// Values turning every monitoring object on, for every org of the umbrella.
fn monitoring_values(plan: &fabchart::plan::Plan) -> String {
    plan.orgs
        .iter()
        .map(|o| {
            format!(
                "{}:\n  monitoring:\n    serviceMonitor: {{enabled: true}}\n    prometheusRule: {{enabled: true}}\n    dashboards: {{enabled: true}}\n",
                o.slug
            )
        })
        .collect()
}

fn build(example: &'static str) -> Rendered {
    let (out, plan) = build_example(example);
    let chart = out.join(&plan.network.chart.name);
    let crypto = out.join(format!("secrets/{}-crypto.yaml", plan.network.chart.name));
    let mon = out.join("monitoring-values.yaml");
    std::fs::write(&mon, monitoring_values(&plan)).unwrap();
    let home = out.join("helm-home");
    for bin in ["helm3", "helm4"] {
        helm(bin, &home, &["lint", "--strict", chart.to_str().unwrap(), "-f", crypto.to_str().unwrap(), "-f", mon.to_str().unwrap()]);
    }
    let manifests = helm(
        "helm4",
        &home,
        &["template", "r", chart.to_str().unwrap(), "--kube-version", "1.33.0", "-f", crypto.to_str().unwrap(), "-f", mon.to_str().unwrap()],
    );
    let objects = docs(&manifests);
    Rendered { example, out, plan, manifests, objects }
}

/// Every example, built and rendered once per test process.
fn rendered() -> &'static [Rendered] {
    static ALL: OnceLock<Vec<Rendered>> = OnceLock::new();
    ALL.get_or_init(|| EXAMPLES.iter().map(|&e| build(e)).collect())
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = match cur {
            Value::Mapping(m) => m.get(*p)?,
            Value::Sequence(s) => s.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn text(v: &Value, path: &[&str]) -> String {
    match get(v, path) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn kind(v: &Value) -> String {
    text(v, &["kind"])
}

fn of_kind<'a>(objects: &'a [Value], k: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| kind(o) == k).collect()
}

fn seq(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Sequence(s)) => s.clone(),
        _ => vec![],
    }
}

fn to_yaml(v: &Value) -> String {
    yaml_serde::to_string(v).unwrap()
}

/// `{groups: spec.groups}` of every PrometheusRule: a rules file for promtool.
fn rules_file(objects: &[Value]) -> (String, usize) {
    let mut groups = vec![];
    for r in of_kind(objects, "PrometheusRule") {
        groups.extend(seq(get(r, &["spec", "groups"])));
    }
    let n: usize = groups.iter().map(|g| seq(get(g, &["rules"])).len()).sum();
    let mut m = yaml_serde::Mapping::new();
    m.insert(Value::String("groups".into()), Value::Sequence(groups));
    (to_yaml(&Value::Mapping(m)), n)
}

fn promtool() -> PathBuf {
    require("promtool")
}

fn promtool_run(args: &[&str], dir: &Path) -> (bool, String, String) {
    run(Command::new(promtool()).args(args).current_dir(dir))
}

#[test]
fn monitoring_renders_and_validates_for_every_example() {
    for r in rendered() {
        let ex = r.example;
        // One ServiceMonitor and one PrometheusRule per org with Fabric nodes, the two
        // dashboards once per network.
        let orgs_with_nodes = r.plan.orgs.iter().filter(|o| !o.nodes.is_empty()).count();
        assert_eq!(of_kind(&r.objects, "ServiceMonitor").len(), orgs_with_nodes, "{ex}: ServiceMonitors");
        assert_eq!(of_kind(&r.objects, "PrometheusRule").len(), r.plan.orgs.len(), "{ex}: PrometheusRules");
        let dashboards: Vec<&Value> =
            of_kind(&r.objects, "ConfigMap").into_iter().filter(|c| text(c, &["metadata", "labels", "grafana_dashboard"]) == "1").collect();
        assert_eq!(dashboards.len(), 2, "{ex}: dashboards");
        for d in &dashboards {
            let Some(Value::Mapping(data)) = get(d, &["data"]) else { panic!("{ex}: dashboard without data") };
            for (_, json) in data {
                let json = json.as_str().unwrap();
                assert!(!json.contains("FABCHART_"), "{ex}: a placeholder is left in a dashboard");
                let v: serde_json::Value = serde_json::from_str(json).expect("dashboard JSON");
                assert!(v["uid"].as_str().unwrap().len() <= 40, "{ex}: Grafana uids have at most 40 characters");
            }
        }

        // The operator's objects against the operator's CRDs; the rest against Kubernetes'.
        let (operator, core): (Vec<&Value>, Vec<&Value>) =
            r.objects.iter().partition(|o| text(o, &["apiVersion"]).starts_with("monitoring.coreos.com/"));
        assert!(!operator.is_empty());
        let dir = r.out.join("crd-check");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("operator.yaml");
        std::fs::write(&file, operator.iter().map(|o| format!("---\n{}", to_yaml(o))).collect::<String>()).unwrap();
        validate_crds(&file);
        let core: String = core.iter().map(|o| format!("---\n{}", to_yaml(o))).collect();
        validate(&core, "1.33.0");
    }
}

/// scripts/monitoring/validate-crds.py: each object against the openAPIV3Schema of its CRD
/// (from the pinned prometheus-operator CRD package installed in .tools), unknown fields
/// refused as the API server's strict field validation refuses them.
fn validate_crds(file: &Path) {
    let python = repo().join(".tools/kv/bin/python");
    let crds = repo().join(".tools/crds");
    assert!(crds.exists(), "{} is missing: run scripts/install-tools.sh (scripts/test.sh does)", crds.display());
    let (ok, out, err) = run(Command::new(python).arg(repo().join("scripts/monitoring/validate-crds.py")).arg("--crd-dir").arg(&crds).arg(file));
    assert!(ok, "CRD validation of {} failed:\n{out}{err}", file.display());
}

#[test]
fn large_per_org_releases_monitor_too() {
    // large.yaml installs one release per org (its umbrella is over Helm's limit): the
    // network's first org (orderer: consensus alerts, dashboards) and a peer org, rendered
    // as their own charts with monitoring on, validate and their rules pass promtool.
    let out = tmp("large");
    let o = fabchart(&["build", "values-examples/large.yaml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "build large: {}", stderr(&o));
    let home = out.join("helm-home");
    let on = "monitoring.serviceMonitor.enabled=true,monitoring.prometheusRule.enabled=true,monitoring.dashboards.enabled=true";
    let mut all = vec![];
    for slug in ["orderer", "org7"] {
        let chart = out.join("large-network/charts").join(slug);
        let crypto = out.join(format!("secrets/{slug}-crypto.yaml"));
        let (c, v) = (chart.to_str().unwrap(), crypto.to_str().unwrap());
        helm("helm4", &home, &["lint", "--strict", c, "-f", v, "--set", on]);
        let objects = docs(&helm("helm4", &home, &["template", "r", c, "--kube-version", "1.33.0", "-f", v, "--set", on]));
        assert_eq!(of_kind(&objects, "PrometheusRule").len(), 1, "{slug}");
        assert_eq!(of_kind(&objects, "ServiceMonitor").len(), 1, "{slug}");
        let dashboards = of_kind(&objects, "ConfigMap").into_iter().filter(|c| text(c, &["metadata", "labels", "grafana_dashboard"]) == "1").count();
        assert_eq!(dashboards, if slug == "orderer" { 2 } else { 0 }, "{slug}: dashboards only on the network's first org");
        let operator: Vec<&Value> = objects.iter().filter(|o| text(o, &["apiVersion"]).starts_with("monitoring.coreos.com/")).collect();
        let file = out.join(format!("{slug}-operator.yaml"));
        std::fs::write(&file, operator.iter().map(|o| format!("---\n{}", to_yaml(o))).collect::<String>()).unwrap();
        validate_crds(&file);
        all.extend(objects);
    }
    let (rules, n) = rules_file(&all);
    // 20 peers: 40 node certificates plus users and CAs in org7 alone.
    assert!(n > 60, "{n} rules");
    std::fs::write(out.join("rules.yaml"), rules).unwrap();
    let (ok, stdout, err) = promtool_run(&["check", "rules", "rules.yaml"], &out);
    assert!(ok && stdout.contains(&format!("SUCCESS: {n} rules found")), "promtool check rules:\n{stdout}{err}");
    // Peer lag compares against every org's namespace of the network.
    let lag = of_kind(&all, "PrometheusRule")
        .iter()
        .flat_map(|r| seq(get(r, &["spec", "groups"])))
        .flat_map(|g| seq(get(&g, &["rules"])))
        .find(|r| text(r, &["alert"]) == "FabricPeerHeightBehind")
        .expect("org7 has a height lag alert");
    assert!(text(&lag, &["expr"]).contains("orderer|org1|org2|org3"), "{}", text(&lag, &["expr"]));
}

#[test]
fn a_misspelt_field_fails_crd_validation() {
    // The validator can fail: a typo in a ServiceMonitor endpoint and a wrong type.
    let dir = tmp("crd-negative");
    for (name, doc) in [
        (
            "typo",
            "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x, namespace: y}\nspec:\n  selector: {}\n  endpoints:\n    - {port: operations, intervall: 30s}\n",
        ),
        (
            "type",
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x, namespace: y}\nspec:\n  groups:\n    - name: g\n      rules:\n        - {alert: A, expr: up, for: 5}\n",
        ),
    ] {
        let f = dir.join(format!("{name}.yaml"));
        std::fs::write(&f, doc).unwrap();
        let python = repo().join(".tools/kv/bin/python");
        let (ok, out, err) = run(Command::new(python).arg(repo().join("scripts/monitoring/validate-crds.py")).arg("--crd-dir").arg(repo().join(".tools/crds")).arg(&f));
        assert!(!ok, "{name}: an invalid object passed:\n{out}{err}");
    }
}

#[test]
fn scrape_targets_are_the_operations_ports() {
    for r in rendered() {
        let ex = r.example;
        let mut operations_ports = BTreeSet::new();
        for o in r.objects.iter().filter(|o| kind(o) == "StatefulSet") {
            let component = text(o, &["spec", "template", "metadata", "labels", "app.kubernetes.io/name"]);
            if !["peer", "orderer", "ca"].contains(&component.as_str()) {
                continue;
            }
            let ann = |k: &str| text(o, &["spec", "template", "metadata", "annotations", k]);
            assert_eq!(ann("prometheus.io/scrape"), "true", "{ex}: {} not annotated", text(o, &["metadata", "name"]));
            assert_eq!(ann("prometheus.io/path"), "/metrics");
            let port: u64 = ann("prometheus.io/port").parse().unwrap();
            let containers = seq(get(o, &["spec", "template", "spec", "containers"]));
            let listens = containers.iter().any(|c| {
                seq(get(c, &["ports"])).iter().any(|p| text(p, &["name"]) == "operations" && text(p, &["containerPort"]) == port.to_string())
                    && seq(get(c, &["env"])).iter().any(|e| {
                        text(e, &["name"]).ends_with("OPERATIONS_LISTENADDRESS") && text(e, &["value"]) == format!("0.0.0.0:{port}")
                    })
            });
            assert!(listens, "{ex}: {} annotates port {port}, which no container serves operations on", text(o, &["metadata", "name"]));
            operations_ports.insert((text(o, &["metadata", "namespace"]), port));
        }
        // Each ServiceMonitor selects Services of its org that have an "operations" port.
        for sm in of_kind(&r.objects, "ServiceMonitor") {
            let ns = text(sm, &["metadata", "namespace"]);
            let org = text(sm, &["spec", "selector", "matchLabels", "fabchart.io/org"]);
            let selected: Vec<&Value> = of_kind(&r.objects, "Service")
                .into_iter()
                .filter(|s| text(s, &["metadata", "namespace"]) == ns && text(s, &["metadata", "labels", "fabchart.io/org"]) == org)
                .filter(|s| ["peer", "orderer", "ca"].contains(&text(s, &["metadata", "labels", "app.kubernetes.io/name"]).as_str()))
                .filter(|s| seq(get(s, &["spec", "ports"])).iter().any(|p| text(p, &["name"]) == "operations"))
                .collect();
            assert!(!selected.is_empty(), "{ex}: ServiceMonitor in {ns} selects no Service with an operations port");
            assert_eq!(text(sm, &["spec", "endpoints", "0", "port"]), "operations");
            assert_eq!(text(sm, &["spec", "endpoints", "0", "scheme"]), "http");
        }
        // The NetworkPolicy opens exactly the operations ports to monitoring.scrapeFrom.
        for np in r.objects.iter().filter(|o| kind(o) == "NetworkPolicy" && text(o, &["metadata", "name"]).ends_with("-allow-monitoring")) {
            let ns = text(np, &["metadata", "namespace"]);
            let ports: BTreeSet<u64> =
                seq(get(np, &["spec", "ingress", "0", "ports"])).iter().map(|p| text(p, &["port"]).parse().unwrap()).collect();
            let expected: BTreeSet<u64> = operations_ports.iter().filter(|(n, _)| *n == ns).map(|(_, p)| *p).collect();
            assert_eq!(ports, expected, "{ex}: {ns}'s allow-monitoring ports");
            assert_eq!(
                text(np, &["spec", "ingress", "0", "from", "0", "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"]),
                "monitoring"
            );
        }
        let policies = r.objects.iter().filter(|o| kind(o) == "NetworkPolicy" && text(o, &["metadata", "name"]).ends_with("-allow-monitoring")).count();
        assert_eq!(policies, r.plan.orgs.iter().filter(|o| !o.nodes.is_empty()).count(), "{ex}: allow-monitoring policies");
    }
}

#[test]
fn rules_pass_promtool() {
    for r in rendered() {
        let (rules, n) = rules_file(&r.objects);
        assert!(n > 0);
        let dir = r.out.join("promtool");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("rules.yaml"), rules).unwrap();
        let (ok, out, err) = promtool_run(&["check", "rules", "rules.yaml"], &dir);
        assert!(ok, "{}: promtool check rules:\n{out}{err}", r.example);
        assert!(out.contains(&format!("SUCCESS: {n} rules found")), "{}: {out}", r.example);
    }
}

/// One org's rendered PrometheusRule of raft-2.5 as a rules file.
fn org_rules(r: &Rendered, slug: &str) -> (String, Value) {
    let rule = of_kind(&r.objects, "PrometheusRule")
        .into_iter()
        .find(|p| text(p, &["metadata", "labels", "fabchart.io/org"]) == slug)
        .unwrap_or_else(|| panic!("no PrometheusRule for {slug}"));
    (rules_file(std::slice::from_ref(rule)).0, rule.clone())
}

/// NotAfter of a certificate, as openssl reads it (Unix seconds).
fn openssl_not_after(path: &Path) -> i64 {
    let (ok, out, err) = run(Command::new("openssl").args(["x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in"]).arg(path));
    assert!(ok, "openssl: {err}");
    // notAfter=2036-11-28 19:41:00Z
    let s = out.trim().trim_start_matches("notAfter=").trim_end_matches('Z');
    let n: Vec<i64> = s.split(['-', ' ', ':']).map(|x| x.parse().unwrap_or_else(|_| panic!("openssl date {s}"))).collect();
    let date = time::Date::from_calendar_date(n[0] as i32, time::Month::try_from(n[1] as u8).unwrap(), n[2] as u8).unwrap();
    let t = time::PrimitiveDateTime::new(date, time::Time::from_hms(n[3] as u8, n[4] as u8, n[5] as u8).unwrap());
    t.assume_utc().unix_timestamp()
}

#[test]
fn promtool_unit_tests() {
    let r = rendered().iter().find(|r| r.example == "raft-2.5").unwrap();
    let dir = r.out.join("promtool-unit");
    std::fs::create_dir_all(&dir).unwrap();
    let org1 = r.plan.orgs.iter().find(|o| o.name == "Org1").unwrap();
    let orderer = r.plan.orgs.iter().find(|o| o.kind == fabchart::topology::OrgKind::Orderer).unwrap();
    let (org1_rules, org1_rule) = org_rules(r, &org1.slug);
    let (orderer_rules, _) = org_rules(r, &orderer.slug);
    std::fs::write(dir.join("org1.yaml"), &org1_rules).unwrap();
    std::fs::write(dir.join("orderer.yaml"), &orderer_rules).unwrap();

    // Certificate expiry: Org1's renewable certificates, from the recording rules, against
    // NotAfter as openssl reads it from the store.
    let store = r.out.join("crypto-config");
    let mut renewable: Vec<(String, String, String, i64)> = vec![]; // path, cn, kind, notAfter
    for g in seq(get(&org1_rule, &["spec", "groups"])) {
        for rule in seq(get(&g, &["rules"])) {
            if text(&rule, &["record"]) != "fabchart_certificate_expiry_timestamp_seconds" {
                continue;
            }
            let path = text(&rule, &["labels", "path"]);
            let not_after = openssl_not_after(&store.join(&path));
            assert_eq!(text(&rule, &["expr"]), format!("vector({not_after})"), "{path}: the rule's NotAfter is the certificate's");
            if text(&rule, &["labels", "renewable"]) == "true" {
                renewable.push((path, text(&rule, &["labels", "common_name"]), text(&rule, &["labels", "kind"]), not_after));
            }
        }
    }
    assert!(renewable.len() >= 6, "Org1 has peers' and users' certificates: {renewable:?}");
    let soonest = renewable.iter().map(|c| c.3).min().unwrap();
    assert!(renewable.iter().all(|c| c.3 == soonest), "one build issues every leaf with the same NotAfter");

    // The recorded series of one of Org1's renewable certificates, in promtool's notation.
    let series_of = |path: &str, cn: &str, kind: &str| {
        format!(
            "fabchart_certificate_expiry_timestamp_seconds{{namespace=\"{}\", org=\"{}\", path=\"{path}\", common_name=\"{cn}\", kind=\"{kind}\", renewable=\"true\"}}",
            org1.namespace, org1.slug
        )
    };

    // 1. The recording rules give each certificate's NotAfter as the series promtool reads.
    let samples: String = renewable
        .iter()
        .map(|(path, cn, kind, not_after)| {
            format!(
                "      - expr: 'fabchart_certificate_expiry_timestamp_seconds{{path=\"{path}\"}}'\n        eval_time: 0s\n        exp_samples:\n          - labels: '{}'\n            value: {not_after}\n",
                series_of(path, cn, kind)
            )
        })
        .collect();
    let record_test = format!("rule_files: [org1.yaml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    promql_expr_test:\n{samples}");
    std::fs::write(dir.join("record-test.yaml"), &record_test).unwrap();
    let (ok, out, err) = promtool_run(&["test", "rules", "record-test.yaml"], &dir);
    assert!(ok, "promtool test rules (recorded NotAfter):\n{out}{err}\n{record_test}");

    // 2. The expiry alert on that series fires once fewer than certificateExpiryDays (30)
    //    days are left, with the days left and the exact renew command. Evaluating the
    //    recording rules themselves up to a NotAfter ten years out would take promtool
    //    minutes, so the alert runs on its own (the recording rules left out) with series
    //    that end 40 days after the test starts: not yet at day 9 (31 days left), firing at
    //    day 11 (29 days left).
    let alerts_only = {
        let mut v: Value = yaml_serde::from_str(&org1_rules).unwrap();
        if let Some(Value::Sequence(groups)) = v.get_mut("groups") {
            for g in groups {
                if let Some(Value::Sequence(rules)) = g.get_mut("rules") {
                    rules.retain(|r| r.get("record").is_none());
                }
            }
        }
        to_yaml(&v)
    };
    std::fs::write(dir.join("org1-alerts.yaml"), &alerts_only).unwrap();
    let renew_command = "fabchart renew TOPOLOGY -o OUT";
    let series: String = renewable
        .iter()
        .map(|(path, cn, kind, _)| format!("      - series: '{}'\n        values: '3456000x12'\n", series_of(path, cn, kind)))
        .collect();
    let exp: String = renewable
        .iter()
        .map(|(path, cn, kind, _)| {
            format!(
                "          - exp_labels: {{severity: warning, fabchart_network: demo, fabchart_org: {slug}, namespace: {ns}, org: {slug}, path: {path:?}, common_name: {cn:?}, kind: {kind}, renewable: \"true\"}}\n            exp_annotations:\n              summary: {summary:?}\n              runbook: {runbook:?}\n",
                slug = org1.slug,
                ns = org1.namespace,
                summary = format!("Certificate {cn} (Org1, {kind}) expires in 29 days"),
                runbook = format!(
                    "{renew_command} --cert {path}; then rebuild (fabchart build ... --bump auto) and helm upgrade: the chart carries the new certificate and every channel update it needs."
                ),
            )
        })
        .collect();
    let cert_test = format!(
        "rule_files: [org1-alerts.yaml]\nevaluation_interval: 1d\ntests:\n  - interval: 1d\n    input_series:\n{series}    alert_rule_test:\n      - eval_time: 9d\n        alertname: FabricCertificateExpiring\n        exp_alerts: []\n      - eval_time: 11d\n        alertname: FabricCertificateExpiring\n        exp_alerts:\n{exp}"
    );
    std::fs::write(dir.join("cert-test.yaml"), &cert_test).unwrap();
    let (ok, out, err) = promtool_run(&["test", "rules", "cert-test.yaml"], &dir);
    assert!(ok, "promtool test rules (certificate expiry):\n{out}{err}\n{cert_test}");

    // Height lag and node down (Org1), and a channel without a Raft leader (the orderer
    // org, the network's first org, carries the consensus alerts).
    let o = &orderer.namespace;
    let ns = &org1.namespace;
    let lag = format!(
        r#"rule_files: [org1.yaml, orderer.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'ledger_blockchain_height{{namespace="{o}", pod="orderer0-0", channel="mychannel"}}'
        values: '10+1x30'
      - series: 'ledger_blockchain_height{{namespace="{ns}", pod="peer0-0", channel="mychannel"}}'
        values: '10+1x30'
      - series: 'ledger_blockchain_height{{namespace="{ns}", pod="peer1-0", channel="mychannel"}}'
        values: '10x30'
      - series: 'up{{namespace="{ns}", pod="peer0-0", job="peer0"}}'
        values: '1x30'
      - series: 'up{{namespace="{ns}", pod="peer1-0", job="peer1"}}'
        values: '1 1 1 0x27'
      - series: 'consensus_etcdraft_is_leader{{namespace="{o}", pod="orderer0-0", channel="mychannel"}}'
        values: '1 1 1 0x27'
      - series: 'consensus_etcdraft_is_leader{{namespace="{o}", pod="orderer1-0", channel="mychannel"}}'
        values: '0x30'
    alert_rule_test:
      # peer1 is 6 blocks behind from minute 6: pending for 10m, firing from minute 16.
      - eval_time: 15m
        alertname: FabricPeerHeightBehind
        exp_alerts: []
      - eval_time: 17m
        alertname: FabricPeerHeightBehind
        exp_alerts:
          - exp_labels: {{severity: warning, fabchart_network: demo, fabchart_org: {slug}, namespace: {ns}, pod: peer1-0, channel: mychannel}}
            exp_annotations:
              summary: "Peer peer1-0 (Org1) is 17 blocks behind channel mychannel's highest node"
              runbook: "kubectl -n {ns} logs peer1-0 -c peer | grep -iE 'deliver|gossip|error'. A peer pulls blocks from the orderers itself: check it reaches them (ordererAddresses, NetworkPolicy) and that its ledger volume is not full."
      # peer1 stops answering at minute 3: down after 5 minutes.
      - eval_time: 7m
        alertname: FabricNodeDown
        exp_alerts: []
      - eval_time: 9m
        alertname: FabricNodeDown
        exp_alerts:
          - exp_labels: {{severity: critical, fabchart_network: demo, fabchart_org: {slug}, namespace: {ns}, pod: peer1-0, job: peer1}}
            exp_annotations:
              summary: "Fabric node peer1-0 in {ns} (Org1) does not answer its metrics scrape"
              runbook: "kubectl -n {ns} describe pod peer1-0; kubectl -n {ns} logs peer1-0 --previous. The StatefulSet restarts a crashed node; a pod stuck Pending or CrashLooping needs its events and logs."
      # The leader steps down at minute 3 and nobody takes over: no leader after 2 minutes.
      - eval_time: 4m
        alertname: FabricRaftNoLeader
        exp_alerts: []
      - eval_time: 6m
        alertname: FabricRaftNoLeader
        exp_alerts:
          - exp_labels: {{severity: critical, fabchart_network: demo, fabchart_org: {oslug}, channel: mychannel}}
            exp_annotations:
              summary: "Channel mychannel has no Raft leader: it orders no transactions"
              runbook: "A quorum of the channel's consenters must run and reach each other: kubectl get pods -n {o}; look for FabricNodeDown and leader changes, and at the orderers' logs."
"#,
        slug = org1.slug,
        oslug = orderer.slug,
    );
    std::fs::write(dir.join("lag-test.yaml"), &lag).unwrap();
    let (ok, out, err) = promtool_run(&["test", "rules", "lag-test.yaml"], &dir);
    assert!(ok, "promtool test rules (height lag, node down, no leader):\n{out}{err}");
}

/// The dashboards as the chart renders them (network's first org), by file name.
fn dashboards(r: &Rendered) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    for c in of_kind(&r.objects, "ConfigMap") {
        if text(c, &["metadata", "labels", "grafana_dashboard"]) != "1" {
            continue;
        }
        if let Some(Value::Mapping(data)) = get(c, &["data"]) {
            for (k, v) in data {
                out.insert(k.as_str().unwrap().to_string(), serde_json::from_str(v.as_str().unwrap()).unwrap());
            }
        }
    }
    out
}

/// Every PromQL expression of a dashboard (panel targets and query variables).
fn dashboard_exprs(d: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = vec![];
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().into_iter().flatten() {
            out.push((p["title"].as_str().unwrap().to_string(), t["expr"].as_str().unwrap().to_string()));
        }
    }
    for v in d["templating"]["list"].as_array().unwrap() {
        if v["type"] == "query" {
            out.push((format!("variable {}", v["name"]), v["definition"].as_str().unwrap().to_string()));
        }
    }
    out
}

#[test]
fn dashboards_are_grafana_models_with_valid_promql() {
    let r = rendered().iter().find(|r| r.example == "raft-2.5").unwrap();
    let ds = dashboards(r);
    assert_eq!(ds.len(), 2);
    let dir = r.out.join("dashboards");
    std::fs::create_dir_all(&dir).unwrap();
    let mut uids = BTreeSet::new();
    for (name, d) in &ds {
        // The dashboard model: identity, schema version, time, variables, panels on the grid.
        for key in ["uid", "title"] {
            assert!(d[key].as_str().is_some_and(|s| !s.is_empty()), "{name}: {key}");
        }
        assert!(uids.insert(d["uid"].as_str().unwrap().to_string()), "{name}: uid used twice");
        assert!(d["schemaVersion"].as_u64().is_some_and(|v| v >= 36), "{name}: schemaVersion");
        assert!(d["time"]["from"].is_string() && d["time"]["to"].is_string());
        let vars: Vec<&str> = d["templating"]["list"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
        assert!(vars.contains(&"datasource"), "{name}: a datasource variable");
        let panels = d["panels"].as_array().unwrap();
        assert!(panels.len() >= 10, "{name}: {} panels", panels.len());
        let mut ids = BTreeSet::new();
        for p in panels {
            let title = p["title"].as_str().unwrap();
            assert!(ids.insert(p["id"].as_u64().unwrap()), "{name}: panel id of {title} used twice");
            let g = &p["gridPos"];
            let (x, w, h) = (g["x"].as_u64().unwrap(), g["w"].as_u64().unwrap(), g["h"].as_u64().unwrap());
            assert!(x + w <= 24 && w > 0 && h > 0, "{name}: {title} is off Grafana's 24-column grid");
            let ty = p["type"].as_str().unwrap();
            assert!(["row", "stat", "timeseries", "table", "gauge", "bargauge"].contains(&ty), "{name}: {title}: type {ty}");
            if ty != "row" {
                assert_eq!(p["datasource"]["uid"], "${datasource}", "{name}: {title} uses the datasource variable");
                let targets = p["targets"].as_array().unwrap();
                assert!(!targets.is_empty(), "{name}: {title} has no query");
                let refs: BTreeSet<&str> = targets.iter().map(|t| t["refId"].as_str().unwrap()).collect();
                assert_eq!(refs.len(), targets.len(), "{name}: {title}: refIds");
            }
        }
        // Every expression parses: promtool checks them as recording rules, with Grafana's
        // variables given values.
        let exprs = dashboard_exprs(d);
        let rules: Vec<String> = exprs
            .iter()
            .enumerate()
            .map(|(i, (_, e))| {
                let e = grafana_to_promql(e);
                format!("      - record: dashboard:expr_{i}\n        expr: {}\n", serde_json::to_string(&e).unwrap())
            })
            .collect();
        let file = format!("groups:\n  - name: dashboard\n    rules:\n{}", rules.concat());
        let f = dir.join(format!("{name}.rules.yaml"));
        std::fs::write(&f, &file).unwrap();
        let (ok, out, err) = promtool_run(&["check", "rules", f.to_str().unwrap()], &dir);
        assert!(ok, "{name}: promtool check rules of the dashboard's PromQL:\n{out}{err}");
        assert!(out.contains(&format!("SUCCESS: {} rules found", exprs.len())), "{out}");
    }
}

/// A Grafana query as plain PromQL: `label_values(q, l)` → `q`, `$__rate_interval` → 5m.
fn grafana_to_promql(e: &str) -> String {
    let e = e.replace("$__rate_interval", "5m");
    if let Some(inner) = e.strip_prefix("label_values(") {
        let inner = inner.trim_end_matches(')');
        let cut = inner.rfind(',').unwrap();
        return inner[..cut].to_string();
    }
    e
}

/// Metric names a PromQL expression reads (identifiers that are not functions, keywords,
/// label names or inside strings).
fn metric_names(expr: &str) -> BTreeSet<String> {
    const KEYWORDS: [&str; 13] = ["by", "on", "ignoring", "group_left", "group_right", "without", "and", "or", "unless", "bool", "offset", "inf", "nan"];
    let b = expr.as_bytes();
    let mut out = BTreeSet::new();
    let (mut i, mut braces, mut parens_after_kw) = (0, 0i32, false);
    while i < b.len() {
        let c = b[i] as char;
        if c == '"' || c == '\'' {
            i += 1;
            while i < b.len() && b[i] as char != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if c == '{' {
            braces += 1;
        } else if c == '}' {
            braces -= 1;
        } else if c == '[' {
            while i < b.len() && b[i] != b']' {
                i += 1;
            }
        } else if c == ')' {
            parens_after_kw = false;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                i += 1;
            }
            let word = &expr[start..i];
            let next = expr[i..].trim_start().chars().next();
            // Aggregations may put `by (...)` before their parenthesis: `max by (channel) (x)`.
            const AGGREGATIONS: [&str; 12] = ["sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group"];
            if AGGREGATIONS.contains(&word) {
                continue;
            }
            if KEYWORDS.contains(&word) {
                parens_after_kw = matches!(word, "by" | "on" | "ignoring" | "group_left" | "group_right" | "without");
                continue;
            }
            if braces == 0 && !parens_after_kw && next != Some('(') && !word.starts_with("__") {
                out.insert(word.to_string());
            }
            continue;
        }
        i += 1;
    }
    out
}

/// tests/data/fabric-metrics.txt: metric names (first column) Fabric 2.5/3.1 export, and
/// the others the chart may use.
fn known_metrics() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join("tests/data/fabric-metrics.txt")).unwrap();
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut cols = line.split('\t');
        let name = cols.next().unwrap().trim().to_string();
        let ty = cols.next().unwrap_or("").trim();
        if ty == "histogram" {
            for s in ["_bucket", "_sum", "_count"] {
                out.insert(format!("{name}{s}"));
            }
        }
        out.insert(name);
    }
    out
}

#[test]
fn every_metric_name_is_known() {
    let known = known_metrics();
    assert!(known.len() > 50, "the list holds Fabric's metrics");
    assert!(known.contains("ledger_blockchain_height"));
    // The extractor finds names and only names.
    assert_eq!(
        metric_names(r#"max by (channel) (ledger_blockchain_height{namespace=~"a|b"}) - on (channel) group_right () up{pod="x"} > 5"#),
        BTreeSet::from(["ledger_blockchain_height".to_string(), "up".to_string()])
    );
    let mut used = BTreeMap::<String, String>::new();
    for r in rendered() {
        let (rules, _) = rules_file(&r.objects);
        let v: Value = yaml_serde::from_str(&rules).unwrap();
        for g in seq(get(&v, &["groups"])) {
            for rule in seq(get(&g, &["rules"])) {
                for m in metric_names(&text(&rule, &["expr"])) {
                    used.entry(m).or_insert_with(|| format!("{}: rule {}{}", r.example, text(&rule, &["alert"]), text(&rule, &["record"])));
                }
            }
        }
        for (name, d) in dashboards(r) {
            for (panel, e) in dashboard_exprs(&d) {
                for m in metric_names(&grafana_to_promql(&e)) {
                    used.entry(m).or_insert_with(|| format!("{}: dashboard {name}, {panel}", r.example));
                }
            }
        }
    }
    let unknown: Vec<String> = used.iter().filter(|(m, _)| !known.contains(*m)).map(|(m, w)| format!("{m} ({w})")).collect();
    assert!(unknown.is_empty(), "metric names not in tests/data/fabric-metrics.txt:\n{}", unknown.join("\n"));
    assert!(used.len() >= 20, "{used:?}");
}

#[test]
fn monitoring_snapshot_raft_2_5() {
    let r = rendered().iter().find(|r| r.example == "raft-2.5").unwrap();
    let mut text_out = String::new();
    for o in &r.objects {
        let k = kind(o);
        let name = text(o, &["metadata", "name"]);
        let keep = matches!(k.as_str(), "ServiceMonitor" | "PrometheusRule") || (k == "NetworkPolicy" && name.ends_with("-allow-monitoring"));
        if keep {
            text_out += &format!("---\n{}", to_yaml(o));
        } else if k == "ConfigMap" && text(o, &["metadata", "labels", "grafana_dashboard"]) == "1" {
            // The dashboards' JSON is chart-skeleton/org/files/dashboards: names only.
            let keys: Vec<String> = match get(o, &["data"]) {
                Some(Value::Mapping(m)) => m.keys().map(|k| k.as_str().unwrap().to_string()).collect(),
                _ => vec![],
            };
            text_out += &format!("---\n# ConfigMap {}/{name}: {}\n", text(o, &["metadata", "namespace"]), keys.join(", "));
        }
    }
    // Build-dependent: each certificate's NotAfter and the OUT path.
    let text_out = text_out
        .lines()
        .map(|l| match l.find("expr: vector(") {
            Some(i) => format!("{}expr: vector(<notAfter>)", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace(&r.out.display().to_string(), "<OUT>");
    let annotations = r.objects.iter().filter(|o| kind(o) == "StatefulSet").count();
    assert!(annotations > 0);
    assert!(!r.manifests.is_empty());
    snapshot!("monitoring-raft-2.5", text_out);
}
