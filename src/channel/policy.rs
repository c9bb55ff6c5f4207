//! Who may change what: Fabric's policy evaluation over a channel configuration, enough
//! to pick the admins whose signatures a config update needs and to report which
//! policies a set of signatures satisfies.
//!
//! - Policies: ImplicitMeta (ANY/ALL/MAJORITY over the sub-groups' policy of that name;
//!   common/policies/implicitmeta.go) and signature policies (NOutOf/SignedBy, each
//!   signature used once; common/cauthdsl/cauthdsl.go).
//! - Identities are judged against the MSPs of the configuration (msp/mspimpl.go, v1.4.3
//!   and later rules): a member chains to a root (through intermediates); an admin is
//!   listed in admincerts or, with NodeOUs, carries the admin OU; peer/client/orderer roles
//!   need NodeOUs and the matching OU. Expiry is not checked, as the MSP does not check it
//!   for signatures.

use std::collections::BTreeMap;

use prost::Message;
use x509_parser::prelude::*;

use super::proto as pb;
use super::update::ROOT;

/// One signature as the policy engine sees it.
#[derive(Debug, Clone)]
pub struct Signed {
    pub msp_id: String,
    /// The signer's certificate (DER).
    pub cert: Vec<u8>,
    /// Whether the signature verifies over the signed bytes.
    pub verified: bool,
}

#[derive(Debug, Clone, Default)]
struct Ou {
    name: String,
    /// DER of the certifying CA certificate, when the OU names one.
    certificate: Option<Vec<u8>>,
}

/// An MSP of the channel configuration (FabricMSPConfig).
#[derive(Debug, Clone, Default)]
pub struct Msp {
    pub name: String,
    roots: Vec<Vec<u8>>,
    intermediates: Vec<Vec<u8>>,
    admins: Vec<Vec<u8>>,
    /// The admincerts entries as PEM.
    admin_pem: Vec<Vec<u8>>,
    node_ous: bool,
    /// MSP version 3 (channel capability V3_0): Ed25519 identities are valid.
    v3: bool,
    client: Option<Ou>,
    peer: Option<Ou>,
    admin: Option<Ou>,
    orderer: Option<Ou>,
}

/// The DER of every certificate in a PEM buffer.
pub fn pem_certs(pem: &[u8]) -> Vec<Vec<u8>> {
    x509_parser::pem::Pem::iter_from_buffer(pem).flatten().filter(|p| p.label == "CERTIFICATE").map(|p| p.contents).collect()
}

fn first_cert(pem: &[u8]) -> Option<Vec<u8>> {
    pem_certs(pem).into_iter().next()
}

