//! Certificate expiry and renewal: `fabchart certs` and `fabchart renew`.
//!
//! Listing reads the store alone (it works on any cryptogen tree). Renewal needs the plan,
//! so a renewed certificate is exactly what a fresh build would issue (subject, node OU,
//! SANs), signed by the same CA key; keys are kept unless `rekey`.

use std::path::{Path, PathBuf};

use ::time::OffsetDateTime;
use x509_parser::prelude::*;

use super::keys::Key;
use super::{CERT_MODE, Ca, KEY_MODE, node_identity, pem_to_der, profile, store, user_identity};
use crate::plan::{OrgPlan, Plan};

#[derive(Debug, Clone)]
pub struct CertInfo {
    /// Relative to the store.
    pub path: String,
    pub common_name: String,
    pub not_after: OffsetDateTime,
    pub is_ca: bool,
}

impl CertInfo {
    pub fn days_left(&self, now: OffsetDateTime) -> i64 {
        (self.not_after - now).whole_days()
    }

    /// `ca`, `tls` or `enrollment`.
    pub fn kind(&self) -> &'static str {
        if self.is_ca {
            "ca"
        } else if self.in_folder(&["tls"]) {
            "tls"
        } else {
            "enrollment"
        }
    }

    /// `fabchart renew` re-issues it: a node's or user's certificate (not a CA's, the CA
    /// server's or a chaincode server's).
    pub fn renewable(&self) -> bool {
        !self.is_ca && self.in_folder(&["peers", "orderers", "users"])
    }

    fn in_folder(&self, names: &[&str]) -> bool {
        Path::new(&self.path).components().any(|c| names.iter().any(|n| c.as_os_str() == *n))
    }
}

fn info(path: &Path, root: &Path) -> Result<CertInfo, String> {
    let der = pem_to_der(&store::read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let (_, cert) = X509Certificate::from_der(&der).map_err(|e| format!("{}: not a certificate: {e}", path.display()))?;
    let common_name = cert.subject().iter_common_name().next().and_then(|c| c.as_str().ok()).unwrap_or("").to_string();
    let not_after = OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp()).map_err(|e| e.to_string())?;
    Ok(CertInfo {
        path: path.strip_prefix(root).unwrap_or(path).display().to_string(),
        common_name,
        not_after,
        is_ca: cert.is_ca(),
    })
}

/// Every certificate that is issued (not a copy): CAs, enrollment certs, TLS certs.
/// Copies in cacerts/, tlscacerts/, admincerts/ and tls/ca.crt are skipped.
pub fn list(root: &Path) -> Result<Vec<CertInfo>, String> {
    if !root.is_dir() {
        return Err(format!("{} is not a crypto store (a directory in cryptogen's layout)", root.display()));
    }
    let mut found: Vec<PathBuf> = vec![];
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(store::TMP_PREFIX) {
                continue;
            }
            if p.is_dir() {
                if !matches!(name.as_str(), "cacerts" | "tlscacerts" | "admincerts" | "intermediatecerts" | "keystore") {
                    stack.push(p);
                }
                continue;
            }
            let parent = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let issued = match parent.as_str() {
                "ca" | "tlsca" | "signcerts" => name.ends_with(".pem"),
                "tls" => matches!(name.as_str(), "server.crt" | "client.crt"),
                _ => false,
            };
            if issued {
                found.push(p);
            }
        }
    }
    let mut out: Vec<CertInfo> = found.iter().map(|p| info(p, root)).collect::<Result<_, _>>()?;
    out.sort_by(|a, b| a.not_after.cmp(&b.not_after).then_with(|| a.path.cmp(&b.path)));
    Ok(out)
}

/// The `certs` table: expiry date, days left, a flag for expired or within the window.
pub fn render(certs: &[CertInfo], now: OffsetDateTime, within_days: i64) -> String {
    let mut s = String::from("EXPIRES     DAYS  STATUS    KIND  CERTIFICATE\n");
    for c in certs {
        let days = c.days_left(now);
        let status = if c.not_after <= now {
            "EXPIRED"
        } else if days < within_days {
            "RENEW"
        } else {
            "ok"
        };
        let date = c.not_after.date();
        s += &format!("{date}  {days:>4}  {status:<8}  {:<4}  {}\n", if c.is_ca { "CA" } else { "leaf" }, c.path);
    }
    s
}

/// True when a certificate is expired or expires within `within_days`.
pub fn due(c: &CertInfo, now: OffsetDateTime, within_days: i64) -> bool {
    c.not_after <= now || c.days_left(now) < within_days
}

