//! Stage 6, package and index: chart archives Helm 3 and 4 read exactly like the chart
//! directory, byte-reproducible (unlike Helm 3's own `helm package`), and a chart
//! repository index as `helm repo index` writes it.

pub mod ignore;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Chart.yaml fields fabchart needs; the index copies the whole file.
#[derive(serde::Deserialize)]
struct ChartMeta {
    name: String,
    version: String,
}

/// The fixed timestamp of archive entries: `SOURCE_DATE_EPOCH` when set, else 0.
pub fn source_date_epoch() -> Result<u64, String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse().map_err(|_| format!("SOURCE_DATE_EPOCH `{v}` is not a number of seconds")),
        Err(_) => Ok(0),
    }
}

fn read_meta(chart_yaml: &str, what: &str) -> Result<ChartMeta, String> {
    yaml_serde::from_str(chart_yaml).map_err(|e| format!("{what}: not a valid Chart.yaml: {e}"))
}

/// Whether `data` holds a PEM private key (`-----BEGIN ... PRIVATE KEY-----`, any kind).
pub fn holds_private_key(data: &[u8]) -> bool {
    data.windows(11).enumerate().any(|(i, w)| {
        w == b"-----BEGIN " && {
            let line_end = data[i..].iter().position(|b| *b == b'\n').map_or(data.len(), |p| i + p);
            data[i..line_end].windows(11).any(|x| x == b"PRIVATE KEY")
        }
    })
}

/// A private key or a crypto values file must never enter an archive.
fn check_publishable(path: &Path, rel: &str, data: &[u8]) -> Result<(), String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.ends_with("-crypto.yaml") {
        return Err(format!("refusing to package {}: it is a crypto values file (private keys); keep it out of the chart directory", path.display()));
    }
    if holds_private_key(data) {
        return Err(format!("refusing to package {}: it holds a PEM private key ({rel}); private keys belong in the crypto values file passed with -f", path.display()));
    }
    Ok(())
}

/// The files of one chart in `helm package` order: Chart.yaml, Chart.lock, values.yaml,
/// values.schema.json, templates/ (lexical), the other files (lexical), then each
/// subchart under charts/ the same way. `.helmignore` rules apply (top level only, as Helm).
fn chart_files(dir: &Path, rules: &ignore::Rules, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    let mut all: Vec<(String, PathBuf)> = vec![];
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    let mut subcharts: Vec<(String, PathBuf)> = vec![];
    while let Some((d, rel)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            let p = e.path();
            let meta = std::fs::metadata(&p).map_err(|err| format!("cannot read {}: {err}", p.display()))?;
            if rules.ignored(&r, meta.is_dir()) {
                continue;
            }
            if meta.is_dir() {
                if rel == "charts" {
                    if !name.starts_with(['_', '.']) {
                        subcharts.push((name, p));
                    }
                } else {
                    stack.push((p, r));
                }
            } else if meta.is_file() {
                if rel == "charts" && name.starts_with(['_', '.']) {
                    continue;
                }
                all.push((r, p));
            } else {
                return Err(format!("refusing to package {}: not a regular file", p.display()));
            }
        }
    }
    let rank = |r: &str| match r {
        "Chart.yaml" => 0,
        "Chart.lock" => 1,
        "values.yaml" => 2,
        "values.schema.json" => 3,
        _ if r.starts_with("templates/") => 4,
        _ => 5,
    };
    all.sort_by(|a, b| (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0)));
    out.extend(all.into_iter().map(|(r, p)| (format!("{prefix}{r}"), p)));
    subcharts.sort();
    for (name, p) in subcharts {
        // A subchart's own .helmignore is not applied when its parent is packaged (Helm).
        chart_files(&p, &ignore::Rules::builtin(), &format!("{prefix}charts/{name}/"), out)?;
    }
    Ok(())
}

