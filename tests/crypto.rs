//! The crypto store, checked with the real openssl and a real X.509 parser: chains, the
//! cryptogen profiles field by field, low-S signatures, key/cert pairs, modes, stability
//! across rebuilds, extension, SAN re-issue, interruption, adoption of a foreign CA,
//! expiry listing and renewal.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

fn build(topology: &str, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["build", topology, "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = fabchart(&args);
    assert!(o.status.success(), "build {topology}: {}", stderr(&o));
    stdout(&o)
}

/// Every file of a tree: relative path → (mode, sha256).
fn hashes(root: &Path) -> BTreeMap<String, (u32, String)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            if p.is_dir() {
                out.insert(format!("{rel}/"), (mode, String::new()));
                stack.push(p);
            } else {
                out.insert(rel, (mode, format!("{:x}", Sha256::digest(std::fs::read(&p).unwrap()))));
            }
        }
    }
    out
}

fn openssl(args: &[&str], dir: &Path) -> String {
    let o = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl is installed (scripts/install-tools.sh)");
    assert!(o.status.success(), "openssl {args:?}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn der(p: &Path) -> Vec<u8> {
    let text = std::fs::read(p).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    pem.contents
}

fn files_under(root: &Path, pred: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = hashes(root).keys().filter(|k| !k.ends_with('/') && pred(k)).map(|k| root.join(k)).collect();
    v.sort();
    v
}

/// Every chain verifies with openssl: enrollment certs against the org CA, TLS certs
/// against the TLS CA.
fn verify_chains(store: &Path) -> usize {
    let mut n = 0;
    for org in files_under(store, &|k| k.ends_with("/ca") || k.contains("/ca/") && k.ends_with("-cert.pem")) {
        let org_dir = org.parent().unwrap().parent().unwrap().to_path_buf();
        let ca = org.clone();
        let tlsca = files_under(&org_dir.join("tlsca"), &|k| k.ends_with(".pem"))[0].clone();
        let enroll: Vec<String> = files_under(&org_dir, &|k| k.contains("/signcerts/")).iter().map(|p| p.display().to_string()).collect();
        let tls: Vec<String> = files_under(&org_dir, &|k| k.ends_with("server.crt") || k.ends_with("client.crt")).iter().map(|p| p.display().to_string()).collect();
        for (ca, certs) in [(&ca, &enroll), (&tlsca, &tls)] {
            let mut args = vec!["verify".to_string(), "-x509_strict".into(), "-CAfile".into(), ca.display().to_string()];
            args.extend(certs.iter().cloned());
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            let outp = openssl(&a, store);
            assert_eq!(outp.lines().filter(|l| l.ends_with(": OK")).count(), certs.len(), "{outp}");
            n += certs.len();
        }
    }
    n
}

const OID_SKI: &str = "2.5.29.14";

fn ski_of(c: &X509Certificate) -> Option<Vec<u8>> {
    c.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
        _ => None,
    })
}

fn aki_of(c: &X509Certificate) -> Option<Vec<u8>> {
    c.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0.to_vec()),
        _ => None,
    })
}

