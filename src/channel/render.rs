//! The review format: channel configuration as JSON in the layout `configtxlator
//! proto_decode` prints (Fabric's protolator): proto field names, every field present,
//! 64-bit integers as strings, enums by name, bytes as base64, and the opaque `value`
//! bytes of config values and policies decoded by their key and type. Keys are sorted,
//! so a diff shows exactly which policy, org or consenter changed.

use base64ct::{Base64, Encoding};
use prost::Message;
use serde_json::{Map, Value, json};

use super::proto as pb;

/// Plain bytes: base64, "" when empty (protolator prints empty bytes as "").
fn b64(b: &[u8]) -> Value {
    Value::String(Base64::encode_string(b))
}

/// Bytes protolator decodes into a message: null when empty, else the rendering.
fn nested(b: &[u8], f: impl FnOnce(&[u8]) -> Result<Value, String>) -> Result<Value, String> {
    if b.is_empty() { Ok(Value::Null) } else { f(b) }
}

fn signature_header(b: &[u8]) -> Result<Value, String> {
    let sh: pb::SignatureHeader = decode(b)?;
    let creator = nested(&sh.creator, |c| {
        let id: pb::SerializedIdentity = decode(c)?;
        Ok(json!({"id_bytes": b64(&id.id_bytes), "mspid": id.mspid}))
    })?;
    Ok(json!({"creator": creator, "nonce": b64(&sh.nonce)}))
}

fn b64s(list: &[Vec<u8>]) -> Value {
    Value::Array(list.iter().map(|b| Value::String(Base64::encode_string(b))).collect())
}

fn u64s(n: u64) -> Value {
    Value::String(n.to_string())
}

fn decode<M: Message + Default>(b: &[u8]) -> Result<M, String> {
    M::decode(b).map_err(|e| format!("protobuf: {e}"))
}

fn timestamp(t: &Option<pb::Timestamp>) -> Value {
    match t {
        None => Value::Null,
        Some(t) => match time::OffsetDateTime::from_unix_timestamp(t.seconds) {
            Ok(d) => Value::String(d.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()),
            Err(_) => Value::Null,
        },
    }
}

pub fn block(b: &pb::Block) -> Result<Value, String> {
    let h = b.header.clone().unwrap_or_default();
    let mut data = vec![];
    for d in b.data.as_ref().map(|d| d.data.as_slice()).unwrap_or(&[]) {
        data.push(envelope(&decode(d)?)?);
    }
    let md: Vec<Value> = b.metadata.as_ref().map(|m| m.metadata.iter().map(|x| Value::String(Base64::encode_string(x))).collect()).unwrap_or_default();
    Ok(json!({
        "data": {"data": data},
        "header": {"data_hash": b64(&h.data_hash), "number": u64s(h.number), "previous_hash": b64(&h.previous_hash)},
        "metadata": {"metadata": md},
    }))
}

pub fn envelope(e: &pb::Envelope) -> Result<Value, String> {
    let payload = nested(&e.payload, |b| {
        let p: pb::Payload = decode(b)?;
        let h = p.header.clone().unwrap_or_default();
        let ch: pb::ChannelHeader = decode(&h.channel_header)?;
        let data = nested(&p.data, |d| match ch.r#type {
            pb::HEADER_TYPE_CONFIG => {
                let ce: pb::ConfigEnvelope = decode(d)?;
                Ok(json!({
                    "config": ce.config.as_ref().map(config).transpose()?.unwrap_or(Value::Null),
                    "last_update": ce.last_update.as_ref().map(envelope).transpose()?.unwrap_or(Value::Null),
                }))
            }
            pb::HEADER_TYPE_CONFIG_UPDATE => {
                let cue: pb::ConfigUpdateEnvelope = decode(d)?;
                let mut sigs = vec![];
                for s in &cue.signatures {
                    sigs.push(json!({"signature": b64(&s.signature), "signature_header": nested(&s.signature_header, signature_header)?}));
                }
                let update = nested(&cue.config_update, |u| config_update(&decode(u)?))?;
                Ok(json!({"config_update": update, "signatures": sigs}))
            }
            _ => Ok(b64(d)),
        })?;
        let header = match &p.header {
            None => Value::Null,
            Some(h) => json!({
                "channel_header": nested(&h.channel_header, |_| Ok(json!({
                    "channel_id": ch.channel_id,
                    "epoch": u64s(ch.epoch),
                    "extension": nested(&ch.extension, |x| Ok(b64(x)))?,
                    "timestamp": timestamp(&ch.timestamp),
                    "tls_cert_hash": b64(&ch.tls_cert_hash),
                    "tx_id": ch.tx_id,
                    "type": ch.r#type,
                    "version": ch.version,
                })))?,
                "signature_header": nested(&h.signature_header, signature_header)?,
            }),
        };
        Ok(json!({"data": data, "header": header}))
    })?;
    Ok(json!({"payload": payload, "signature": b64(&e.signature)}))
}

