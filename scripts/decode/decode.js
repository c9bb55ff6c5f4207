#!/usr/bin/env node
// Independent decoder for Fabric channel artifacts, used by fabchart's tests to
// check the blocks and transactions that fabchart encodes natively.
//
//   node scripts/decode/decode.js [--config] FILE
//
// FILE is a `.block` (common.Block) or a `.tx` (common.Envelope). It prints
// what `configtxlator proto_decode --type common.Block` (or common.Envelope)
// prints, i.e. Fabric's protolator layout, as JSON with 2-space indent, keys
// sorted (byte order) at every level and a trailing newline. With --config it
// prints only the common.Config carried by the block's first envelope (or by a
// CONFIG .tx): what `configtxlator proto_decode --type common.Config` prints.
//
// Parsing uses only the official bindings (@hyperledger/fabric-protos, pinned
// in package.json, installed by scripts/install-tools.sh into .tools/decode/).
// Output conventions (protojson with EmitUnpopulated + UseProtoNames, then
// protolator's nested decoding), as checked against Fabric's protolator source:
//   * every field is present; field names are the .proto (snake_case) names;
//   * unset message field -> null; empty repeated -> []; empty map -> {};
//   * int64/uint64 -> decimal string; 32-bit ints -> number; bool -> bool;
//   * enums -> value name (number if unknown); int32 fields that merely hold
//     enum values (Policy.type, ChannelHeader.type, MSPConfig.type) -> number;
//   * plain bytes -> standard padded base64, empty -> "" (also each entry of a
//     repeated bytes field, e.g. block metadata);
//   * bytes that protolator decodes into a message (Envelope.payload,
//     Header.channel_header/signature_header, SignatureHeader.creator,
//     Payload.data, ConfigValue.value, ConfigPolicy's Policy.value,
//     MSPConfig.config, MSPPrincipal.principal, ConsensusType.metadata,
//     ConfigUpdateEnvelope.config_update, ConfigSignature.signature_header,
//     ChannelHeader.extension) -> that message, or null when the bytes are
//     empty; each BlockData.data entry is always decoded as an Envelope;
//   * oneof (SignaturePolicy): only the member that is set;
//   * google.protobuf.Timestamp -> RFC 3339 UTC, e.g. "2025-01-02T03:04:05Z"
//     (fraction of 3, 6 or 9 digits only when nanos != 0);
//   * google.protobuf.Empty (ConsensusType.metadata of a type other than
//     etcdraft/BFT) -> {}.
// Full (non --config) output adds a top-level "_checks" object, outside the
// configtxlator layout: for a block {data_hash_ok, metadata_entries, tx_id_ok},
// for a .tx {tx_id_ok}. tx_id_ok: every envelope whose channel header has a
// tx_id satisfies tx_id == hex(sha256(nonce || creator)) of its signature
// header; null when no envelope carries a tx_id.
//
// Exit status: 0 ok; 1 the input cannot be read or parsed (invalid protobuf,
// unknown fields, trailing bytes); 2 anything else: usage, bindings missing,
// or content that protolator would not render or this decoder does not know
// (unknown config group/value key, unsupported header/policy/MSP/principal
// type, a 64-bit integer beyond 2^53). Nothing unknown passes silently.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const PROTOS_VERSION = '0.3.7';

class DecodeError extends Error {
  constructor(code, where, msg) {
    super(where ? `${where}: ${msg}` : msg);
    this.code = code;
  }
}
const parseError = (where, msg) => new DecodeError(1, where, msg);
const unsupported = (where, msg) => new DecodeError(2, where, msg);

// ---------------------------------------------------------------- bindings --

// The bindings live in .tools/decode/node_modules (scripts/install-tools.sh);
// FABCHART_DECODE_MODULES may name another folder holding node_modules/.
function loadBindings() {
  const root = path.resolve(__dirname, '..', '..');
  const bases = [process.env.FABCHART_DECODE_MODULES, path.join(root, '.tools', 'decode'), __dirname]
    .filter(Boolean);
  for (const base of bases) {
    const req = createRequire(path.join(path.resolve(base), 'package.json'));
    let pkgJson;
    try { pkgJson = req.resolve('@hyperledger/fabric-protos/package.json'); } catch (e) { continue; }
    const version = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version;
    if (version !== PROTOS_VERSION) {
      throw unsupported(null, `${pkgJson} is version ${version}, want ${PROTOS_VERSION}: run scripts/install-tools.sh`);
    }
    const preq = createRequire(pkgJson); // resolve exactly as the bindings do
    const lib = (p) => preq(`@hyperledger/fabric-protos/lib/${p}_pb`); // *_pb only: no grpc-js
    const jspbVersion = JSON.parse(fs.readFileSync(preq.resolve('google-protobuf/package.json'), 'utf8')).version;
    return {
      versions: `@hyperledger/fabric-protos ${version}, google-protobuf ${jspbVersion}`,
      jspb: preq('google-protobuf'),
      timestamp: preq('google-protobuf/google/protobuf/timestamp_pb'),
      empty: preq('google-protobuf/google/protobuf/empty_pb'),
      common: lib('common/common'),
      configtx: lib('common/configtx'),
      configuration: lib('common/configuration'),
      policies: lib('common/policies'),
      identities: lib('msp/identities'),
      mspConfig: lib('msp/msp_config'),
      principal: lib('msp/msp_principal'),
      orderer: lib('orderer/configuration'),
      etcdraft: lib('orderer/etcdraft/configuration'),
      smartbft: lib('orderer/smartbft/configuration'),
      peer: lib('peer/configuration'),
    };
  }
  throw unsupported(null, `@hyperledger/fabric-protos not found (looked in ${bases.join(', ')}): run scripts/install-tools.sh`);
}

// The generated code silently skips unknown fields and stops at a stray
// end-group tag; make both fail, so no byte of the input goes unread.
function hardenReader(jspb, probeType) {
  const R = jspb.BinaryReader.prototype;
  const skipField = R.skipField;
  if (!skipField.fabchartHardened) {
    R.skipField = function () {
      throw parseError(null, `unknown field ${this.getFieldNumber()} (wire type ${this.getWireType()})`);
    };
    R.skipField.fabchartHardened = true;
    const isEndGroup = R.isEndGroup;
    R.isEndGroup = function () {
      if (isEndGroup.call(this)) throw parseError(null, 'unexpected end-group tag');
      return false;
    };
  }
  for (const probe of [[0x10, 0x01], [0x0c]]) { // unknown field 2; end-group tag
    let threw = false;
    try { probeType.deserializeBinary(Uint8Array.from(probe)); } catch (e) { threw = true; }
    if (!threw) throw unsupported(null, 'internal: cannot make google-protobuf reject unknown fields');
  }
}

