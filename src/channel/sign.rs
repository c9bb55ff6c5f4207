//! Signed CONFIG_UPDATE envelopes, made offline and deterministically.
//!
//! A ConfigSignature signs `signature_header ‖ config_update` (the exact bytes of both);
//! the envelope's own signature signs the payload bytes (protoutil/signeddata.go). The
//! creator is a SerializedIdentity with the PEM certificate. fabchart derives each nonce
//! from the channel, the signer and the signed bytes (Fabric uses 24 random bytes), and
//! signs with RFC 6979 nonces, so the same update signed by the same admins is the same
//! file on every machine.

use std::path::Path;

use prost::Message;
use sha2::{Digest, Sha256};

use super::policy::{self, Signed};
use super::proto::{self as pb, bytes};
use crate::crypto::keys::Key;
use crate::crypto::store;

/// An identity that can sign: an org admin's certificate and key.
pub struct Signer {
    pub msp_id: String,
    /// The certificate as PEM, as `SerializedIdentity.id_bytes` carries it.
    pub cert_pem: Vec<u8>,
    pub key: Key,
    /// Where it came from, for messages (`Admin@org1.example.com`).
    pub label: String,
}

impl Signer {
    /// An MSP directory as cryptogen lays it out: `signcerts/*.pem` and `keystore/*_sk`.
    pub fn from_msp_dir(dir: &Path, msp_id: &str) -> Result<Signer, String> {
        let cert = store::find(&dir.join("signcerts"), ".pem").ok_or_else(|| format!("{}: no certificate in signcerts/", dir.display()))?;
        let key = store::find(&dir.join("keystore"), "_sk").ok_or_else(|| format!("{}: no private key (*_sk) in keystore/", dir.display()))?;
        let cert_pem = std::fs::read(&cert).map_err(|e| format!("cannot read {}: {e}", cert.display()))?;
        let key = Key::from_pem(&store::read(&key)?).map_err(|e| format!("{}: {e}", key.display()))?;
        let signer = Signer { msp_id: msp_id.to_string(), cert_pem, key, label: dir.display().to_string() };
        if signer.cert_der()?.is_empty() {
            return Err(format!("{}: no certificate", cert.display()));
        }
        signer.check_pair()?;
        Ok(signer)
    }

    pub fn cert_der(&self) -> Result<Vec<u8>, String> {
        policy::pem_certs(&self.cert_pem).into_iter().next().ok_or_else(|| format!("{}: the certificate is not PEM", self.label))
    }

    /// The same signer presenting another certificate of the same key.
    pub fn with_cert(&self, cert_pem: Vec<u8>) -> Result<Signer, String> {
        let key = Key::from_pem(&self.key.to_pem())?;
        Ok(Signer { msp_id: self.msp_id.clone(), cert_pem, key, label: format!("{} (an earlier certificate)", self.label) })
    }

    /// The certificate's public key is the key's.
    fn check_pair(&self) -> Result<(), String> {
        let der = self.cert_der()?;
        let (_, c) = x509_parser::parse_x509_certificate(&der).map_err(|e| format!("{}: {e}", self.label))?;
        if c.public_key().subject_public_key.data.as_ref() != self.key.public_bytes() {
            return Err(format!("{}: the private key does not belong to the certificate", self.label));
        }
        Ok(())
    }

    /// SerializedIdentity bytes: the `creator` of a signature header.
    pub fn creator(&self) -> Vec<u8> {
        bytes(&pb::SerializedIdentity { mspid: self.msp_id.clone(), id_bytes: self.cert_pem.clone() })
    }

    fn nonce(&self, label: &[u8], channel: &str, signed: &[u8]) -> Vec<u8> {
        let mut h = Sha256::new();
        for part in [label, b"\0", channel.as_bytes(), b"\0", &self.creator(), b"\0", signed] {
            h.update(part);
        }
        h.finalize()[..24].to_vec()
    }

    /// A ConfigSignature over `config_update` (its exact bytes).
    pub fn config_signature(&self, channel: &str, config_update: &[u8]) -> Result<pb::ConfigSignature, String> {
        let header = bytes(&pb::SignatureHeader { creator: self.creator(), nonce: self.nonce(b"fabchart config signature", channel, config_update) });
        let mut msg = header.clone();
        msg.extend_from_slice(config_update);
        Ok(pb::ConfigSignature { signature_header: header, signature: self.key.sign_deterministic(&msg)? })
    }
}