fn attrs(name: &X509Name) -> Vec<(String, String, bool)> {
    name.iter_attributes()
        .map(|a| {
            let printable = a.attr_value().header.tag() == x509_parser::der_parser::asn1_rs::Tag::PrintableString;
            (a.attr_type().to_id_string(), a.as_str().unwrap_or("?").to_string(), printable)
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Ca,
    Enrollment,
    TlsNode,
    TlsUser,
}

/// One certificate against the cryptogen 2.x profile of its kind (reference §3).
fn check_profile(path: &Path, kind: Kind, issuer_ski: Option<&[u8]>) {
    let bytes = der(path);
    let (_, c) = X509Certificate::from_der(&bytes).unwrap();
    let what = path.display();
    assert_eq!(c.version(), X509Version::V3, "{what}");
    assert_eq!(c.signature_algorithm.algorithm.to_id_string(), "1.2.840.10045.4.3.2", "{what}: ecdsa-with-SHA256");
    // Serial: positive, at most 128 bits. Validity: minute-aligned, 3650 days.
    let serial = c.raw_serial();
    assert!(serial.len() <= 17 && serial[0] & 0x80 == 0, "{what}: serial");
    let nb = c.validity().not_before.timestamp();
    let na = c.validity().not_after.timestamp();
    assert_eq!(nb % 60, 0, "{what}: NotBefore on a minute");
    assert_eq!(na - nb, 3650 * 86400, "{what}: 3650 days");
    // Low-S signature.
    let sig = p256::ecdsa::Signature::from_der(&c.signature_value.data).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(sig.normalize_s().is_none(), "{what}: high-S signature");

    let ku = c.key_usage().unwrap().unwrap_or_else(|| panic!("{what}: no key usage"));
    assert!(ku.critical, "{what}: KU critical");
    let bc = c.basic_constraints().unwrap().unwrap_or_else(|| panic!("{what}: no basic constraints"));
    assert!(bc.critical, "{what}: BC critical");
    assert!(bc.value.path_len_constraint.is_none());
    let eku = c.extended_key_usage().unwrap().map(|e| (e.value.client_auth, e.value.server_auth, e.value.other.len()));
    let san = c.subject_alternative_name().unwrap();
    let subject = attrs(c.subject());
    let types: Vec<&str> = subject.iter().map(|(t, _, _)| t.as_str()).collect();
    // C, ST, L come first, CN last; strings are PrintableString when they can be.
    assert_eq!(&types[..3], ["2.5.4.6", "2.5.4.8", "2.5.4.7"], "{what}: {subject:?}");
    assert_eq!(*types.last().unwrap(), "2.5.4.3");
    for (t, v, printable) in &subject {
        let can = v.chars().all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c));
        assert_eq!(*printable, can, "{what}: {t}={v} string type");
    }
    let has_o = types.contains(&"2.5.4.10");
    let public = c.public_key().subject_public_key.data.to_vec();
    match kind {
        Kind::Ca => {
            assert!(bc.value.ca);
            assert!(ku.value.digital_signature() && ku.value.key_encipherment() && ku.value.key_cert_sign() && ku.value.crl_sign());
            assert_eq!(eku, Some((true, true, 0)), "{what}: EKU clientAuth+serverAuth");
            assert_eq!(ski_of(&c), Some(Sha256::digest(&public).to_vec()), "{what}: SKI = SHA-256 of the point");
            assert!(aki_of(&c).is_none(), "{what}: no AKI on a root");
            assert!(has_o, "{what}: O=Domain");
            assert!(san.is_none());
            assert_eq!(c.subject().as_raw(), c.issuer().as_raw(), "{what}: self-signed");
        }
        Kind::Enrollment => {
            assert!(!bc.value.ca);
            assert!(ku.value.digital_signature() && !ku.value.key_encipherment() && !ku.value.key_cert_sign());
            assert_eq!(eku, None, "{what}: no EKU on enrollment certs");
            assert!(ski_of(&c).is_none(), "{what}: no SKI on leaves");
            assert_eq!(aki_of(&c).as_deref(), issuer_ski, "{what}: AKI = CA SKI");
            assert!(!has_o, "{what}: no O");
            assert!(san.is_none());
        }
        Kind::TlsNode | Kind::TlsUser => {
            assert!(!bc.value.ca);
            assert!(ku.value.digital_signature() && ku.value.key_encipherment() && !ku.value.key_cert_sign());
            assert_eq!(eku, Some((true, true, 0)), "{what}: EKU serverAuth+clientAuth");
            assert!(ski_of(&c).is_none(), "{what}: no SKI on leaves");
            assert_eq!(aki_of(&c).as_deref(), issuer_ski, "{what}: AKI = TLS CA SKI");
            assert!(!has_o, "{what}: no O");
            let ous = types.iter().filter(|t| **t == "2.5.4.11").count();
            assert_eq!(ous, 0, "{what}: no node OU on TLS certs");
            assert_eq!(san.is_some(), kind == Kind::TlsNode, "{what}: SANs on node TLS certs only");
        }
    }
    let _ = OID_SKI;
}