/// Writes `DIST/<name>-<version>.tgz`; returns its path and sha256.
pub fn package(chart_dir: &Path, dist: &Path) -> Result<(PathBuf, String), String> {
    let chart_yaml = std::fs::read_to_string(chart_dir.join("Chart.yaml"))
        .map_err(|e| format!("{} is not a chart directory (no Chart.yaml): {e}", chart_dir.display()))?;
    let meta = read_meta(&chart_yaml, &chart_dir.join("Chart.yaml").display().to_string())?;
    if meta.name.is_empty() || meta.name.contains('/') {
        return Err(format!("{}: invalid chart name `{}`", chart_dir.display(), meta.name));
    }
    // Refuse key material anywhere in the chart directory, even where .helmignore would
    // skip it: a private key has no business there.
    for p in crate::crypto::store::files(chart_dir) {
        let data = std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        let rel = p.strip_prefix(chart_dir).unwrap_or(&p).display().to_string();
        check_publishable(&p, &rel, &data)?;
    }
    let rules = ignore::Rules::load(chart_dir)?;
    let mut files = vec![];
    chart_files(chart_dir, &rules, &format!("{}/", meta.name), &mut files)?;
    let mtime = source_date_epoch()?;
    let mut entries = vec![];
    for (rel, path) in &files {
        let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        // Helm's loader strips a UTF-8 BOM; so do we, so the archive equals what Helm sees.
        let data = data.strip_prefix(b"\xef\xbb\xbf".as_slice()).map(<[u8]>::to_vec).unwrap_or(data);
        entries.push((rel.clone(), data));
    }
    let bytes = reproducible_tgz(&entries, mtime, flate2::Compression::best())?;
    crate::crypto::store::mkdir(dist)?;
    let out = dist.join(format!("{}-{}.tgz", meta.name, meta.version));
    crate::crypto::store::replace(&out, &bytes, 0o644)?;
    // A stable file mtime too: OCI pushes record it as the manifest's creation time.
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime);
    let _ = std::fs::File::options().write(true).open(&out).and_then(|f| f.set_modified(when));
    Ok((out, hex_sha256(&bytes)))
}

/// A gzip'd tar of `entries` (path, content), in that order, that depends on nothing but
/// them: regular files only (no directory entries), mode 0644, uid/gid 0, no user or group
/// names, mtime `mtime`; gzip header time 0, OS "unknown".
pub fn reproducible_tgz(entries: &[(String, Vec<u8>)], mtime: u64, level: flate2::Compression) -> Result<Vec<u8>, String> {
    let mut tar = tar::Builder::new(Vec::new());
    for (rel, data) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_path(rel).map_err(|e| format!("{rel}: path too long for a tar archive: {e}"))?;
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(mtime);
        h.set_entry_type(tar::EntryType::Regular);
        let _ = h.set_username("");
        let _ = h.set_groupname("");
        h.set_cksum();
        tar.append(&h, data.as_slice()).map_err(|e| e.to_string())?;
    }
    let tar_bytes = tar.into_inner().map_err(|e| e.to_string())?;
    let mut gz = flate2::GzBuilder::new().mtime(0).operating_system(255).write(Vec::new(), level);
    gz.write_all(&tar_bytes).map_err(|e| e.to_string())?;
    gz.finish().map_err(|e| e.to_string())
}

