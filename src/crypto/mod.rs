//! Stage 4, crypto: every key and certificate of the plan, in cryptogen's exact layout,
//! generated once and reused forever after.
//!
//! - New orgs get a signing CA, a TLS CA, an org MSP and an Admin; new nodes and users get
//!   identities signed by the existing CAs (like `cryptogen extend`). Existing material is
//!   never regenerated: a rebuild with an unchanged topology leaves the store
//!   byte-identical. An existing cryptogen output is adopted the same way.
//! - When a node's planned SANs differ from its TLS certificate's, only that certificate is
//!   re-issued, from the same TLS CA and with the same key, and the report says so.
//! - Nothing is deleted unless asked (`prune`).
//! - Units are built in parallel and each appears on disk whole or not at all.

pub mod certs;
pub mod keys;
pub mod profile;
pub mod store;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, Issuer, KeyIdMethod};
use ::time::OffsetDateTime;
use x509_parser::prelude::*;

use crate::plan::chaincode::ChaincodeServer;
use crate::plan::{NodeKind, NodePlan, OrgPlan, Plan, San, UserPlan};
use crate::topology::{FabricVersion, KeyAlgorithm};
use keys::Key;
use store::{Staging, mkdir, write_new};

const CERT_MODE: u32 = 0o644;
const KEY_MODE: u32 = 0o600;

/// A CA's key, certificate and the parameters it issues with (subject and key identifier,
/// exactly as in its certificate so that children chain byte for byte).
pub struct Ca {
    pub key: Key,
    pub cert_pem: String,
    /// `<CN>-cert.pem`, the name cryptogen gives it in cacerts/ and tlscacerts/.
    pub file_name: String,
    params: CertificateParams,
}

impl Ca {
    fn issuer(&self) -> Issuer<'_, &Key> {
        Issuer::from_params(&self.params, &self.key)
    }

    fn create(org: &OrgPlan, cn: &str, alg: KeyAlgorithm, now: OffsetDateTime) -> Result<Ca, String> {
        let key = Key::generate(alg);
        let params = profile::ca(&org.ca.subject, &org.domain, cn, key.ski(), now);
        let cert = params.self_signed(&key).map_err(|e| format!("cannot sign the CA {cn}: {e}"))?;
        Ok(Ca { key, cert_pem: cert.pem(), file_name: format!("{cn}-cert.pem"), params })
    }

    /// Loads a CA from its directory (`ca/` or `tlsca/`): the `*_sk` key and the cert.
    fn load(dir: &Path) -> Result<Ca, String> {
        let key_path = store::find(dir, "_sk").ok_or_else(|| format!("no private key (*_sk) in {}", dir.display()))?;
        let cert_path = store::find(dir, ".pem").ok_or_else(|| format!("no certificate (*.pem) in {}", dir.display()))?;
        let key = Key::from_pem(&store::read(&key_path)?).map_err(|e| format!("{}: {e}", key_path.display()))?;
        let cert_pem = store::read(&cert_path)?;
        let der = pem_to_der(&cert_pem).map_err(|e| format!("{}: {e}", cert_path.display()))?;
        let (_, cert) = X509Certificate::from_der(&der).map_err(|e| format!("{}: not a certificate: {e}", cert_path.display()))?;
        if cert.public_key().subject_public_key.data.as_ref() != key.public_bytes() {
            return Err(format!("{} does not hold the key of {}", key_path.display(), cert_path.display()));
        }
        let ski = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                _ => None,
            })
            .ok_or_else(|| format!("{}: the CA certificate has no Subject Key Identifier (Fabric's MSP requires one)", cert_path.display()))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = dn_of(cert.subject()).map_err(|e| format!("{}: {e}", cert_path.display()))?;
        params.key_identifier_method = KeyIdMethod::PreSpecified(ski);
        let file_name = cert_path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        Ok(Ca { key, cert_pem, file_name, params })
    }
}

