//! Channel benchmark: `fabchart::channel::build`, the stage every `fabchart build` runs, on
//! an example's crypto store. Run: `cargo bench --bench channel`. No target was set for
//! it; the figures go into the notes. Per example, 20 runs each, median and min wall time:
//!
//! - genesis: no records yet: configtx.yaml, genesis blocks or 1.4 transactions, review JSON;
//! - rebuild: records in OUT, topology unchanged: the records are reloaded (every update
//!   re-applied and checked), the target encoded and compared, nothing to write;
//! - evolve (large only): a 21st org joins the 20-org channel: the update is computed,
//!   applied, signed by a majority (11) of the admins after the policy evaluation that
//!   picks them.
//!
//! The store is made once per example on tmpfs (or the temp dir).

use std::path::{Path, PathBuf};
use std::time::Instant;

fn median(mut t: Vec<f64>) -> (f64, f64) {
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (t[t.len() / 2], t[0])
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let mut times = vec![];
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed().as_secs_f64());
    }
    let (m, min) = median(times);
    (m, min, last.expect("runs > 0"))
}

fn plan_of(text: &str) -> fabchart::plan::Plan {
    let c = fabchart::compile(fabchart::topology::Source::from_bytes("bench.yaml".into(), text.as_bytes().to_vec()));
    let msg = c.render();
    c.plan.unwrap_or_else(|| panic!("compiles: {msg}"))
}

fn main() {
    let root = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    println!("channel bench: {} cores, store on {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1), root.display());
    for example in ["raft-2.5", "bft-3.1", "kafka-1.4", "large"] {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("values-examples/{example}.yaml"))).expect("example");
        let plan = plan_of(&text);
        let out = root.join(format!("fabchart-chbench-{}-{example}", std::process::id()));
        let store = out.join("crypto-config");
        let opts = fabchart::crypto::Options { dir: store.clone(), prune: false, progress: false };
        fabchart::crypto::build(&plan, &opts, time::OffsetDateTime::now_utc()).expect("crypto");
        let dir = out.join(fabchart::channel::DIR);

        let (g_med, g_min, mut a) = time(20, || fabchart::channel::build(&plan, &store, &dir).unwrap_or_else(|_| panic!("channels")));
        let (n, bin, json) = a.files.iter().fold((0, 0, 0), |(n, bin, json), (name, b)| if name.ends_with(".json") { (n + 1, bin, json + b.len()) } else { (n + 1, bin + b.len(), json) });
        println!("{example:>10}: genesis median {g_med:.4} s, min {g_min:.4} s; {n} files, {bin} bytes of blocks/txs/configtx.yaml, {json} bytes of review JSON");

        // Records in OUT, as a build leaves them.
        a.finish("0.1.0").expect("finish");
        let written: Vec<(String, Vec<u8>)> = a.written.iter().map(|n| (n.clone(), a.files[n].clone())).collect();
        std::fs::create_dir_all(&dir).unwrap();
        fabchart::emit::replace_files(&out, &dir, &written).expect("write records");
        let (r_med, r_min, r) = time(20, || fabchart::channel::build(&plan, &store, &dir).unwrap_or_else(|_| panic!("rebuild")));
        assert!(r.updates.is_empty(), "an unchanged rebuild made updates");
        println!("{example:>10}: rebuild median {r_med:.4} s, min {r_min:.4} s (records reloaded and checked, no update)");

        if example == "large" {
            let more = text
                .replacen("Channels:\n", "  - Name: Org21\n    Domain: org21.example.com\n    Namespace: org21\n    EnableNodeOUs: true\n    Template: {Count: 2}\n    Users: {Count: 1}\nChannels:\n", 1)
                .replacen("Org19, Org20]", "Org19, Org20, Org21]", 1);
            let plan2 = plan_of(&more);
            fabchart::crypto::build(&plan2, &opts, time::OffsetDateTime::now_utc()).expect("crypto");
            let (e_med, e_min, e) = time(10, || fabchart::channel::build(&plan2, &store, &dir).unwrap_or_else(|_| panic!("evolve")));
            let u = &e.updates[0];
            println!(
                "{example:>10}: evolve median {e_med:.4} s, min {e_min:.4} s ({} update: {}, signed by {} admins, {} bytes)",
                e.updates.len(),
                u.change.describe(),
                u.signers.len(),
                e.files[&u.file].len()
            );
        }
        let _ = std::fs::remove_dir_all(&out);
    }
}
