//! The example topologies in `values-examples/`, embedded for `fabchart init`.

/// (name, description, text). `starter` is the commented reference `init` writes by default.
pub const EXAMPLES: &[(&str, &str, &str)] = &[
    ("starter", "every key, commented (the default)", include_str!("../values-examples/starter.yaml")),
    ("talk", "the 2017 talk's cluster-config.yaml, plain cryptogen format", include_str!("../values-examples/talk.yaml")),
    ("raft-2.5", "Fabric 2.5, 3 peer orgs, 3 Raft orderers, CouchDB", include_str!("../values-examples/raft-2.5.yaml")),
    ("kafka-1.4", "Fabric 1.4 with Kafka and ZooKeeper, as in the talk", include_str!("../values-examples/kafka-1.4.yaml")),
    ("bft-3.1", "Fabric 3.1, 4 BFT orderers in 2 orgs", include_str!("../values-examples/bft-3.1.yaml")),
    ("chaincode-2.5", "Fabric 2.5 with a chaincode as a service and connection profiles", include_str!("../values-examples/chaincode-2.5.yaml")),
    ("large", "20 peer orgs x 20 peers x 5 users, 5 orderers (benchmark)", include_str!("../values-examples/large.yaml")),
];

pub fn get(name: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(n, _, _)| *n == name).map(|(_, _, t)| *t)
}

pub fn names() -> Vec<&'static str> {
    EXAMPLES.iter().map(|(n, _, _)| *n).collect()
}