/// A certificate's subject as rcgen parameters, string types and order kept, so a child's
/// issuer name is byte-identical to the parent's subject (Go's chain building needs it).
fn dn_of(name: &X509Name) -> Result<DistinguishedName, String> {
    let mut dn = DistinguishedName::new();
    for rdn in name.iter() {
        for attr in rdn.iter() {
            let oid: Vec<u64> = attr.attr_type().iter().ok_or("unsupported attribute type")?.collect();
            let ty = match DnType::from_oid(&oid) {
                // A second attribute of a type (two OUs) needs its own key in rcgen's map.
                t if dn.get(&t).is_some() => DnType::CustomDnType(oid),
                t => t,
            };
            let data = attr.attr_value().data;
            let text = std::str::from_utf8(data).map_err(|_| "a subject attribute is not text")?.to_string();
            let value = match attr.attr_value().header.tag() {
                x509_parser::der_parser::asn1_rs::Tag::PrintableString => {
                    DnValue::PrintableString(text.try_into().map_err(|_| "bad PrintableString")?)
                }
                _ => DnValue::Utf8String(text),
            };
            dn.push(ty, value);
        }
    }
    Ok(dn)
}

pub fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|e| format!("not PEM: {e}"))?;
    Ok(p.contents)
}

/// What an org's units need from it.
struct OrgMaterial {
    ca: Ca,
    tlsca: Ca,
    admin_cert: String,
}

pub struct Options {
    /// The store: `OUT/crypto-config` or `--crypto-dir`.
    pub dir: PathBuf,
    /// Delete orgs, nodes and users the topology no longer has.
    pub prune: bool,
    /// Show a progress bar (on a terminal, for large work).
    pub progress: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    pub orgs_created: usize,
    pub nodes_created: usize,
    pub users_created: usize,
    /// Fabric CA server TLS certificates (one per org).
    pub ca_servers_created: usize,
    /// Chaincode servers' TLS material (a server and a peer-client key pair each).
    pub chaincode_servers_created: usize,
    pub reused: usize,
    /// `what: why` for each re-issued certificate.
    pub reissued: Vec<String>,
    pub pruned: Vec<String>,
    /// In the store but not in the topology (kept).
    pub stale: Vec<String>,
    /// Temporary units of a killed build, removed.
    pub leftovers: usize,
}

impl Report {
    pub fn key_pairs_created(&self) -> usize {
        self.orgs_created * 2 + (self.nodes_created + self.users_created) * 2 + self.ca_servers_created + self.chaincode_servers_created * 2
    }
}

fn node_ou(enabled: bool, ou: &'static str) -> Option<&'static str> {
    enabled.then_some(ou)
}

/// What one identity (node or user) is made of.
struct Identity<'a> {
    cn: &'a str,
    node_ou: Option<&'static str>,
    key_algorithm: KeyAlgorithm,
    /// Nodes: the TLS server certificate's SANs. Users: `None` (client cert, no SANs).
    sans: Option<&'a [San]>,
    /// Users' admincerts hold their own cert; nodes' the Admin's (both only without NodeOUs).
    own_admincert: bool,
}

fn config_yaml(ca_file: &str) -> String {
    let mut s = String::from("NodeOUs:\n  Enable: true\n");
    for (key, ou) in [("ClientOUIdentifier", "client"), ("PeerOUIdentifier", "peer"), ("AdminOUIdentifier", "admin"), ("OrdererOUIdentifier", "orderer")] {
        s += &format!("  {key}:\n    Certificate: cacerts/{ca_file}\n    OrganizationalUnitIdentifier: {ou}\n");
    }
    s
}