/// The private key in `key` belongs to the certificate in `cert` (openssl's view).
fn key_matches(key: &Path, cert: &Path, dir: &Path) -> bool {
    let a = openssl(&["pkey", "-in", key.to_str().unwrap(), "-pubout"], dir);
    let b = openssl(&["x509", "-in", cert.to_str().unwrap(), "-noout", "-pubkey"], dir);
    a == b
}

/// Checks a whole store: chains, profiles, keys, modes.
fn check_store(store: &Path, plan: &fabchart::plan::Plan) {
    let n = verify_chains(store);
    assert!(n > 0);
    for org in &plan.orgs {
        let kind = match org.kind {
            fabchart::topology::OrgKind::Orderer => "ordererOrganizations",
            fabchart::topology::OrgKind::Peer => "peerOrganizations",
        };
        let od = store.join(kind).join(&org.domain);
        let ca = od.join("ca").join(format!("{}-cert.pem", org.ca.common_name));
        let tlsca = od.join("tlsca").join(format!("{}-cert.pem", org.ca.tls_common_name));
        check_profile(&ca, Kind::Ca, None);
        check_profile(&tlsca, Kind::Ca, None);
        let ski = |p: &Path| {
            let b = der(p);
            let (_, c) = X509Certificate::from_der(&b).unwrap();
            ski_of(&c).unwrap()
        };
        let (ca_ski, tls_ski) = (ski(&ca), ski(&tlsca));
        // The Fabric CA server's TLS certificate: a node TLS profile with the CA's SANs.
        let ca_server = od.join("ca-server/tls");
        check_profile(&ca_server.join("server.crt"), Kind::TlsNode, Some(&tls_ski));
        assert!(key_matches(&ca_server.join("server.key"), &ca_server.join("server.crt"), store));
        let want: Vec<String> = org.ca.server.sans.iter().map(|s| s.to_string()).collect();
        assert_eq!(fabchart::crypto::cert_sans(&std::fs::read_to_string(ca_server.join("server.crt")).unwrap()).unwrap(), want);
        let nodes = od.join(if kind == "peerOrganizations" { "peers" } else { "orderers" });
        let idents = org
            .nodes
            .iter()
            .map(|n| (nodes.join(&n.common_name), n.common_name.clone(), Kind::TlsNode, "server"))
            .chain(org.users.iter().map(|u| (od.join("users").join(&u.common_name), u.common_name.clone(), Kind::TlsUser, "client")));
        for (dir, cn, tls_kind, stem) in idents {
            let enroll = dir.join("msp/signcerts").join(format!("{cn}-cert.pem"));
            check_profile(&enroll, Kind::Enrollment, Some(&ca_ski));
            check_profile(&dir.join("tls").join(format!("{stem}.crt")), tls_kind, Some(&tls_ski));
            let keys: Vec<PathBuf> = std::fs::read_dir(dir.join("msp/keystore")).unwrap().map(|e| e.unwrap().path()).collect();
            assert_eq!(keys.len(), 1, "{}: one key", dir.display());
            assert!(key_matches(&keys[0], &enroll, store), "{}: keystore key does not match signcert", dir.display());
            assert!(key_matches(&dir.join("tls").join(format!("{stem}.key")), &dir.join("tls").join(format!("{stem}.crt")), store));
            // config.yaml with NodeOUs; admincerts without them.
            assert_eq!(dir.join("msp/config.yaml").exists(), org.enable_node_ous);
            let admincerts: Vec<String> =
                std::fs::read_dir(dir.join("msp/admincerts")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            if org.enable_node_ous {
                assert!(admincerts.is_empty());
            } else if tls_kind == Kind::TlsUser {
                assert_eq!(admincerts, [format!("{cn}-cert.pem")], "cryptogen: a user's admincerts holds its own cert");
            } else {
                assert_eq!(admincerts, [format!("Admin@{}-cert.pem", org.domain)]);
            }
        }
    }
    // Modes: keys 0600, everything else 0644, directories 0755.
    for (path, (mode, _)) in hashes(store) {
        let want = if path.ends_with('/') {
            0o755
        } else if path.ends_with("_sk") || path.ends_with(".key") {
            0o600
        } else {
            0o644
        };
        assert_eq!(mode, want, "{path}: mode {mode:o}");
    }
}

fn plan(topology: &str) -> fabchart::plan::Plan {
    let c = fabchart::compile_file(&repo().join(topology)).unwrap();
    let text = c.render();
    c.plan.unwrap_or_else(|| panic!("{text}"))
}

#[test]
fn stores_of_every_version_verify_field_by_field() {
    for ex in ["raft-2.5", "kafka-1.4", "bft-3.1"] {
        let out = tmp(ex);
        let topo = format!("values-examples/{ex}.yaml");
        build(&topo, &out, &[]);
        let store = out.join("crypto-config");
        check_store(&store, &plan(&topo));
        // Key file names per version: <hex SKI>_sk on 1.4, priv_sk later.
        let keys = files_under(&store, &|k| k.contains("/keystore/") || k.ends_with("_sk"));
        for k in &keys {
            let name = k.file_name().unwrap().to_string_lossy().into_owned();
            if ex == "kafka-1.4" {
                assert!(name.len() == 67 && name.ends_with("_sk"), "{name}");
            } else {
                assert_eq!(name, "priv_sk");
            }
        }
        let _ = std::fs::remove_dir_all(&out);
    }
}

#[test]
fn fabric_3_identities_can_be_ed25519() {
    let out = tmp("ed25519");
    build("values-examples/bft-3.1.yaml", &out, &[]);
    let cert = out.join("crypto-config/peerOrganizations/org2.example.com/peers/peer0.org2.example.com/msp/signcerts/peer0.org2.example.com-cert.pem");
    let text = openssl(&["x509", "-in", cert.to_str().unwrap(), "-noout", "-text"], &out);
    assert!(text.contains("Public Key Algorithm: ED25519"), "{text}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn rebuild_is_byte_identical_and_extension_only_adds() {
    let out = tmp("rebuild");
    let first = build("values-examples/raft-2.5.yaml", &out, &[]);
    assert!(first.contains("created 4 orgs, 8 nodes, 7 users"), "{first}");
    let store = out.join("crypto-config");
    let before = hashes(&store);
    // Nothing new: the build sees it and writes nothing.
    let again = build("values-examples/raft-2.5.yaml", &out, &[]);
    assert!(again.starts_with("unchanged: "), "{again}");
    assert_eq!(before, hashes(&store), "a rebuild changed the store");
    // Forced through the whole pipeline (the fingerprint record deleted): the crypto stage
    // reuses every identity and changes nothing either.
    std::fs::remove_file(out.join("fabchart-build.json")).unwrap();
    let again = build("values-examples/raft-2.5.yaml", &out, &[]);
    assert!(again.contains("created 0 orgs, 0 nodes, 0 users (0 key pairs); reused 15"), "{again}");
    assert_eq!(before, hashes(&store), "a rebuild changed the store");

    // Extend: one more peer in Org1, one more user in Org2, a new org.
    let text = std::fs::read_to_string(repo().join("values-examples/raft-2.5.yaml")).unwrap();
    let mut more = text.replacen("Template: {Count: 2}\n    Users: {Count: 1}", "Template: {Count: 3}\n    Users: {Count: 1}", 1);
    more = more.replacen("CouchDB: true\n    Template: {Count: 2}\n    Users: {Count: 1}\n  - Name: Org3", "CouchDB: true\n    Template: {Count: 2}\n    Users: {Count: 2}\n  - Name: Org3", 1);
    more = more.replace("Channels:", "  - {Name: Org4, Domain: org4, Template: {Count: 1}}\nChannels:");
    let topo = out.join("more.yaml");
    std::fs::write(&topo, &more).unwrap();
    let report = build(topo.to_str().unwrap(), &out, &["--bump", "auto"]);
    assert!(report.contains("created 1 orgs, 2 nodes, 2 users"), "{report}");
    let after = hashes(&store);
    for (k, v) in &before {
        assert_eq!(after.get(k), Some(v), "{k} changed while extending");
    }
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(added.iter().any(|k| k.contains("peers/peer2.org1/")));
    assert!(added.iter().any(|k| k.contains("users/User2@org2/")));
    assert!(added.iter().any(|k| k.contains("peerOrganizations/org4/")));
    check_store(&out.join("crypto-config"), &plan_of(&topo));
    let _ = std::fs::remove_dir_all(&out);
}

fn plan_of(path: &Path) -> fabchart::plan::Plan {
    let c = fabchart::compile_file(path).unwrap();
    let text = c.render();
    c.plan.unwrap_or_else(|| panic!("{text}"))
}

#[test]
fn a_changed_san_reissues_only_that_tls_certificate() {
    let out = tmp("san");
    build("values-examples/raft-2.5.yaml", &out, &[]);
    let store = out.join("crypto-config");
    let before = hashes(&store);
    let text = std::fs::read_to_string(repo().join("values-examples/raft-2.5.yaml")).unwrap();
    let changed = text.replace("ExternalHosts: [peer0.org3.example.com]", "ExternalHosts: [peer0.org3.example.com, org3.example.net]");
    let topo = out.join("changed.yaml");
    std::fs::write(&topo, changed).unwrap();
    let report = build(topo.to_str().unwrap(), &out, &["--bump", "auto"]);
    assert!(report.contains("re-issued: peer0.org3/tls/server.crt: SANs added DNS:org3.example.net"), "{report}");
    let after = hashes(&store);
    let diff: Vec<&String> = after.iter().filter(|(k, v)| before.get(*k) != Some(*v)).map(|(k, _)| k).collect();
    assert_eq!(diff, ["peerOrganizations/org3/peers/peer0.org3/tls/server.crt"]);
    let crt = store.join(diff[0]);
    let sans = openssl(&["x509", "-in", crt.to_str().unwrap(), "-noout", "-ext", "subjectAltName"], &out);
    assert!(sans.contains("DNS:org3.example.net"), "{sans}");
    check_store(&out.join("crypto-config"), &plan_of(&topo));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn removed_nodes_are_kept_unless_pruned() {
    let out = tmp("prune");
    build("values-examples/raft-2.5.yaml", &out, &[]);
    let text = std::fs::read_to_string(repo().join("values-examples/raft-2.5.yaml")).unwrap();
    let i = text.find("  - Name: Org3").unwrap();
    let j = text.find("Channels:").unwrap();
    let fewer = format!("{}{}", &text[..i], &text[j..]).replace(", Org3]", "]").replace(", Org3: [peer0]", "");
    let topo = out.join("fewer.yaml");
    std::fs::write(&topo, fewer).unwrap();
    let report = build(topo.to_str().unwrap(), &out, &["--bump", "auto"]);
    assert!(report.contains("not in the topology (kept; --prune removes it): peerOrganizations/org3"), "{report}");
    assert!(out.join("crypto-config/peerOrganizations/org3").exists());
    let report = build(topo.to_str().unwrap(), &out, &["--prune"]);
    assert!(report.contains("pruned: peerOrganizations/org3"), "{report}");
    assert!(!out.join("crypto-config/peerOrganizations/org3").exists());
    let _ = std::fs::remove_dir_all(&out);
}

/// A large build dies (SIGABRT, as a kill) at several points: before the 1st, 40th and
/// 300th crypto unit is moved into place (`FABCHART_FAILPOINT`, so where it dies does not
/// depend on timing). Every unit on disk is complete, the dying unit is left only as a
/// staging folder, and a second build removes it and completes the store.
#[test]
fn an_interrupted_build_leaves_a_usable_store() {
    let out = tmp("kill");
    for at in [1usize, 40, 300] {
        let _ = std::fs::remove_dir_all(&out);
        let status = Command::new(env!("CARGO_BIN_EXE_fabchart"))
            .args(["build", "values-examples/large.yaml", "-o", out.to_str().unwrap()])
            .env("FABCHART_FAILPOINT", format!("commit:{at}"))
            .current_dir(repo())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "the build with failpoint commit:{at} did not die");
        // Whatever exists is whole: each node/user dir has its key, cert and TLS files.
        let store = out.join("crypto-config");
        let tree = hashes(&store);
        assert!(tree.keys().any(|k| k.contains(".fabchart-tmp-")), "commit:{at}: the dying unit left no staging folder");
        for k in tree.keys() {
            if k.contains(".fabchart-tmp-") {
                continue; // unfinished units are invisible to Fabric and removed by the next build
            }
            if k.ends_with("/msp/") {
                let dir = store.join(k).parent().unwrap().to_path_buf();
                if dir.join("tls").exists() {
                    assert!(dir.join("msp/signcerts").read_dir().unwrap().count() == 1, "{k}: incomplete");
                    assert!(dir.join("msp/keystore").read_dir().unwrap().count() == 1, "{k}: incomplete");
                    assert!(dir.join("tls").read_dir().unwrap().count() == 3, "{k}: incomplete");
                }
            }
        }
        let report = build("values-examples/large.yaml", &out, &[]);
        assert!(report.contains("crypto: removed"), "commit:{at}: the second build did not clear the leftovers: {report}");
        assert!(!report.contains("created 0 orgs, 0 nodes, 0 users"), "commit:{at}: the second build had nothing to complete: {report}");
        assert!(!hashes(&store).keys().any(|k| k.contains(".fabchart-tmp-")), "leftovers after the second build");
    }
    // The completed store holds cryptogen's 1,094 key pairs plus 21 CA server TLS keys,
    // and its chains verify.
    let keys = files_under(&out.join("crypto-config"), &|k| k.ends_with("_sk") || k.ends_with(".key"));
    assert_eq!(keys.len(), 1094 + 21);
    assert!(verify_chains(&out.join("crypto-config")) > 1000);
    let _ = std::fs::remove_dir_all(&out);
}

/// An existing CA made by another tool (openssl here, UTF8String subject) is adopted:
/// new identities chain to it byte for byte.
#[test]
fn an_existing_ca_is_adopted() {
    let out = tmp("adopt");
    let org = out.join("crypto-config/peerOrganizations/org1");
    for (sub, cn) in [("ca", "ca.org1"), ("tlsca", "tlsca.org1")] {
        let d = org.join(sub);
        std::fs::create_dir_all(&d).unwrap();
        openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "priv_sk"], &d);
        openssl(
            &[
                "req", "-x509", "-new", "-key", "priv_sk", "-days", "3650", "-utf8",
                "-subj", &format!("/C=US/ST=California/L=San Francisco/O=org1/CN={cn}"),
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign",
                "-out", &format!("{cn}-cert.pem"),
            ],
            &d,
        );
    }
    let topo = out.join("t.yaml");
    std::fs::write(&topo, "PeerOrgs:\n  - {Name: Org1, Domain: org1, Template: {Count: 2}, Users: {Count: 1}}\n").unwrap();
    let report = build(topo.to_str().unwrap(), &out, &[]);
    assert!(report.contains("created 0 orgs, 2 nodes, 2 users"), "{report}");
    assert!(verify_chains(&out.join("crypto-config")) >= 8);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn certs_lists_expiry_and_flags_what_is_due() {
    let out = tmp("certs");
    build("values-examples/talk.yaml", &out, &[]);
    let o = fabchart(&["certs", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    // 2 orgs x (CA + TLS CA + CA server TLS) + (1 orderer + 1 peer + 2 admins) x (enrollment + TLS).
    assert_eq!(table.lines().count(), 1 + 6 + 8, "{table}");
    assert!(table.lines().nth(1).unwrap().contains("  ok  "), "{table}");
    // Everything expires within 11 years: with that window all are due, exit 3.
    let o = fabchart(&["certs", out.to_str().unwrap(), "--within", "4000"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).lines().skip(1).all(|l| l.contains("RENEW")));
    assert!(stderr(&o).contains("14 of 14 certificates"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn renew_reissues_chosen_leaves_from_the_same_ca() {
    let out = tmp("renew");
    build("values-examples/kafka-1.4.yaml", &out, &[]);
    let store = out.join("crypto-config");
    let before = hashes(&out);
    let o = fabchart(&["renew", "values-examples/kafka-1.4.yaml", "-o", out.to_str().unwrap(), "--cert", "Admin@org1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("renew: 2 certificates re-issued, keys kept"), "{}", stdout(&o));
    let after = hashes(&out);
    let changed: Vec<&String> = after.iter().filter(|(k, v)| before.get(*k) != Some(*v)).map(|(k, _)| k).collect();
    // The Admin's enrollment and TLS certs, and (NodeOUs off) every admincerts copy of it.
    assert!(changed.iter().any(|k| k.ends_with("users/Admin@org1/msp/signcerts/Admin@org1-cert.pem")));
    assert!(changed.iter().any(|k| k.ends_with("users/Admin@org1/tls/client.crt")));
    assert!(changed.iter().any(|k| k.ends_with("peerOrganizations/org1/msp/admincerts/Admin@org1-cert.pem")));
    assert!(changed.iter().all(|k| k.contains("peerOrganizations/org1/") && !k.ends_with("_sk") && !k.ends_with(".key")), "{changed:?}");
    for k in &changed {
        if k.contains("/admincerts/") {
            assert_eq!(after[*k].1, after[&"crypto-config/peerOrganizations/org1/users/Admin@org1/msp/signcerts/Admin@org1-cert.pem".to_string()].1);
        }
    }
    check_store(&store, &plan("values-examples/kafka-1.4.yaml"));
    // --rekey: new keys too.
    let o = fabchart(&["renew", "values-examples/kafka-1.4.yaml", "-o", out.to_str().unwrap(), "--cert", "peer0.org2", "--rekey"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let again = hashes(&out);
    let rekeyed: Vec<&String> = again.keys().filter(|k| !after.contains_key(*k) || after[*k] != again[*k]).collect();
    assert!(rekeyed.iter().any(|k| k.contains("peer0.org2/tls/server.key")), "{rekeyed:?}");
    assert!(rekeyed.iter().any(|k| k.contains("peer0.org2/msp/keystore/")), "{rekeyed:?}");
    check_store(&store, &plan("values-examples/kafka-1.4.yaml"));
    let _ = std::fs::remove_dir_all(&out);
}

/// The store's tree (paths and modes; contents never), as a reviewer reads it.
#[test]
fn store_tree_snapshot() {
    let out = tmp("tree");
    build("values-examples/talk.yaml", &out, &[]);
    let tree: String = hashes(&out.join("crypto-config")).iter().map(|(k, (mode, _))| format!("{mode:o} {k}\n")).collect();
    snapshot!("crypto-tree-talk", tree);
    let _ = std::fs::remove_dir_all(&out);
}
