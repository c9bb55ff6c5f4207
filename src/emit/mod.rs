//! Stage 5, emit: the umbrella chart with one subchart per org, and the crypto values files.
//!
//! - Helm templates are real files in `chart-skeleton/` (embedded at build time) and are
//!   copied verbatim: no Rust code produces Helm template text, and Tera never sees `{{ }}`
//!   of Helm.
//! - Tera renders only topology-dependent text: Chart.yaml and README.md.
//! - values.yaml files are serialised from typed structs (`values.rs`), public data only.
//! - Private keys go to `OUT/secrets/*-crypto.yaml` (0600), never under the chart, which
//!   is checked before the chart is moved into place.

pub mod values;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde::Serialize;

use crate::crypto::store::{self, TMP_PREFIX, mkdir};
use crate::plan::{OrgPlan, Plan};
use crate::report::{PortRow, port_rows};
use crate::topology::OrgKind;

static SKELETON: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/chart-skeleton");

/// Helm keeps each release in a Secret; Kubernetes rejects Secrets over 1 MiB.
pub const RELEASE_LIMIT: usize = 1 << 20;

#[derive(Debug)]
pub struct Emitted {
    pub chart_dir: PathBuf,
    pub secrets: Vec<PathBuf>,
    /// Estimated size of the umbrella release's Secret payload (bytes).
    pub umbrella_release: usize,
    /// The same per org subchart installed on its own, by slug.
    pub org_releases: Vec<(String, usize)>,
    /// `OUT/channel-artifacts` and the channel artifacts written there (no JSON, no configtx.yaml).
    pub artifacts_dir: PathBuf,
    pub artifacts: Vec<String>,
}

/// SHA-256 of the embedded chart skeleton (every path and content), computed once.
pub fn skeleton_digest() -> [u8; 32] {
    static DIGEST: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    *DIGEST.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let mut stack = vec![&SKELETON];
        let mut files = vec![];
        while let Some(d) = stack.pop() {
            files.extend(d.files());
            stack.extend(d.dirs());
        }
        files.sort_by_key(|f| f.path());
        for f in files {
            h.update(f.path().to_string_lossy().as_bytes());
            h.update([0]);
            h.update(f.contents());
        }
        h.finalize().into()
    })
}

fn tera(name: &str, ctx: &tera::Context) -> Result<String, String> {
    let f = SKELETON.get_file(format!("tera/{name}")).ok_or_else(|| format!("chart-skeleton/tera/{name} is not embedded"))?;
    let text = f.contents_utf8().ok_or("a Tera template is not UTF-8")?;
    tera::Tera::one_off(text, ctx, false).map_err(|e| format!("rendering {name}: {e:?}"))
}

/// Copies an embedded skeleton folder (`org` or `umbrella`) into `dest`.
/// The Grafana dashboards' folder in the org skeleton.
const DASHBOARDS_DIR: &str = "files/dashboards";

fn copy_skeleton(sub: &str, dest: &Path) -> Result<(), String> {
    copy_skeleton_except(sub, dest, &[])
}

/// Copies `chart-skeleton/<sub>` but the folders `skip` (relative to `sub`).
fn copy_skeleton_except(sub: &str, dest: &Path, skip: &[&str]) -> Result<(), String> {
    let dir = SKELETON.get_dir(sub).ok_or_else(|| format!("chart-skeleton/{sub} is not embedded"))?;
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        if d.path().strip_prefix(sub).is_ok_and(|rel| skip.iter().any(|s| rel == Path::new(s))) {
            continue;
        }
        for f in d.files() {
            let rel = f.path().strip_prefix(sub).expect("inside");
            let target = dest.join(rel);
            mkdir(target.parent().expect("has a parent"))?;
            store::write_new(&target, f.contents(), 0o644)?;
        }
        stack.extend(d.dirs());
    }
    Ok(())
}

fn yaml<T: Serialize>(header: &str, v: &T) -> Result<String, String> {
    Ok(format!("{header}{}", yaml_serde::to_string(v).map_err(|e| e.to_string())?))
}

/// What the chaincode stage made, for the charts: packages, definitions, connection
/// profiles.
pub struct Apps<'a> {
    pub chaincodes: &'a crate::chaincode::Chaincodes,
    pub connections: &'a [crate::chaincode::connection::OrgConnection],
}

#[derive(Serialize)]
struct OrgCtx {
    name: String,
    slug: String,
    kind: &'static str,
    msp_id: String,
    namespace: String,
    nodes: usize,
    couchdb: bool,
    /// Chaincodes the org runs a server for.
    chaincodes: Vec<String>,
}