/// An MSP directory's public part: admincerts, cacerts, tlscacerts, config.yaml.
fn write_msp_public(msp: &Path, org: &OrgPlan, m: &OrgMaterial, admincert: Option<(&str, &str)>) -> Result<(), String> {
    for d in ["admincerts", "cacerts", "tlscacerts"] {
        mkdir(&msp.join(d))?;
    }
    if let (false, Some((name, pem))) = (org.enable_node_ous, admincert) {
        write_new(&msp.join("admincerts").join(name), pem.as_bytes(), CERT_MODE)?;
    }
    write_new(&msp.join("cacerts").join(&m.ca.file_name), m.ca.cert_pem.as_bytes(), CERT_MODE)?;
    write_new(&msp.join("tlscacerts").join(&m.tlsca.file_name), m.tlsca.cert_pem.as_bytes(), CERT_MODE)?;
    if org.enable_node_ous {
        write_new(&msp.join("config.yaml"), config_yaml(&m.ca.file_name).as_bytes(), CERT_MODE)?;
    }
    Ok(())
}

/// Writes one identity's `msp/` and `tls/` under `dir`; returns its enrollment cert PEM.
fn write_identity(dir: &Path, org: &OrgPlan, m: &OrgMaterial, id: &Identity, version: FabricVersion, now: OffsetDateTime) -> Result<String, String> {
    let msp = dir.join("msp");
    let key = Key::generate(id.key_algorithm);
    let cert = profile::enrollment(&org.ca.subject, id.node_ou, id.cn, now)
        .signed_by(&key, &m.ca.issuer())
        .map_err(|e| format!("cannot sign {}: {e}", id.cn))?
        .pem();
    let cert_name = format!("{}-cert.pem", id.cn);
    let admin_name = m_admin_name(org);
    let admincert = if id.own_admincert { (cert_name.as_str(), cert.as_str()) } else { (admin_name.as_str(), m.admin_cert.as_str()) };
    write_msp_public(&msp, org, m, Some(admincert))?;
    mkdir(&msp.join("keystore"))?;
    mkdir(&msp.join("signcerts"))?;
    write_new(&msp.join("keystore").join(store::key_file_name(version, &key)), key.to_pem().as_bytes(), KEY_MODE)?;
    write_new(&msp.join("signcerts").join(&cert_name), cert.as_bytes(), CERT_MODE)?;

    let tls = dir.join("tls");
    mkdir(&tls)?;
    // TLS keys stay ECDSA P-256 (every gRPC client speaks it); Ed25519 is for MSP identities.
    let tls_key = Key::generate(KeyAlgorithm::Ecdsa);
    let sans: &[San] = id.sans.unwrap_or(&[]);
    let tls_cert = profile::tls(&org.ca.subject, id.cn, sans, now)?
        .signed_by(&tls_key, &m.tlsca.issuer())
        .map_err(|e| format!("cannot sign the TLS certificate of {}: {e}", id.cn))?
        .pem();
    let stem = if id.sans.is_some() { "server" } else { "client" };
    write_new(&tls.join("ca.crt"), m.tlsca.cert_pem.as_bytes(), CERT_MODE)?;
    write_new(&tls.join(format!("{stem}.crt")), tls_cert.as_bytes(), CERT_MODE)?;
    write_new(&tls.join(format!("{stem}.key")), tls_key.to_pem().as_bytes(), KEY_MODE)?;
    Ok(cert)
}

fn m_admin_name(org: &OrgPlan) -> String {
    format!("Admin@{}-cert.pem", org.domain)
}

fn admin(org: &OrgPlan) -> &UserPlan {
    org.users.iter().find(|u| u.admin).expect("the plan gives every org an Admin")
}

fn user_identity<'a>(org: &OrgPlan, u: &'a UserPlan) -> Identity<'a> {
    Identity {
        cn: &u.common_name,
        node_ou: node_ou(org.enable_node_ous, if u.admin { "admin" } else { "client" }),
        key_algorithm: u.key_algorithm,
        sans: None,
        own_admincert: true,
    }
}