// ------------------------------------------------------------------ schema --

// Each message: [class, "field:kind ..."]. kind: string bool int32 uint32 int64
// uint64 bytes, enum:<name>, a message type name, with prefix [] (repeated) or
// map: (map<string, kind>), and suffix |oneof for a oneof member. The schema is
// checked against each class's toObject() keys the first time a type is seen.
function buildSchema(b) {
  const enums = {
    'common.ImplicitMetaPolicy.Rule': b.policies.ImplicitMetaPolicy.Rule,
    'common.MSPPrincipal.Classification': b.principal.MSPPrincipal.Classification,
    'common.MSPRole.MSPRoleType': b.principal.MSPRole.MSPRoleType,
    'orderer.ConsensusType.State': b.orderer.ConsensusType.State,
    'orderer.smartbft.Options.Rotation': b.smartbft.Options.Rotation,
  };
  const defs = {
    'common.Block': [b.common.Block, 'header:common.BlockHeader data:common.BlockData metadata:common.BlockMetadata'],
    'common.BlockHeader': [b.common.BlockHeader, 'number:uint64 previous_hash:bytes data_hash:bytes'],
    'common.BlockData': [b.common.BlockData, 'data:[]bytes'],
    'common.BlockMetadata': [b.common.BlockMetadata, 'metadata:[]bytes'],
    'common.Envelope': [b.common.Envelope, 'payload:bytes signature:bytes'],
    'common.Payload': [b.common.Payload, 'header:common.Header data:bytes'],
    'common.Header': [b.common.Header, 'channel_header:bytes signature_header:bytes'],
    'common.ChannelHeader': [b.common.ChannelHeader,
      'type:int32 version:int32 timestamp:google.protobuf.Timestamp channel_id:string tx_id:string ' +
      'epoch:uint64 extension:bytes tls_cert_hash:bytes'],
    'common.SignatureHeader': [b.common.SignatureHeader, 'creator:bytes nonce:bytes'],
    'common.ConfigEnvelope': [b.configtx.ConfigEnvelope, 'config:common.Config last_update:common.Envelope'],
    'common.Config': [b.configtx.Config, 'sequence:uint64 channel_group:common.ConfigGroup'],
    'common.ConfigUpdateEnvelope': [b.configtx.ConfigUpdateEnvelope, 'config_update:bytes signatures:[]common.ConfigSignature'],
    'common.ConfigUpdate': [b.configtx.ConfigUpdate,
      'channel_id:string read_set:common.ConfigGroup write_set:common.ConfigGroup isolated_data:map:bytes'],
    'common.ConfigGroup': [b.configtx.ConfigGroup,
      'version:uint64 groups:map:common.ConfigGroup values:map:common.ConfigValue policies:map:common.ConfigPolicy mod_policy:string'],
    'common.ConfigValue': [b.configtx.ConfigValue, 'version:uint64 value:bytes mod_policy:string'],
    'common.ConfigPolicy': [b.configtx.ConfigPolicy, 'version:uint64 policy:common.Policy mod_policy:string'],
    'common.ConfigSignature': [b.configtx.ConfigSignature, 'signature_header:bytes signature:bytes'],
    'common.Policy': [b.policies.Policy, 'type:int32 value:bytes'],
    'common.SignaturePolicyEnvelope': [b.policies.SignaturePolicyEnvelope,
      'version:int32 rule:common.SignaturePolicy identities:[]common.MSPPrincipal'],
    'common.SignaturePolicy': [b.policies.SignaturePolicy, 'signed_by:int32|oneof n_out_of:common.SignaturePolicy.NOutOf|oneof'],
    'common.SignaturePolicy.NOutOf': [b.policies.SignaturePolicy.NOutOf, 'n:int32 rules:[]common.SignaturePolicy'],
    'common.ImplicitMetaPolicy': [b.policies.ImplicitMetaPolicy, 'sub_policy:string rule:enum:common.ImplicitMetaPolicy.Rule'],
    'common.HashingAlgorithm': [b.configuration.HashingAlgorithm, 'name:string'],
    'common.BlockDataHashingStructure': [b.configuration.BlockDataHashingStructure, 'width:uint32'],
    'common.OrdererAddresses': [b.configuration.OrdererAddresses, 'addresses:[]string'],
    'common.Consortium': [b.configuration.Consortium, 'name:string'],
    'common.Capabilities': [b.configuration.Capabilities, 'capabilities:map:common.Capability'],
    'common.Capability': [b.configuration.Capability, ''],
    'common.Orderers': [b.configuration.Orderers, 'consenter_mapping:[]common.Consenter'],
    'common.Consenter': [b.configuration.Consenter,
      'id:uint32 host:string port:uint32 msp_id:string identity:bytes client_tls_cert:bytes server_tls_cert:bytes'],
    'common.MSPPrincipal': [b.principal.MSPPrincipal, 'principal_classification:enum:common.MSPPrincipal.Classification principal:bytes'],
    'common.MSPRole': [b.principal.MSPRole, 'msp_identifier:string role:enum:common.MSPRole.MSPRoleType'],
    'common.OrganizationUnit': [b.principal.OrganizationUnit,
      'msp_identifier:string organizational_unit_identifier:string certifiers_identifier:bytes'],
    'msp.SerializedIdentity': [b.identities.SerializedIdentity, 'mspid:string id_bytes:bytes'],
    'msp.MSPConfig': [b.mspConfig.MSPConfig, 'type:int32 config:bytes'],
    'msp.FabricMSPConfig': [b.mspConfig.FabricMSPConfig,
      'name:string root_certs:[]bytes intermediate_certs:[]bytes admins:[]bytes revocation_list:[]bytes ' +
      'signing_identity:msp.SigningIdentityInfo organizational_unit_identifiers:[]msp.FabricOUIdentifier ' +
      'crypto_config:msp.FabricCryptoConfig tls_root_certs:[]bytes tls_intermediate_certs:[]bytes ' +
      'fabric_node_ous:msp.FabricNodeOUs'],
    'msp.FabricCryptoConfig': [b.mspConfig.FabricCryptoConfig, 'signature_hash_family:string identity_identifier_hash_function:string'],
    'msp.SigningIdentityInfo': [b.mspConfig.SigningIdentityInfo, 'public_signer:bytes private_signer:msp.KeyInfo'],
    'msp.KeyInfo': [b.mspConfig.KeyInfo, 'key_identifier:string key_material:bytes'],
    'msp.FabricOUIdentifier': [b.mspConfig.FabricOUIdentifier, 'certificate:bytes organizational_unit_identifier:string'],
    'msp.FabricNodeOUs': [b.mspConfig.FabricNodeOUs,
      'enable:bool client_ou_identifier:msp.FabricOUIdentifier peer_ou_identifier:msp.FabricOUIdentifier ' +
      'admin_ou_identifier:msp.FabricOUIdentifier orderer_ou_identifier:msp.FabricOUIdentifier'],
    'msp.IdemixMSPConfig': [b.mspConfig.IdemixMSPConfig,
      'name:string ipk:bytes signer:msp.IdemixMSPSignerConfig revocation_pk:bytes epoch:int64'],
    'msp.IdemixMSPSignerConfig': [b.mspConfig.IdemixMSPSignerConfig,
      'cred:bytes sk:bytes organizational_unit_identifier:string role:int32 enrollment_id:string ' +
      'credential_revocation_information:bytes'],
    'orderer.ConsensusType': [b.orderer.ConsensusType, 'type:string metadata:bytes state:enum:orderer.ConsensusType.State'],
    'orderer.BatchSize': [b.orderer.BatchSize, 'max_message_count:uint32 absolute_max_bytes:uint32 preferred_max_bytes:uint32'],
    'orderer.BatchTimeout': [b.orderer.BatchTimeout, 'timeout:string'],
    'orderer.KafkaBrokers': [b.orderer.KafkaBrokers, 'brokers:[]string'],
    'orderer.ChannelRestrictions': [b.orderer.ChannelRestrictions, 'max_count:uint64'],
    'etcdraft.ConfigMetadata': [b.etcdraft.ConfigMetadata, 'consenters:[]etcdraft.Consenter options:etcdraft.Options'],
    'etcdraft.Consenter': [b.etcdraft.Consenter, 'host:string port:uint32 client_tls_cert:bytes server_tls_cert:bytes'],
    'etcdraft.Options': [b.etcdraft.Options,
      'tick_interval:string election_tick:uint32 heartbeat_tick:uint32 max_inflight_blocks:uint32 snapshot_interval_size:uint32'],
    'orderer.smartbft.Options': [b.smartbft.Options,
      'request_batch_max_count:uint64 request_batch_max_bytes:uint64 request_batch_max_interval:string ' +
      'incoming_message_buffer_size:uint64 request_pool_size:uint64 request_forward_timeout:string ' +
      'request_complain_timeout:string request_auto_remove_timeout:string request_max_bytes:uint64 ' +
      'view_change_resend_interval:string view_change_timeout:string leader_heartbeat_timeout:string ' +
      'leader_heartbeat_count:uint64 collect_timeout:string sync_on_start:bool speed_up_view_change:bool ' +
      'leader_rotation:enum:orderer.smartbft.Options.Rotation decisions_per_leader:uint64'],
    'protos.AnchorPeers': [b.peer.AnchorPeers, 'anchor_peers:[]protos.AnchorPeer'],
    'protos.AnchorPeer': [b.peer.AnchorPeer, 'host:string port:int32'],
    'protos.ACLs': [b.peer.ACLs, 'acls:map:protos.APIResource'],
    'protos.APIResource': [b.peer.APIResource, 'policy_ref:string'],
    'google.protobuf.Timestamp': [b.timestamp.Timestamp, 'seconds:int64 nanos:int32'],
    'google.protobuf.Empty': [b.empty.Empty, ''],
  };
  const upper = (s) => s.replace(/(^|_)([a-z0-9])/g, (m, u, c) => c.toUpperCase());
  const schema = {};
  for (const [name, [cls, spec]] of Object.entries(defs)) {
    if (typeof cls !== 'function') throw unsupported(null, `internal: bindings lack ${name}`);
    const fields = spec.split(/\s+/).filter(Boolean).map((tok) => {
      const m = /^([a-z0-9_]+):(\[\]|map:)?([A-Za-z0-9_.:]+?)(\|oneof)?$/.exec(tok);
      if (!m) throw unsupported(null, `internal: bad schema token ${tok}`);
      const [, fname, mod, kind, oneof] = m;
      const suffix = mod === '[]' ? 'List' : mod === 'map:' ? 'Map' : '';
      const f = { name: fname, kind, repeated: mod === '[]', map: mod === 'map:', oneof: !!oneof };
      // jspb appends $ to accessors that clash with jspb.Message methods
      // (ChannelHeader.extension: getExtension$, but getExtension_asU8).
      const own = (name) => (Object.prototype.hasOwnProperty.call(cls.prototype, name + '$') ? name + '$' : name);
      f.getter = own('get' + upper(fname) + suffix);
      f.asU8 = 'get' + upper(fname) + suffix + '_asU8';
      f.has = own('has' + upper(fname));
      f.objKey = upper(fname).replace(/^./, (c) => c.toLowerCase()) + suffix;
      if (kind.startsWith('enum:')) {
        f.enumValues = enums[kind.slice(5)];
        if (!f.enumValues) throw unsupported(null, `internal: unknown enum ${kind}`);
        f.enumNames = new Map(Object.entries(f.enumValues).map(([k, v]) => [v, k]));
        f.kind = 'enum';
      }
      return f;
    });
    schema[name] = { name, cls, fields, checked: false, schemaOf: (f) => schema[f.kind] };
  }
  for (const t of Object.values(schema)) {
    for (const f of t.fields) {
      const scalar = ['string', 'bool', 'int32', 'uint32', 'int64', 'uint64', 'bytes', 'enum'].includes(f.kind);
      if (!scalar && !schema[f.kind]) throw unsupported(null, `internal: ${t.name}.${f.name} has unknown type ${f.kind}`);
    }
  }
  return schema;
}

