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
//!
//! Map entries are encoded as Go's protobuf encoder (golang/protobuf, which Fabric uses)
//! encodes them: always with their key (field 1) and value (field 2), even when the value
//! is an empty message (`ConfigGroup{}`, `ConfigValue{}`, `Capability{}`) or empty bytes.
//! prost's derived encoder leaves a default value out; both are valid protobuf, but
//! Fabric 1.4's runtime reads a missing value as a nil pointer (its orderer then panics on
//! a channel creation tx, or refuses an update's read set). So the messages with maps,
//! `ConfigUpdate`, `ConfigGroup` and `Capabilities`, implement `prost::Message` by hand
//! (`go_map`); `MESSAGE_MAPS` lists every map field, for the encoding tests.

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

/// common.ConfigUpdate (`prost::Message` by hand: its map, see the module doc).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct ConfigUpdate {
    /// 1
    pub channel_id: String,
    /// 2
    pub read_set: Option<ConfigGroup>,
    /// 3
    pub write_set: Option<ConfigGroup>,
    /// 5, map<string, bytes>
    pub isolated_data: BTreeMap<String, Vec<u8>>,
}

/// common.ConfigGroup (`prost::Message` by hand: its maps, see the module doc).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct ConfigGroup {
    /// 1
    pub version: u64,
    /// 2, map<string, ConfigGroup>
    pub groups: BTreeMap<String, ConfigGroup>,
    /// 3, map<string, ConfigValue>
    pub values: BTreeMap<String, ConfigValue>,
    /// 4, map<string, ConfigPolicy>
    pub policies: BTreeMap<String, ConfigPolicy>,
    /// 5
    pub mod_policy: String,
}

/// Every map field of the messages fabchart writes: (message, field number, value type).
pub const MESSAGE_MAPS: &[(&str, u32, &str)] = &[
    ("common.ConfigUpdate", 5, "bytes"),
    ("common.ConfigGroup", 2, "common.ConfigGroup"),
    ("common.ConfigGroup", 3, "common.ConfigValue"),
    ("common.ConfigGroup", 4, "common.ConfigPolicy"),
    ("common.Capabilities", 1, "common.Capability"),
];

/// Map fields encoded as Go encodes them: every entry with its key and its value, even a
/// default one.
mod go_map {
    use std::collections::BTreeMap;

    use prost::bytes::BufMut;
    use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len, string};

    fn entry_len<V>(k: &str, v: &V, val_len: &impl Fn(u32, &V) -> usize) -> usize {
        string::encoded_len(1, &k.to_string()) + val_len(2, v)
    }

    pub fn encode<V>(tag: u32, map: &BTreeMap<String, V>, val_encode: impl Fn(u32, &V, &mut dyn BufMut), val_len: impl Fn(u32, &V) -> usize, buf: &mut impl BufMut) {
        for (k, v) in map {
            encode_key(tag, WireType::LengthDelimited, buf);
            encode_varint(entry_len(k, v, &val_len) as u64, buf);
            string::encode(1, k, buf);
            val_encode(2, v, buf);
        }
    }

    pub fn encoded_len<V>(tag: u32, map: &BTreeMap<String, V>, val_len: impl Fn(u32, &V) -> usize) -> usize {
        map.iter()
            .map(|(k, v)| {
                let len = entry_len(k, v, &val_len);
                key_len(tag) + encoded_len_varint(len as u64) + len
            })
            .sum()
    }
}

fn message_val<M: prost::Message>(tag: u32, v: &M, mut buf: &mut dyn prost::bytes::BufMut) {
    prost::encoding::message::encode(tag, v, &mut buf)
}

fn bytes_val(tag: u32, v: &Vec<u8>, mut buf: &mut dyn prost::bytes::BufMut) {
    prost::encoding::bytes::encode(tag, v, &mut buf)
}

