//! Private keys: P-256 ECDSA (always low-S) and, for Fabric 3.x, Ed25519.
//!
//! fabchart signs through its own [`rcgen::SigningKey`] so that every ECDSA signature,
//! CA self-signatures included, has S <= n/2. cryptogen self-signs its CAs with the raw Go
//! key, so about half its CA certificates are high-S, which Fabric builds up to 2.4
//! compiled with Go >= 1.19 reject.

use p256::ecdsa::signature::Signer;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rand_core::OsRng;
use sha2::{Digest, Sha256};

use crate::topology::KeyAlgorithm;

pub enum Key {
    Ecdsa { key: p256::ecdsa::SigningKey, public: Vec<u8> },
    Ed25519 { key: ed25519_dalek::SigningKey, public: [u8; 32] },
}

impl Key {
    pub fn generate(alg: KeyAlgorithm) -> Key {
        match alg {
            KeyAlgorithm::Ecdsa => Key::ecdsa(p256::ecdsa::SigningKey::random(&mut OsRng)),
            KeyAlgorithm::Ed25519 => Key::ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng)),
        }
    }

    fn ecdsa(key: p256::ecdsa::SigningKey) -> Key {
        let public = key.verifying_key().to_encoded_point(false).as_bytes().to_vec();
        Key::Ecdsa { key, public }
    }

    fn ed25519(key: ed25519_dalek::SigningKey) -> Key {
        let public = key.verifying_key().to_bytes();
        Key::Ed25519 { key, public }
    }

    /// Reads a PKCS#8 PEM key (as cryptogen writes them), or SEC1 `EC PRIVATE KEY`.
    pub fn from_pem(pem: &str) -> Result<Key, String> {
        if let Ok(k) = p256::SecretKey::from_pkcs8_pem(pem) {
            return Ok(Key::ecdsa(k.into()));
        }
        if let Ok(k) = p256::SecretKey::from_sec1_pem(pem) {
            return Ok(Key::ecdsa(k.into()));
        }
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(Key::ed25519)
            .map_err(|_| "not a P-256 or Ed25519 private key in PEM (PKCS#8 or SEC1)".to_string())
    }

    /// PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`, as cryptogen writes keys.
    pub fn to_pem(&self) -> String {
        match self {
            Key::Ecdsa { key, .. } => p256::SecretKey::from(key).to_pkcs8_pem(LineEnding::LF).expect("a valid key encodes").to_string(),
            Key::Ed25519 { key, .. } => {
                // PKCS#8 v1 as Go's x509.MarshalPKCS8PrivateKey and OpenSSL write it (RFC 8410):
                // a fixed prefix, then the 32-byte seed. (ed25519-dalek writes v2, which
                // OpenSSL 3.0 cannot read.)
                const PREFIX: [u8; 16] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
                let mut der = PREFIX.to_vec();
                der.extend_from_slice(key.as_bytes());
                pem_wrap("PRIVATE KEY", &der)
            }
        }
    }

    /// The public key as it appears in SubjectPublicKeyInfo: the uncompressed point for
    /// P-256, the 32 raw bytes for Ed25519.
    pub fn public_bytes(&self) -> &[u8] {
        match self {
            Key::Ecdsa { public, .. } => public,
            Key::Ed25519 { public, .. } => public,
        }
    }

    /// SHA-256 of the public key bytes: cryptogen's (and Fabric BCCSP's) SKI.
    pub fn ski(&self) -> Vec<u8> {
        Sha256::digest(self.public_bytes()).to_vec()
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Key::Ecdsa { .. } => KeyAlgorithm::Ecdsa,
            Key::Ed25519 { .. } => KeyAlgorithm::Ed25519,
        }
    }
}

fn pem_wrap(label: &str, der: &[u8]) -> String {
    use base64ct::{Base64, Encoding};
    let b64 = Base64::encode_string(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        s.push('\n');
    }
    s + &format!("-----END {label}-----\n")
}

impl rcgen::PublicKeyData for Key {
    fn der_bytes(&self) -> &[u8] {
        self.public_bytes()
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            Key::Ecdsa { .. } => &rcgen::PKCS_ECDSA_P256_SHA256,
            Key::Ed25519 { .. } => &rcgen::PKCS_ED25519,
        }
    }
}

impl rcgen::SigningKey for Key {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(match self {
            Key::Ecdsa { key, .. } => {
                let sig: p256::ecdsa::Signature = key.sign(msg);
                let sig = sig.normalize_s().unwrap_or(sig);
                sig.to_der().as_bytes().to_vec()
            }
            Key::Ed25519 { key, .. } => ed25519_dalek::Signer::sign(key, msg).to_bytes().to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::SigningKey;

    #[test]
    fn signatures_are_low_s_and_keys_round_trip() {
        let k = Key::generate(KeyAlgorithm::Ecdsa);
        for i in 0..64u8 {
            let der = k.sign(&[i; 16]).unwrap();
            let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
            assert!(sig.normalize_s().is_none(), "signature {i} is high-S");
        }
        let back = Key::from_pem(&k.to_pem()).unwrap();
        assert_eq!(back.public_bytes(), k.public_bytes());
        assert_eq!(k.ski().len(), 32);
        let e = Key::generate(KeyAlgorithm::Ed25519);
        assert_eq!(Key::from_pem(&e.to_pem()).unwrap().public_bytes(), e.public_bytes());
    }
}