// Compares a type's schema with what the bindings know about it (once per type).
function checkType(t, msg, where) {
  if (t.checked) return;
  if (!(msg instanceof t.cls)) throw unsupported(where, `internal: expected a ${t.name}`);
  const want = t.fields.map((f) => f.objKey).sort();
  const got = Object.keys(msg.toObject(false)).sort();
  if (want.join() !== got.join()) {
    throw unsupported(where, `internal: schema of ${t.name} [${want}] does not match the bindings [${got}]`);
  }
  for (const f of t.fields) {
    const proto = t.cls.prototype;
    const own = (name) => Object.prototype.hasOwnProperty.call(proto, name) && typeof proto[name] === 'function';
    const isBytes = own(f.asU8);
    const hasOk = (f.oneof || (t.schemaOf(f) && !f.repeated && !f.map)) ? own(f.has) : true;
    if (!own(f.getter) || !hasOk || isBytes !== (f.kind === 'bytes' && !f.map)) {
      throw unsupported(where, `internal: ${t.name}.${f.name} (${f.kind}) does not match the bindings`);
    }
  }
  t.checked = true;
}

// ------------------------------------------------------------------ render --

function b64(u8) {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('base64');
}

function int64(v, where) {
  // The bindings read 64-bit integers into JS numbers: exact only up to 2^53.
  if (!Number.isSafeInteger(v)) throw unsupported(where, `64-bit integer ${v} is beyond 2^53 and cannot be rendered exactly`);
  return String(v);
}