fn org_ctx(plan: &Plan, o: &OrgPlan) -> OrgCtx {
    OrgCtx {
        name: o.name.clone(),
        slug: o.slug.clone(),
        kind: if o.kind == OrgKind::Peer { "peer" } else { "orderer" },
        msp_id: o.msp_id.clone(),
        namespace: o.namespace.clone(),
        nodes: o.nodes.len(),
        couchdb: o.couchdb,
        chaincodes: plan.chaincodes.iter().filter(|c| c.server(&o.name).is_some()).map(|c| c.name.clone()).collect(),
    }
}

#[derive(Serialize)]
struct Fabchart {
    #[serde(rename = "nodePorts")]
    node_ports: Vec<PortRow>,
}

#[derive(Serialize)]
struct UmbrellaValues {
    global: values::Global,
    #[serde(flatten)]
    orgs: BTreeMap<String, BTreeMap<String, bool>>,
    fabchart: Fabchart,
}

/// The umbrella's schema: `global`, each org's `enabled` (its subchart validates the rest)
/// and the NodePort table; nothing else.
fn umbrella_schema(plan: &Plan) -> String {
    let mut props = serde_json::Map::new();
    props.insert("global".into(), serde_json::json!({"type": "object"}));
    props.insert("fabchart".into(), serde_json::json!({"type": "object"}));
    for o in &plan.orgs {
        props.insert(
            o.slug.clone(),
            serde_json::json!({"type": "object", "description": format!("{} ({})", o.name, o.msp_id), "properties": {"enabled": {"type": "boolean"}}}),
        );
    }
    let schema = serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": format!("{} umbrella chart values", plan.network.chart.name),
        "type": "object",
        "properties": props,
        "additionalProperties": false
    });
    serde_json::to_string_pretty(&schema).expect("json") + "\n"
}

const VALUES_HEADER: &str = "# Generated by fabchart from the topology: public data only. The crypto material is in\n# OUT/secrets/*-crypto.yaml (mode 0600); pass it with -f. Change the topology and rebuild\n# rather than editing generated keys; tune images, resources, storage and probes freely.\n";

