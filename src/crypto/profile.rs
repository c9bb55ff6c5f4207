//! The four certificate profiles cryptogen 2.x issues (reference §3), built as rcgen
//! parameters. Differences from cryptogen are deliberate and listed in ARCHITECTURE.md:
//! TLS certificates carry every SAN of the plan, and every ECDSA signature is low-S.

use rand_core::{OsRng, RngCore};
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa,
    KeyIdMethod, KeyUsagePurpose, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::plan::{San, Subject};

const OID_STREET: &[u64] = &[2, 5, 4, 9];
const OID_POSTAL_CODE: &[u64] = &[2, 5, 4, 17];
const OID_OU: &[u64] = &[2, 5, 4, 11];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];

/// cryptogen's validity: from the current minute less 5 minutes, for 3650 days.
pub fn validity(now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    let minute = now.replace_second(0).and_then(|t| t.replace_nanosecond(0)).expect("valid time");
    let not_before = minute - Duration::minutes(5);
    (not_before, not_before + Duration::days(3650))
}

/// PrintableString when the text allows it, UTF8String otherwise, as Go's asn1 does.
fn dn_value(s: &str) -> DnValue {
    let printable = s.chars().all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c));
    match printable.then(|| s.to_string().try_into()) {
        Some(Ok(p)) => DnValue::PrintableString(p),
        _ => DnValue::Utf8String(s.to_string()),
    }
}

/// Subject in Go's attribute order: C, ST, L, STREET, postalCode, O, OU(s), CN.
pub fn subject(base: &Subject, organization: Option<&str>, node_ou: Option<&str>, cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, dn_value(&base.country));
    dn.push(DnType::StateOrProvinceName, dn_value(&base.province));
    dn.push(DnType::LocalityName, dn_value(&base.locality));
    if let Some(s) = &base.street_address {
        dn.push(DnType::CustomDnType(OID_STREET.to_vec()), dn_value(s));
    }
    if let Some(p) = &base.postal_code {
        dn.push(DnType::CustomDnType(OID_POSTAL_CODE.to_vec()), dn_value(p));
    }
    if let Some(o) = organization {
        dn.push(DnType::OrganizationName, dn_value(o));
    }
    if let Some(ou) = &base.organizational_unit {
        dn.push(DnType::OrganizationalUnitName, dn_value(ou));
    }
    if let Some(ou) = node_ou {
        // A second OU needs its own key in rcgen's map; the OID is the same.
        let ty = if base.organizational_unit.is_some() { DnType::CustomDnType(OID_OU.to_vec()) } else { DnType::OrganizationalUnitName };
        dn.push(ty, dn_value(ou));
    }
    dn.push(DnType::CommonName, dn_value(cn));
    dn
}

fn base_params(dn: DistinguishedName, now: OffsetDateTime) -> CertificateParams {
    let (not_before, not_after) = validity(now);
    let mut serial = [0u8; 16];
    OsRng.fill_bytes(&mut serial);
    serial[0] &= 0x7f; // positive
    let mut p = CertificateParams::default();
    p.distinguished_name = dn;
    p.not_before = not_before;
    p.not_after = not_after;
    p.serial_number = Some(SerialNumber::from_slice(&serial));
    p.key_identifier_method = KeyIdMethod::PreSpecified(vec![]);
    p
}

/// A self-signed CA (signing CA or TLS CA): CA:TRUE, SKI = SHA-256 of the point, KU
/// digitalSignature+keyEncipherment+keyCertSign+cRLSign, EKU clientAuth+serverAuth, O=Domain.
pub fn ca(base: &Subject, domain: &str, cn: &str, ski: Vec<u8>, now: OffsetDateTime) -> CertificateParams {
    let mut p = base_params(subject(base, Some(domain), None, cn), now);
    p.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth, ExtendedKeyUsagePurpose::ServerAuth];
    p.key_identifier_method = KeyIdMethod::PreSpecified(ski);
    p
}

/// `CA:FALSE`, critical, without the SKI rcgen adds to `IsCa::ExplicitNoCa` leaves
/// (cryptogen's leaves have none).
fn not_a_ca() -> CustomExtension {
    let mut e = CustomExtension::from_oid_content(OID_BASIC_CONSTRAINTS, vec![0x30, 0x00]);
    e.set_criticality(true);
    e
}

/// An enrollment (MSP signing) certificate: KU digitalSignature, no EKU, no O, the node OU
/// when NodeOUs are on, AKI = the CA's SKI.
pub fn enrollment(base: &Subject, node_ou: Option<&str>, cn: &str, now: OffsetDateTime) -> CertificateParams {
    let mut p = base_params(subject(base, None, node_ou, cn), now);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.custom_extensions = vec![not_a_ca()];
    p.use_authority_key_identifier_extension = true;
    p
}

/// A TLS certificate: KU digitalSignature+keyEncipherment, EKU serverAuth+clientAuth, the
/// given SANs (none for users, as cryptogen), no node OU.
pub fn tls(base: &Subject, cn: &str, sans: &[San], now: OffsetDateTime) -> Result<CertificateParams, String> {
    let mut p = base_params(subject(base, None, None, cn), now);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    p.custom_extensions = vec![not_a_ca()];
    p.use_authority_key_identifier_extension = true;
    for s in sans {
        p.subject_alt_names.push(match s {
            San::Dns(d) => SanType::DnsName(d.clone().try_into().map_err(|_| format!("SAN `{d}` is not an IA5 string"))?),
            San::Ip(ip) => SanType::IpAddress(*ip),
        });
    }
    Ok(p)
}