fn node_identity<'a>(org: &OrgPlan, n: &'a NodePlan) -> Identity<'a> {
    Identity {
        cn: &n.common_name,
        node_ou: node_ou(org.enable_node_ous, if n.kind == NodeKind::Orderer { "orderer" } else { "peer" }),
        key_algorithm: n.key_algorithm,
        sans: Some(&n.endpoint.sans),
        own_admincert: false,
    }
}

/// Phase 1: an org's CAs, MSP and Admin: loaded if present, else created as one unit.
fn ensure_org(root: &Path, org: &OrgPlan, version: FabricVersion, now: OffsetDateTime, report: &mut Report) -> Result<OrgMaterial, String> {
    let dir = store::org_dir(root, org);
    let admin = admin(org);
    if dir.exists() {
        let ca = Ca::load(&dir.join("ca"))?;
        let tlsca = Ca::load(&dir.join("tlsca"))?;
        let signcerts = store::user_dir(root, org, admin).join("msp/signcerts");
        let admin_cert = match store::find(&signcerts, ".pem") {
            Some(p) => store::read(&p)?,
            None => {
                // An adopted store without its Admin: create it now, as a unit.
                let mut m = OrgMaterial { ca, tlsca, admin_cert: String::new() };
                let st = Staging::new(&store::user_dir(root, org, admin))?;
                m.admin_cert = write_identity(&st.tmp, org, &m, &user_identity(org, admin), version, now)?;
                st.commit()?;
                report.users_created += 1;
                return Ok(m);
            }
        };
        return Ok(OrgMaterial { ca, tlsca, admin_cert });
    }
    let st = Staging::new(&dir)?;
    let ca = Ca::create(org, &org.ca.common_name, org.ca.key_algorithm, now)?;
    // The TLS CA signs TLS certificates, which stay ECDSA.
    let tlsca = Ca::create(org, &org.ca.tls_common_name, KeyAlgorithm::Ecdsa, now)?;
    for (sub, c) in [("ca", &ca), ("tlsca", &tlsca)] {
        mkdir(&st.tmp.join(sub))?;
        write_new(&st.tmp.join(sub).join(&c.file_name), c.cert_pem.as_bytes(), CERT_MODE)?;
        write_new(&st.tmp.join(sub).join(store::key_file_name(version, &c.key)), c.key.to_pem().as_bytes(), KEY_MODE)?;
    }
    let mut m = OrgMaterial { ca, tlsca, admin_cert: String::new() };
    let admin_dir = st.tmp.join("users").join(&admin.common_name);
    m.admin_cert = write_identity(&admin_dir, org, &m, &user_identity(org, admin), version, now)?;
    write_msp_public(&st.tmp.join("msp"), org, &m, Some((&m_admin_name(org), &m.admin_cert)))?;
    st.commit()?;
    report.orgs_created += 1;
    report.users_created += 1;
    Ok(m)
}

enum Outcome {
    CreatedCaServer,
    CreatedChaincode,
    Created { user: bool },
    Reused,
    Reissued(String),
}

/// The SANs of a PEM certificate, as the plan writes them (`DNS:x`, `IP:y`).
pub fn cert_sans(pem: &str) -> Result<Vec<String>, String> {
    let der = pem_to_der(pem)?;
    let (_, cert) = X509Certificate::from_der(&der).map_err(|e| format!("not a certificate: {e}"))?;
    let mut out = vec![];
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => out.push(format!("DNS:{d}")),
                GeneralName::IPAddress(b) => {
                    let ip: Option<std::net::IpAddr> = match b.len() {
                        4 => Some(<[u8; 4]>::try_from(*b).unwrap().into()),
                        16 => Some(<[u8; 16]>::try_from(*b).unwrap().into()),
                        _ => None,
                    };
                    out.push(ip.map(|i| format!("IP:{i}")).unwrap_or_else(|| "IP:?".into()));
                }
                other => out.push(format!("{other:?}")),
            }
        }
    }
    Ok(out)
}

