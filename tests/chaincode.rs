//! Chaincode as a service and connection profiles, checked with the real tools.
//!
//! - The CCaaS package: listed and extracted with `tar`, its metadata.json and
//!   connection.json fields, its package ID equal to `sha256sum` of its bytes (and to
//!   packages.json, the values and the Job), byte-identical when rebuilt (kept from OUT)
//!   and when made again from the same crypto store into a new OUT, mode 0600.
//! - The chaincode server's certificate chains to its org's TLS CA (`openssl verify`) and
//!   carries exactly the Service's DNS names; the peers' client certificate too.
//! - The real Fabric chaincode shim (npm fabric-shim, `fabric-chaincode-node server`)
//!   serves a contract with the environment and TLS files the chart renders for the org's
//!   Deployment; a gRPC client holding the org's package `connection.json` material (as the
//!   peer does) gets the REGISTER message with the package ID over mutual TLS; a client
//!   without a certificate, or with another org's, is refused.
//! - Connection profiles: held to tests/schemas/*.schema.json (Python jsonschema), the
//!   addresses equal the plan's (and `fabchart ports`' NodePorts outside), every TLS CA PEM
//!   byte-equal to the store's; YAML equal to JSON; the chart's ConfigMap equal to OUT's;
//!   identities (0600) equal to the store's; the Gateway settings load in the official
//!   @hyperledger/fabric-gateway client, whose call fails to connect (UNAVAILABLE), not to
//!   configure.
//! - Upgrades: an unchanged rebuild keeps sequence 1; a changed Version, Image or
//!   EndorsementPolicy gives sequence 2 in the record, the values and the Jobs, with a
//!   minor chart version; a server-only change (Env) keeps the sequence.
//! - Snapshots of the rendered chaincode objects of Org1 and of its connection profile,
//!   keys, certificates and package hashes redacted.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const EXAMPLE: &str = "values-examples/chaincode-2.5.yaml";

fn build(topology: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["build", topology.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = fabchart(&args);
    assert!(o.status.success(), "build {}: {}", topology.display(), stderr(&o));
    stdout(&o)
}

fn plan_of(topology: &Path) -> fabchart::plan::Plan {
    fabchart::compile_file(topology).unwrap().plan.expect("the topology compiles")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&read(p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// (org, package ID) from OUT/chaincode/packages.json.
fn package_ids(out: &Path) -> BTreeMap<String, String> {
    json(&out.join("chaincode/packages.json"))["packages"].as_array().unwrap().iter().map(|p| (p["org"].as_str().unwrap().to_string(), p["packageId"].as_str().unwrap().to_string())).collect()
}

fn docs(manifests: &str) -> Vec<yaml_serde::Value> {
    manifests.split("\n---").filter_map(|d| yaml_serde::from_str::<yaml_serde::Value>(d).ok()).filter(|v| !v.is_null()).collect()
}

fn get<'a>(v: &'a yaml_serde::Value, path: &[&str]) -> &'a yaml_serde::Value {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p).unwrap_or_else(|| panic!("no {p} in {path:?}"));
    }
    cur
}

fn find<'a>(objects: &'a [yaml_serde::Value], kind: &str, name: &str) -> &'a yaml_serde::Value {
    objects
        .iter()
        .find(|d| d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} {name} rendered"))
}

/// `helm template` of one org subchart with its crypto values.
fn render_org(out: &Path, chart: &str, slug: &str) -> String {
    let home = out.join("helm-home");
    helm(
        "helm4",
        &home,
        &["template", "r", out.join(chart).join("charts").join(slug).to_str().unwrap(), "-f", out.join(format!("secrets/{slug}-crypto.yaml")).to_str().unwrap()],
    )
}

fn sh(cmd: &mut Command) -> String {
    let (ok, out, err) = run(cmd);
    assert!(ok, "{cmd:?}: {err}{out}");
    out
}

