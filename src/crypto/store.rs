//! The crypto store on disk, in cryptogen's layout, written so that a build killed at any
//! moment leaves every unit (an org's CAs, a node, a user) either absent or complete:
//! each unit is written into a temporary sibling directory and renamed into place, and
//! single-file updates are written to a temporary file and renamed.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::plan::{OrgPlan, UserPlan};
use crate::topology::{FabricVersion, OrgKind};

use super::keys::Key;

/// Prefix of every temporary file or directory fabchart creates in a store.
pub const TMP_PREFIX: &str = ".fabchart-tmp-";

pub fn org_dir(root: &Path, org: &OrgPlan) -> PathBuf {
    let kind = match org.kind {
        OrgKind::Orderer => "ordererOrganizations",
        OrgKind::Peer => "peerOrganizations",
    };
    root.join(kind).join(&org.domain)
}

pub fn nodes_dir(root: &Path, org: &OrgPlan) -> PathBuf {
    org_dir(root, org).join(match org.kind {
        OrgKind::Orderer => "orderers",
        OrgKind::Peer => "peers",
    })
}

pub fn user_dir(root: &Path, org: &OrgPlan, user: &UserPlan) -> PathBuf {
    org_dir(root, org).join("users").join(&user.common_name)
}

/// `priv_sk` from Fabric 2.0 on; `<hex SKI>_sk` in 1.x, as each version's cryptogen names it.
pub fn key_file_name(version: FabricVersion, key: &Key) -> String {
    match version {
        FabricVersion::V1_4 => format!("{}_sk", hex(&key.ski())),
        _ => "priv_sk".into(),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn mkdir(p: &Path) -> Result<(), String> {
    fs::DirBuilder::new().recursive(true).mode(0o755).create(p).map_err(|e| format!("cannot create {}: {e}", p.display()))
}

/// Creates a new file (never replacing one) with the given mode.
pub fn write_new(p: &Path, data: &[u8], mode: u32) -> Result<(), String> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(p)
        .map_err(|e| format!("cannot create {}: {e}", p.display()))?;
    f.write_all(data).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

/// Replaces a file's content atomically (temporary file + rename), keeping `mode`.
pub fn replace(p: &Path, data: &[u8], mode: u32) -> Result<(), String> {
    let tmp = p.with_file_name(format!("{TMP_PREFIX}{}", p.file_name().unwrap_or_default().to_string_lossy()));
    let _ = fs::remove_file(&tmp);
    write_new(&tmp, data, mode)?;
    fs::rename(&tmp, p).map_err(|e| format!("cannot replace {}: {e}", p.display()))
}

/// A test hook for crash-safety tests that must not depend on timing: with
/// `FABCHART_FAILPOINT=<name>:<n>` in the environment, the process aborts (dies at once,
/// as a kill would) the n-th time it reaches failpoint `name`. Names: `commit` (a crypto
/// unit staged, about to be moved into place) and `swap` (a folder of OUT moved aside,
/// the new one not yet moved in).
pub fn failpoint(name: &str) {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SPEC: OnceLock<Option<(String, usize)>> = OnceLock::new();
    static HITS: AtomicUsize = AtomicUsize::new(0);
    let spec = SPEC.get_or_init(|| {
        let v = std::env::var("FABCHART_FAILPOINT").ok()?;
        let (n, at) = v.split_once(':')?;
        Some((n.to_string(), at.parse().ok()?))
    });
    if let Some((n, at)) = spec
        && n == name
        && HITS.fetch_add(1, Ordering::SeqCst) + 1 == *at
    {
        std::process::abort();
    }
}

/// A unit under construction: a temporary directory beside its final place.
pub struct Staging {
    pub tmp: PathBuf,
    dest: PathBuf,
}

impl Staging {
    pub fn new(dest: &Path) -> Result<Staging, String> {
        let parent = dest.parent().expect("units live in a directory");
        mkdir(parent)?;
        let tmp = parent.join(format!("{TMP_PREFIX}{}", dest.file_name().unwrap_or_default().to_string_lossy()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(|e| format!("cannot clear {}: {e}", tmp.display()))?;
        }
        mkdir(&tmp)?;
        Ok(Staging { tmp, dest: dest.to_path_buf() })
    }
    /// Moves the finished unit into place: it appears whole or not at all.
    pub fn commit(self) -> Result<(), String> {
        failpoint("commit");
        fs::rename(&self.tmp, &self.dest).map_err(|e| format!("cannot move {} into place: {e}", self.dest.display()))
    }
}

/// Removes temporary units left by a build that was killed.
pub fn clear_leftovers(root: &Path) -> Result<usize, String> {
    let mut n = 0;
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if name.starts_with(TMP_PREFIX) {
                let r = if is_dir { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
                r.map_err(|err| format!("cannot remove leftover {}: {err}", path.display()))?;
                n += 1;
            } else if is_dir && depth < 4 {
                // store/{kind}/{domain}/{peers,orderers,users}/{unit}: leftovers sit at depth <= 4
                stack.push((path, depth + 1));
            }
        }
    }
    Ok(n)
}

/// Every regular file under `dir`, recursively, in path order (empty if `dir` is missing).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// The first file in `dir` whose name ends with `suffix`, in name order.
pub fn find(dir: &Path, suffix: &str) -> Option<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(suffix)))
        .collect();
    v.sort();
    v.into_iter().next()
}

pub fn read(p: &Path) -> Result<String, String> {
    fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}
