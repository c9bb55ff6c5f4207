//! Private keys: P-256 ECDSA (always low-S) and, for Fabric 3.x, Ed25519.
//!
//! fabchart signs through its own [`rcgen::SigningKey`] so that every ECDSA signature,
//! CA self-signatures included, has S <= n/2. cryptogen self-signs its CAs with the raw Go
//! key, so about half its CA certificates are high-S, which Fabric builds up to 2.4
//! compiled with Go >= 1.19 reject.

use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand_core::OsRng;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use sha2::{Digest, Sha256};

use crate::topology::KeyAlgorithm;

/// A private key. P-256 keys are held by `ring` (about 10x faster than a pure-Rust P-256
/// here, which the 0.3 s budget for 1,094 key pairs needs); `p256` only reads key formats
/// ring does not and normalises signatures to low-S.
pub enum Key {
    Ecdsa { key: EcdsaKeyPair, pkcs8: Vec<u8> },
    Ed25519 { key: ed25519_dalek::SigningKey, public: [u8; 32] },
}

fn rng() -> &'static SystemRandom {
    static RNG: std::sync::OnceLock<SystemRandom> = std::sync::OnceLock::new();
    RNG.get_or_init(SystemRandom::new)
}

impl Key {
    pub fn generate(alg: KeyAlgorithm) -> Key {
        match alg {
            KeyAlgorithm::Ecdsa => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, rng()).expect("the system RNG works");
                Key::ecdsa_pkcs8(doc.as_ref().to_vec()).expect("ring reads its own keys")
            }
            KeyAlgorithm::Ed25519 => Key::ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng)),
        }
    }

    /// From PKCS#8 v1 with the public key: what ring, Go (cryptogen) and fabchart write.
    fn ecdsa_pkcs8(pkcs8: Vec<u8>) -> Result<Key, String> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, rng()).map_err(|e| e.to_string())?;
        Ok(Key::Ecdsa { key, pkcs8 })
    }

    fn ed25519(key: ed25519_dalek::SigningKey) -> Key {
        let public = key.verifying_key().to_bytes();
        Key::Ed25519 { key, public }
    }

    /// Reads a PKCS#8 PEM key (as cryptogen writes them), or SEC1 `EC PRIVATE KEY`.
    pub fn from_pem(pem: &str) -> Result<Key, String> {
        let p256_key = p256::SecretKey::from_pkcs8_pem(pem).or_else(|_| p256::SecretKey::from_sec1_pem(pem));
        if let Ok(k) = p256_key {
            // Normalise to the PKCS#8 form ring reads (public key included).
            let der = k.to_pkcs8_der().map_err(|e| e.to_string())?;
            return Key::ecdsa_pkcs8(der.as_bytes().to_vec());
        }
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(Key::ed25519)
            .map_err(|_| "not a P-256 or Ed25519 private key in PEM (PKCS#8 or SEC1)".to_string())
    }

    /// PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`, as cryptogen writes keys.
    pub fn to_pem(&self) -> String {
        match self {
            Key::Ecdsa { pkcs8, .. } => pem_wrap("PRIVATE KEY", pkcs8),
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
            Key::Ecdsa { key, .. } => key.public_key().as_ref(),
            Key::Ed25519 { public, .. } => public,
        }
    }

    /// SHA-256 of the public key bytes: cryptogen's (and Fabric BCCSP's) SKI.
    pub fn ski(&self) -> Vec<u8> {
        Sha256::digest(self.public_bytes()).to_vec()
    }

    /// Signs deterministically (RFC 6979 nonces for ECDSA, low-S, DER; Ed25519 is
    /// deterministic by design): the same key and message always give the same bytes, so
    /// signed channel updates are reproducible.
    pub fn sign_deterministic(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            Key::Ecdsa { pkcs8, .. } => {
                let sk = p256::ecdsa::SigningKey::from_pkcs8_der(pkcs8).map_err(|e| format!("P-256 key: {e}"))?;
                let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&sk, msg);
                Ok(sig.normalize_s().unwrap_or(sig).to_der().as_bytes().to_vec())
            }
            Key::Ed25519 { key, .. } => Ok(ed25519_dalek::Signer::sign(key, msg).to_bytes().to_vec()),
        }
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
                let der = key.sign(rng(), msg).map_err(|_| rcgen::Error::RemoteKeyError)?;
                let sig = p256::ecdsa::Signature::from_der(der.as_ref()).map_err(|_| rcgen::Error::RemoteKeyError)?;
                // Low-S: Fabric's MSP only accepts S <= n/2.
                sig.normalize_s().unwrap_or(sig).to_der().as_bytes().to_vec()
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