#[test]
fn the_package_is_what_a_peer_installs_and_its_id_is_its_sha256() {
    let out = tmp("package");
    let topo = repo().join(EXAMPLE);
    build(&topo, &out, &[]);
    let plan = plan_of(&topo);
    let cc = plan.chaincode("basic").unwrap();
    let store = out.join("crypto-config");
    let ids = package_ids(&out);
    assert_eq!(ids.len(), 2, "one package per org: {ids:?}");
    for s in &cc.servers {
        let org = plan.org(&s.org).unwrap();
        let pkg = out.join(format!("chaincode/{}/basic_1.0.tar.gz", org.slug));
        assert_eq!(mode(&pkg), 0o600, "{}: the package holds the peers' TLS client key", pkg.display());
        // tar lists exactly the two regular files, in the order `peer lifecycle` writes them.
        let listing = sh(Command::new("tar").arg("-tvzf").arg(&pkg));
        let lines: Vec<&str> = listing.lines().collect();
        assert_eq!(lines.len(), 2, "{listing}");
        assert!(lines[0].starts_with("-rw-r--r--") && lines[0].ends_with(" metadata.json"), "{listing}");
        assert!(lines[1].starts_with("-rw-r--r--") && lines[1].ends_with(" code.tar.gz"), "{listing}");
        let x = out.join(format!("x-{}", org.slug));
        std::fs::create_dir_all(x.join("code")).unwrap();
        sh(Command::new("tar").arg("-xzf").arg(&pkg).arg("-C").arg(&x));
        assert_eq!(read(&x.join("metadata.json")), r#"{"type":"ccaas","label":"basic_1.0"}"#);
        assert_eq!(sh(Command::new("tar").arg("-tzf").arg(x.join("code.tar.gz"))), "connection.json\n");
        sh(Command::new("tar").arg("-xzf").arg(x.join("code.tar.gz")).arg("-C").arg(x.join("code")));
        let conn = json(&x.join("code/connection.json"));
        let tls = fabchart::crypto::chaincode_dir(&store, org, "basic").join("tls");
        assert_eq!(conn["address"], s.endpoint.address.as_str());
        assert_eq!(conn["address"], format!("cc-basic.{}.svc.cluster.local:9999", org.namespace).as_str());
        assert_eq!(conn["dial_timeout"], "10s");
        assert_eq!(conn["tls_required"], true);
        assert_eq!(conn["client_auth_required"], true);
        assert_eq!(conn["root_cert"], read(&tls.join("ca.crt")).as_str());
        assert_eq!(conn["client_cert"], read(&tls.join("client.crt")).as_str());
        assert_eq!(conn["client_key"], read(&tls.join("client.key")).as_str());
        assert_eq!(conn.as_object().unwrap().len(), 7, "{conn}");
        // The package ID: label, colon, sha256 of the file.
        let sum = sh(Command::new("sha256sum").arg(&pkg));
        assert_eq!(ids[&s.org], format!("basic_1.0:{}", &sum[..64]));
    }
    // Rebuilt: the same bytes (kept from OUT); made again from the same store into a new
    // OUT: the same bytes (nothing but the inputs goes into a package).
    let before: Vec<Vec<u8>> = ["org1", "org2"].iter().map(|s| std::fs::read(out.join(format!("chaincode/{s}/basic_1.0.tar.gz"))).unwrap()).collect();
    std::fs::remove_file(out.join("fabchart-build.json")).unwrap();
    let report = build(&topo, &out, &[]);
    assert!(report.contains("chaincode: basic on mychannel: sequence 1 (unchanged)"), "{report}");
    let other = tmp("package-again");
    build(&topo, &other, &["--crypto-dir", store.to_str().unwrap()]);
    for (i, s) in ["org1", "org2"].iter().enumerate() {
        assert_eq!(std::fs::read(out.join(format!("chaincode/{s}/basic_1.0.tar.gz"))).unwrap(), before[i], "{s}: rebuilt package differs");
        assert_eq!(std::fs::read(other.join(format!("chaincode/{s}/basic_1.0.tar.gz"))).unwrap(), before[i], "{s}: remade package differs");
    }
    // No package or key in the chart; the crypto values carry the package.
    assert_eq!(fabchart::emit::find_private_key(&out.join("cc-network")), None);
    let values = read(&out.join("secrets/org1-crypto.yaml"));
    use base64ct::Encoding;
    assert!(values.contains(&base64ct::Base64::encode_string(&before[0])), "org1's crypto values lack its package");
    let _ = std::fs::remove_dir_all(&other);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_server_certificate_chains_to_the_org_tls_ca_and_names_the_service() {
    let out = tmp("certs");
    let topo = repo().join(EXAMPLE);
    build(&topo, &out, &[]);
    let plan = plan_of(&topo);
    let store = out.join("crypto-config");
    for s in &plan.chaincode("basic").unwrap().servers {
        let org = plan.org(&s.org).unwrap();
        let tls = fabchart::crypto::chaincode_dir(&store, org, "basic").join("tls");
        let tlsca = fabchart::crypto::store::find(&fabchart::crypto::store::org_dir(&store, org).join("tlsca"), ".pem").unwrap();
        assert_eq!(read(&tls.join("ca.crt")), read(&tlsca));
        for stem in ["server", "client"] {
            let v = sh(Command::new("openssl").arg("verify").arg("-CAfile").arg(&tlsca).arg(tls.join(format!("{stem}.crt"))));
            assert!(v.trim_end().ends_with(": OK"), "{v}");
            assert_eq!(mode(&tls.join(format!("{stem}.key"))), 0o600);
        }
        let text = sh(Command::new("openssl").args(["x509", "-noout", "-ext", "subjectAltName,extendedKeyUsage", "-subject", "-in"]).arg(tls.join("server.crt")));
        let ns = &org.namespace;
        assert!(text.contains(&format!("DNS:cc-basic, DNS:cc-basic.{ns}, DNS:cc-basic.{ns}.svc, DNS:cc-basic.{ns}.svc.cluster.local\n")), "{text}");
        assert!(text.contains("TLS Web Server Authentication"), "{text}");
        assert!(text.contains(&format!("CN=cc-basic.{}", org.domain)) || text.contains(&format!("CN = cc-basic.{}", org.domain)), "{text}");
        let client = sh(Command::new("openssl").args(["x509", "-noout", "-ext", "extendedKeyUsage", "-in"]).arg(tls.join("client.crt")));
        assert!(client.contains("TLS Web Client Authentication"), "{client}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// The shim's own "bound to PORT" line (its debug log), read as it starts: no polling, no
/// port chosen in advance.
fn start_shim(env: &[(String, String)], module: &Path) -> (std::process::Child, u16, std::thread::JoinHandle<String>) {
    let modules = repo().join(".tools/ccaas/node_modules");
    assert!(modules.join("fabric-shim").exists(), "{} is missing: run scripts/install-tools.sh (scripts/test.sh does)", modules.display());
    let mut cmd = Command::new("node");
    cmd.arg(modules.join("fabric-shim/cli.js")).arg("server").arg("--module-path").arg(module);
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap()).env("NODE_PATH", &modules).env("CORE_CHAINCODE_LOGGING_LEVEL", "debug");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let port = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            let err = std::io::read_to_string(child.stderr.take().unwrap()).unwrap_or_default();
            panic!("the shim stopped before listening:\n{seen}{err}");
        };
        seen += &line;
        seen.push('\n');
        if let Some(i) = line.find("successfully bound to ") {
            break line[i + 22..].split_whitespace().next().unwrap().parse::<u16>().unwrap();
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
    (child, port, rest)
}

/// Which client certificate dial.js presents.
enum ClientCert<'a> {
    /// The package's (connection.json's client_cert and client_key), as the peer does.
    Package,
    None,
    Pair(&'a Path, &'a Path),
}

fn dial(port: u16, conn: &Path, client: ClientCert) -> serde_json::Value {
    let mut cmd = Command::new("node");
    cmd.arg(repo().join("scripts/ccaas/dial.js")).arg(format!("127.0.0.1:{port}")).arg(conn);
    match client {
        ClientCert::Package => {}
        ClientCert::None => {
            cmd.arg("--no-client-cert");
        }
        ClientCert::Pair(c, k) => {
            cmd.arg("--client").arg(c).arg(k);
        }
    }
    let out = sh(&mut cmd);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("dial.js printed no JSON ({e}): {out}"))
}

#[test]
fn the_real_shim_serves_with_the_rendered_env_and_requires_the_peers_certificate() {
    let out = tmp("shim");
    let topo = repo().join(EXAMPLE);
    build(&topo, &out, &[]);
    let plan = plan_of(&topo);
    let ids = package_ids(&out);
    let objects = docs(&render_org(&out, "cc-network", "org1"));
    let deploy = find(&objects, "Deployment", "cc-basic");
    let container = &get(deploy, &["spec", "template", "spec", "containers"])[0];
    assert_eq!(container["image"].as_str(), Some("registry.example.com/asset-transfer-basic:1.0"));
    // The TLS Secret, written where the Deployment mounts it.
    let tls_dir = out.join("mounted-tls");
    std::fs::create_dir_all(&tls_dir).unwrap();
    let secret = find(&objects, "Secret", "cc-basic-tls");
    use base64ct::Encoding;
    for (k, v) in get(secret, &["data"]).as_mapping().unwrap() {
        std::fs::write(tls_dir.join(k.as_str().unwrap()), base64ct::Base64::decode_vec(v.as_str().unwrap()).unwrap()).unwrap();
    }
    let mount = get(container, &["volumeMounts"])[0]["mountPath"].as_str().unwrap().to_string();
    let mut env: Vec<(String, String)> = vec![];
    for e in get(container, &["env"]).as_sequence().unwrap() {
        let (k, v) = (e["name"].as_str().unwrap().to_string(), e["value"].as_str().unwrap().to_string());
        env.push((k, v.replace(&mount, tls_dir.to_str().unwrap())));
    }
    let val = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_else(|| panic!("no {k} in the Deployment's env"));
    assert_eq!(val("CHAINCODE_SERVER_ADDRESS"), "0.0.0.0:9999");
    assert_eq!(val("CORE_CHAINCODE_ADDRESS"), "0.0.0.0:9999");
    for k in ["CHAINCODE_ID", "CORE_CHAINCODE_ID_NAME", "CORE_CHAINCODE_ID"] {
        assert_eq!(val(k), ids["Org1"], "{k}");
    }
    assert_eq!(val("CORE_CHAINCODE_LOGLEVEL"), "info", "the topology's Env");
    // This test serves on the loopback interface, on a port the system picks.
    for (k, v) in env.iter_mut() {
        if k == "CORE_CHAINCODE_ADDRESS" {
            *v = "127.0.0.1:0".into();
        }
    }
    let (mut child, port, rest) = start_shim(&env, &repo().join("scripts/ccaas/contract"));

    // The peer side: org1's package connection.json.
    let x = out.join("pkg");
    std::fs::create_dir_all(&x).unwrap();
    sh(Command::new("tar").arg("-xzf").arg(out.join("chaincode/org1/basic_1.0.tar.gz")).arg("-C").arg(&x));
    sh(Command::new("tar").arg("-xzf").arg(x.join("code.tar.gz")).arg("-C").arg(&x));
    let conn = x.join("connection.json");
    let ok = dial(port, &conn, ClientCert::Package);
    let no_cert = dial(port, &conn, ClientCert::None);
    let org2 = plan.org("Org2").unwrap();
    let other = fabchart::crypto::chaincode_dir(&out.join("crypto-config"), org2, "basic").join("tls");
    let wrong_ca = dial(port, &conn, ClientCert::Pair(&other.join("client.crt"), &other.join("client.key")));
    let _ = child.kill();
    let _ = child.wait();
    let log = rest.join().unwrap();
    assert_eq!(ok["ok"], true, "{ok}\n{log}");
    assert_eq!(ok["type"], "REGISTER");
    assert_eq!(ok["chaincodeId"], ids["Org1"].as_str());
    for (what, r) in [("no client certificate", &no_cert), ("another org's client certificate", &wrong_ca)] {
        assert_eq!(r["ok"], false, "{what}: {r}");
        assert_eq!(r["code"], 14, "{what}: refused at the TLS handshake (UNAVAILABLE): {r}");
    }
    assert!(no_cert["details"].as_str().unwrap().contains("certificate required"), "{no_cert}");
    let _ = std::fs::remove_dir_all(&out);
}

/// Python's jsonschema (in kubernetes-validate's venv) on `doc` against `schema`.
fn schema_check(schema: &Path, doc: &Path) -> (bool, String) {
    let py = repo().join(".tools/kv/bin/python");
    assert!(py.exists(), "{} is missing: run scripts/install-tools.sh", py.display());
    let code = "import json,sys,jsonschema\ns=json.load(open(sys.argv[1]))\njsonschema.Draft7Validator.check_schema(s)\nerrs=sorted(str(e.message) for e in jsonschema.Draft7Validator(s).iter_errors(json.load(open(sys.argv[2]))))\nprint('\\n'.join(errs))\nsys.exit(1 if errs else 0)";
    let (ok, o, e) = run(Command::new(py).arg("-c").arg(code).arg(schema).arg(doc));
    (ok, format!("{o}{e}"))
}

#[test]
fn connection_profiles_hold_the_plans_addresses_and_the_stores_certificates() {
    let out = tmp("profiles");
    let topo = repo().join(EXAMPLE);
    build(&topo, &out, &[]);
    let plan = plan_of(&topo);
    let store = out.join("crypto-config");
    let ports = fabchart::report::port_rows(&plan, false);
    let schemas = repo().join("tests/schemas");
    for o in plan.orgs.iter().filter(|o| o.kind == fabchart::topology::OrgKind::Peer) {
        let dir = out.join("connection").join(&o.slug);
        let tlsca = read(&fabchart::crypto::store::find(&fabchart::crypto::store::org_dir(&store, o).join("tlsca"), ".pem").unwrap());
        for (file, schema) in [
            ("connection.json", "connection-profile"),
            ("connection-external.json", "connection-profile"),
            ("gateway.json", "gateway"),
            ("gateway-external.json", "gateway"),
        ] {
            let (ok, msg) = schema_check(&schemas.join(format!("{schema}.schema.json")), &dir.join(file));
            assert!(ok, "{}/{file} breaks {schema}.schema.json:\n{msg}", o.slug);
        }
        for flavour in ["", "-external"] {
            let p = json(&dir.join(format!("connection{flavour}.json")));
            let y: serde_json::Value = yaml_serde::from_str(&read(&dir.join(format!("connection{flavour}.yaml")))).unwrap();
            assert_eq!(p, y, "{}: YAML and JSON profiles differ", o.slug);
            assert_eq!(p["client"]["organization"], o.name.as_str());
            assert_eq!(p["organizations"][&o.name]["mspid"], o.msp_id.as_str());
            for n in &o.nodes {
                let peer = &p["peers"][&n.common_name];
                let grpc = n.endpoint.ports.iter().find(|x| x.container_port == 7051).unwrap();
                let url = if flavour.is_empty() {
                    format!("grpcs://{}:7051", n.endpoint.dns.fqdn)
                } else {
                    let np = ports.iter().find(|r| r.node == n.endpoint.hostname && r.org == o.name && r.port == 7051).unwrap().node_port.unwrap();
                    assert_eq!(Some(np), grpc.node_port);
                    format!("grpcs://127.0.0.1:{np}")
                };
                assert_eq!(peer["url"], url.as_str(), "{}", n.common_name);
                assert_eq!(peer["tlsCACerts"]["pem"], tlsca.as_str(), "byte-equal to the store's TLS CA");
                assert_eq!(peer["grpcOptions"]["ssl-target-name-override"], n.common_name.as_str());
                let sans = fabchart::crypto::cert_sans(&read(&fabchart::crypto::store::nodes_dir(&store, o).join(&n.common_name).join("tls/server.crt"))).unwrap();
                assert!(sans.contains(&format!("DNS:{}", n.common_name)), "the override is a SAN");
            }
            let ca = &p["certificateAuthorities"][&o.ca.common_name];
            assert_eq!(ca["caName"], o.ca.common_name.as_str());
            assert_eq!(ca["tlsCACerts"]["pem"][0], tlsca.as_str());
            if flavour.is_empty() {
                assert_eq!(ca["url"], format!("https://{}:7054", o.ca.server.dns.fqdn).as_str());
            }
            for (name, ord) in p["orderers"].as_object().unwrap() {
                let oo = plan.orgs.iter().find(|x| x.nodes.iter().any(|n| &n.common_name == name)).unwrap();
                let otls = read(&fabchart::crypto::store::find(&fabchart::crypto::store::org_dir(&store, oo).join("tlsca"), ".pem").unwrap());
                assert_eq!(ord["tlsCACerts"]["pem"], otls.as_str());
            }
        }
        let gw = json(&dir.join("gateway.json"));
        assert_eq!(gw["mspId"], o.msp_id.as_str());
        assert_eq!(gw["endpoint"], o.nodes[0].endpoint.address.as_str());
        assert_eq!(gw["tlsRootCert"], tlsca.as_str());
        // The chart carries the in-cluster flavour, and renders it into a ConfigMap.
        let objects = docs(&render_org(&out, "cc-network", &o.slug));
        let cm = find(&objects, "ConfigMap", &format!("{}-connection", o.slug));
        for f in ["connection.json", "connection.yaml", "gateway.json"] {
            assert_eq!(cm["data"][f].as_str(), Some(read(&dir.join(f)).as_str()), "{}: ConfigMap {f}", o.slug);
        }
        // Identities: 0600, the store's certificates and keys, never in the chart.
        let ids_path = out.join(format!("secrets/{}-identities.json", o.slug));
        assert_eq!(mode(&ids_path), 0o600);
        let ids = json(&ids_path);
        for u in &o.users {
            let msp = fabchart::crypto::store::user_dir(&store, o, u).join("msp");
            assert_eq!(ids[&u.name]["credentials"]["certificate"], read(&msp.join(format!("signcerts/{}-cert.pem", u.common_name))).as_str());
            assert_eq!(ids[&u.name]["credentials"]["privateKey"], read(&fabchart::crypto::store::find(&msp.join("keystore"), "_sk").unwrap()).as_str());
            assert_eq!(ids[&u.name]["mspId"], o.msp_id.as_str());
        }
    }
    // The schema can fail: a profile without its peers' URLs is refused.
    let broken = out.join("broken.json");
    let mut p = json(&out.join("connection/org1/connection.json"));
    p["peers"]["peer0.org1.example.com"].as_object_mut().unwrap().remove("url");
    std::fs::write(&broken, p.to_string()).unwrap();
    let (ok, msg) = schema_check(&schemas.join("connection-profile.schema.json"), &broken);
    assert!(!ok && msg.contains("'url' is a required property"), "{msg}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_gateway_settings_load_in_the_official_client_and_fail_only_to_connect() {
    let out = tmp("gateway");
    build(&repo().join(EXAMPLE), &out, &[]);
    let run_gw = |gw: &Path, user: &str| -> serde_json::Value {
        let o = sh(Command::new("node")
            .arg(repo().join("scripts/ccaas/gateway.js"))
            .arg(gw)
            .arg(out.join("secrets/org1-identities.json"))
            .args([user, "mychannel", "basic"]));
        serde_json::from_str(o.trim()).unwrap_or_else(|e| panic!("gateway.js printed no JSON ({e}): {o}"))
    };
    // The external settings point at 127.0.0.1's NodePort, where no peer listens here.
    let gw = out.join("connection/org1/gateway-external.json");
    let nodeport = json(&gw)["endpoint"].as_str().unwrap().to_string();
    assert!(nodeport.starts_with("127.0.0.1:3"), "{nodeport}");
    for user in ["User1", "Admin"] {
        let r = run_gw(&gw, user);
        assert_eq!(r["stage"], "evaluate", "{user}: the client was configured: {r}");
        assert_eq!(r["name"], "GatewayError", "{r}");
        assert_eq!(r["code"], 14, "UNAVAILABLE: a connection failure, not a configuration error: {r}");
        assert!(r["message"].as_str().unwrap().contains(&format!("ECONNREFUSED {nodeport}")), "{r}");
    }
    // A broken identity is a configuration error, caught before any call: the check above
    // tells the two apart.
    let r = run_gw(&gw, "NoSuchUser");
    assert_eq!(r["stage"], "config", "{r}");
    let _ = std::fs::remove_dir_all(&out);
}

fn sequence_in_record(out: &Path) -> u64 {
    json(&out.join("channel-artifacts/state/mychannel_chaincodes.json"))["chaincodes"]["basic"]["sequence"].as_u64().unwrap()
}

fn chart_version(out: &Path) -> String {
    json(&out.join("fabchart-plan.json"))["network"]["chart"]["version"].as_str().unwrap().to_string()
}

#[test]
fn a_changed_definition_gets_the_next_sequence_and_a_server_change_does_not() {
    let base = read(&repo().join(EXAMPLE));
    let out = tmp("upgrade");
    let dir = tmp("upgrade-topologies");
    let write = |name: &str, text: &str| -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    build(&write("v1.yaml", &base), &out, &["--bump", "auto"]);
    assert_eq!(sequence_in_record(&out), 1);
    // Unchanged rebuild: same sequence, same chart version.
    std::fs::remove_file(out.join("fabchart-build.json")).unwrap();
    build(&write("v1.yaml", &base), &out, &["--bump", "auto"]);
    assert_eq!((sequence_in_record(&out), chart_version(&out)), (1, "0.1.0".to_string()));
    // A server-only change: a patch, the same sequence.
    let env = base.replace("Env: {CORE_CHAINCODE_LOGLEVEL: info}", "Env: {CORE_CHAINCODE_LOGLEVEL: debug}");
    let r = build(&write("env.yaml", &env), &out, &["--bump", "auto"]);
    assert_eq!((sequence_in_record(&out), chart_version(&out)), (1, "0.1.1".to_string()), "{r}");
    // Each definition change: the next sequence, a minor version, in values and Jobs.
    let steps = [
        ("version", env.replace("Version: \"1.0\"  ", "Version: \"1.1\"  "), "version 1.0 → 1.1"),
        ("image", env.replace("Version: \"1.0\"  ", "Version: \"1.1\"  ").replace("Tag: \"1.0\"}", "Tag: \"1.1\"}"), "image"),
        (
            "policy",
            env.replace("Version: \"1.0\"  ", "Version: \"1.1\"  ").replace("Tag: \"1.0\"}", "Tag: \"1.1\"}").replace("OR('Org1MSP.peer','Org2MSP.peer')", "AND('Org1MSP.peer','Org2MSP.peer')"),
            "endorsement policy OR('Org1MSP.peer','Org2MSP.peer') → AND('Org1MSP.peer','Org2MSP.peer')",
        ),
    ];
    for (i, (name, text, why)) in steps.iter().enumerate() {
        assert_ne!(text, &base, "{name}: the edit did not apply");
        let r = build(&write(&format!("{name}.yaml"), text), &out, &["--bump", "auto"]);
        let seq = i as u64 + 2;
        assert_eq!(sequence_in_record(&out), seq, "{name}:\n{r}");
        assert!(r.contains(&format!("chaincode: basic on mychannel: sequence {seq} (new definition: ")) && r.contains(why), "{name}:\n{r}");
        assert_eq!(chart_version(&out), format!("0.{}.0", i + 2), "{name}: a minor version");
        let values = read(&out.join("cc-network/charts/org1/values.yaml"));
        assert!(values.contains(&format!("sequence: {seq}\n")), "{name}: values:\n{values}");
        let objects = docs(&render_org(&out, "cc-network", "org1"));
        let job = find(&objects, "Job", "org1-chaincode-commit");
        let script = get(job, &["spec", "template", "spec", "containers"])[0]["command"][2].as_str().unwrap().to_string();
        assert!(script.contains(&format!("sh /scripts/chaincode.sh commit 'mychannel' 'basic' '1.1' '{seq}' 'false' ")), "{name}:\n{script}");
    }
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Package hashes, PEMs and key material out; structure in.
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // `<label>:<64 hex>` → `<label>:<sha256 of the org's package>`.
    while let Some(i) = rest.find(':') {
        let after = &rest[i + 1..];
        let hex = after.chars().take_while(|c| c.is_ascii_hexdigit()).count();
        out.push_str(&rest[..=i]);
        if hex == 64 {
            out.push_str("<sha256 of the org's package>");
            rest = &after[64..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn redact_doc(d: &mut yaml_serde::Value) {
    let kind = d["kind"].as_str().unwrap_or("").to_string();
    for field in ["data", "stringData"] {
        if let Some(yaml_serde::Value::Mapping(m)) = d.get_mut(field) {
            for (_, v) in m.iter_mut() {
                let pem = v.as_str().is_some_and(|t| t.contains("-----BEGIN"));
                if kind == "Secret" {
                    *v = yaml_serde::Value::String("<redacted>".into());
                } else if pem {
                    *v = yaml_serde::Value::String("<certificate>".into());
                }
            }
        }
    }
    fn checksums(v: &mut yaml_serde::Value) {
        match v {
            yaml_serde::Value::Mapping(m) => {
                for (k, val) in m.iter_mut() {
                    if k.as_str().is_some_and(|k| k.starts_with("checksum/")) {
                        *val = yaml_serde::Value::String("<sha256 of the package ID and TLS material>".into());
                    } else {
                        checksums(val);
                    }
                }
            }
            yaml_serde::Value::Sequence(s) => s.iter_mut().for_each(checksums),
            _ => {}
        }
    }
    checksums(d);
}

fn redact_profile(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if s.contains("-----BEGIN") => *s = "<PEM>".into(),
        serde_json::Value::Object(m) => m.values_mut().for_each(redact_profile),
        serde_json::Value::Array(a) => a.iter_mut().for_each(redact_profile),
        _ => {}
    }
}

#[test]
fn snapshots_of_the_chaincode_objects_and_a_connection_profile() {
    let out = tmp("snap");
    build(&repo().join(EXAMPLE), &out, &[]);
    let manifests = render_org(&out, "cc-network", "org1");
    let mut text = String::new();
    for mut d in docs(&manifests) {
        let name = d["metadata"]["name"].as_str().unwrap_or("").to_string();
        let kind = d["kind"].as_str().unwrap_or("").to_string();
        let chaincode = name.starts_with("cc-") || name.contains("-chaincode") || name == "org1-allow-chaincode" || name == "org1-allow-same-namespace" || name == "org1-connection";
        if !chaincode {
            continue;
        }
        if kind == "ConfigMap" && name == "org1-connection" {
            // Its content is the profile snapshotted below.
            for (_, v) in d["data"].as_mapping_mut().unwrap().iter_mut() {
                *v = yaml_serde::Value::String("<files/connection/…, as OUT/connection/org1/>".into());
            }
        }
        redact_doc(&mut d);
        text += "---\n";
        text += &yaml_serde::to_string(&d).unwrap();
    }
    snapshot!("chaincode-org1-objects", redact(&text));
    let mut p = json(&out.join("connection/org1/connection-external.json"));
    redact_profile(&mut p);
    snapshot!("chaincode-org1-connection-external", serde_json::to_string_pretty(&p).unwrap());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_chaincode_chart_lints_and_validates_with_every_tool() {
    let out = tmp("lint");
    build(&repo().join(EXAMPLE), &out, &[]);
    let home = out.join("helm-home");
    for slug in ["org1", "org2"] {
        let chart = out.join("cc-network/charts").join(slug);
        let values = out.join(format!("secrets/{slug}-crypto.yaml"));
        for bin in ["helm3", "helm4"] {
            helm(bin, &home, &["lint", "--strict", chart.to_str().unwrap(), "-f", values.to_str().unwrap()]);
        }
        let manifests = helm("helm3", &home, &["template", "r", chart.to_str().unwrap(), "-f", values.to_str().unwrap()]);
        for k8s in ["1.27.0", "1.33.0"] {
            validate(&manifests, k8s);
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}