impl Msp {
    pub fn from_value(value: &[u8]) -> Result<Msp, String> {
        let mc = pb::MspConfig::decode(value).map_err(|e| format!("MSP value: {e}"))?;
        if mc.r#type != 0 {
            return Err(format!("MSP type {} is not an X.509 (Fabric) MSP", mc.r#type));
        }
        let c = pb::FabricMspConfig::decode(mc.config.as_slice()).map_err(|e| format!("MSP config: {e}"))?;
        let ders = |list: &[Vec<u8>]| list.iter().filter_map(|p| first_cert(p)).collect::<Vec<_>>();
        let ou = |o: &Option<pb::FabricOuIdentifier>| {
            o.as_ref().map(|o| Ou { name: o.organizational_unit_identifier.clone(), certificate: if o.certificate.is_empty() { None } else { first_cert(&o.certificate) } })
        };
        let n = c.fabric_node_ous.clone().unwrap_or_default();
        Ok(Msp {
            name: c.name.clone(),
            roots: ders(&c.root_certs),
            intermediates: ders(&c.intermediate_certs),
            admins: ders(&c.admins),
            admin_pem: c.admins.clone(),
            node_ous: n.enable,
            v3: false,
            client: ou(&n.client_ou_identifier),
            peer: ou(&n.peer_ou_identifier),
            admin: ou(&n.admin_ou_identifier),
            orderer: ou(&n.orderer_ou_identifier),
        })
    }

    pub fn admin_pems(&self) -> Vec<Vec<u8>> {
        self.admin_pem.clone()
    }

    /// The certification chain of `cert` up to a root of this MSP (issuers only), or None.
    fn chain(&self, cert: &[u8]) -> Option<Vec<Vec<u8>>> {
        let mut chain = vec![];
        let mut cur = cert.to_vec();
        for _ in 0..8 {
            let (_, c) = X509Certificate::from_der(&cur).ok()?;
            let issuer = self.roots.iter().chain(&self.intermediates).find(|cand| {
                X509Certificate::from_der(cand).is_ok_and(|(_, ic)| ic.subject().as_raw() == c.issuer().as_raw() && c.verify_signature(Some(ic.public_key())).is_ok())
            })?;
            chain.push(issuer.clone());
            if self.roots.contains(issuer) {
                return Some(chain);
            }
            cur = issuer.clone();
        }
        None
    }

    fn ous(cert: &[u8]) -> Vec<String> {
        X509Certificate::from_der(cert)
            .map(|(_, c)| c.subject().iter_organizational_unit().filter_map(|a| a.as_str().ok().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    fn has_ou(&self, cert: &[u8], chain: &[Vec<u8>], ou: &Option<Ou>) -> bool {
        let Some(ou) = ou else { return false };
        Self::ous(cert).contains(&ou.name) && ou.certificate.as_ref().is_none_or(|c| chain.contains(c))
    }

    /// validateIdentity: chains to a root, and with NodeOUs carries exactly one node OU
    /// (an admincerts entry counts as the admin role).
    pub fn valid(&self, cert: &[u8]) -> bool {
        let ed25519 = X509Certificate::from_der(cert).is_ok_and(|(_, c)| c.public_key().algorithm.algorithm == x509_parser::oid_registry::OID_SIG_ED25519);
        if ed25519 && !self.v3 {
            return false; // Ed25519 identities need MSP v3 (msp/mspimplsetup.go setupV3)
        }
        let Some(chain) = self.chain(cert) else { return false };
        if !self.node_ous {
            return true;
        }
        let roles = [&self.client, &self.peer, &self.admin, &self.orderer].iter().filter(|o| self.has_ou(cert, &chain, o)).count();
        roles == 1 || (roles == 0 && self.admins.iter().any(|a| a == cert))
    }

    pub fn is_admin(&self, cert: &[u8]) -> bool {
        if self.admins.iter().any(|a| a == cert) {
            return true;
        }
        self.node_ous && self.chain(cert).is_some_and(|chain| self.has_ou(cert, &chain, &self.admin))
    }

    /// SatisfiesPrincipal for a role (MSPRole.MSPRoleType code).
    pub fn has_role(&self, cert: &[u8], role: i32) -> bool {
        if !self.valid(cert) {
            return false;
        }
        match role {
            0 => true,
            1 => self.is_admin(cert),
            2 | 3 | 4 if self.node_ous => {
                let chain = self.chain(cert).unwrap_or_default();
                let ou = match role {
                    2 => &self.client,
                    3 => &self.peer,
                    _ => &self.orderer,
                };
                self.has_ou(cert, &chain, ou)
            }
            _ => false,
        }
    }
}

/// The MSPs of a configuration, by MSP ID (org groups of Application, Orderer and 1.4's
/// consortiums).
pub fn msps(root: &pb::ConfigGroup) -> BTreeMap<String, Msp> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root];
    while let Some(g) = stack.pop() {
        if let Some(v) = g.values.get("MSP")
            && let Ok(m) = Msp::from_value(&v.value)
        {
            out.entry(m.name.clone()).or_insert(m);
        }
        stack.extend(g.groups.values());
    }
    out
}

/// The group at a path like `/Channel/Application` (None if absent).
pub fn group_at<'a>(root: &'a pb::ConfigGroup, path: &str) -> Option<&'a pb::ConfigGroup> {
    let mut parts = path.trim_start_matches('/').split('/');
    if parts.next() != Some(ROOT) {
        return None;
    }
    let mut g = root;
    for p in parts.filter(|p| !p.is_empty()) {
        g = g.groups.get(p)?;
    }
    Some(g)
}

/// Evaluates policies of one configuration.
pub struct Evaluator<'a> {
    root: &'a pb::ConfigGroup,
    msps: BTreeMap<String, Msp>,
}