/// The regular files of a gzip'd tar, in order (path, content).
pub fn read_tgz(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = vec![];
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for e in ar.entries().map_err(|e| format!("not a gzip'd tar: {e}"))? {
        let mut e = e.map_err(|e| format!("not a gzip'd tar: {e}"))?;
        if e.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = e.path().map_err(|e| e.to_string())?.to_string_lossy().into_owned();
        let mut data = vec![];
        e.read_to_end(&mut data).map_err(|e| e.to_string())?;
        out.push((path, data));
    }
    Ok(out)
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Chart.yaml of an archive (the entry `<top>/Chart.yaml`), and that entry's mtime.
pub fn archive_chart_yaml(bytes: &[u8]) -> Result<(String, u64), String> {
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for e in ar.entries().map_err(|e| e.to_string())? {
        let mut e = e.map_err(|e| e.to_string())?;
        let path = e.path().map_err(|e| e.to_string())?.to_string_lossy().into_owned();
        let parts: Vec<&str> = path.split('/').collect();
        if parts.len() == 2 && parts[1] == "Chart.yaml" {
            let mtime = e.header().mtime().unwrap_or(0);
            let mut s = String::new();
            e.read_to_string(&mut s).map_err(|e| e.to_string())?;
            return Ok((s, mtime));
        }
    }
    Err("no Chart.yaml at the archive's top directory".into())
}

/// RFC 3339 in UTC, as Go prints time.Time (no fraction when it is zero).
pub fn rfc3339(secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", t.year(), t.month() as u8, t.day(), t.hour(), t.minute(), t.second())
}

/// Every map sorted by key at every level, as sigs.k8s.io/yaml writes (Helm's index).
fn sorted(v: yaml_serde::Value) -> yaml_serde::Value {
    match v {
        yaml_serde::Value::Mapping(m) => {
            let mut entries: Vec<(yaml_serde::Value, yaml_serde::Value)> = m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.as_str().unwrap_or("").cmp(b.0.as_str().unwrap_or("")));
            yaml_serde::Value::Mapping(entries.into_iter().collect())
        }
        yaml_serde::Value::Sequence(s) => yaml_serde::Value::Sequence(s.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn semver_key(v: &str) -> Option<semver::Version> {
    semver::Version::parse(v.trim_start_matches('v')).ok()
}

pub struct IndexReport {
    pub path: PathBuf,
    pub charts: usize,
    pub merged: usize,
}

/// Writes `DIST/index.yaml` for `DIST/*.tgz` and `DIST/*/*.tgz`, as `helm repo index`:
/// apiVersion v1, entries by chart name, versions newest first, each with the Chart.yaml
/// fields plus `urls`, `created` and `digest` (sha256 of the archive). Times come from
/// `SOURCE_DATE_EPOCH` or the archive's own entries, so a re-run changes nothing. With
/// `merge`, entries of the old index not in DIST are kept, created times included.
pub fn index(dist: &Path, url: Option<&str>, merge: Option<&Path>) -> Result<IndexReport, String> {
    let mut archives: Vec<PathBuf> = vec![];
    for d in [dist.to_path_buf()].into_iter().chain(
        std::fs::read_dir(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?.flatten().map(|e| e.path()).filter(|p| p.is_dir()),
    ) {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().extension().is_some_and(|x| x == "tgz") {
                archives.push(e.path());
            }
        }
    }
    archives.sort();
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().map(|_| source_date_epoch()).transpose()?;
    let mut entries: BTreeMap<String, Vec<(String, yaml_serde::Value)>> = BTreeMap::new();
    let mut newest = 0u64;
    for a in &archives {
        let bytes = std::fs::read(a).map_err(|e| format!("cannot read {}: {e}", a.display()))?;
        let (chart_yaml, mtime) = archive_chart_yaml(&bytes).map_err(|e| format!("{}: {e}", a.display()))?;
        let meta = read_meta(&chart_yaml, &a.display().to_string())?;
        let mut v: yaml_serde::Value = yaml_serde::from_str(&chart_yaml).map_err(|e| e.to_string())?;
        let created = epoch.unwrap_or(mtime);
        newest = newest.max(created);
        let rel = a.strip_prefix(dist).unwrap_or(a).display().to_string();
        let link = match url {
            Some(u) => format!("{}/{rel}", u.trim_end_matches('/')),
            None => rel,
        };
        if let yaml_serde::Value::Mapping(m) = &mut v {
            // Helm writes a dependency's repository even when empty (no omitempty in Go).
            if let Some(yaml_serde::Value::Sequence(deps)) = m.get_mut("dependencies") {
                for d in deps.iter_mut().filter_map(|d| d.as_mapping_mut()) {
                    if !d.contains_key("repository") {
                        d.insert("repository".into(), "".into());
                    }
                }
            }
            m.insert("urls".into(), yaml_serde::Value::Sequence(vec![link.into()]));
            m.insert("created".into(), rfc3339(created).into());
            m.insert("digest".into(), hex_sha256(&bytes).into());
        }
        entries.entry(meta.name).or_default().push((meta.version, v));
    }
    let charts = archives.len();
    let mut merged = 0;
    if let Some(old) = merge.filter(|p| p.exists()) {
        let text = std::fs::read_to_string(old).map_err(|e| format!("cannot read {}: {e}", old.display()))?;
        let v: yaml_serde::Value = yaml_serde::from_str(&text).map_err(|e| format!("{}: not an index: {e}", old.display()))?;
        if let Some(yaml_serde::Value::Mapping(m)) = v.get("entries") {
            for (name, versions) in m {
                let name = name.as_str().unwrap_or("").to_string();
                for ver in versions.as_sequence().into_iter().flatten() {
                    let version = ver.get("version").and_then(|x| x.as_str()).unwrap_or("").to_string();
                    let list = entries.entry(name.clone()).or_default();
                    match list.iter_mut().find(|(v, _)| *v == version) {
                        // The same archive again: keep the old entry's created time.
                        Some((_, new)) if new.get("digest") == ver.get("digest") => {
                            if let (yaml_serde::Value::Mapping(n), Some(c)) = (new, ver.get("created")) {
                                n.insert("created".into(), c.clone());
                            }
                        }
                        Some(_) => {}
                        None => {
                            list.push((version, ver.clone()));
                            merged += 1;
                        }
                    }
                }
            }
        }
    }
    let mut out = yaml_serde::Mapping::new();
    out.insert("apiVersion".into(), "v1".into());
    let mut ents = yaml_serde::Mapping::new();
    for (name, mut versions) in entries {
        versions.sort_by(|a, b| match (semver_key(&a.0), semver_key(&b.0)) {
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.0.cmp(&b.0),
        });
        ents.insert(name.into(), yaml_serde::Value::Sequence(versions.into_iter().map(|(_, v)| sorted(v)).collect()));
    }
    out.insert("entries".into(), yaml_serde::Value::Mapping(ents));
    out.insert("generated".into(), rfc3339(epoch.unwrap_or(newest)).into());
    let text = yaml_serde::to_string(&yaml_serde::Value::Mapping(out)).map_err(|e| e.to_string())?;
    let path = dist.join("index.yaml");
    crate::crypto::store::replace(&path, text.as_bytes(), 0o644)?;
    Ok(IndexReport { path, charts, merged })
}