pub fn config(c: &pb::Config) -> Result<Value, String> {
    Ok(json!({
        "channel_group": c.channel_group.as_ref().map(group).transpose()?.unwrap_or(Value::Null),
        "sequence": u64s(c.sequence),
    }))
}

pub fn config_update(u: &pb::ConfigUpdate) -> Result<Value, String> {
    let iso: Map<String, Value> = u.isolated_data.iter().map(|(k, v)| (k.clone(), b64(v))).collect();
    Ok(json!({
        "channel_id": u.channel_id,
        "isolated_data": iso,
        "read_set": u.read_set.as_ref().map(group).transpose()?.unwrap_or(Value::Null),
        "write_set": u.write_set.as_ref().map(group).transpose()?.unwrap_or(Value::Null),
    }))
}

pub fn group(g: &pb::ConfigGroup) -> Result<Value, String> {
    let mut groups = Map::new();
    for (k, sub) in &g.groups {
        groups.insert(k.clone(), group(sub)?);
    }
    let mut values = Map::new();
    for (k, v) in &g.values {
        values.insert(k.clone(), json!({"mod_policy": v.mod_policy, "value": nested(&v.value, |b| config_value(k, b))?, "version": u64s(v.version)}));
    }
    let mut policies = Map::new();
    for (k, p) in &g.policies {
        policies.insert(
            k.clone(),
            json!({"mod_policy": p.mod_policy, "policy": p.policy.as_ref().map(policy).transpose()?.unwrap_or(Value::Null), "version": u64s(p.version)}),
        );
    }
    Ok(json!({"groups": groups, "mod_policy": g.mod_policy, "policies": policies, "values": values, "version": u64s(g.version)}))
}

