//! Channel benchmark: encoding every channel artifact of an example from its crypto store
//! (configtx.yaml, genesis blocks or 1.4 transactions, and their review JSON), i.e.
//! `fabchart::channel::build`, which every `fabchart build` runs. Run:
//! `cargo bench --bench channel`. No target was set for it; the figures go into the
//! notes. The store is made once per example on tmpfs (or the temp dir), then the
//! encoder runs 20 times; median and min wall time are printed, with artifact sizes.

use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let root = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    println!("channel bench: {} cores, store on {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1), root.display());
    for example in ["raft-2.5", "bft-3.1", "kafka-1.4", "large"] {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("values-examples/{example}.yaml"));
        let plan = fabchart::compile_file(&file).expect("read").plan.expect("compiles");
        let store = root.join(format!("fabchart-chbench-{}-{example}", std::process::id()));
        let opts = fabchart::crypto::Options { dir: store.clone(), prune: false, progress: false };
        fabchart::crypto::build(&plan, &opts, time::OffsetDateTime::now_utc()).expect("crypto");
        let dir = store.join("channel-artifacts");
        let mut times = vec![];
        let mut sizes = (0usize, 0usize, 0usize);
        for _ in 0..20 {
            let t = Instant::now();
            let a = fabchart::channel::build(&plan, &store, &dir).expect("channels");
            times.push(t.elapsed().as_secs_f64());
            sizes = a.files.iter().fold((0, 0, 0), |(n, bin, json), (name, b)| {
                if name.ends_with(".json") { (n + 1, bin, json + b.len()) } else { (n + 1, bin + b.len(), json) }
            });
        }
        let _ = std::fs::remove_dir_all(&store);
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{example:>10}: median {:.4} s, min {:.4} s; {} files, {} bytes of blocks/txs/configtx.yaml, {} bytes of review JSON",
            times[times.len() / 2],
            times[0],
            sizes.0,
            sizes.1,
            sizes.2
        );
    }
}