function rfc3339(ts, where) {
  const seconds = ts.getSeconds();
  const nanos = ts.getNanos();
  // protojson's limits: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, nanos in [0, 1e9).
  if (!Number.isSafeInteger(seconds) || seconds < -62135596800 || seconds > 253402300799 ||
      !Number.isInteger(nanos) || nanos < 0 || nanos > 999999999) {
    throw unsupported(where, `timestamp out of range: seconds=${seconds} nanos=${nanos}`);
  }
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  let frac = '';
  if (nanos !== 0) {
    frac = String(nanos).padStart(9, '0');
    while (frac.length > 3 && frac.endsWith('000')) frac = frac.slice(0, -3);
    frac = '.' + frac;
  }
  return `${base}${frac}Z`;
}

function newObject() { return Object.create(null); }

class Decoder {
  constructor(b, schema) {
    this.b = b;
    this.schema = schema;
    this.decor = this.decorations();
  }

  type(name) { return this.schema[name]; }

  // Parses bytes as the named message type, rejecting any byte left unread.
  parse(typeName, bytes, where) {
    const t = this.type(typeName);
    const reader = new this.b.jspb.BinaryReader(bytes);
    const msg = new t.cls();
    try {
      t.cls.deserializeBinaryFromReader(msg, reader);
      if (reader.getError()) throw new Error('decoder error');
      if (reader.getCursor() !== bytes.length) {
        throw new Error(`stopped at byte ${reader.getCursor()} of ${bytes.length}`);
      }
    } catch (e) {
      if (e instanceof DecodeError && e.code !== 1) throw e;
      throw parseError(where, `not a valid ${typeName}: ${e instanceof DecodeError ? e.message : e.message || e}`);
    }
    return msg;
  }

  // Renders a message; hooks (field name -> fn(msg, where)) replace the plain
  // rendering of fields, on top of the type's static decorations.
  render(typeName, msg, where, hooks) {
    const t = this.type(typeName);
    checkType(t, msg, where);
    if (typeName === 'google.protobuf.Timestamp') return rfc3339(msg, where);
    const out = newObject();
    const decor = this.decor[typeName] || {};
    for (const f of t.fields) {
      if (f.oneof && !msg[f.has]()) continue;
      const fwhere = `${where}.${f.name}`;
      const hook = (hooks && hooks[f.name]) || decor[f.name];
      out[f.name] = hook ? hook(msg, fwhere, f) : this.plain(f, msg, fwhere);
    }
    return out;
  }

  plain(f, msg, where) {
    if (f.map) {
      const m = msg[f.getter]();
      const out = newObject();
      for (const key of m.keys()) {
        const v = m.get(key);
        out[key] = f.kind === 'bytes' ? this.scalar(f, v, `${where}.${key}`) : this.value(f, v, `${where}.${key}`);
      }
      return out;
    }
    if (f.repeated) {
      const list = f.kind === 'bytes' ? msg[f.asU8]() : msg[f.getter]();
      return list.map((v, i) => this.value(f, v, `${where}[${i}]`));
    }
    if (f.kind === 'bytes') return b64(msg[f.asU8]());
    if (this.schema[f.kind]) return msg[f.has]() ? this.render(f.kind, msg[f.getter](), where) : null;
    return this.scalar(f, msg[f.getter](), where);
  }

  value(f, v, where) {
    return this.schema[f.kind] ? this.render(f.kind, v, where) : this.scalar(f, v, where);
  }

  scalar(f, v, where) {
    switch (f.kind) {
      case 'string': case 'bool': case 'int32': case 'uint32': return v;
      case 'int64': case 'uint64': return int64(v, where);
      case 'bytes': return typeof v === 'string' ? Buffer.from(v, 'base64').toString('base64') : b64(v);
      case 'enum': return f.enumNames.has(v) ? f.enumNames.get(v) : v;
      default: throw unsupported(where, `internal: cannot render kind ${f.kind}`);
    }
  }

  bytesOf(msg, f) { return msg[f.asU8](); }

  // Opaque bytes decoded into a message: null when empty, as protolator does.
  opaque(bytes, typeName, where, hooks) {
    if (bytes.length === 0) return null;
    return this.render(typeName, this.parse(typeName, bytes, where), where, hooks);
  }

  channelHeaderOf(payload, where) {
    if (!payload.hasHeader()) throw unsupported(where, 'cannot determine payload type when header is missing');
    return this.parse('common.ChannelHeader', payload.getHeader().getChannelHeader_asU8(), `${where}.header.channel_header`);
  }