pub struct RenewOptions {
    /// Renew certificates expiring within this many days (or expired).
    pub within_days: Option<i64>,
    /// Renew these, by common name (`peer0.org1`, `User1@org1`) or store path substring.
    pub names: Vec<String>,
    /// New keys as well as new certificates.
    pub rekey: bool,
}

/// Re-issues the chosen leaf certificates; returns what was renewed (store-relative paths).
/// CA certificates are never renewed here: a new CA certificate changes the network's
/// root of trust and must go through a channel config update.
pub fn renew(plan: &Plan, root: &Path, opts: &RenewOptions, now: OffsetDateTime) -> Result<Vec<String>, String> {
    let version = plan.network.fabric_version;
    let mut renewed = vec![];
    for org in &plan.orgs {
        let org_dir = store::org_dir(root, org);
        if !org_dir.exists() {
            continue;
        }
        let ca = Ca::load(&org_dir.join("ca"))?;
        let tlsca = Ca::load(&org_dir.join("tlsca"))?;
        let mut idents: Vec<(PathBuf, super::Identity)> = vec![];
        for n in &org.nodes {
            idents.push((store::nodes_dir(root, org).join(&n.common_name), node_identity(org, n)));
        }
        for u in &org.users {
            idents.push((store::user_dir(root, org, u), user_identity(org, u)));
        }
        for (dir, id) in idents {
            if !dir.exists() {
                continue;
            }
            let stem = if id.sans.is_some() { "server" } else { "client" };
            let enroll = dir.join("msp/signcerts").join(format!("{}-cert.pem", id.cn));
            let tls = dir.join("tls").join(format!("{stem}.crt"));
            for (path, is_tls) in [(enroll, false), (tls, true)] {
                let info = info(&path, root)?;
                let chosen = opts.names.iter().any(|n| n == id.cn || info.path.contains(n.as_str()))
                    || opts.within_days.is_some_and(|w| due(&info, now, w));
                if !chosen {
                    continue;
                }
                if is_tls {
                    if opts.rekey {
                        let key = Key::generate(crate::topology::KeyAlgorithm::Ecdsa);
                        store::replace(&dir.join("tls").join(format!("{stem}.key")), key.to_pem().as_bytes(), KEY_MODE)?;
                    }
                    super::reissue_tls(&dir, org, &tlsca, id.cn, id.sans.unwrap_or(&[]), now, stem)?;
                } else {
                    renew_enrollment(root, org, &ca, &dir, &id, version, opts.rekey, now)?;
                }
                renewed.push(info.path);
            }
        }
    }
    Ok(renewed)
}

#[allow(clippy::too_many_arguments)]
fn renew_enrollment(
    root: &Path,
    org: &OrgPlan,
    ca: &Ca,
    dir: &Path,
    id: &super::Identity,
    version: crate::topology::FabricVersion,
    rekey: bool,
    now: OffsetDateTime,
) -> Result<(), String> {
    let keystore = dir.join("msp/keystore");
    let old_key_path = store::find(&keystore, "_sk").ok_or_else(|| format!("no key in {}", keystore.display()))?;
    let key = if rekey {
        let k = Key::generate(id.key_algorithm);
        let new_path = keystore.join(store::key_file_name(version, &k));
        store::replace(&new_path, k.to_pem().as_bytes(), KEY_MODE)?;
        if new_path != old_key_path {
            std::fs::remove_file(&old_key_path).map_err(|e| format!("cannot remove {}: {e}", old_key_path.display()))?;
        }
        k
    } else {
        Key::from_pem(&store::read(&old_key_path)?).map_err(|e| format!("{}: {e}", old_key_path.display()))?
    };
    let pem = profile::enrollment(&org.ca.subject, id.node_ou, id.cn, now)
        .signed_by(&key, &ca.issuer())
        .map_err(|e| format!("cannot sign {}: {e}", id.cn))?
        .pem();
    let name = format!("{}-cert.pem", id.cn);
    store::replace(&dir.join("msp/signcerts").join(&name), pem.as_bytes(), CERT_MODE)?;
    // Without NodeOUs, copies of this cert sit in admincerts/ (the Admin's in every MSP of
    // the org, a user's in its own): keep them identical.
    for p in store::files(&store::org_dir(root, org)) {
        if p.parent().and_then(|x| x.file_name()).is_some_and(|x| x == "admincerts") && p.file_name().is_some_and(|n| n.to_string_lossy() == name) {
            store::replace(&p, pem.as_bytes(), CERT_MODE)?;
        }
    }
    Ok(())
}