/// Writes `OUT/<chart>/` (umbrella + subcharts) and `OUT/secrets/`. The chart directory is
/// built aside and swapped in whole; secrets files are replaced atomically with mode 0600.
pub fn emit(plan: &Plan, store_dir: &Path, out: &Path, artifacts: &crate::channel::Artifacts, apps: &Apps) -> Result<Emitted, String> {
    let artifacts_dir = out.join(crate::channel::DIR);
    let chart = &plan.network.chart;
    let chart_dir = out.join(&chart.name);
    let staging = out.join(format!("{TMP_PREFIX}{}", chart.name));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| format!("cannot clear {}: {e}", staging.display()))?;
    }
    mkdir(&staging)?;
    let rows = port_rows(plan, false);
    let orgs: Vec<OrgCtx> = plan.orgs.iter().map(|o| org_ctx(plan, o)).collect();

    // Umbrella.
    let mut ctx = tera::Context::new();
    ctx.insert("chart", chart);
    ctx.insert("network", &plan.network.name);
    ctx.insert("consensus", plan.network.consensus.as_str());
    ctx.insert("fabric_version", plan.network.fabric_version.as_str());
    ctx.insert("orgs", &orgs);
    ctx.insert("ports", &rows);
    copy_skeleton("umbrella", &staging)?;
    store::write_new(&staging.join("Chart.yaml"), tera("umbrella-Chart.yaml", &ctx)?.as_bytes(), 0o644)?;
    store::write_new(&staging.join("README.md"), tera("umbrella-README.md", &ctx)?.as_bytes(), 0o644)?;
    let umbrella_values = UmbrellaValues {
        global: values::Global::of(plan),
        orgs: plan.orgs.iter().map(|o| (o.slug.clone(), BTreeMap::from([("enabled".to_string(), true)]))).collect(),
        fabchart: Fabchart { node_ports: rows.clone() },
    };
    store::write_new(&staging.join("values.yaml"), yaml(VALUES_HEADER, &umbrella_values)?.as_bytes(), 0o644)?;
    store::write_new(&staging.join("values.schema.json"), umbrella_schema(plan).as_bytes(), 0o644)?;

    // One subchart per org.
    let tls_cas = values::tls_cas(plan, store_dir)?;
    let mut org_crypto = BTreeMap::new();
    // One subchart per org, in parallel (each writes only its own folder).
    let made: Vec<Result<(String, values::OrgCrypto), String>> = {
        use rayon::prelude::*;
        plan.orgs
            .par_iter()
            .zip(orgs.par_iter())
            .map(|(o, oc)| {
                let dir = staging.join("charts").join(&o.slug);
                mkdir(&dir)?;
                // The dashboards ship with the one org that renders them (monitoring.network).
                let first = plan.orgs.first().is_some_and(|f| f.slug == o.slug);
                copy_skeleton_except("org", &dir, if first { &[] } else { &[DASHBOARDS_DIR] })?;
                let mut c = ctx.clone();
                c.insert("org", oc);
                c.insert("description", &format!("{} ({}) of the Hyperledger Fabric network {}", o.name, o.msp_id, plan.network.name));
                store::write_new(&dir.join("Chart.yaml"), tera("org-Chart.yaml", &c)?.as_bytes(), 0o644)?;
                store::write_new(&dir.join("README.md"), tera("org-README.md", &c)?.as_bytes(), 0o644)?;
                let oc_channels = artifacts.orgs.get(&o.slug).cloned().unwrap_or_default();
                let certs = values::certificate_facts(store_dir, o)?;
                let v = values::org_values(plan, o, &tls_cas, &oc_channels, apps.chaincodes, certs);
                write_org_artifacts(artifacts, &oc_channels, &dir.join(values::CHART_CHANNEL_DIR))?;
                if let Some(c) = apps.connections.iter().find(|c| c.slug == o.slug) {
                    let cdir = dir.join(values::CHART_CONNECTION_DIR);
                    mkdir(&cdir)?;
                    for (n, text) in &c.chart_files {
                        store::write_new(&cdir.join(n), text.as_bytes(), 0o644)?;
                    }
                }
                store::write_new(&dir.join("values.yaml"), yaml(VALUES_HEADER, &v)?.as_bytes(), 0o644)?;
                Ok((o.slug.clone(), values::org_crypto(store_dir, o, plan, apps.chaincodes)?))
            })
            .collect()
    };
    for m in made {
        let (slug, c) = m?;
        org_crypto.insert(slug, c);
    }

    // Nothing secret may be under the chart.
    if let Some(p) = find_private_key(&staging) {
        return Err(format!("refusing to emit the chart: {} holds a private key", p.display()));
    }

    // Secrets: per org, and for the umbrella (each org's under its slug).
    let secrets_dir = out.join("secrets");
    mkdir(&secrets_dir)?;
    let _ = std::fs::set_permissions(&secrets_dir, std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let header = "# Crypto material generated by fabchart: PRIVATE KEYS. Mode 0600; never commit, never\n# package. Pass with -f to helm install/upgrade.\n";
    let mut secrets = vec![];
    let mut org_sizes = vec![];
    #[derive(Serialize)]
    struct Wrapped<'a> {
        crypto: &'a values::OrgCrypto,
    }
    // Each org's file, and its entry of the umbrella's (a one-entry map: the umbrella's
    // text is its entries in key order), serialised in parallel.
    let texts: Vec<(String, String, String)> = {
        use rayon::prelude::*;
        org_crypto
            .par_iter()
            .map(|(slug, c)| {
                let own = yaml(header, &Wrapped { crypto: c })?;
                let entry = yaml("", &BTreeMap::from([(slug.as_str(), Wrapped { crypto: c })]))?;
                Ok((slug.clone(), own, entry))
            })
            .collect::<Result<_, String>>()?
    };
    let mut umbrella_text = header.to_string();
    for (slug, text, entry) in texts {
        let p = secrets_dir.join(format!("{slug}-crypto.yaml"));
        store::replace(&p, text.as_bytes(), 0o600)?;
        org_sizes.push((slug, text));
        secrets.push(p);
        umbrella_text.push_str(&entry);
    }
    let p = secrets_dir.join(format!("{}-crypto.yaml", chart.name));
    store::replace(&p, umbrella_text.as_bytes(), 0o600)?;
    secrets.push(p);

    // Estimates of the release sizes (see `release_estimate`): each org's parts are
    // compressed once, in parallel, and serve both its own release and the umbrella's.
    let nodes_of = |o: &OrgPlan| o.nodes.len() + plan.kafka.as_ref().filter(|_| plan.orgs.iter().find(|x| x.kind == OrgKind::Orderer).is_some_and(|x| x.name == o.name)).map_or(0, |k| k.brokers.len() + k.zookeepers.len());
    let all_nodes: usize = plan.orgs.iter().map(nodes_of).sum();
    let per_org: Vec<(String, Parts, usize)> = {
        use rayon::prelude::*;
        org_sizes.par_iter().map(|(slug, text)| (slug.clone(), parts(&staging.join("charts").join(slug)), gz(text.as_bytes()))).collect()
    };
    let org_releases = plan.orgs.iter().zip(&per_org).map(|(o, (slug, p, crypto))| (slug.clone(), estimate(p.own, p.rendered, *crypto, nodes_of(o), 1))).collect();
    let top = parts(&staging);
    let umbrella_release = estimate(top.own, top.rendered + per_org.iter().map(|(_, p, _)| p.rendered).sum::<usize>(), per_org.iter().map(|(_, _, c)| c).sum(), all_nodes, plan.orgs.len());

    // Channel artifacts beside the chart: what OUT has (the channels' state: pinned blocks,
    // updates, records) plus what this build writes, swapped in whole.
    let written: Vec<(String, Vec<u8>)> = artifacts
        .written
        .iter()
        .map(|n| artifacts.file(n).map(|b| (n.clone(), b.to_vec())).ok_or_else(|| format!("internal: {n} has no content")))
        .collect::<Result<_, _>>()?;
    mkdir(&artifacts_dir)?;
    replace_files(out, &artifacts_dir, &written)?;

    // Swap the chart in whole.
    swap_in(&staging, &chart_dir, out)?;
    let names = artifacts.files.keys().filter(|n| !n.contains('/') && (n.ends_with(".block") || n.ends_with(".tx"))).cloned().collect();
    Ok(Emitted { chart_dir, secrets, umbrella_release, org_releases, artifacts_dir, artifacts: names })
}

