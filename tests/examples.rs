//! Every example topology compiles cleanly; its NodePort table is snapshotted so that a
//! change to the port formula shows up in review as a diff of real ports.

mod common;
use common::*;

#[test]
fn every_example_is_embedded_for_init() {
    let files: Vec<String> = yaml_files("values-examples").iter().map(|f| stem(f)).collect();
    let mut embedded = fabchart::examples::names();
    embedded.sort();
    assert_eq!(files, embedded, "values-examples/ and src/examples.rs must list the same examples");
}

#[test]
fn ports_json_of_every_example() {
    let files = yaml_files("values-examples");
    assert!(files.len() >= 6, "expected the six examples, found {files:?}");
    for f in files {
        let out = fabchart(&["ports", &f, "--format", "json"]);
        assert!(out.status.success(), "{f}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{f}: examples must be free of warnings");
        let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).expect("json");
        assert!(!rows.is_empty(), "{f}: no ports");
        for r in &rows {
            // serde_json sorts keys
            let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["namespace", "node", "nodePort", "org", "port", "service"], "{f}: keys of {r}");
        }
        snapshot!(format!("ports-{}", stem(&f)), stdout(&out));
    }
}

/// The talk's own numbers (org N=1, peer M=0): CA 30000, peer0 30001/30002, and
/// fabchart's default OrdererBase 32700 instead of the talk's 23700.
#[test]
fn talk_ports_follow_the_talks_formula() {
    let out = fabchart(&["ports", "values-examples/talk.yaml", "--format", "csv"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "org,node,namespace,service,port,nodePort\n\
         Org1,ca,org1,ca-nodeport,7054,30000\n\
         Org1,peer0,org1,peer0-nodeport,7051,30001\n\
         Org1,peer0,org1,peer0-nodeport,7052,30002\n\
         Orderer,orderer0,orgorderer1,orderer0-nodeport,7050,32701\n"
    );
}

#[test]
fn table_format_is_aligned() {
    let out = fabchart(&["ports", "values-examples/talk.yaml"]);
    assert!(out.status.success());
    snapshot!("ports-table-talk", stdout(&out));
}

/// The resolved plan (names, SANs, ports, images) of the small examples, for review.
#[test]
fn plan_of_small_examples() {
    for ex in ["talk", "raft-2.5", "kafka-1.4", "bft-3.1"] {
        let out = fabchart(&["plan", &format!("values-examples/{ex}.yaml")]);
        assert!(out.status.success(), "{ex}: {}", stderr(&out));
        snapshot!(format!("plan-{ex}"), stdout(&out));
    }
}

/// Every name a client dials (the address and each DNS name) is a SAN of the node.
#[test]
fn every_dialled_name_is_a_san() {
    for f in yaml_files("values-examples") {
        let c = fabchart::compile_file(&repo().join(&f)).unwrap();
        let plan = c.plan.as_ref().unwrap_or_else(|| panic!("{f}: {}", c.render()));
        for o in plan.orgs.iter() {
            let eps = std::iter::once(&o.ca.server).chain(o.nodes.iter().map(|n| &n.endpoint));
            for e in eps {
                let sans: Vec<String> = e.sans.iter().map(|s| s.to_string()).collect();
                let host = e.address.rsplit_once(':').unwrap().0;
                for name in [host, &e.dns.short, &e.dns.namespaced, &e.dns.svc, &e.dns.fqdn]
                    .into_iter()
                    .chain(e.external_hosts.iter().map(String::as_str))
                {
                    assert!(sans.contains(&format!("DNS:{name}")), "{f}: {name} missing from SANs of {}: {sans:?}", e.hostname);
                }
            }
            for n in &o.nodes {
                assert!(n.endpoint.sans[0].to_string() == format!("DNS:{}", n.common_name), "cryptogen puts the CN first");
            }
        }
        for ch in &plan.channels {
            for a in &ch.anchor_peers {
                let node = plan.org(&a.org).unwrap().nodes.iter().find(|n| n.endpoint.hostname == a.hostname).unwrap();
                assert!(node.endpoint.sans.iter().any(|s| s.to_string() == format!("DNS:{}", a.host)));
            }
        }
    }
}

/// YAML anchors, aliases and `<<` merge keys work as in cryptogen's yaml.v2; YAML 1.1
/// spellings (`yes`, `0x10`, `!!int "2"`) are read as cryptogen reads them.
#[test]
fn anchors_merge_keys_and_yaml_1_1_scalars() {
    let text = "\
x-defaults: &defaults
  EnableNodeOUs: yes
  Template: {Count: !!int \"2\"}
  Users: {Count: 0x2}
PeerOrgs:
  - <<: *defaults
    Name: Org1
    Domain: org1
  - <<: *defaults
    Name: Org2
    Domain: org2
    Template: {Count: 1}
";
    // An unknown top-level key holding the anchor is still an error, as it should be...
    let c = fabchart::compile(fabchart::topology::Source { name: "a.yaml".into(), text: text.into() });
    assert!(c.render().contains("unknown key `x-defaults`"), "{}", c.render());
    // ...so anchors go where they belong: on the first org.
    let text = "\
PeerOrgs:
  - &org1
    Name: Org1
    Domain: org1
    EnableNodeOUs: yes
    Template: {Count: !!int \"2\"}
    Users: {Count: 0x2}
  - <<: *org1
    Name: Org2
    Domain: org2
    Template: {Count: 1}
";
    let c = fabchart::compile(fabchart::topology::Source { name: "b.yaml".into(), text: text.into() });
    let plan = c.plan.as_ref().unwrap_or_else(|| panic!("{}", c.render()));
    let org1 = plan.org("Org1").unwrap();
    let org2 = plan.org("Org2").unwrap();
    assert!(org1.enable_node_ous && org2.enable_node_ous);
    assert_eq!(org1.nodes.len(), 2);
    assert_eq!(org2.nodes.len(), 1, "the org's own Template wins over the merged one");
    assert_eq!(org2.users.len(), 3, "Admin + User1 + User2 (0x2), merged from Org1");
    assert_eq!(org2.namespace, "org2");
}
