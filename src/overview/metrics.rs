//! `fabchart certs STORE --format prometheus`: every certificate's expiry in Prometheus'
//! text exposition format, for node_exporter's textfile collector. Alert on, e.g.,
//! `fabchart_certificate_expiry_timestamp_seconds - time() < 30 * 86400`.
//!
//! The metric and its labels are those of the org charts' recording rules
//! (`monitoring.prometheusRule`: namespace, org, path, common_name, kind, renewable), so the
//! chart's dashboards read either; `ca` is added. Without a build's plan (a bare cryptogen
//! tree) there is no namespace label and `org` is the org's folder in the store.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::crypto::certs::CertInfo;

/// An org's labels: its slug and namespace, by (orderer org, store folder = domain).
pub type Orgs = BTreeMap<(bool, String), (String, String)>;

/// The orgs of the build whose output directory is `out` (None when it holds no plan).
pub fn orgs_of(out: &Path) -> Option<Orgs> {
    let plan = crate::version::read_record(&out.join(crate::version::RECORD)).ok()?;
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    Some(plan.get("orgs")?.as_array()?.iter().map(|o| ((s(o, "kind") == "orderer", s(o, "domain")), (s(o, "slug"), s(o, "namespace")))).collect())
}

/// The metrics: one `fabchart_certificate_expiry_timestamp_seconds` sample per certificate
/// and `fabchart_certificates`, their number. `orgs`: the build's orgs, when known.
pub fn prometheus(certs: &[CertInfo], orgs: Option<&Orgs>) -> String {
    let mut s = String::from(
        "# HELP fabchart_certificate_expiry_timestamp_seconds Expiry (notAfter) of each issued certificate of a Fabric crypto store, in seconds since the Unix epoch.\n\
         # TYPE fabchart_certificate_expiry_timestamp_seconds gauge\n",
    );
    for c in certs {
        let folder = org(&c.path);
        let orderer = c.path.starts_with("ordererOrganizations/");
        let (namespace, org) = match orgs.and_then(|m| m.get(&(orderer, folder.to_string()))) {
            Some((slug, ns)) => (format!("namespace=\"{}\",", label(ns)), slug.as_str()),
            None => (String::new(), folder),
        };
        let (kind, renewable) = (c.kind(), c.renewable());
        let _ = writeln!(
            s,
            "fabchart_certificate_expiry_timestamp_seconds{{{namespace}org=\"{}\",path=\"{}\",common_name=\"{}\",kind=\"{kind}\",renewable=\"{renewable}\",ca=\"{}\"}} {}",
            label(org),
            label(&c.path),
            label(&c.common_name),
            c.is_ca,
            c.not_after.unix_timestamp()
        );
    }
    s += "# HELP fabchart_certificates Issued certificates in the crypto store.\n# TYPE fabchart_certificates gauge\n";
    let _ = writeln!(s, "fabchart_certificates {}", certs.len());
    s
}

/// The org of a store path: its folder under peerOrganizations/ or ordererOrganizations/
/// (the org's domain in cryptogen's layout).
pub fn org(path: &str) -> &str {
    let mut parts = path.split('/');
    match (parts.next(), parts.next()) {
        (Some(_), Some(folder)) => folder,
        _ => "",
    }
}

/// A label value escaped as the exposition format requires: `\`, `"` and newline.
pub fn label(v: &str) -> String {
    let mut o = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_label_values() {
        assert_eq!(label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(org("peerOrganizations/org1.example.com/peers/x/tls/server.crt"), "org1.example.com");
        assert_eq!(org("loose.pem"), "");
    }
}