  // Static decorations: protolator's opaque and variably opaque fields.
  decorations() {
    const opaqueAs = (typeName) => (msg, where, f) => this.opaque(this.bytesOf(msg, f), typeName, where);
    // Bytes whose message type depends on another field of the same message (null when empty).
    const opaqueByType = (typeOf, table, what) => (msg, where, f) => {
      const bytes = this.bytesOf(msg, f);
      if (bytes.length === 0) return null;
      const t = typeOf(msg);
      if (!table[t]) throw unsupported(where, `unable to decode ${what} ${t}`);
      return this.opaque(bytes, table[t], where);
    };
    const group = (kind) => (msg, where, f) => (msg[f.has]() ? this.group(kind, msg[f.getter](), where) : null);
    return {
      'common.Envelope': { payload: opaqueAs('common.Payload') },
      'common.Header': {
        channel_header: opaqueAs('common.ChannelHeader'),
        signature_header: opaqueAs('common.SignatureHeader'),
      },
      'common.SignatureHeader': { creator: opaqueAs('msp.SerializedIdentity') },
      'common.ChannelHeader': {
        extension: (msg, where, f) => {
          if (this.bytesOf(msg, f).length === 0) return null;
          throw unsupported(where, `channel header extension is only valid for endorser transactions (type ${msg.getType()})`);
        },
      },
      'common.Payload': {
        data: (msg, where, f) => {
          const bytes = this.bytesOf(msg, f);
          if (bytes.length === 0) return null;
          const type = this.channelHeaderOf(msg, where.replace(/\.data$/, '')).getType();
          const typeName = {
            0: 'common.ConfigValue', // MESSAGE
            1: 'common.ConfigEnvelope', // CONFIG
            2: 'common.ConfigUpdateEnvelope', // CONFIG_UPDATE
            4: 'common.Envelope', // ORDERER_TRANSACTION
          }[type];
          if (!typeName) throw unsupported(where, `decoding payload of header type ${type} is not supported`);
          return this.opaque(bytes, typeName, where);
        },
      },
      'common.BlockData': {
        data: (msg, where) => msg.getDataList_asU8().map((bytes, i) =>
          this.render('common.Envelope', this.parse('common.Envelope', bytes, `${where}[${i}]`), `${where}[${i}]`)),
      },
      'common.Config': { channel_group: group('channel') },
      'common.ConfigUpdate': {
        read_set: group('channel'),
        write_set: group('channel'),
        isolated_data: (msg, where) => {
          const keys = msg.getIsolatedDataMap().keys();
          const first = keys.next();
          if (!first.done) throw unsupported(where, `unknown isolated_data key "${first.value}"`);
          return newObject();
        },
      },
      'common.ConfigUpdateEnvelope': { config_update: opaqueAs('common.ConfigUpdate') },
      'common.ConfigSignature': { signature_header: opaqueAs('common.SignatureHeader') },
      'common.Policy': {
        value: opaqueByType((m) => m.getType(), { 1: 'common.SignaturePolicyEnvelope', 3: 'common.ImplicitMetaPolicy' }, 'policy type'),
      },
      'msp.MSPConfig': {
        config: opaqueByType((m) => m.getType(), { 0: 'msp.FabricMSPConfig', 1: 'msp.IdemixMSPConfig' }, 'MSP type'),
      },
      'common.MSPPrincipal': {
        principal: opaqueByType(
          (m) => m.getPrincipalClassification(),
          { 0: 'common.MSPRole', 1: 'common.OrganizationUnit', 2: 'msp.SerializedIdentity' },
          'principal classification',
        ),
      },
      'orderer.ConsensusType': {
        metadata: (msg, where, f) => {
          const typeName = { etcdraft: 'etcdraft.ConfigMetadata', BFT: 'orderer.smartbft.Options' }[msg.getType()] ||
            'google.protobuf.Empty';
          return this.opaque(this.bytesOf(msg, f), typeName, where);
        },
      },
    };
  }

  // A ConfigGroup in its place in the channel config tree (protolator's
  // Dynamic*Group types): which sub-groups and which values it may hold.
  group(kind, msg, where) {
    const g = GROUP_KINDS[kind];
    const subGroups = (m, gwhere) => {
      const out = newObject();
      const map = m.getGroupsMap();
      for (const key of map.keys()) {
        const child = typeof g.groups === 'string' ? g.groups : g.groups[key];
        if (!child) {
          const known = Object.keys(g.groups).join(', ');
          throw unsupported(`${gwhere}.${key}`, known
            ? `unknown sub-group "${key}" of the ${kind} group (known: ${known})`
            : `${kind} groups have no sub-groups, found "${key}"`);
        }
        out[key] = this.group(child, map.get(key), `${gwhere}.${key}`);
      }
      return out;
    };
    const values = (m, vwhere) => {
      const out = newObject();
      const map = m.getValuesMap();
      for (const key of map.keys()) {
        const typeName = g.values[key];
        if (!typeName) {
          throw unsupported(`${vwhere}.${key}`,
            `unknown config value "${key}" in the ${kind} group (known: ${Object.keys(g.values).join(', ') || 'none'})`);
        }
        out[key] = this.render('common.ConfigValue', map.get(key), `${vwhere}.${key}`, {
          value: (cv, w, f) => this.opaque(this.bytesOf(cv, f), typeName, w),
        });
      }
      return out;
    };
    return this.render('common.ConfigGroup', msg, where, { groups: subGroups, values });
  }
}

const GROUP_KINDS = {
  channel: {
    groups: { Application: 'application', Consortiums: 'consortiums', Orderer: 'orderer' },
    values: {
      BlockDataHashingStructure: 'common.BlockDataHashingStructure',
      Capabilities: 'common.Capabilities',
      Consortium: 'common.Consortium',
      HashingAlgorithm: 'common.HashingAlgorithm',
      OrdererAddresses: 'common.OrdererAddresses',
    },
  },
  orderer: {
    groups: 'orderer_org',
    values: {
      BatchSize: 'orderer.BatchSize',
      BatchTimeout: 'orderer.BatchTimeout',
      Capabilities: 'common.Capabilities',
      ChannelRestrictions: 'orderer.ChannelRestrictions',
      ConsensusType: 'orderer.ConsensusType',
      KafkaBrokers: 'orderer.KafkaBrokers',
      Orderers: 'common.Orderers',
    },
  },
  orderer_org: { groups: {}, values: { Endpoints: 'common.OrdererAddresses', MSP: 'msp.MSPConfig' } },
  application: { groups: 'application_org', values: { ACLs: 'protos.ACLs', Capabilities: 'common.Capabilities' } },
  application_org: { groups: {}, values: { AnchorPeers: 'protos.AnchorPeers', MSP: 'msp.MSPConfig' } },
  consortiums: { groups: 'consortium', values: {} },
  consortium: { groups: 'consortium_org', values: { ChannelCreationPolicy: 'common.Policy' } },
  consortium_org: { groups: {}, values: { MSP: 'msp.MSPConfig' } },
};

// ------------------------------------------------------------------ checks --