impl prost::Message for ConfigUpdate {
    fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
        use prost::encoding::*;
        if !self.channel_id.is_empty() {
            string::encode(1, &self.channel_id, buf);
        }
        if let Some(g) = &self.read_set {
            message::encode(2, g, buf);
        }
        if let Some(g) = &self.write_set {
            message::encode(3, g, buf);
        }
        go_map::encode(5, &self.isolated_data, bytes_val, bytes::encoded_len, buf);
    }
    fn merge_field(&mut self, tag: u32, wire_type: prost::encoding::WireType, buf: &mut impl prost::bytes::Buf, ctx: prost::encoding::DecodeContext) -> Result<(), prost::DecodeError> {
        use prost::encoding::*;
        match tag {
            1 => string::merge(wire_type, &mut self.channel_id, buf, ctx),
            2 => message::merge(wire_type, self.read_set.get_or_insert_with(Default::default), buf, ctx),
            3 => message::merge(wire_type, self.write_set.get_or_insert_with(Default::default), buf, ctx),
            5 => btree_map::merge(string::merge, bytes::merge, &mut self.isolated_data, buf, ctx),
            _ => skip_field(wire_type, tag, buf, ctx),
        }
    }
    fn encoded_len(&self) -> usize {
        use prost::encoding::*;
        (if self.channel_id.is_empty() { 0 } else { string::encoded_len(1, &self.channel_id) })
            + self.read_set.as_ref().map_or(0, |g| message::encoded_len(2, g))
            + self.write_set.as_ref().map_or(0, |g| message::encoded_len(3, g))
            + go_map::encoded_len(5, &self.isolated_data, bytes::encoded_len)
    }
    fn clear(&mut self) {
        *self = ConfigUpdate::default();
    }
}

impl prost::Message for ConfigGroup {
    fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
        use prost::encoding::*;
        if self.version != 0 {
            uint64::encode(1, &self.version, buf);
        }
        go_map::encode(2, &self.groups, message_val, message::encoded_len, buf);
        go_map::encode(3, &self.values, message_val, message::encoded_len, buf);
        go_map::encode(4, &self.policies, message_val, message::encoded_len, buf);
        if !self.mod_policy.is_empty() {
            string::encode(5, &self.mod_policy, buf);
        }
    }
    fn merge_field(&mut self, tag: u32, wire_type: prost::encoding::WireType, buf: &mut impl prost::bytes::Buf, ctx: prost::encoding::DecodeContext) -> Result<(), prost::DecodeError> {
        use prost::encoding::*;
        match tag {
            1 => uint64::merge(wire_type, &mut self.version, buf, ctx),
            2 => btree_map::merge(string::merge, message::merge, &mut self.groups, buf, ctx),
            3 => btree_map::merge(string::merge, message::merge, &mut self.values, buf, ctx),
            4 => btree_map::merge(string::merge, message::merge, &mut self.policies, buf, ctx),
            5 => string::merge(wire_type, &mut self.mod_policy, buf, ctx),
            _ => skip_field(wire_type, tag, buf, ctx),
        }
    }
    fn encoded_len(&self) -> usize {
        use prost::encoding::*;
        (if self.version == 0 { 0 } else { uint64::encoded_len(1, &self.version) })
            + go_map::encoded_len(2, &self.groups, message::encoded_len)
            + go_map::encoded_len(3, &self.values, message::encoded_len)
            + go_map::encoded_len(4, &self.policies, message::encoded_len)
            + (if self.mod_policy.is_empty() { 0 } else { string::encoded_len(5, &self.mod_policy) })
    }
    fn clear(&mut self) {
        *self = ConfigGroup::default();
    }
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

/// common.Capabilities (`prost::Message` by hand: its map, see the module doc).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Capabilities {
    /// 1, map<string, Capability>
    pub capabilities: BTreeMap<String, Capability>,
}

impl prost::Message for Capabilities {
    fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
        go_map::encode(1, &self.capabilities, message_val, prost::encoding::message::encoded_len, buf);
    }
    fn merge_field(&mut self, tag: u32, wire_type: prost::encoding::WireType, buf: &mut impl prost::bytes::Buf, ctx: prost::encoding::DecodeContext) -> Result<(), prost::DecodeError> {
        use prost::encoding::*;
        match tag {
            1 => btree_map::merge(string::merge, message::merge, &mut self.capabilities, buf, ctx),
            _ => skip_field(wire_type, tag, buf, ctx),
        }
    }
    fn encoded_len(&self) -> usize {
        go_map::encoded_len(1, &self.capabilities, prost::encoding::message::encoded_len)
    }
    fn clear(&mut self) {
        *self = Capabilities::default();
    }
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