/// Copies the artifacts an org's subchart carries into its `files/channels/` (by base name).
fn write_org_artifacts(a: &crate::channel::Artifacts, oc: &crate::channel::OrgChannels, dir: &Path) -> Result<(), String> {
    let mut names: Vec<&str> = vec![];
    if oc.configtx {
        names.push("configtx.yaml");
    }
    names.extend(oc.system_block.as_deref());
    for c in &oc.channels {
        names.extend(c.block.as_deref());
        names.extend(c.create_tx.as_deref());
        if let Some(u) = &c.updates {
            for f in &u.files {
                names.push(f.as_str());
            }
        }
    }
    if names.is_empty() && oc.extra.is_empty() {
        return Ok(());
    }
    mkdir(dir)?;
    let mut done = std::collections::BTreeSet::new();
    for n in names {
        if !done.insert(n) {
            continue;
        }
        let path = if a.file(n).is_some() { n.to_string() } else { format!("{}/{n}", crate::channel::state::UPDATES_DIR) };
        let bytes = a.file(&path).ok_or_else(|| format!("internal: channel artifact {n} was not built"))?;
        store::write_new(&dir.join(n), bytes, 0o644)?;
    }
    for (n, bytes) in &oc.extra {
        store::write_new(&dir.join(n), bytes, 0o644)?;
    }
    Ok(())
}

/// Adds or replaces `files` (relative paths) in the folder `dir` under `out`, as one unit:
/// a copy of the folder is staged with them and swapped in.
pub fn replace_files(out: &Path, dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), String> {
    let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let staging = out.join(format!("{TMP_PREFIX}{name}"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| format!("cannot clear {}: {e}", staging.display()))?;
    }
    mkdir(&staging)?;
    for p in store::files(dir) {
        let rel = p.strip_prefix(dir).expect("inside");
        if files.iter().any(|(n, _)| Path::new(n) == rel) {
            continue;
        }
        let dest = staging.join(rel);
        mkdir(dest.parent().expect("has a parent"))?;
        std::fs::copy(&p, &dest).map_err(|e| format!("cannot copy {}: {e}", p.display()))?;
    }
    for (n, bytes) in files {
        let dest = staging.join(n);
        mkdir(dest.parent().expect("has a parent"))?;
        store::write_new(&dest, bytes, 0o644)?;
    }
    swap_in(&staging, dir, out)
}

/// Replaces the folder `dir` under `out` with exactly `files` (relative path, bytes, mode),
/// staged aside and swapped in whole.
pub fn replace_dir(out: &Path, dir: &Path, files: &[(String, Vec<u8>, u32)]) -> Result<(), String> {
    let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let staging = out.join(format!("{TMP_PREFIX}{name}"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| format!("cannot clear {}: {e}", staging.display()))?;
    }
    mkdir(&staging)?;
    for (n, bytes, mode) in files {
        let dest = staging.join(n);
        mkdir(dest.parent().expect("has a parent"))?;
        store::write_new(&dest, bytes, *mode)?;
    }
    swap_in(&staging, dir, out)
}