function sha256(...parts) {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

// tx_id of one envelope: true/false, or null when its channel header has none.
function txIdOk(dec, env, where) {
  const payloadBytes = env.getPayload_asU8();
  if (payloadBytes.length === 0) return null;
  const payload = dec.parse('common.Payload', payloadBytes, `${where}.payload`);
  if (!payload.hasHeader()) return null;
  const header = payload.getHeader();
  const ch = dec.parse('common.ChannelHeader', header.getChannelHeader_asU8(), `${where}.payload.header.channel_header`);
  if (ch.getTxId() === '') return null;
  const sh = dec.parse('common.SignatureHeader', header.getSignatureHeader_asU8(), `${where}.payload.header.signature_header`);
  return ch.getTxId() === sha256(sh.getNonce_asU8(), sh.getCreator_asU8()).toString('hex');
}

function combineTxIds(results) {
  const known = results.filter((r) => r !== null);
  return known.length === 0 ? null : known.every(Boolean);
}

// ------------------------------------------------------------------- JSON --

function byteOrder(a, b) { return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')); }

function toJSON(v, indent) {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${v.map((x) => inner + toJSON(x, inner)).join(',\n')}\n${indent}]`;
  }
  switch (typeof v) {
    case 'object': {
      const keys = Object.keys(v).sort(byteOrder);
      if (keys.length === 0) return '{}';
      const inner = indent + '  ';
      return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${toJSON(v[k], inner)}`).join(',\n')}\n${indent}}`;
    }
    case 'string': case 'boolean': return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw unsupported(null, `internal: non-finite number ${v}`);
      return JSON.stringify(v);
    default: throw unsupported(null, `internal: cannot print ${typeof v}`);
  }
}

// -------------------------------------------------------------------- main --

const USAGE = 'usage: node scripts/decode/decode.js [--config] [--strict-maps] FILE.block|FILE.tx\n' +
  '       node scripts/decode/decode.js --apply BASE.block UPDATE.tx...\n' +
  '       node scripts/decode/decode.js --signatures UPDATE.tx OUTDIR\n' +
  '       node scripts/decode/decode.js --version   (loads and self-checks the bindings)';

function setup(strictMaps) {
  const b = loadBindings();
  hardenReader(b.jspb, b.configuration.HashingAlgorithm);
  if (strictMaps) strictMapEntries(b.jspb);
  return new Decoder(b, buildSchema(b));
}

// --strict-maps: read map entries as Fabric 1.4's protobuf runtime (golang/protobuf of
// 2019) does: an entry without its value field (2) gets a nil value, which Fabric's code
// then treats as absent, so here the entry is left out of the map. google-protobuf (and
// every current runtime) fills in the default value instead. Comparing both decodings of
// the same bytes shows whether an old reader sees what a new one sees.
function strictMapEntries(jspb) {
  if (jspb.Map.deserializeBinary.fabchartStrict) return;
  jspb.Map.deserializeBinary = function (map, reader, keyReaderFn, valueReaderFn, readCallback, defaultKey, defaultValue) {
    let key = defaultKey;
    let value = defaultValue;
    let sawValue = false;
    while (reader.nextField() && !reader.isEndGroup()) {
      const field = reader.getFieldNumber();
      if (field === 1) {
        key = keyReaderFn.call(reader);
      } else if (field === 2) {
        sawValue = true;
        if (readCallback) valueReaderFn.call(reader, value, readCallback);
        else value = valueReaderFn.call(reader);
      } else {
        throw parseError(null, `map entry field ${field}`);
      }
    }
    if (sawValue) map.set(key, value);
  };
  jspb.Map.deserializeBinary.fabchartStrict = true;
}

function configOf(dec, env, where) {
  const payload = dec.parse('common.Payload', env.getPayload_asU8(), `${where}.payload`);
  const type = dec.channelHeaderOf(payload, `${where}.payload`).getType();
  if (type !== 1) throw unsupported(`${where}.payload`, `header type ${type} is not CONFIG (1): no config to print`);
  const ce = dec.parse('common.ConfigEnvelope', payload.getData_asU8(), `${where}.payload.data`);
  if (!ce.hasConfig()) throw unsupported(`${where}.payload.data`, 'config envelope has no config');
  return dec.render('common.Config', ce.getConfig(), `${where}.payload.data.config`);
}

function main(argv) {
  if (argv[0] === '--apply') return applyMain(argv.slice(1));
  if (argv[0] === '--signatures') return signaturesMain(argv.slice(1));
  let configOnly = false;
  let strictMaps = false;
  const files = [];
  for (const a of argv) {
    if (a === '--config') configOnly = true;
    else if (a === '--strict-maps') strictMaps = true;
    else if (a === '-h' || a === '--help') { process.stdout.write(USAGE + '\n'); return; }
    else if (a === '--version') { process.stdout.write(`decode.js: ${setup().b.versions}\n`); return; }
    else if (a.startsWith('-') && a !== '-') throw unsupported(null, `unknown option ${a}\n${USAGE}`);
    else files.push(a);
  }
  if (files.length !== 1) throw unsupported(null, USAGE);
  const file = files[0];
  const kind = file.endsWith('.block') ? 'block' : file.endsWith('.tx') ? 'tx' : null;
  if (!kind) throw unsupported(null, `${file}: expected a .block or .tx file\n${USAGE}`);

  const dec = setup(strictMaps);
  let bytes;
  try { bytes = new Uint8Array(fs.readFileSync(file)); } catch (e) { throw parseError(file, e.message); }

  let out;
  if (kind === 'block') {
    const block = dec.parse('common.Block', bytes, 'Block');
    const data = block.hasData() ? block.getData().getDataList_asU8() : [];
    if (configOnly) {
      if (data.length === 0) throw unsupported('Block.data', 'block has no envelope');
      out = configOf(dec, dec.parse('common.Envelope', data[0], 'Block.data.data[0]'), 'Block.data.data[0]');
    } else {
      out = dec.render('common.Block', block, 'Block');
      const header = block.hasHeader() ? block.getHeader() : null;
      out._checks = {
        data_hash_ok: header !== null && Buffer.compare(sha256(...data), Buffer.from(header.getDataHash_asU8())) === 0,
        metadata_entries: block.hasMetadata() ? block.getMetadata().getMetadataList().length : 0,
        tx_id_ok: combineTxIds(data.map((d, i) =>
          txIdOk(dec, dec.parse('common.Envelope', d, `Block.data.data[${i}]`), `Block.data.data[${i}]`))),
      };
    }
  } else {
    const env = dec.parse('common.Envelope', bytes, 'Envelope');
    if (configOnly) {
      out = configOf(dec, env, 'Envelope');
    } else {
      out = dec.render('common.Envelope', env, 'Envelope');
      out._checks = { tx_id_ok: txIdOk(dec, env, 'Envelope') };
    }
  }
  process.stdout.write(toJSON(out, '') + '\n');
}

// ------------------------------------------------------------ config updates --
//
// An independent implementation of what the orderer does with a CONFIG_UPDATE
// (common/configtx/update.go, configmap.go; common/policies/implicitmeta.go;
// common/cauthdsl), on the configtxlator-layout JSON this decoder prints. It shares
// nothing with fabchart's encoder: bytes are decoded by the official bindings.

function readFile(file) {
  try { return new Uint8Array(fs.readFileSync(file)); } catch (e) { throw parseError(file, e.message); }
}

// The rendered common.Config of a config block (or of a .pb holding a common.Config: a
// Fabric 1.4 channel's base as fabchart records it).
function blockConfig(dec, file) {
  if (file.endsWith('.pb')) return dec.render('common.Config', dec.parse('common.Config', readFile(file), file), file);
  const block = dec.parse('common.Block', readFile(file), 'Block');
  const data = block.hasData() ? block.getData().getDataList_asU8() : [];
  if (data.length === 0) throw unsupported(file, 'block has no envelope');
  return configOf(dec, dec.parse('common.Envelope', data[0], 'Block.data.data[0]'), 'Block.data.data[0]');
}

// An update envelope: its channel header, rendered ConfigUpdate, raw bytes and signatures.
function updateEnvelope(dec, file) {
  const env = dec.parse('common.Envelope', readFile(file), file);
  const payload = dec.parse('common.Payload', env.getPayload_asU8(), `${file}.payload`);
  const ch = dec.channelHeaderOf(payload, `${file}.payload`);
  if (ch.getType() !== 2) throw unsupported(file, `header type ${ch.getType()} is not CONFIG_UPDATE (2)`);
  const cue = dec.parse('common.ConfigUpdateEnvelope', payload.getData_asU8(), `${file}.payload.data`);
  const cuBytes = cue.getConfigUpdate_asU8();
  const update = dec.render('common.ConfigUpdate', dec.parse('common.ConfigUpdate', cuBytes, `${file}.config_update`), `${file}.config_update`);
  const sigs = cue.getSignaturesList().map((s, i) => {
    const shBytes = s.getSignatureHeader_asU8();
    const sh = dec.parse('common.SignatureHeader', shBytes, `${file}.signatures[${i}]`);
    const id = dec.parse('msp.SerializedIdentity', sh.getCreator_asU8(), `${file}.signatures[${i}].creator`);
    return {
      mspid: id.getMspid(), cert: Buffer.from(id.getIdBytes_asU8()).toString('utf8'),
      data: Buffer.concat([Buffer.from(shBytes), Buffer.from(cuBytes)]), signature: Buffer.from(s.getSignature_asU8()),
      nonce: Buffer.from(sh.getNonce_asU8()),
    };
  });
  const outerSh = payload.getHeader().getSignatureHeader_asU8();
  let outer = null;
  if (outerSh.length > 0) {
    const sh = dec.parse('common.SignatureHeader', outerSh, `${file}.signature_header`);
    if (sh.getCreator_asU8().length > 0) {
      const id = dec.parse('msp.SerializedIdentity', sh.getCreator_asU8(), `${file}.creator`);
      outer = { mspid: id.getMspid(), cert: Buffer.from(id.getIdBytes_asU8()).toString('utf8'), data: Buffer.from(env.getPayload_asU8()), signature: Buffer.from(env.getSignature_asU8()) };
    }
  }
  return {
    channel: ch.getChannelId(), type: ch.getType(), epoch: Number(ch.getEpoch()), txId: ch.getTxId(),
    update, sigs, outer,
  };
}

const ID_RE = /^[a-zA-Z0-9.-]+$/;

// mapConfig: "<G|V|P> <path>" -> element.
function flatten(group, path, out) {
  out.set(`G ${path}`, {
    kind: 'G', path, version: Number(group.version), mod_policy: group.mod_policy,
    groups: Object.keys(group.groups), values: Object.keys(group.values), policies: Object.keys(group.policies),
  });
  for (const [kind, map] of [['V', group.values], ['P', group.policies]]) {
    for (const [k, e] of Object.entries(map)) {
      if (!ID_RE.test(k) || k.length > 249 || k === '.' || k === '..') throw unsupported(path, `illegal name ${k}`);
      out.set(`${kind} ${path}/${k}`, { kind, path: `${path}/${k}`, version: Number(e.version), mod_policy: e.mod_policy, json: e });
    }
  }
  for (const [k, g] of Object.entries(group.groups)) {
    if (!ID_RE.test(k) || k.length > 249 || k === '.' || k === '..') throw unsupported(path, `illegal name ${k}`);
    flatten(g, `${path}/${k}`, out);
  }
  return out;
}

function rebuild(map, path) {
  const e = map.get(`G ${path}`);
  if (!e || e.kind !== 'G') throw unsupported(path, 'missing group');
  const out = { groups: newObject(), mod_policy: e.mod_policy, policies: newObject(), values: newObject(), version: String(e.version) };
  for (const k of e.groups) out.groups[k] = rebuild(map, `${path}/${k}`);
  for (const [kind, names, field, into] of [['V', e.values, 'value', out.values], ['P', e.policies, 'policy', out.policies]]) {
    for (const k of names) {
      const x = map.get(`${kind} ${path}/${k}`);
      if (!x) throw unsupported(`${path}/${k}`, `missing ${field}`);
      into[k] = { mod_policy: x.mod_policy, [field]: x.json[field], version: String(x.version) };
    }
  }
  return out;
}

function policyForItem(e) {
  if (e.mod_policy.startsWith('/')) return e.mod_policy;
  if (e.kind === 'G') return `${e.path}/${e.mod_policy}`;
  return `${e.path.slice(0, e.path.lastIndexOf('/'))}/${e.mod_policy}`;
}

// authorizeUpdate + computeUpdateResult: the new config, the delta, and the policies the
// existing delta elements name.
function applyUpdate(config, update, channel) {
  if (update.channel_id !== channel) throw unsupported(null, `ConfigUpdate for channel '${update.channel_id}' but envelope for channel '${channel}'`);
  const current = flatten(config.channel_group, '/Channel', new Map());
  const read = flatten(update.read_set, '/Channel', new Map());
  const write = flatten(update.write_set, '/Channel', new Map());
  for (const [k, e] of read) {
    const c = current.get(k);
    if (!c) throw unsupported(k, 'existing config does not contain element but was in the read set');
    if (c.version !== e.version) throw unsupported(k, `read set at version ${e.version}, but it is at ${c.version}`);
  }
  const delta = [];
  for (const [k, e] of write) {
    const r = read.get(k);
    if (r && r.version === e.version) continue;
    if (!e.mod_policy) throw unsupported(k, 'mod_policy not set');
    const c = current.get(k);
    if (!c && e.version !== 0) throw unsupported(k, `new element at version ${e.version}`);
    if (c && e.version !== c.version + 1) throw unsupported(k, `written at version ${e.version}, but it is at ${c.version}`);
    delta.push({ key: k, version: e.version, existed: !!c, policy: c ? policyForItem(c) : null });
  }
  if (delta.length === 0) throw unsupported(null, 'delta set was empty -- update would have no effect');
  const result = new Map(current);
  for (const d of delta) result.set(d.key, write.get(d.key));
  return { config: { channel_group: rebuild(result, '/Channel'), sequence: String(Number(config.sequence) + 1) }, delta };
}

// ---- identities and policies ----

const ROLES = { MEMBER: 0, ADMIN: 1, CLIENT: 2, PEER: 3, ORDERER: 4 };

function msps(config) {
  const out = newObject();
  const walk = (g) => {
    const m = g.values.MSP;
    if (m && m.value && m.value.config && !out[m.value.config.name]) out[m.value.config.name] = m.value.config;
    Object.values(g.groups).forEach(walk);
  };
  walk(config.channel_group);
  return out;
}

function x509(pemOrB64) {
  const text = pemOrB64.includes('BEGIN') ? pemOrB64 : Buffer.from(pemOrB64, 'base64').toString('utf8');
  return new crypto.X509Certificate(text);
}

function ous(cert) {
  return cert.subject.split('\n').filter((l) => l.startsWith('OU=')).map((l) => l.slice(3));
}

function validIn(msp, cert) {
  return msp.root_certs.some((r) => { const root = x509(r); return cert.checkIssued(root) && cert.verify(root.publicKey); });
}

function hasRole(msp, cert, role) {
  if (!validIn(msp, cert)) return false;
  const n = msp.fabric_node_ous;
  const ou = (k) => n && n.enable && n[k] && ous(cert).includes(n[k].organizational_unit_identifier);
  switch (role) {
    case 'MEMBER': return true;
    case 'ADMIN': return msp.admins.some((a) => x509(a).raw.equals(cert.raw)) || ou('admin_ou_identifier');
    case 'CLIENT': return ou('client_ou_identifier');
    case 'PEER': return ou('peer_ou_identifier');
    case 'ORDERER': return ou('orderer_ou_identifier');
    default: return false;
  }
}

function satisfiesPrincipal(m, id, p) {
  const msp = m[id.mspid];
  if (!msp) return false;
  if (p.principal_classification === 'ROLE') return p.principal.msp_identifier === id.mspid && hasRole(msp, id.x509, p.principal.role);
  if (p.principal_classification === 'IDENTITY') return p.principal.mspid === id.mspid && x509(p.principal.id_bytes).raw.equals(id.x509.raw) && validIn(msp, id.x509);
  return false;
}

function groupAt(config, path) {
  const parts = path.split('/').filter(Boolean);
  if (parts.shift() !== 'Channel') return null;
  let g = config.channel_group;
  for (const p of parts) { g = g.groups[p]; if (!g) return null; }
  return g;
}

function evalRule(rule, principals, m, ids, used) {
  if ('signed_by' in rule) {
    for (let i = 0; i < ids.length; i++) {
      if (!used[i] && satisfiesPrincipal(m, ids[i], principals[rule.signed_by])) { used[i] = true; return true; }
    }
    return false;
  }
  let verified = 0;
  for (const sub of rule.n_out_of.rules) {
    const trial = used.slice();
    if (evalRule(sub, principals, m, ids, trial)) { verified++; trial.forEach((u, i) => { used[i] = u; }); }
  }
  return verified >= rule.n_out_of.n;
}

function satisfied(config, m, path, ids, depth = 0) {
  if (depth > 16) return false;
  const i = path.lastIndexOf('/');
  const gpath = path.slice(0, i);
  const g = groupAt(config, gpath);
  const p = g && g.policies[path.slice(i + 1)];
  if (!p || !p.policy) return false;
  if (p.policy.type === 3) {
    const subs = Object.keys(g.groups);
    const n = subs.length;
    const rule = p.policy.value.rule;
    const threshold = n === 0 ? 0 : rule === 'ALL' ? n : rule === 'MAJORITY' ? Math.floor(n / 2) + 1 : 1;
    return subs.filter((k) => satisfied(config, m, `${gpath}/${k}/${p.policy.value.sub_policy}`, ids, depth + 1)).length >= threshold;
  }
  if (p.policy.type === 1) return evalRule(p.policy.value.rule, p.policy.value.identities, m, ids, ids.map(() => false));
  return false;
}

// --apply BASE.block UPDATE.tx...: applies each update in turn; prints the resulting
// config and, per update, the delta and whether its signatures (checked with node's
// crypto) satisfy every policy the delta needs, judged by the config before it.
function applyMain(args) {
  if (args.length < 1) throw unsupported(null, USAGE);
  const dec = setup();
  let config = blockConfig(dec, args[0]);
  const steps = [];
  for (const file of args.slice(1)) {
    const u = updateEnvelope(dec, file);
    const m = msps(config);
    const ids = u.sigs.map((s) => {
      const cert = x509(s.cert);
      const ok = crypto.verify(cert.publicKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', s.data, cert.publicKey, s.signature);
      return { mspid: s.mspid, x509: cert, ok };
    }).filter((x) => x.ok);
    const r = applyUpdate(config, u.update, u.channel);
    const policies = [...new Set(r.delta.filter((d) => d.existed).map((d) => d.policy))].sort();
    steps.push({
      file: path.basename(file), channel: u.channel, type: u.type, epoch: u.epoch, tx_id: u.txId,
      sequence: r.config.sequence, signers: u.sigs.map((s) => s.mspid), valid_signatures: ids.length,
      delta: r.delta.map((d) => ({ key: d.key, version: d.version, existed: d.existed, policy: d.policy })),
      read_set: [...flatten(u.update.read_set, '/Channel', new Map()).values()].map((e) => `${e.kind} ${e.path} ${e.version}`),
      policies: policies.map((p) => ({ policy: p, satisfied: satisfied(config, m, p, ids) })),
    });
    config = r.config;
  }
  process.stdout.write(toJSON({ config, steps }, '') + '\n');
}

// --signatures UPDATE.tx OUTDIR: for openssl, each signature as N.data (the signed bytes:
// signature header ‖ config update), N.sig (DER) and N.pem (the signer's certificate), and
// the envelope's own as outer.*; prints the list.
function signaturesMain(args) {
  if (args.length !== 2) throw unsupported(null, USAGE);
  const dec = setup();
  const u = updateEnvelope(dec, args[0]);
  const dir = args[1];
  fs.mkdirSync(dir, { recursive: true });
  const list = [];
  const write = (name, s) => {
    fs.writeFileSync(path.join(dir, `${name}.data`), s.data);
    fs.writeFileSync(path.join(dir, `${name}.sig`), s.signature);
    fs.writeFileSync(path.join(dir, `${name}.pem`), s.cert);
    list.push({ name, mspid: s.mspid, nonce_bytes: s.nonce ? s.nonce.length : null });
  };
  u.sigs.forEach((s, i) => write(String(i), s));
  if (u.outer) write('outer', u.outer);
  process.stdout.write(toJSON(list, '') + '\n');
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`decode.js: error: ${e.message}\n`);
    process.exit(e instanceof DecodeError ? e.code : 2);
  }
}

module.exports = { DecodeError, setup, toJSON };
