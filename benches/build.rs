//! Build benchmark on `values-examples/large.yaml` (20 peer orgs x 20 peers x 5 users, 5
//! orderers: 1,094 key pairs, ~5,500 files): the whole `fabchart build` (full, and again
//! with nothing new) and each stage on its own, on tmpfs and on the disk. Run:
//! `cargo bench --bench build`. It is not a test: its figures go into the notes.
//!
//! Medians with min..max over the runs. The stages, as `fabchart::build` runs them:
//! compile (load, validate, plan), crypto (fresh: generate every key and certificate;
//! reuse: an existing store), channels, emit (chart, secrets, channel artifacts, release
//! estimates), apps (the chaincode stage: CCaaS packages and connection profiles).
//! `rebuild` is a second `fabchart::build` with the same topology into the same OUT. Then
//! the same for `values-examples/chaincode-2.5.yaml` (a chaincode on two orgs): the
//! whole build, and its chaincode stage alone.

use std::path::{Path, PathBuf};
use std::time::Instant;

struct Stats(Vec<f64>);

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        write!(f, "median {:.4} s ({:.4}..{:.4}, n={})", v[v.len() / 2], v[0], v[v.len() - 1], v.len())
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let x = f();
    (t.elapsed().as_secs_f64(), x)
}

fn compile(file: &Path) -> fabchart::Compiled {
    fabchart::compile_file(file).expect("read")
}

fn main() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("values-examples/large.yaml");
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(7);
    let mut places: Vec<(&str, PathBuf)> = vec![];
    if Path::new("/dev/shm").is_dir() {
        places.push(("tmpfs", PathBuf::from("/dev/shm")));
    }
    places.push(("disk", PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")));
    println!("build bench: large.yaml, {} cores, {runs} runs each", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    for (label, root) in places {
        let out = root.join(format!("fabchart-buildbench-{}", std::process::id()));
        let (mut full, mut rebuild, mut comp, mut crypto_fresh, mut crypto_reuse, mut channels, mut emit) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        let mut apps = vec![];
        for _ in 0..runs {
            let _ = std::fs::remove_dir_all(&out);
            let opts = fabchart::BuildOptions { out: out.clone(), crypto_dir: None, prune: false, bump: false, progress: false };
            let (t, b) = timed(|| {
                let mut c = compile(&file);
                fabchart::build(&mut c, &opts).map(|_| ())
            });
            assert!(b.is_ok(), "build failed");
            full.push(t);
            let (t, b) = timed(|| {
                let mut c = compile(&file);
                fabchart::build(&mut c, &opts)
            });
            assert!(matches!(b, Ok(fabchart::Outcome::Unchanged)), "the rebuild was not a no-op");
            rebuild.push(t);

            // The stages one by one, on a fresh store.
            let _ = std::fs::remove_dir_all(&out);
            let (t, c) = timed(|| compile(&file));
            comp.push(t);
            let plan = c.plan.expect("compiles");
            let copts = fabchart::crypto::Options { dir: out.join("crypto-config"), prune: false, progress: false };
            let (t, r) = timed(|| fabchart::crypto::build(&plan, &copts, time::OffsetDateTime::now_utc()));
            r.expect("crypto");
            crypto_fresh.push(t);
            let (t, r) = timed(|| fabchart::crypto::build(&plan, &copts, time::OffsetDateTime::now_utc()));
            r.expect("crypto");
            crypto_reuse.push(t);
            let (t, a) = timed(|| fabchart::channel::build(&plan, &copts.dir, &out.join(fabchart::channel::DIR)));
            let mut a = a.unwrap_or_else(|_| panic!("channels"));
            channels.push(t);
            a.finish(&plan.network.chart.version).expect("finish");
            let (t, x) = timed(|| (fabchart::chaincode::build(&plan, &copts.dir, &out), fabchart::chaincode::connection::build(&plan, &copts.dir)));
            let (cc, conn) = (x.0.expect("chaincode"), x.1.expect("connection"));
            apps.push(t);
            let (t, e) = timed(|| fabchart::emit::emit(&plan, &copts.dir, &out, &a, &fabchart::emit::Apps { chaincodes: &cc, connections: &conn }));
            e.expect("emit");
            emit.push(t);
        }
        let _ = std::fs::remove_dir_all(&out);
        println!("[{label}] full build:           {}", Stats(full));
        println!("[{label}] rebuild, nothing new: {}", Stats(rebuild));
        println!("[{label}]   compile:            {}", Stats(comp));
        println!("[{label}]   crypto (fresh):     {}", Stats(crypto_fresh));
        println!("[{label}]   crypto (reuse):     {}", Stats(crypto_reuse));
        println!("[{label}]   channels:           {}", Stats(channels));
        println!("[{label}]   apps (chaincode):   {}", Stats(apps));
        println!("[{label}]   emit:               {}", Stats(emit));

        // A network with a chaincode: the whole build, and the chaincode stage alone.
        let cc_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("values-examples/chaincode-2.5.yaml");
        let (mut cc_full, mut cc_stage) = (vec![], vec![]);
        for _ in 0..runs {
            let _ = std::fs::remove_dir_all(&out);
            let opts = fabchart::BuildOptions { out: out.clone(), crypto_dir: None, prune: false, bump: false, progress: false };
            let (t, b) = timed(|| {
                let mut c = compile(&cc_file);
                fabchart::build(&mut c, &opts).map(|_| ())
            });
            assert!(b.is_ok(), "build failed");
            cc_full.push(t);
            let plan = compile(&cc_file).plan.expect("compiles");
            let store = out.join("crypto-config");
            let (t, x) = timed(|| (fabchart::chaincode::build(&plan, &store, &out), fabchart::chaincode::connection::build(&plan, &store)));
            assert!(x.0.is_ok() && x.1.is_ok());
            cc_stage.push(t);
        }
        let _ = std::fs::remove_dir_all(&out);
        println!("[{label}] chaincode-2.5 full build: {}", Stats(cc_full));
        println!("[{label}]   chaincode stage:        {}", Stats(cc_stage));
    }
}
