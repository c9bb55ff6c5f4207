//! The Fabric protobuf messages a channel's configuration and genesis block are made of,
//! declared by hand with `prost` derives. Names, field numbers and types follow Fabric's
//! published `.proto` files (fabric-protos: common/common.proto, common/configtx.proto,
//! common/configuration.proto, common/policies.proto, msp/msp_config.proto,
//! msp/msp_principal.proto, msp/identities.proto, orderer/configuration.proto,
//! orderer/etcdraft/configuration.proto, orderer/smartbft/configuration.proto,
//! peer/configuration.proto). Only the messages configtxgen writes are here.
//!
//! Maps are `BTreeMap`s, so encoding is deterministic (sorted keys); Fabric itself
//! marshals maps in random order, which changes bytes but not meaning.

use std::collections::BTreeMap;

// ---- common/common.proto ----------------------------------------------------------------

pub const HEADER_TYPE_CONFIG: i32 = 1;
pub const HEADER_TYPE_CONFIG_UPDATE: i32 = 2;

#[derive(Clone, PartialEq, prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Envelope {
    #[prost(bytes = "vec", tag = "1")]
    pub payload: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub signature: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Payload {
    #[prost(message, optional, tag = "1")]
    pub header: Option<Header>,
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Header {
    #[prost(bytes = "vec", tag = "1")]
    pub channel_header: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub signature_header: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ChannelHeader {
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(int32, tag = "2")]
    pub version: i32,
    #[prost(message, optional, tag = "3")]
    pub timestamp: Option<Timestamp>,
    #[prost(string, tag = "4")]
    pub channel_id: String,
    #[prost(string, tag = "5")]
    pub tx_id: String,
    #[prost(uint64, tag = "6")]
    pub epoch: u64,
    #[prost(bytes = "vec", tag = "7")]
    pub extension: Vec<u8>,
    #[prost(bytes = "vec", tag = "8")]
    pub tls_cert_hash: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SignatureHeader {
    #[prost(bytes = "vec", tag = "1")]
    pub creator: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub nonce: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Block {
    #[prost(message, optional, tag = "1")]
    pub header: Option<BlockHeader>,
    #[prost(message, optional, tag = "2")]
    pub data: Option<BlockData>,
    #[prost(message, optional, tag = "3")]
    pub metadata: Option<BlockMetadata>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct BlockHeader {
    #[prost(uint64, tag = "1")]
    pub number: u64,
    #[prost(bytes = "vec", tag = "2")]
    pub previous_hash: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub data_hash: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct BlockData {
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub data: Vec<Vec<u8>>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct BlockMetadata {
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub metadata: Vec<Vec<u8>>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Metadata {
    #[prost(bytes = "vec", tag = "1")]
    pub value: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct LastConfig {
    #[prost(uint64, tag = "1")]
    pub index: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OrdererBlockMetadata {
    #[prost(message, optional, tag = "1")]
    pub last_config: Option<LastConfig>,
    #[prost(bytes = "vec", tag = "2")]
    pub consenter_metadata: Vec<u8>,
}

// ---- common/configtx.proto --------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfigEnvelope {
    #[prost(message, optional, tag = "1")]
    pub config: Option<Config>,
    #[prost(message, optional, tag = "2")]
    pub last_update: Option<Envelope>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Config {
    #[prost(uint64, tag = "1")]
    pub sequence: u64,
    #[prost(message, optional, tag = "2")]
    pub channel_group: Option<ConfigGroup>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfigUpdateEnvelope {
    #[prost(bytes = "vec", tag = "1")]
    pub config_update: Vec<u8>,
    #[prost(message, repeated, tag = "2")]
    pub signatures: Vec<ConfigSignature>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfigUpdate {
    #[prost(string, tag = "1")]
    pub channel_id: String,
    #[prost(message, optional, tag = "2")]
    pub read_set: Option<ConfigGroup>,
    #[prost(message, optional, tag = "3")]
    pub write_set: Option<ConfigGroup>,
    #[prost(btree_map = "string, bytes", tag = "5")]
    pub isolated_data: BTreeMap<String, Vec<u8>>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfigGroup {
    #[prost(uint64, tag = "1")]
    pub version: u64,
    #[prost(btree_map = "string, message", tag = "2")]
    pub groups: BTreeMap<String, ConfigGroup>,
    #[prost(btree_map = "string, message", tag = "3")]
    pub values: BTreeMap<String, ConfigValue>,
    #[prost(btree_map = "string, message", tag = "4")]
    pub policies: BTreeMap<String, ConfigPolicy>,
    #[prost(string, tag = "5")]
    pub mod_policy: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfigValue {
    #[prost(uint64, tag = "1")]
    pub version: u64,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
    #[prost(string, tag = "3")]
    pub mod_policy: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfigPolicy {
    #[prost(uint64, tag = "1")]
    pub version: u64,
    #[prost(message, optional, tag = "2")]
    pub policy: Option<Policy>,
    #[prost(string, tag = "3")]
    pub mod_policy: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfigSignature {
    #[prost(bytes = "vec", tag = "1")]
    pub signature_header: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub signature: Vec<u8>,
}

// ---- common/policies.proto --------------------------------------------------------------

pub const POLICY_SIGNATURE: i32 = 1;
pub const POLICY_IMPLICIT_META: i32 = 3;

#[derive(Clone, PartialEq, prost::Message)]
pub struct Policy {
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SignaturePolicyEnvelope {
    #[prost(int32, tag = "1")]
    pub version: i32,
    #[prost(message, optional, tag = "2")]
    pub rule: Option<SignaturePolicy>,
    #[prost(message, repeated, tag = "3")]
    pub identities: Vec<MspPrincipal>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SignaturePolicy {
    #[prost(oneof = "signature_policy::Type", tags = "1, 2")]
    pub r#type: Option<signature_policy::Type>,
}

pub mod signature_policy {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Type {
        #[prost(int32, tag = "1")]
        SignedBy(i32),
        #[prost(message, tag = "2")]
        NOutOf(NOutOf),
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NOutOf {
        #[prost(int32, tag = "1")]
        pub n: i32,
        #[prost(message, repeated, tag = "2")]
        pub rules: Vec<super::SignaturePolicy>,
    }
}

/// ImplicitMetaPolicy.Rule
pub const IMPLICIT_ANY: i32 = 0;
pub const IMPLICIT_ALL: i32 = 1;
pub const IMPLICIT_MAJORITY: i32 = 2;

#[derive(Clone, PartialEq, prost::Message)]
pub struct ImplicitMetaPolicy {
    #[prost(string, tag = "1")]
    pub sub_policy: String,
    #[prost(int32, tag = "2")]
    pub rule: i32,
}

// ---- msp/msp_principal.proto, msp/identities.proto -------------------------------------

pub const PRINCIPAL_ROLE: i32 = 0;
pub const PRINCIPAL_ORGANIZATION_UNIT: i32 = 1;
pub const PRINCIPAL_IDENTITY: i32 = 2;

#[derive(Clone, PartialEq, prost::Message)]
pub struct MspPrincipal {
    #[prost(int32, tag = "1")]
    pub principal_classification: i32,
    #[prost(bytes = "vec", tag = "2")]
    pub principal: Vec<u8>,
}

/// MSPRole.MSPRoleType
pub const ROLE_NAMES: [&str; 5] = ["MEMBER", "ADMIN", "CLIENT", "PEER", "ORDERER"];

#[derive(Clone, PartialEq, prost::Message)]
pub struct MspRole {
    #[prost(string, tag = "1")]
    pub msp_identifier: String,
    #[prost(int32, tag = "2")]
    pub role: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OrganizationUnit {
    #[prost(string, tag = "1")]
    pub msp_identifier: String,
    #[prost(string, tag = "2")]
    pub organizational_unit_identifier: String,
    #[prost(bytes = "vec", tag = "3")]
    pub certifiers_identifier: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SerializedIdentity {
    #[prost(string, tag = "1")]
    pub mspid: String,
    #[prost(bytes = "vec", tag = "2")]
    pub id_bytes: Vec<u8>,
}

// ---- msp/msp_config.proto ---------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct MspConfig {
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(bytes = "vec", tag = "2")]
    pub config: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FabricMspConfig {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub root_certs: Vec<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "3")]
    pub intermediate_certs: Vec<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "4")]
    pub admins: Vec<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "5")]
    pub revocation_list: Vec<Vec<u8>>,
    #[prost(message, optional, tag = "6")]
    pub signing_identity: Option<SigningIdentityInfo>,
    #[prost(message, repeated, tag = "7")]
    pub organizational_unit_identifiers: Vec<FabricOuIdentifier>,
    #[prost(message, optional, tag = "8")]
    pub crypto_config: Option<FabricCryptoConfig>,
    #[prost(bytes = "vec", repeated, tag = "9")]
    pub tls_root_certs: Vec<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "10")]
    pub tls_intermediate_certs: Vec<Vec<u8>>,
    #[prost(message, optional, tag = "11")]
    pub fabric_node_ous: Option<FabricNodeOus>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SigningIdentityInfo {
    #[prost(bytes = "vec", tag = "1")]
    pub public_signer: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FabricCryptoConfig {
    #[prost(string, tag = "1")]
    pub signature_hash_family: String,
    #[prost(string, tag = "2")]
    pub identity_identifier_hash_function: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FabricOuIdentifier {
    #[prost(bytes = "vec", tag = "1")]
    pub certificate: Vec<u8>,
    #[prost(string, tag = "2")]
    pub organizational_unit_identifier: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FabricNodeOus {
    #[prost(bool, tag = "1")]
    pub enable: bool,
    #[prost(message, optional, tag = "2")]
    pub client_ou_identifier: Option<FabricOuIdentifier>,
    #[prost(message, optional, tag = "3")]
    pub peer_ou_identifier: Option<FabricOuIdentifier>,
    #[prost(message, optional, tag = "4")]
    pub admin_ou_identifier: Option<FabricOuIdentifier>,
    #[prost(message, optional, tag = "5")]
    pub orderer_ou_identifier: Option<FabricOuIdentifier>,
}

// ---- common/configuration.proto ---------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct HashingAlgorithm {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct BlockDataHashingStructure {
    #[prost(uint32, tag = "1")]
    pub width: u32,
}

/// Also the message of an orderer org's `Endpoints` value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OrdererAddresses {
    #[prost(string, repeated, tag = "1")]
    pub addresses: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Consortium {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Capabilities {
    #[prost(btree_map = "string, message", tag = "1")]
    pub capabilities: BTreeMap<String, Capability>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Capability {}

/// A BFT consenter (common.Consenter).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Consenter {
    #[prost(uint32, tag = "1")]
    pub id: u32,
    #[prost(string, tag = "2")]
    pub host: String,
    #[prost(uint32, tag = "3")]
    pub port: u32,
    #[prost(string, tag = "4")]
    pub msp_id: String,
    #[prost(bytes = "vec", tag = "5")]
    pub identity: Vec<u8>,
    #[prost(bytes = "vec", tag = "6")]
    pub client_tls_cert: Vec<u8>,
    #[prost(bytes = "vec", tag = "7")]
    pub server_tls_cert: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Orderers {
    #[prost(message, repeated, tag = "1")]
    pub consenter_mapping: Vec<Consenter>,
}

// ---- orderer/configuration.proto --------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct ConsensusType {
    #[prost(string, tag = "1")]
    pub r#type: String,
    #[prost(bytes = "vec", tag = "2")]
    pub metadata: Vec<u8>,
    /// 0 STATE_NORMAL, 1 STATE_MAINTENANCE
    #[prost(int32, tag = "3")]
    pub state: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct BatchSize {
    #[prost(uint32, tag = "1")]
    pub max_message_count: u32,
    #[prost(uint32, tag = "2")]
    pub absolute_max_bytes: u32,
    #[prost(uint32, tag = "3")]
    pub preferred_max_bytes: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct BatchTimeout {
    #[prost(string, tag = "1")]
    pub timeout: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct KafkaBrokers {
    #[prost(string, repeated, tag = "1")]
    pub brokers: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ChannelRestrictions {
    #[prost(uint64, tag = "1")]
    pub max_count: u64,
}

// ---- orderer/etcdraft/configuration.proto -----------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct RaftConfigMetadata {
    #[prost(message, repeated, tag = "1")]
    pub consenters: Vec<RaftConsenter>,
    #[prost(message, optional, tag = "2")]
    pub options: Option<RaftOptions>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RaftConsenter {
    #[prost(string, tag = "1")]
    pub host: String,
    #[prost(uint32, tag = "2")]
    pub port: u32,
    #[prost(bytes = "vec", tag = "3")]
    pub client_tls_cert: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    pub server_tls_cert: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RaftOptions {
    #[prost(string, tag = "1")]
    pub tick_interval: String,
    #[prost(uint32, tag = "2")]
    pub election_tick: u32,
    #[prost(uint32, tag = "3")]
    pub heartbeat_tick: u32,
    #[prost(uint32, tag = "4")]
    pub max_inflight_blocks: u32,
    #[prost(uint32, tag = "5")]
    pub snapshot_interval_size: u32,
}

// ---- orderer/smartbft/configuration.proto -----------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct BftOptions {
    #[prost(uint64, tag = "1")]
    pub request_batch_max_count: u64,
    #[prost(uint64, tag = "2")]
    pub request_batch_max_bytes: u64,
    #[prost(string, tag = "3")]
    pub request_batch_max_interval: String,
    #[prost(uint64, tag = "4")]
    pub incoming_message_buffer_size: u64,
    #[prost(uint64, tag = "5")]
    pub request_pool_size: u64,
    #[prost(string, tag = "6")]
    pub request_forward_timeout: String,
    #[prost(string, tag = "7")]
    pub request_complain_timeout: String,
    #[prost(string, tag = "8")]
    pub request_auto_remove_timeout: String,
    #[prost(uint64, tag = "9")]
    pub request_max_bytes: u64,
    #[prost(string, tag = "10")]
    pub view_change_resend_interval: String,
    #[prost(string, tag = "11")]
    pub view_change_timeout: String,
    #[prost(string, tag = "12")]
    pub leader_heartbeat_timeout: String,
    #[prost(uint64, tag = "13")]
    pub leader_heartbeat_count: u64,
    #[prost(string, tag = "14")]
    pub collect_timeout: String,
    #[prost(bool, tag = "15")]
    pub sync_on_start: bool,
    #[prost(bool, tag = "16")]
    pub speed_up_view_change: bool,
    /// 0 ROTATION_UNSPECIFIED, 1 ROTATION_OFF, 2 ROTATION_ON
    #[prost(int32, tag = "17")]
    pub leader_rotation: i32,
    #[prost(uint64, tag = "18")]
    pub decisions_per_leader: u64,
}

// ---- peer/configuration.proto -----------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct AnchorPeers {
    #[prost(message, repeated, tag = "1")]
    pub anchor_peers: Vec<AnchorPeer>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AnchorPeer {
    #[prost(string, tag = "1")]
    pub host: String,
    #[prost(int32, tag = "2")]
    pub port: i32,
}

/// Serialises a message (infallible into a Vec).
pub fn bytes<M: prost::Message>(m: &M) -> Vec<u8> {
    m.encode_to_vec()
}