/// Re-issues a node's TLS server certificate with the plan's SANs, same key, same TLS CA.
pub(crate) fn reissue_tls(dir: &Path, org: &OrgPlan, tlsca: &Ca, cn: &str, sans: &[San], now: OffsetDateTime, stem: &str) -> Result<(), String> {
    let key_path = dir.join("tls").join(format!("{stem}.key"));
    let key = Key::from_pem(&store::read(&key_path)?).map_err(|e| format!("{}: {e}", key_path.display()))?;
    let cert = profile::tls(&org.ca.subject, cn, sans, now)?
        .signed_by(&key, &tlsca.issuer())
        .map_err(|e| format!("cannot sign the TLS certificate of {cn}: {e}"))?;
    store::replace(&dir.join("tls").join(format!("{stem}.crt")), cert.pem().as_bytes(), CERT_MODE)
}

/// An existing server TLS certificate: reused when its SANs are the plan's, else re-issued
/// (same key, same TLS CA) and reported as `<label>/tls/server.crt: SANs added ...`.
fn refresh_tls(dir: &Path, org: &OrgPlan, tlsca: &Ca, cn: &str, sans: &[San], now: OffsetDateTime, label: &str) -> Result<Outcome, String> {
    let crt = dir.join("tls/server.crt");
    let have = cert_sans(&store::read(&crt)?).map_err(|e| format!("{}: {e}", crt.display()))?;
    let want: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
    if have == want {
        return Ok(Outcome::Reused);
    }
    reissue_tls(dir, org, tlsca, cn, sans, now, "server")?;
    let list = |v: Vec<&String>| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    let added: Vec<&String> = want.iter().filter(|w| !have.contains(w)).collect();
    let removed: Vec<&String> = have.iter().filter(|h| !want.contains(h)).collect();
    let mut why = vec![];
    if !added.is_empty() {
        why.push(format!("added {}", list(added)));
    }
    if !removed.is_empty() {
        why.push(format!("removed {}", list(removed)));
    }
    if why.is_empty() {
        why.push("reordered".into());
    }
    Ok(Outcome::Reissued(format!("{label}/tls/server.crt: SANs {}", why.join("; "))))
}

fn ensure_node(root: &Path, org: &OrgPlan, m: &OrgMaterial, n: &NodePlan, version: FabricVersion, now: OffsetDateTime) -> Result<Outcome, String> {
    let dir = store::nodes_dir(root, org).join(&n.common_name);
    if dir.exists() {
        return refresh_tls(&dir, org, &m.tlsca, &n.common_name, &n.endpoint.sans, now, &n.common_name);
    }
    let st = Staging::new(&dir)?;
    write_identity(&st.tmp, org, m, &node_identity(org, n), version, now)?;
    st.commit()?;
    Ok(Outcome::Created { user: false })
}

/// The Fabric CA server's own TLS certificate (cryptogen makes none): issued by the TLS CA
/// for the plan's CA SANs, in `<org>/ca-server/tls/`, outside cryptogen's `ca/` directory
/// so that `cryptogen extend` still finds exactly one key and cert there.
pub fn ca_server_dir(root: &Path, org: &OrgPlan) -> PathBuf {
    store::org_dir(root, org).join("ca-server")
}

fn ensure_ca_server(root: &Path, org: &OrgPlan, m: &OrgMaterial, now: OffsetDateTime) -> Result<Outcome, String> {
    let dir = ca_server_dir(root, org);
    let sans = &org.ca.server.sans;
    if dir.exists() {
        return refresh_tls(&dir, org, &m.tlsca, &org.ca.common_name, sans, now, &format!("{}/ca-server", org.domain));
    }
    let st = Staging::new(&dir)?;
    let tls = st.tmp.join("tls");
    mkdir(&tls)?;
    let key = Key::generate(KeyAlgorithm::Ecdsa);
    let cert = profile::tls(&org.ca.subject, &org.ca.common_name, sans, now)?
        .signed_by(&key, &m.tlsca.issuer())
        .map_err(|e| format!("cannot sign the CA server's TLS certificate of {}: {e}", org.domain))?
        .pem();
    write_new(&tls.join("ca.crt"), m.tlsca.cert_pem.as_bytes(), CERT_MODE)?;
    write_new(&tls.join("server.crt"), cert.as_bytes(), CERT_MODE)?;
    write_new(&tls.join("server.key"), key.to_pem().as_bytes(), KEY_MODE)?;
    st.commit()?;
    Ok(Outcome::Created { user: false })
}

