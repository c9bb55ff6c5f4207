//! Defaults that depend on the Fabric version: images, container ports, storage sizes.
//! One table per concern, so README's reference table and the code cannot drift apart
//! (README's tables are checked against these in tests/readme.rs).

use super::{Image, Port};
use crate::topology::{Component, FabricVersion};

pub const NETWORK_NAME: &str = "fabric";
pub const CHART_VERSION: &str = "0.1.0";
pub const CLUSTER_DOMAIN: &str = "cluster.local";
pub const NODEPORT_BASE: u32 = 30000;
pub const NODEPORT_ORG_STRIDE: u32 = 100;
pub const NODEPORT_ORDERER_BASE: u32 = 32700;
pub const NODEPORT_RANGE: (u32, u32) = (30000, 32767);
pub const KAFKA_BROKERS: u32 = 4;
pub const ZOOKEEPERS: u32 = 3;
/// cryptogen's subject defaults.
pub const COUNTRY: &str = "US";
pub const PROVINCE: &str = "California";
pub const LOCALITY: &str = "San Francisco";

/// Default image of a component for a Fabric version: the newest patch releases (Fabric
/// 2.5.16 and 3.1.5, Fabric CA 1.5.22, as of late 2026), from the registry Fabric's own
/// scripts/install-fabric.sh pulls each from (`dockerFabricRegistry`,
/// `dockerCARegistry`): docker.io up to Fabric 2.5.10 and CA 1.5.14, ghcr.io after. CouchDB
/// as fabric-samples' test-network uses it (`couchdb:3.4.2`).
///
/// Fabric 3.x publishes no fabric-tools image (deprecated since 2.2, last built for 2.5):
/// the 3.1 CLI pod runs the 3.1 peer image, which carries the `peer` CLI of the network's
/// own version (Ed25519 identities and V3_0 channels need 3.x's MSP), as the channel Jobs do.
pub fn image(version: FabricVersion, c: Component) -> Image {
    use Component::*;
    use FabricVersion::*;
    let (repo, tag) = match (version, c) {
        (V1_4, Peer) => ("hyperledger/fabric-peer", "1.4.12"),
        (V1_4, Orderer) => ("hyperledger/fabric-orderer", "1.4.12"),
        (V1_4, Tools) => ("hyperledger/fabric-tools", "1.4.12"),
        (V1_4, CA) => ("hyperledger/fabric-ca", "1.4.9"),
        (V1_4, CouchDB) => ("hyperledger/fabric-couchdb", "0.4.22"),
        (V2_5, Peer) => ("ghcr.io/hyperledger/fabric-peer", "2.5.16"),
        (V2_5, Orderer) => ("ghcr.io/hyperledger/fabric-orderer", "2.5.16"),
        (V2_5, Tools) => ("ghcr.io/hyperledger/fabric-tools", "2.5.16"),
        (V3_1, Peer | Tools) => ("ghcr.io/hyperledger/fabric-peer", "3.1.5"),
        (V3_1, Orderer) => ("ghcr.io/hyperledger/fabric-orderer", "3.1.5"),
        (V2_5 | V3_1, CA) => ("ghcr.io/hyperledger/fabric-ca", "1.5.22"),
        (V2_5 | V3_1, CouchDB) => ("couchdb", "3.4.2"),
        // The last Kafka/ZooKeeper images Fabric published (with 1.4).
        (_, Kafka) => ("hyperledger/fabric-kafka", "0.4.22"),
        (_, ZooKeeper) => ("hyperledger/fabric-zookeeper", "0.4.22"),
    };
    Image { repository: repo.into(), tag: tag.into() }
}

/// Default persistent volume size of a component.
pub fn storage_size(c: Component) -> &'static str {
    match c {
        Component::Peer | Component::Orderer | Component::CouchDB | Component::Kafka => "10Gi",
        Component::CA | Component::ZooKeeper | Component::Tools => "1Gi",
    }
}

const fn port(name: &'static str, container: &'static str, p: u16, service: bool) -> Port {
    Port { name, container, container_port: p, service, node_port: None }
}

/// Container ports of a peer: gRPC, chaincode, operations; plus CouchDB (pod-local).
pub fn peer_ports(couchdb: bool) -> Vec<Port> {
    let mut v = vec![
        port("grpc", "peer", 7051, true),
        port("chaincode", "peer", 7052, true),
        port("operations", "peer", 9443, true),
    ];
    if couchdb {
        v.push(port("couchdb", "couchdb", 5984, false));
    }
    v
}

/// Orderer: gRPC (clients and cluster), the channel-participation admin endpoint
/// (2.3+; test-network's 7053), operations.
pub fn orderer_ports(version: FabricVersion) -> Vec<Port> {
    let mut v = vec![port("grpc", "orderer", 7050, true)];
    if version >= FabricVersion::V2_5 {
        v.push(port("admin", "orderer", 7053, true));
    }
    v.push(port("operations", "orderer", 9443, true));
    v
}

pub fn ca_ports() -> Vec<Port> {
    vec![port("https", "ca", 7054, true), port("operations", "ca", 9443, true)]
}

pub fn kafka_ports() -> Vec<Port> {
    vec![port("kafka", "kafka", 9092, true)]
}

pub fn zookeeper_ports() -> Vec<Port> {
    vec![port("client", "zookeeper", 2181, true), port("peer", "zookeeper", 2888, true), port("election", "zookeeper", 3888, true)]
}