pub fn policy(p: &pb::Policy) -> Result<Value, String> {
    let value = nested(&p.value, |b| {
        Ok(match p.r#type {
            pb::POLICY_SIGNATURE => signature_envelope(&decode(b)?)?,
            pb::POLICY_IMPLICIT_META => {
                let m: pb::ImplicitMetaPolicy = decode(b)?;
                let rule = ["ANY", "ALL", "MAJORITY"].get(m.rule as usize).copied().unwrap_or("ANY");
                json!({"rule": rule, "sub_policy": m.sub_policy})
            }
            _ => b64(b),
        })
    })?;
    Ok(json!({"type": p.r#type, "value": value}))
}

fn signature_envelope(e: &pb::SignaturePolicyEnvelope) -> Result<Value, String> {
    let mut ids = vec![];
    for i in &e.identities {
        let principal = nested(&i.principal, |b| {
            Ok(match i.principal_classification {
                pb::PRINCIPAL_ROLE => {
                    let r: pb::MspRole = decode(b)?;
                    json!({"msp_identifier": r.msp_identifier, "role": pb::ROLE_NAMES.get(r.role as usize).copied().unwrap_or("MEMBER")})
                }
                pb::PRINCIPAL_ORGANIZATION_UNIT => {
                    let o: pb::OrganizationUnit = decode(b)?;
                    json!({"certifiers_identifier": b64(&o.certifiers_identifier), "msp_identifier": o.msp_identifier, "organizational_unit_identifier": o.organizational_unit_identifier})
                }
                pb::PRINCIPAL_IDENTITY => {
                    let s: pb::SerializedIdentity = decode(b)?;
                    json!({"id_bytes": b64(&s.id_bytes), "mspid": s.mspid})
                }
                _ => b64(b),
            })
        })?;
        let class = ["ROLE", "ORGANIZATION_UNIT", "IDENTITY", "ANONYMITY", "COMBINED"].get(i.principal_classification as usize).copied().unwrap_or("ROLE");
        ids.push(json!({"principal": principal, "principal_classification": class}));
    }
    Ok(json!({"identities": ids, "rule": e.rule.as_ref().map(signature_policy).unwrap_or(Value::Null), "version": e.version}))
}

fn signature_policy(p: &pb::SignaturePolicy) -> Value {
    match &p.r#type {
        Some(pb::signature_policy::Type::SignedBy(i)) => json!({"signed_by": i}),
        Some(pb::signature_policy::Type::NOutOf(n)) => {
            json!({"n_out_of": {"n": n.n, "rules": n.rules.iter().map(signature_policy).collect::<Vec<_>>()}})
        }
        None => json!({}),
    }
}

fn ou(o: &Option<pb::FabricOuIdentifier>) -> Value {
    match o {
        None => Value::Null,
        Some(o) => json!({"certificate": b64(&o.certificate), "organizational_unit_identifier": o.organizational_unit_identifier}),
    }
}

fn msp(m: &pb::MspConfig) -> Result<Value, String> {
    let config = if m.config.is_empty() {
        Value::Null
    } else if m.r#type == 0 {
        let c: pb::FabricMspConfig = decode(&m.config)?;
        json!({
            "admins": b64s(&c.admins),
            "crypto_config": c.crypto_config.as_ref().map(|x| json!({"identity_identifier_hash_function": x.identity_identifier_hash_function, "signature_hash_family": x.signature_hash_family})).unwrap_or(Value::Null),
            "fabric_node_ous": c.fabric_node_ous.as_ref().map(|n| json!({
                "admin_ou_identifier": ou(&n.admin_ou_identifier),
                "client_ou_identifier": ou(&n.client_ou_identifier),
                "enable": n.enable,
                "orderer_ou_identifier": ou(&n.orderer_ou_identifier),
                "peer_ou_identifier": ou(&n.peer_ou_identifier),
            })).unwrap_or(Value::Null),
            "intermediate_certs": b64s(&c.intermediate_certs),
            "name": c.name,
            "organizational_unit_identifiers": c.organizational_unit_identifiers.iter().map(|o| ou(&Some(o.clone()))).collect::<Vec<_>>(),
            "revocation_list": b64s(&c.revocation_list),
            "root_certs": b64s(&c.root_certs),
            "signing_identity": c.signing_identity.as_ref().map(|s| json!({"private_signer": Value::Null, "public_signer": b64(&s.public_signer)})).unwrap_or(Value::Null),
            "tls_intermediate_certs": b64s(&c.tls_intermediate_certs),
            "tls_root_certs": b64s(&c.tls_root_certs),
        })
    } else {
        b64(&m.config)
    };
    Ok(json!({"config": config, "type": m.r#type}))
}

fn consensus(c: &pb::ConsensusType) -> Result<Value, String> {
    let metadata = match c.r#type.as_str() {
        _ if c.metadata.is_empty() => Value::Null,
        "etcdraft" => {
            let m: pb::RaftConfigMetadata = decode(&c.metadata)?;
            let consenters: Vec<Value> = m
                .consenters
                .iter()
                .map(|x| json!({"client_tls_cert": b64(&x.client_tls_cert), "host": x.host, "port": x.port, "server_tls_cert": b64(&x.server_tls_cert)}))
                .collect();
            let options = m.options.as_ref().map(|o| {
                json!({"election_tick": o.election_tick, "heartbeat_tick": o.heartbeat_tick, "max_inflight_blocks": o.max_inflight_blocks, "snapshot_interval_size": o.snapshot_interval_size, "tick_interval": o.tick_interval})
            });
            json!({"consenters": consenters, "options": options.unwrap_or(Value::Null)})
        }
        "BFT" => {
            let o: pb::BftOptions = decode(&c.metadata)?;
            let rotation = ["ROTATION_UNSPECIFIED", "ROTATION_OFF", "ROTATION_ON"].get(o.leader_rotation as usize).copied().unwrap_or("ROTATION_UNSPECIFIED");
            json!({
                "collect_timeout": o.collect_timeout,
                "decisions_per_leader": u64s(o.decisions_per_leader),
                "incoming_message_buffer_size": u64s(o.incoming_message_buffer_size),
                "leader_heartbeat_count": u64s(o.leader_heartbeat_count),
                "leader_heartbeat_timeout": o.leader_heartbeat_timeout,
                "leader_rotation": rotation,
                "request_auto_remove_timeout": o.request_auto_remove_timeout,
                "request_batch_max_bytes": u64s(o.request_batch_max_bytes),
                "request_batch_max_count": u64s(o.request_batch_max_count),
                "request_batch_max_interval": o.request_batch_max_interval,
                "request_complain_timeout": o.request_complain_timeout,
                "request_forward_timeout": o.request_forward_timeout,
                "request_max_bytes": u64s(o.request_max_bytes),
                "request_pool_size": u64s(o.request_pool_size),
                "speed_up_view_change": o.speed_up_view_change,
                "sync_on_start": o.sync_on_start,
                "view_change_resend_interval": o.view_change_resend_interval,
                "view_change_timeout": o.view_change_timeout,
            })
        }
        _ => json!({}),
    };
    let state = if c.state == 1 { "STATE_MAINTENANCE" } else { "STATE_NORMAL" };
    Ok(json!({"metadata": metadata, "state": state, "type": c.r#type}))
}

/// A config value's bytes, decoded by the value's key as protolator does.
fn config_value(key: &str, b: &[u8]) -> Result<Value, String> {
    Ok(match key {
        "HashingAlgorithm" => json!({"name": decode::<pb::HashingAlgorithm>(b)?.name}),
        "BlockDataHashingStructure" => json!({"width": decode::<pb::BlockDataHashingStructure>(b)?.width}),
        "OrdererAddresses" | "Endpoints" => json!({"addresses": decode::<pb::OrdererAddresses>(b)?.addresses}),
        "Consortium" => json!({"name": decode::<pb::Consortium>(b)?.name}),
        "Capabilities" => {
            let c: pb::Capabilities = decode(b)?;
            let m: Map<String, Value> = c.capabilities.keys().map(|k| (k.clone(), json!({}))).collect();
            json!({"capabilities": m})
        }
        "BatchSize" => {
            let s: pb::BatchSize = decode(b)?;
            json!({"absolute_max_bytes": s.absolute_max_bytes, "max_message_count": s.max_message_count, "preferred_max_bytes": s.preferred_max_bytes})
        }
        "BatchTimeout" => json!({"timeout": decode::<pb::BatchTimeout>(b)?.timeout}),
        "ChannelRestrictions" => json!({"max_count": u64s(decode::<pb::ChannelRestrictions>(b)?.max_count)}),
        "KafkaBrokers" => json!({"brokers": decode::<pb::KafkaBrokers>(b)?.brokers}),
        "ConsensusType" => consensus(&decode(b)?)?,
        "Orderers" => {
            let o: pb::Orderers = decode(b)?;
            let list: Vec<Value> = o
                .consenter_mapping
                .iter()
                .map(|c| {
                    json!({"client_tls_cert": b64(&c.client_tls_cert), "host": c.host, "id": c.id, "identity": b64(&c.identity), "msp_id": c.msp_id, "port": c.port, "server_tls_cert": b64(&c.server_tls_cert)})
                })
                .collect();
            json!({"consenter_mapping": list})
        }
        "MSP" => msp(&decode(b)?)?,
        "AnchorPeers" => {
            let a: pb::AnchorPeers = decode(b)?;
            json!({"anchor_peers": a.anchor_peers.iter().map(|p| json!({"host": p.host, "port": p.port})).collect::<Vec<_>>()})
        }
        "ChannelCreationPolicy" => policy(&decode(b)?)?,
        other => return Err(format!("config value {other:?} has no known message type")),
    })
}

/// Pretty JSON, two-space indent and a final newline (keys are already sorted).
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("json") + "\n"
}
