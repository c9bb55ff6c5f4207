//! Skipping a build that would change nothing.
//!
//! After a build succeeds, `OUT/fabchart-build.json` records a fingerprint of everything
//! the build read and wrote: the plan (the topology), the options, fabchart itself (its
//! version, its embedded chart skeleton, its executable), and, without reading them, the
//! files of the crypto store, OUT/channel-artifacts, the chart, OUT/secrets, OUT/chaincode,
//! OUT/connection and the plan record (path, size, modification time, inode: what `make` trusts, plus the inode, which
//! the atomic replace-by-rename fabchart and most editors use changes). A build whose
//! fingerprint equals the recorded one would write exactly what is there, so it writes
//! nothing and says "unchanged". Anything else (an edited topology, a renewed or
//! deleted certificate, a hand-edited or deleted chart file, another fabchart) runs the
//! whole pipeline. Deleting the record forces a full build.
//!
//! The store is not walked (its thousands of folders cost more to list than the rest of
//! the check): the record keeps the list of its files, which are stat'ed one by one, and
//! of the folders whose listing fabchart reads (each org's MSP, CA and TLS CA folders,
//! every keystore), whose modification time changes when a file is added or removed.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::plan::Plan;

pub const RECORD: &str = "fabchart-build.json";

/// What fingerprints a build: everything but the file lists.
pub struct Inputs<'a> {
    pub plan: &'a Plan,
    pub out: &'a Path,
    pub crypto_dir: &'a Path,
    pub prune: bool,
    pub bump: bool,
}

fn feed_tree(h: &mut Sha256, label: &str, root: &Path) {
    h.update(format!("tree {label} {}\n", root.display()));
    for p in crate::crypto::store::files(root) {
        // Leftovers of a killed build are not part of what a build wrote.
        if p.to_string_lossy().contains(crate::crypto::store::TMP_PREFIX) {
            continue;
        }
        match std::fs::symlink_metadata(&p) {
            Ok(m) => h.update(format!(
                "{} {} {} {} {} {:o}\n",
                p.strip_prefix(root).unwrap_or(&p).display(),
                m.len(),
                m.mtime(),
                m.mtime_nsec(),
                m.ino(),
                m.mode()
            )),
            Err(_) => h.update(format!("{} missing\n", p.display())),
        }
    }
}

/// fabchart's own identity: version, the embedded chart skeleton, the running executable.
fn identity(h: &mut Sha256) {
    h.update(format!("fabchart {}\n", env!("CARGO_PKG_VERSION")));
    h.update(crate::emit::skeleton_digest());
    if let Ok(exe) = std::env::current_exe()
        && let Ok(m) = std::fs::metadata(&exe)
    {
        h.update(format!("exe {} {} {} {}\n", exe.display(), m.len(), m.mtime(), m.mtime_nsec()));
    }
}

/// The store's files and the folders fabchart lists, relative to the store.
#[derive(serde::Serialize, serde::Deserialize, Default, PartialEq)]
struct StoreList {
    files: Vec<String>,
    dirs: Vec<String>,
}

/// Folders whose listing a build reads: org MSP folders and their subfolders (the channel
/// MSPs), CA and TLS CA folders, keystores (the key is the first `*_sk`), an org's
/// chaincodes folder (a unit there the plan lacks is reported).
fn listed_dir(rel: &Path) -> bool {
    let name = rel.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let depth = rel.components().count();
    matches!(name.as_ref(), "keystore" | "ca" | "tlsca") || (depth == 3 && name == "chaincodes") || (depth == 3 && name == "msp") || (depth == 4 && rel.components().nth(2).is_some_and(|c| c.as_os_str() == "msp"))
}

fn store_list(root: &Path) -> StoreList {
    let mut l = StoreList::default();
    let mut dirs = std::collections::BTreeSet::new();
    for p in crate::crypto::store::files(root) {
        let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
        if rel.to_string_lossy().contains(crate::crypto::store::TMP_PREFIX) {
            continue;
        }
        let mut d = rel.parent();
        while let Some(x) = d.filter(|x| !x.as_os_str().is_empty()) {
            if listed_dir(x) {
                dirs.insert(x.to_string_lossy().into_owned());
            }
            d = x.parent();
        }
        l.files.push(rel.to_string_lossy().into_owned());
    }
    l.dirs = dirs.into_iter().collect();
    l
}

fn feed_stat(h: &mut Sha256, label: &str, p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) => h.update(format!("{label} {} {} {} {} {:o}\n", m.len(), m.mtime(), m.mtime_nsec(), m.ino(), m.mode())),
        Err(_) => h.update(format!("{label} missing\n")),
    }
}

/// The fingerprint of a build of `i` with OUT as it is now; the store is read through
/// `list` (its files and listed folders).
fn fingerprint_with(i: &Inputs, list: &StoreList) -> Result<String, String> {
    let mut h = Sha256::new();
    identity(&mut h);
    h.update(serde_json::to_vec(i.plan).map_err(|e| e.to_string())?);
    h.update(format!("\nprune {} bump {} store {}\n", i.prune, i.bump, i.crypto_dir.display()));
    for f in &list.files {
        feed_stat(&mut h, f, &i.crypto_dir.join(f));
    }
    for d in &list.dirs {
        feed_stat(&mut h, d, &i.crypto_dir.join(d));
    }
    feed_stat(&mut h, "store root", i.crypto_dir);
    let chart = i.out.join(&i.plan.network.chart.name);
    for (label, root) in [
        ("channels", i.out.join(crate::channel::DIR)),
        ("chart", chart),
        ("secrets", i.out.join("secrets")),
        ("chaincode", i.out.join(crate::chaincode::DIR)),
        ("connection", i.out.join(crate::chaincode::connection::DIR)),
    ] {
        feed_tree(&mut h, label, &root);
    }
    feed_stat(&mut h, "plan record", &i.out.join(crate::version::RECORD));
    Ok(crate::crypto::store::hex(&h.finalize()))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Record {
    /// What this file is, for whoever opens it.
    about: String,
    fingerprint: String,
    store: StoreList,
}

/// Whether OUT already holds what a build of `i` would write.
pub fn up_to_date(i: &Inputs) -> bool {
    let Ok(text) = std::fs::read(i.out.join(RECORD)) else { return false };
    let Ok(r) = serde_json::from_slice::<Record>(&text) else { return false };
    fingerprint_with(i, &r.store).is_ok_and(|f| f == r.fingerprint)
}

/// Records the fingerprint of the build that just finished.
pub fn record(i: &Inputs) -> Result<(), String> {
    let store = store_list(i.crypto_dir);
    let r = Record {
        about: "fabchart build's fingerprint of its inputs and outputs: a build that finds them unchanged writes nothing. Delete this file to force a full build.".into(),
        fingerprint: fingerprint_with(i, &store)?,
        store,
    };
    let text = serde_json::to_string(&r).map_err(|e| e.to_string())? + "\n";
    crate::crypto::store::replace(&i.out.join(RECORD), text.as_bytes(), 0o644)
}
