//! Crypto benchmark on values-examples/large.yaml (20 peer orgs x 20 peers x 5 users +
//! 5 orderers: 1,094 key pairs, 4,355 files). Run: `cargo bench --bench crypto`.
//!
//! Targets (issue 3, 2-core machine): fresh generation <= 0.3 s wall, a rebuild with
//! nothing new <= 0.05 s, peak memory <= 100 MB. Each fresh build and its peak memory are
//! measured in a child process of its own, so the figures are those of one `fabchart build`
//! (topology compile included). The store is written twice over: on tmpfs (/dev/shm), which
//! measures fabchart, and on the temp directory's disk, which also measures the disk: the
//! cryptogen layout is ~4,400 files and ~4,400 directories, and on a slow disk their
//! creation dominates (for cryptogen as for fabchart).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn large() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("values-examples/large.yaml")
}

/// One build in this process; prints wall seconds and peak RSS (VmHWM, kB).
fn child(dir: &Path) {
    let t = Instant::now();
    let c = fabchart::compile_file(&large()).expect("read large.yaml");
    let plan = c.plan.expect("large.yaml compiles");
    let opts = fabchart::crypto::Options { dir: dir.to_path_buf(), prune: false, progress: false };
    let r = fabchart::crypto::build(&plan, &opts, time::OffsetDateTime::now_utc()).expect("build");
    let secs = t.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).unwrap_or("0");
    println!("{secs} {hwm} {}", r.key_pairs_created());
}

fn run_child(dir: &Path) -> (f64, f64, usize) {
    let out = Command::new(std::env::current_exe().unwrap()).args(["--child", dir.to_str().unwrap()]).output().expect("run child");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<&str> = text.split_whitespace().collect();
    (v[0].parse().unwrap(), v[1].parse::<f64>().unwrap() / 1024.0, v[2].parse().unwrap())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]));
        return;
    }
    let mut places = vec![];
    if Path::new("/dev/shm").is_dir() {
        places.push(("tmpfs /dev/shm", PathBuf::from("/dev/shm")));
    }
    places.push(("disk (temp dir)", std::env::temp_dir()));
    println!("crypto bench: values-examples/large.yaml, {} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    for (label, root) in places {
        let base = root.join(format!("fabchart-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let mut fresh = vec![];
        let mut rebuild = vec![];
        let mut peak = 0f64;
        let mut pairs = 0;
        for i in 0..5 {
            let dir = base.join(format!("run{i}"));
            let (s, mb, n) = run_child(&dir);
            fresh.push(s);
            peak = peak.max(mb);
            pairs = n;
            let (s, mb, n) = run_child(&dir);
            assert_eq!(n, 0, "a rebuild created key pairs");
            rebuild.push(s);
            peak = peak.max(mb);
            let _ = std::fs::remove_dir_all(&dir);
        }
        let _ = std::fs::remove_dir_all(&base);
        let min = |v: &[f64]| v.iter().cloned().fold(f64::MAX, f64::min);
        println!("{label}: {pairs} key pairs");
        println!("  fresh generation:     median {:.3} s, min {:.3} s (target <= 0.300 s)", median(fresh.clone()), min(&fresh));
        println!("  rebuild, nothing new: median {:.3} s, min {:.3} s (target <= 0.050 s)", median(rebuild.clone()), min(&rebuild));
        println!("  peak memory (VmHWM of one build): {peak:.1} MB (target <= 100 MB)");
    }
}