/// A chaincode server's TLS material (cryptogen makes none): `<org>/chaincodes/<name>/tls/`
/// holds the server's certificate for its Service names (server.crt, server.key), the
/// client certificate the org's peers present to it (client.crt, client.key; it goes into
/// the org's CCaaS package) and the org's TLS CA (ca.crt), which issued both and is the
/// server's client CA.
pub fn chaincode_dir(root: &Path, org: &OrgPlan, chaincode: &str) -> PathBuf {
    store::org_dir(root, org).join("chaincodes").join(chaincode)
}

fn ensure_chaincode(root: &Path, org: &OrgPlan, m: &OrgMaterial, chaincode: &str, s: &ChaincodeServer, now: OffsetDateTime) -> Result<Outcome, String> {
    let dir = chaincode_dir(root, org, chaincode);
    if dir.exists() {
        return refresh_tls(&dir, org, &m.tlsca, &s.common_name, &s.endpoint.sans, now, &format!("{}/chaincodes/{chaincode}", org.domain));
    }
    let st = Staging::new(&dir)?;
    let tls = st.tmp.join("tls");
    mkdir(&tls)?;
    write_new(&tls.join("ca.crt"), m.tlsca.cert_pem.as_bytes(), CERT_MODE)?;
    for (stem, cn, sans) in [("server", &s.common_name, s.endpoint.sans.as_slice()), ("client", &s.client_common_name, &[][..])] {
        let key = Key::generate(KeyAlgorithm::Ecdsa);
        let cert = profile::tls(&org.ca.subject, cn, sans, now)?
            .signed_by(&key, &m.tlsca.issuer())
            .map_err(|e| format!("cannot sign the TLS certificate of {cn}: {e}"))?
            .pem();
        write_new(&tls.join(format!("{stem}.crt")), cert.as_bytes(), CERT_MODE)?;
        write_new(&tls.join(format!("{stem}.key")), key.to_pem().as_bytes(), KEY_MODE)?;
    }
    st.commit()?;
    Ok(Outcome::CreatedChaincode)
}

fn ensure_user(root: &Path, org: &OrgPlan, m: &OrgMaterial, u: &UserPlan, version: FabricVersion, now: OffsetDateTime) -> Result<Outcome, String> {
    let dir = store::user_dir(root, org, u);
    if dir.exists() {
        return Ok(Outcome::Reused);
    }
    let st = Staging::new(&dir)?;
    write_identity(&st.tmp, org, m, &user_identity(org, u), version, now)?;
    st.commit()?;
    Ok(Outcome::Created { user: true })
}

