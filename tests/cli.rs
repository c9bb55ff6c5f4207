//! The command line as users type it: exit codes, init, multi-network check, help.

mod common;
use common::*;

#[test]
fn init_writes_the_starter_and_never_overwrites() {
    let d = tmp("init");
    let f = d.join("topology.yaml");
    let fs = f.to_str().unwrap();
    let out = fabchart(&["init", fs]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&f).unwrap();
    assert_eq!(text, fabchart::examples::get("starter").unwrap());
    // The written example is valid as is.
    let out = fabchart(&["check", fs]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A second init refuses and leaves the (edited) file alone.
    std::fs::write(&f, "# my edits\n").unwrap();
    let out = fabchart(&["init", "--example", "talk", fs]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "# my edits\n");
    let out = fabchart(&["init", "--example", "talk", "--force", fs]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&f).unwrap(), fabchart::examples::get("talk").unwrap());
    // Standard output.
    let out = fabchart(&["init", "--example", "kafka-1.4", "-"]);
    assert_eq!(stdout(&out), fabchart::examples::get("kafka-1.4").unwrap());
    // Unknown example: a usage error naming the choices.
    let out = fabchart(&["init", "--example", "nope", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("raft-2.5"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn check_reports_ok_with_a_summary() {
    let out = fabchart(&["check", "values-examples/raft-2.5.yaml"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "ok: values-examples/raft-2.5.yaml — network `demo`, Fabric 2.5 etcdraft: 4 orgs, 5 peers, 3 orderers, 2 channels (0 errors, 0 warnings)\n"
    );
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let out = fabchart(&["check", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: cannot read does/not/exist.yaml"), "{}", stderr(&out));
    let out = fabchart(&["ports", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(1));
}

/// Blockchain-as-a-service: two networks on one cluster must not claim the same NodePort,
/// namespace or network name.
#[test]
fn check_several_networks_reports_what_they_share() {
    let d = tmp("multi");
    let other = d.join("tenant-b.yaml");
    // Same namespaces and ports as talk.yaml, same (default) network name.
    std::fs::write(&other, "PeerOrgs:\n  - {Name: Bank, Domain: org1, Template: {Count: 1}}\n").unwrap();
    let out = fabchart(&["check", "values-examples/talk.yaml", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("both name their network `fabric`"), "{err}");
    assert!(err.contains("namespace `org1` is claimed by Bank"), "{err}");
    assert!(err.contains("NodePort 30000 is claimed by Bank `ca` (7054)"), "{err}");
    assert!(err.contains("NodePort 30001 is claimed by Bank `peer0` (7051)"), "{err}");

    // A second tenant with its own name, namespaces and port blocks shares the cluster.
    std::fs::write(
        &other,
        "Network:\n  Name: tenant-b\n  NodePorts: {Base: 31000, OrdererBase: 32750}\n\
         OrdererOrgs:\n  - {Name: Orderer, Domain: orderer.b, Template: {Count: 1}}\n\
         PeerOrgs:\n  - {Name: Bank, Domain: bank.b, Template: {Count: 1}}\n",
    )
    .unwrap();
    let out = fabchart(&["check", "values-examples/talk.yaml", "values-examples/raft-2.5.yaml", other.to_str().unwrap()]);
    // talk and raft-2.5 overlap (org1, org2 namespaces and ports), tenant-b with neither.
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(!err.contains("tenant-b.yaml"), "{err}");
    let out = fabchart(&["check", "values-examples/raft-2.5.yaml", other.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("the 2 networks can share one cluster"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn help_teaches_each_command() {
    let out = fabchart(&["--help"]);
    let h = stdout(&out);
    for cmd in ["init", "check", "ports", "plan"] {
        assert!(h.contains(cmd), "{h}");
    }
    let out = fabchart(&["ports", "--help"]);
    let h = stdout(&out);
    assert!(h.contains("OrdererBase+k") && h.contains("nodePort"), "{h}");
}

#[test]
fn ports_all_lists_cluster_internal_ports_too() {
    let out = fabchart(&["ports", "values-examples/talk.yaml", "--all", "--format", "csv"]);
    assert!(out.status.success());
    let s = stdout(&out);
    assert!(s.contains("Org1,peer0,org1,peer0,9443,\n"), "{s}");
    assert!(s.contains("Orderer,orderer0,orgorderer1,orderer0,7053,\n"), "{s}");
    assert!(s.contains("Orderer,ca,orgorderer1,ca,7054,\n"), "{s}");
}