/// The envelope around a ConfigUpdateEnvelope: header (type CONFIG_UPDATE, the channel,
/// `ts`, tx_id empty, epoch 0, as `CreateSignedEnvelope` writes it) signed by `submitter`
/// (`peer channel update` replaces this outer signature with its own anyway).
fn wrap(channel: &str, cue: &pb::ConfigUpdateEnvelope, ts: Option<pb::Timestamp>, submitter: Option<&Signer>) -> Result<pb::Envelope, String> {
    let data = bytes(cue);
    let ch = pb::ChannelHeader { r#type: pb::HEADER_TYPE_CONFIG_UPDATE, channel_id: channel.to_string(), timestamp: ts, ..Default::default() };
    let sh = match submitter {
        Some(s) => pb::SignatureHeader { creator: s.creator(), nonce: s.nonce(b"fabchart envelope", channel, &data) },
        None => pb::SignatureHeader::default(),
    };
    let payload = bytes(&pb::Payload { header: Some(pb::Header { channel_header: bytes(&ch), signature_header: bytes(&sh) }), data });
    let signature = match submitter {
        Some(s) => s.key.sign_deterministic(&payload)?,
        None => vec![],
    };
    Ok(pb::Envelope { payload, signature })
}

/// A CONFIG_UPDATE envelope for `update`, signed by each of `signers` (in order); the
/// first also signs the envelope.
pub fn envelope(update: &pb::ConfigUpdate, signers: &[&Signer], ts: pb::Timestamp) -> Result<Vec<u8>, String> {
    let cu = bytes(update);
    let mut signatures = vec![];
    for s in signers {
        signatures.push(s.config_signature(&update.channel_id, &cu)?);
    }
    let cue = pb::ConfigUpdateEnvelope { config_update: cu, signatures };
    Ok(bytes(&wrap(&update.channel_id, &cue, Some(ts), signers.first().copied())?))
}

/// A decoded CONFIG_UPDATE envelope.
pub struct Parsed {
    pub channel_header: pb::ChannelHeader,
    pub envelope: pb::Envelope,
    pub cue: pb::ConfigUpdateEnvelope,
    pub update: pb::ConfigUpdate,
}

/// Reads an envelope as `peer channel update` does: type CONFIG_UPDATE, channel IDs that
/// agree.
pub fn parse(b: &[u8]) -> Result<Parsed, String> {
    let envelope = pb::Envelope::decode(b).map_err(|e| format!("not a Fabric envelope: {e}"))?;
    let payload = pb::Payload::decode(envelope.payload.as_slice()).map_err(|e| format!("bad payload: {e}"))?;
    let header = payload.header.clone().ok_or("the envelope has no header")?;
    let channel_header = pb::ChannelHeader::decode(header.channel_header.as_slice()).map_err(|e| format!("bad channel header: {e}"))?;
    if channel_header.r#type != pb::HEADER_TYPE_CONFIG_UPDATE {
        return Err(format!("header type {} is not CONFIG_UPDATE (2)", channel_header.r#type));
    }
    let cue = pb::ConfigUpdateEnvelope::decode(payload.data.as_slice()).map_err(|e| format!("bad ConfigUpdateEnvelope: {e}"))?;
    let update = pb::ConfigUpdate::decode(cue.config_update.as_slice()).map_err(|e| format!("bad ConfigUpdate: {e}"))?;
    if update.channel_id != channel_header.channel_id {
        return Err(format!("ConfigUpdate for channel '{}' but envelope for channel '{}'", update.channel_id, channel_header.channel_id));
    }
    Ok(Parsed { channel_header, envelope, cue, update })
}

impl Parsed {
    /// Every ConfigSignature as the policy engine sees it (signature checked).
    pub fn signed(&self) -> Vec<Signed> {
        self.cue
            .signatures
            .iter()
            .filter_map(|s| {
                let sh = pb::SignatureHeader::decode(s.signature_header.as_slice()).ok()?;
                let id = pb::SerializedIdentity::decode(sh.creator.as_slice()).ok()?;
                let cert = policy::pem_certs(&id.id_bytes).into_iter().next()?;
                let mut msg = s.signature_header.clone();
                msg.extend_from_slice(&self.cue.config_update);
                let verified = policy::verify(&cert, &msg, &s.signature);
                Some(Signed { msp_id: id.mspid, cert, verified })
            })
            .collect()
    }
}

/// `fabchart channel sign`: the envelope with one more ConfigSignature by `signer`,
/// re-wrapped and signed by it (as `peer channel signconfigtx` does). The ConfigUpdate
/// bytes are untouched. Err when this identity has signed already.
pub fn add_signature(b: &[u8], signer: &Signer) -> Result<Vec<u8>, String> {
    let p = parse(b)?;
    let me = signer.cert_der()?;
    if p.signed().iter().any(|s| s.msp_id == signer.msp_id && s.cert == me) {
        return Err(format!("{} ({}) has signed this update already", signer.label, signer.msp_id));
    }
    let mut cue = p.cue.clone();
    cue.signatures.push(signer.config_signature(&p.update.channel_id, &cue.config_update)?);
    Ok(bytes(&wrap(&p.update.channel_id, &cue, p.channel_header.timestamp, Some(signer))?))
}