impl<'a> Evaluator<'a> {
    pub fn new(root: &'a pb::ConfigGroup) -> Evaluator<'a> {
        let v3 = super::evolve::capability_names(root.values.get("Capabilities")).iter().any(|c| c == "V3_0");
        let mut msps = msps(root);
        msps.values_mut().for_each(|m| m.v3 = v3);
        Evaluator { root, msps }
    }

    pub fn msp(&self, id: &str) -> Option<&Msp> {
        self.msps.get(id)
    }

    /// Whether the signatures satisfy the policy at `path` (`/Channel/Application/Admins`).
    pub fn satisfied(&self, path: &str, sigs: &[Signed]) -> bool {
        let ok: Vec<&Signed> = sigs.iter().filter(|s| s.verified).collect();
        self.eval(path, &ok, 0)
    }

    fn eval(&self, path: &str, sigs: &[&Signed], depth: usize) -> bool {
        if depth > 16 {
            return false;
        }
        let Some((gpath, name)) = path.rsplit_once('/') else { return false };
        let Some(group) = group_at(self.root, gpath) else { return false };
        let Some(policy) = group.policies.get(name).and_then(|p| p.policy.as_ref()) else { return false };
        match policy.r#type {
            pb::POLICY_IMPLICIT_META => {
                let Ok(m) = pb::ImplicitMetaPolicy::decode(policy.value.as_slice()) else { return false };
                let n = group.groups.len();
                let threshold = if n == 0 {
                    0
                } else {
                    match m.rule {
                        pb::IMPLICIT_ALL => n,
                        pb::IMPLICIT_MAJORITY => n / 2 + 1,
                        _ => 1,
                    }
                };
                let met = group.groups.keys().filter(|k| self.eval(&format!("{gpath}/{k}/{}", m.sub_policy), sigs, depth + 1)).count();
                met >= threshold
            }
            pb::POLICY_SIGNATURE => {
                let Ok(env) = pb::SignaturePolicyEnvelope::decode(policy.value.as_slice()) else { return false };
                let Some(rule) = env.rule.as_ref() else { return false };
                let mut used = vec![false; sigs.len()];
                self.rule(rule, &env.identities, sigs, &mut used)
            }
            _ => false,
        }
    }

    fn rule(&self, r: &pb::SignaturePolicy, ids: &[pb::MspPrincipal], sigs: &[&Signed], used: &mut [bool]) -> bool {
        match &r.r#type {
            Some(pb::signature_policy::Type::SignedBy(i)) => {
                let Some(principal) = ids.get(*i as usize) else { return false };
                for (k, s) in sigs.iter().enumerate() {
                    if !used[k] && self.satisfies(s, principal) {
                        used[k] = true;
                        return true;
                    }
                }
                false
            }
            Some(pb::signature_policy::Type::NOutOf(n)) => {
                let mut verified = 0;
                for sub in &n.rules {
                    let mut trial = used.to_vec();
                    if self.rule(sub, ids, sigs, &mut trial) {
                        verified += 1;
                        used.copy_from_slice(&trial);
                    }
                }
                verified >= n.n
            }
            None => false,
        }
    }

    /// SatisfiesPrincipal: ROLE, IDENTITY and ORGANIZATION_UNIT principals.
    pub fn satisfies(&self, s: &Signed, p: &pb::MspPrincipal) -> bool {
        let Some(msp) = self.msps.get(&s.msp_id) else { return false };
        match p.principal_classification {
            pb::PRINCIPAL_ROLE => {
                let Ok(r) = pb::MspRole::decode(p.principal.as_slice()) else { return false };
                r.msp_identifier == s.msp_id && msp.has_role(&s.cert, r.role)
            }
            pb::PRINCIPAL_IDENTITY => {
                let Ok(id) = pb::SerializedIdentity::decode(p.principal.as_slice()) else { return false };
                id.mspid == s.msp_id && first_cert(&id.id_bytes).is_some_and(|c| c == s.cert) && msp.valid(&s.cert)
            }
            pb::PRINCIPAL_ORGANIZATION_UNIT => {
                let Ok(ou) = pb::OrganizationUnit::decode(p.principal.as_slice()) else { return false };
                ou.msp_identifier == s.msp_id && msp.valid(&s.cert) && Msp::ous(&s.cert).contains(&ou.organizational_unit_identifier)
            }
            _ => false,
        }
    }
}

/// Verifies a signature the way Fabric's BCCSP does: ECDSA P-256 over SHA-256 (DER,
/// low-S only) or pure Ed25519, by the key of `cert` (DER).
pub fn verify(cert: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let Ok((_, c)) = X509Certificate::from_der(cert) else { return false };
    let spki = c.public_key();
    let key = spki.subject_public_key.data.as_ref();
    if spki.algorithm.algorithm == x509_parser::oid_registry::OID_SIG_ED25519 {
        return ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key).verify(msg, sig).is_ok();
    }
    // Low-S, as bccsp/sw/ecdsa.go demands.
    let Ok(s) = p256::ecdsa::Signature::from_der(sig) else { return false };
    if s.normalize_s().is_some() {
        return false;
    }
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, key).verify(msg, sig).is_ok()
}