/// Replaces `dest` with the fully written `staging` directory.
fn swap_in(staging: &Path, dest: &Path, out: &Path) -> Result<(), String> {
    if dest.exists() {
        let name = dest.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let old = out.join(format!("{TMP_PREFIX}old-{name}"));
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(dest, &old).map_err(|e| format!("cannot move {} aside: {e}", dest.display()))?;
        store::failpoint("swap");
        std::fs::rename(staging, dest).map_err(|e| format!("cannot move {} into place: {e}", dest.display()))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(staging, dest).map_err(|e| format!("cannot move {} into place: {e}", dest.display()))?;
    }
    Ok(())
}

/// The first file under `dir` (in path order) holding a PEM private key (the packager's
/// detector); the files are read in parallel.
pub fn find_private_key(dir: &Path) -> Option<PathBuf> {
    use rayon::prelude::*;
    store::files(dir).into_par_iter().find_first(|p| std::fs::read(p).is_ok_and(|b| crate::package::holds_private_key(&b)))
}

/// The compressed size of `data`, as deflate level 9 would make it. Level 1 runs 3 to 4
/// times faster; on fabchart's data (PEM crypto values, base64 blocks) it is 14% to 19%
/// larger than level 9 (measured on large.yaml's secrets and channel artifacts), hence the
/// factor. Helm compresses its release at the default level, between the two.
fn gz(data: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = e.write_all(data);
    e.finish().map(|v| v.len()).unwrap_or(0) * 86 / 100
}

/// One chart directory's share of a release, compressed: its own files (base64; Helm
/// stores the top chart's files, not its subcharts'), and what its templates render from
/// its files (channel artifacts base64 in ConfigMaps' binaryData, the Jobs' scripts as
/// text). Subcharts are not included.
#[derive(Debug, Clone, Copy, Default)]
struct Parts {
    own: usize,
    rendered: usize,
}

fn parts(chart: &Path) -> Parts {
    use base64ct::{Base64, Encoding};
    let mut own: Vec<u8> = Vec::new();
    let mut rendered: Vec<u8> = Vec::new();
    let subcharts = chart.join("charts");
    for p in store::files(chart) {
        if p.starts_with(&subcharts) {
            continue;
        }
        let is_artifact = p.parent().is_some_and(|d| d.ends_with(values::CHART_CHANNEL_DIR));
        let is_script = p.parent().is_some_and(|d| d.ends_with("files/scripts") || d.ends_with(values::CHART_CONNECTION_DIR));
        let Ok(b) = std::fs::read(&p) else { continue };
        let text = Base64::encode_string(&b);
        own.extend_from_slice(text.as_bytes());
        if is_artifact {
            rendered.extend_from_slice(text.as_bytes());
        }
        if is_script {
            rendered.extend_from_slice(&b);
        }
    }
    Parts { own: gz(&own), rendered: gz(&rendered) }
}

/// The release estimate from compressed parts: the top chart's own files and every chart's
/// rendered files (base64 in the Secret), the crypto values twice (as values, and base64 in
/// Secrets and ConfigMaps), and a cost per node and per org for the rest of the manifest.
fn estimate(top_own: usize, rendered: usize, crypto: usize, nodes: usize, orgs: usize) -> usize {
    top_own * 4 / 3 + rendered * 4 / 3 + crypto * 8 / 3 + nodes * 450 + orgs * 6000
}

/// Estimates the size of the Secret in which Helm stores a release of `chart` (the umbrella
/// or one org subchart): base64(gzip(JSON)). Helm stores the top chart's own files, the
/// values and the rendered manifest; channel artifacts and scripts appear once per chart
/// that renders them. The per-node and per-org costs were fitted against `helm install
/// --dry-run=client -o json | gzip -9 | base64` (Helm 4.1.4) on the examples;
/// tests/chart.rs holds the estimate within 40% of Helm's figure. Subcharts are measured
/// in parallel.
pub fn release_estimate(chart: &Path, crypto_values: &str, nodes: usize, orgs: usize) -> usize {
    use rayon::prelude::*;
    let top = parts(chart);
    let subs: Vec<PathBuf> = std::fs::read_dir(chart.join("charts")).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    let sub_rendered: usize = subs.par_iter().map(|p| parts(p).rendered).sum();
    estimate(top.own, top.rendered + sub_rendered, gz(crypto_values.as_bytes()), nodes, orgs)
}