/// Orgs, nodes and users in the store that the plan does not have.
fn extras(root: &Path, plan: &Plan) -> Vec<PathBuf> {
    let mut out = vec![];
    let list = |p: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p).map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect()).unwrap_or_default();
        v.sort();
        v
    };
    for kind in ["ordererOrganizations", "peerOrganizations"] {
        for org_path in list(&root.join(kind)) {
            let Some(org) = plan.orgs.iter().find(|o| store::org_dir(root, o) == org_path) else {
                out.push(org_path);
                continue;
            };
            for n in list(&store::nodes_dir(root, org)) {
                if !org.nodes.iter().any(|x| store::nodes_dir(root, org).join(&x.common_name) == n) {
                    out.push(n);
                }
            }
            for u in list(&org_path.join("users")) {
                if !org.users.iter().any(|x| store::user_dir(root, org, x) == u) {
                    out.push(u);
                }
            }
            for c in list(&org_path.join("chaincodes")) {
                if !plan.chaincodes.iter().any(|x| x.server(&org.name).is_some() && chaincode_dir(root, org, &x.name) == c) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Generates or reuses everything the plan needs in the store.
pub fn build(plan: &Plan, opts: &Options, now: OffsetDateTime) -> Result<Report, String> {
    let root = &opts.dir;
    let version = plan.network.fabric_version;
    let mut report = Report::default();
    mkdir(root)?;
    report.leftovers = store::clear_leftovers(root)?;

    // Phase 1: orgs (CAs, MSP, Admin), in parallel.
    let results: Vec<(Result<OrgMaterial, String>, Report)> = plan
        .orgs
        .par_iter()
        .map(|o| {
            let mut r = Report::default();
            (ensure_org(root, o, version, now, &mut r), r)
        })
        .collect();
    let mut materials = vec![];
    for (res, r) in results {
        materials.push(res?);
        report.orgs_created += r.orgs_created;
        report.users_created += r.users_created;
    }

    // Phase 2: every node and user, in parallel.
    enum Job<'a> {
        CaServer(usize),
        Chaincode(usize, &'a str, &'a ChaincodeServer),
        Node(usize, &'a NodePlan),
        User(usize, &'a UserPlan),
    }
    let jobs: Vec<Job> = plan
        .orgs
        .iter()
        .enumerate()
        .flat_map(|(i, o)| {
            std::iter::once(Job::CaServer(i))
                .chain(o.nodes.iter().map(move |n| Job::Node(i, n)))
                .chain(o.users.iter().filter(|u| !u.admin).map(move |u| Job::User(i, u)))
                .chain(plan.chaincodes.iter().filter_map(move |c| c.server(&o.name).map(|s| Job::Chaincode(i, c.name.as_str(), s))))
        })
        .collect();
    let bar = (opts.progress && jobs.len() >= 200).then(|| {
        let b = indicatif::ProgressBar::new(jobs.len() as u64);
        b.set_style(indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} identities").expect("valid template"));
        b.set_message("crypto");
        b
    });
    let outcomes: Vec<Result<Outcome, String>> = jobs
        .par_iter()
        .map(|j| {
            let r = match j {
                Job::CaServer(i) => ensure_ca_server(root, &plan.orgs[*i], &materials[*i], now).map(|o| match o {
                    Outcome::Created { .. } => Outcome::CreatedCaServer,
                    other => other,
                }),
                Job::Node(i, n) => ensure_node(root, &plan.orgs[*i], &materials[*i], n, version, now),
                Job::User(i, u) => ensure_user(root, &plan.orgs[*i], &materials[*i], u, version, now),
                Job::Chaincode(i, name, s) => ensure_chaincode(root, &plan.orgs[*i], &materials[*i], name, s, now),
            };
            if let Some(b) = &bar {
                b.inc(1);
            }
            r
        })
        .collect();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for o in outcomes {
        match o? {
            Outcome::CreatedCaServer => report.ca_servers_created += 1,
            Outcome::CreatedChaincode => report.chaincode_servers_created += 1,
            Outcome::Created { user: false } => report.nodes_created += 1,
            Outcome::Created { user: true } => report.users_created += 1,
            Outcome::Reused => report.reused += 1,
            Outcome::Reissued(why) => report.reissued.push(why),
        }
    }
    report.reissued.sort();

    // Phase 3: what the topology no longer has.
    for p in extras(root, plan) {
        let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
        if opts.prune {
            std::fs::remove_dir_all(&p).map_err(|e| format!("cannot remove {}: {e}", p.display()))?;
            report.pruned.push(rel);
        } else {
            report.stale.push(rel);
        }
    }
    Ok(report)
}
