//! The `fabchart` command line: a thin layer over the library's pipeline.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use fabchart::report::{self, Format, PlanFormat};
use fabchart::{Compiled, compile_file, examples, multi};

#[derive(Parser)]
#[command(
    name = "fabchart",
    version,
    about = "Compile a Hyperledger Fabric network topology into a Helm chart",
    long_about = "Compile a Hyperledger Fabric network topology for Kubernetes: validate it, plan \
every namespace, Service, TLS SAN and NodePort, generate its crypto material in cryptogen's \
layout, emit a Helm chart (an umbrella with one subchart per org), and package and index it \
reproducibly for chart repositories.\n\n\
A topology is cryptogen's crypto-config.yaml (accepted unchanged) plus fabchart's own keys: \
the Fabric version and consensus, per-org namespaces, CouchDB, storage, images, NodePorts, \
channels. Start with `fabchart init`, edit, then `fabchart check`.\n\n\
Exit status: 0 when the topology is valid (warnings allowed), 1 when it has errors or a file \
cannot be read or written, 2 for command-line mistakes, 3 when `certs` finds certificates due."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Bump {
    /// Major, minor or patch, from the changes
    Auto,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CertsFormat {
    /// A table by expiry; exit 3 when any is due
    Text,
    /// Prometheus text exposition format (node_exporter textfile collector); exit 0
    Prometheus,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    /// One self-contained HTML page
    Html,
    /// The network diagram alone, as a standalone SVG
    Svg,
}

#[derive(Subcommand)]
enum Command {
    /// Write an example topology to start from
    ///
    /// The default example, `starter`, shows every key fabchart knows with comments and
    /// defaults. Existing files are never overwritten unless --force is given.
    Init {
        /// Which example: starter, talk, raft-2.5, kafka-1.4, bft-3.1, chaincode-2.5, large
        #[arg(long, default_value = "starter", value_parser = clap::builder::PossibleValuesParser::new(examples::names()))]
        example: String,
        /// Where to write it; `-` for standard output
        #[arg(default_value = "topology.yaml")]
        file: PathBuf,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// Validate topologies and report every problem with file, line and column
    ///
    /// With several files, also reports what the networks would both claim on one
    /// cluster: NodePorts, namespaces and network names (blockchain-as-a-service).
    Check {
        /// Topology files
        #[arg(required = true)]
        topologies: Vec<PathBuf>,
    },
    /// Print the NodePort of every published port (validates first)
    ///
    /// Peer org N's CA gets Base+(N-1)*OrgStride, peer M's 7051 and 7052 get +2M+1 and
    /// +2M+2, the k-th orderer's 7050 gets OrdererBase+k. JSON is an array of objects with
    /// keys org, node, namespace, service, port (container port) and nodePort. --all adds
    /// the ClusterIP-only ports, chaincode servers included.
    Ports {
        topology: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Also list Service ports that stay inside the cluster (nodePort null)
        #[arg(long)]
        all: bool,
    },
    /// Generate the network's crypto material, channels and Helm chart, or evolve them
    ///
    /// Writes OUT/<chart>/ (an umbrella chart with one subchart per org), OUT/secrets/
    /// (the crypto values files, mode 0600: <chart>-crypto.yaml for the umbrella,
    /// <org>-crypto.yaml per org), OUT/channel-artifacts/ (the channels' state: configtx.yaml,
    /// genesis blocks or 1.4 channel transactions, signed config updates under updates/,
    /// records under state/, JSON for review; the subcharts carry them, and their hook
    /// Jobs join the channels and apply the updates) and a crypto store in cryptogen's
    /// exact layout (default OUT/crypto-config). Keep OUT/channel-artifacts and the store
    /// between builds: a channel's genesis block is written once; when the topology or a
    /// renewed certificate changes a channel, the build writes the config updates (signed
    /// by the admins their policies need) that take the recorded configuration there.
    /// Changes Fabric would refuse are errors that point at the topology line. Existing
    /// material is never regenerated: a rebuild with an unchanged topology changes nothing;
    /// new orgs, nodes and users are signed by the existing CAs (like `cryptogen extend`),
    /// and an existing cryptogen output given as --crypto-dir is adopted as is. When a
    /// node's SANs change, only its TLS certificate is re-issued, and the build says so.
    /// Private keys are written 0600 and never printed.
    Build {
        topology: PathBuf,
        /// Output directory
        #[arg(short, long)]
        out: PathBuf,
        /// The crypto store (default OUT/crypto-config); may be an existing cryptogen output
        #[arg(long)]
        crypto_dir: Option<PathBuf>,
        /// Delete orgs, nodes and users the topology no longer has (listed in the report)
        #[arg(long)]
        prune: bool,
        /// Version the chart from what changed since the last build (recorded in
        /// OUT/fabchart-plan.json): major for removals, renames, namespace or NodePort
        /// changes; minor for additions; patch for other values
        #[arg(long, value_enum)]
        bump: Option<Bump>,
    },
    /// Package a chart directory into a byte-reproducible archive
    ///
    /// Writes DIST/<name>-<version>.tgz in `helm package`'s layout (Chart.yaml first,
    /// subcharts unpacked under charts/, .helmignore honoured, mode 0644, uid/gid 0) with
    /// sorted entries, a fixed timestamp (SOURCE_DATE_EPOCH when set, else 0) and gzip
    /// header time 0: packaging the same chart twice gives the same sha256. Refuses any
    /// PEM private key or crypto values file, naming the file.
    Package {
        chart_dir: PathBuf,
        /// Output directory
        #[arg(short, long, default_value = ".")]
        destination: PathBuf,
    },
    /// Write DIST/index.yaml for the chart archives in DIST, as `helm repo index` does
    ///
    /// Entries newest version first, with sha256 digests; times from SOURCE_DATE_EPOCH or
    /// the archives, so a re-run changes nothing. --merge keeps an older index's entries
    /// and their created times.
    Index {
        dist: PathBuf,
        /// Base URL of the repository (urls become URL/<file>)
        #[arg(long)]
        url: Option<String>,
        /// An existing index.yaml whose entries to keep
        #[arg(long)]
        merge: Option<PathBuf>,
    },
    /// Inspect, sign and adopt channel configurations
    #[command(subcommand)]
    Channel(ChannelCommand),
    /// Show how a network changes between two topologies (or recorded plans)
    ///
    /// OLD and NEW are topology files or fabchart-plan.json records. Prints each change
    /// with its SemVer level and the bump `build --bump auto` would make.
    Diff { old: PathBuf, new: PathBuf },
    /// List every certificate of a crypto store by expiry; exit 3 if any is due
    ///
    /// STORE is a build's output directory or a crypto store (any cryptogen tree). Exit
    /// status 3 when a certificate is expired or expires within --within days, so the
    /// command can run from monitoring.
    ///
    /// --format prometheus prints Prometheus' text exposition format for node_exporter's
    /// textfile collector: the gauge fabchart_certificate_expiry_timestamp_seconds (the
    /// notAfter time in Unix seconds) per certificate, labelled as the org charts' recording
    /// rules are: namespace and org (the org's namespace and slug, when STORE is a build's
    /// OUT; otherwise no namespace, and org is the org's folder in the store), path,
    /// common_name, kind (ca, tls, enrollment), renewable (by `fabchart renew`), and ca;
    /// and fabchart_certificates, their number. It exits 0 even when certificates are due
    /// (alert in Prometheus instead, e.g. on
    /// `fabchart_certificate_expiry_timestamp_seconds - time() < 30 * 86400`), so a cron job
    /// keeps its file fresh; it exits 1 only when the store cannot be read. Write to a
    /// temporary file and rename it into the collector's directory.
    Certs {
        store: PathBuf,
        /// Flag certificates expiring within this many days (text format)
        #[arg(long, default_value_t = 30)]
        within: i64,
        #[arg(long, value_enum, default_value = "text")]
        format: CertsFormat,
    },
    /// Write a self-contained HTML report of a build: diagram, NodePorts, certificates, sizes
    ///
    /// OUT is a build's output directory (`fabchart build TOPOLOGY -o OUT`). The page shows
    /// the network as a diagram (a box per org namespace with its CA, peers, orderers,
    /// CouchDB, Kafka/ZooKeeper and chaincode servers; channels as lanes linking their
    /// member orgs), the NodePort table with any conflict (a NodePort used twice or outside
    /// the range), every certificate on a time axis to its expiry with those due (expired or
    /// within --within days) highlighted, the estimated release sizes of the umbrella and
    /// each org against Helm's 1 MiB limit, and the chart's CHANGELOG.md. It is one file
    /// that needs no network (inline CSS and SVG, no external link) and holds no private
    /// key. --format svg writes only the diagram, as a standalone SVG file.
    Report {
        /// A build's output directory (fabchart build TOPOLOGY -o OUT)
        out: PathBuf,
        /// The file to write (default report.html, or report.svg with --format svg)
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "html")]
        format: ReportFormat,
        /// Highlight certificates expired or expiring within this many days
        #[arg(long, default_value_t = 30)]
        within: i64,
        /// The crypto store, when the build was given --crypto-dir (default OUT/crypto-config)
        #[arg(long)]
        crypto_dir: Option<PathBuf>,
        /// The time the report is made for, RFC 3339 (default: now); for reproducible output
        #[arg(long, hide = true)]
        now: Option<String>,
    },
    /// Re-issue expiring or chosen leaf certificates from the same CA keys
    ///
    /// Renews what a fresh build would issue (same subject, node OU and SANs), signed by the
    /// org's existing CA, keeping each key unless --rekey. CA certificates are not renewed.
    Renew {
        topology: PathBuf,
        #[arg(short, long)]
        out: PathBuf,
        #[arg(long)]
        crypto_dir: Option<PathBuf>,
        /// Renew certificates expired or expiring within this many days
        #[arg(long, required_unless_present = "cert")]
        within: Option<i64>,
        /// Renew these: a common name (peer0.org1, User1@org1) or a part of a store path
        #[arg(long)]
        cert: Vec<String>,
        /// Generate new keys too
        #[arg(long)]
        rekey: bool,
    },
    /// Print the resolved network plan: names, namespaces, host names, SANs, ports, images
    ///
    /// This is the model the later stages (crypto, chart) consume; useful to see exactly
    /// which names every TLS certificate will carry. With --out, each chaincode server
    /// shows its org's package ID.
    Plan {
        topology: PathBuf,
        #[arg(long, value_enum, default_value = "yaml")]
        format: PlanFormat,
        /// A build's output directory: show each chaincode server's package ID (from
        /// OUT/chaincode/packages.json)
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ChannelCommand {
    /// Print a channel's configuration, or a config update, as JSON (configtxlator's layout)
    ///
    /// OUT is a build's output directory. For a channel: the common.Config fabchart
    /// expects the live channel to have (its genesis configuration with every recorded
    /// update applied; `system-channel` is the 1.4 system channel). For an update envelope
    /// (a path, or a file name under OUT/channel-artifacts/updates/): the common.Envelope,
    /// and on stderr who signed it and which of the policies it needs the signatures
    /// satisfy.
    Show {
        out: PathBuf,
        /// A channel name, or an update envelope (.tx)
        channel: String,
    },
    /// Add an admin's signature to a config update envelope
    ///
    /// For admins whose keys fabchart does not hold: appends a ConfigSignature over the
    /// envelope's ConfigUpdate (its bytes untouched) by the identity in MSP_DIR
    /// (cryptogen layout: signcerts/*.pem, keystore/*_sk) and re-signs the envelope with
    /// it, deterministically, as `peer channel signconfigtx` does. The MSP ID is read from
    /// the channel's recorded configuration (the org whose CA issued the certificate)
    /// unless --msp-id names it. Writes ENVELOPE in place unless --output.
    Sign {
        envelope: PathBuf,
        /// The signing admin's MSP directory
        #[arg(long)]
        msp: PathBuf,
        #[arg(long)]
        msp_id: Option<String>,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Adopt a running channel's configuration as the base of later updates
    ///
    /// CONFIG_BLOCK is a config block fetched from the live network (`peer channel fetch
    /// config`), whoever made the channel (fabchart, configtxgen, hand edits). fabchart
    /// records it as the channel's configuration; the next build computes its updates
    /// against it. Peers join a channel with its block 0: when CONFIG_BLOCK is not block 0
    /// and OUT has no genesis block for the channel, pass it with --genesis (`peer channel
    /// fetch 0`).
    Import {
        out: PathBuf,
        channel: String,
        config_block: PathBuf,
        #[arg(long)]
        genesis: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(msg) => {
            err(&format!("error: {msg}\n"));
            ExitCode::from(1)
        }
    }
}

/// Writes to stdout; a closed pipe (`fabchart plan ... | head`) ends the program quietly
/// instead of panicking as `print!` would.
fn out(text: &str) {
    write_or_exit(&mut std::io::stdout().lock(), text);
}

fn err(text: &str) {
    write_or_exit(&mut std::io::stderr().lock(), text);
}

fn write_or_exit(w: &mut dyn std::io::Write, text: &str) {
    if let Err(e) = w.write_all(text.as_bytes()).and_then(|_| w.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        std::process::exit(1);
    }
}

/// Compiles one file, printing its diagnostics to stderr.
fn compile_reported(path: &Path) -> Result<Compiled, String> {
    let c = compile_file(path)?;
    err(&c.render());
    Ok(c)
}

fn summary(c: &Compiled) -> String {
    let (e, w) = (c.diags.error_count(), c.diags.warning_count());
    let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
    format!("{}: {}, {}", c.source.name, plural(e, "error"), plural(w, "warning"))
}

fn run(cmd: Command) -> Result<ExitCode, String> {
    match cmd {
        Command::Init { example, file, force } => {
            let text = examples::get(&example).ok_or_else(|| format!("no example `{example}`"))?;
            if file.as_os_str() == "-" {
                out(text);
                return Ok(ExitCode::SUCCESS);
            }
            write_new(&file, text.as_bytes(), force)?;
            err(&format!("wrote {} (example `{example}`); next: fabchart check {}\n", file.display(), file.display()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { topologies } => {
            let mut compiled = vec![];
            let mut failed = false;
            for path in &topologies {
                match compile_reported(path) {
                    Ok(c) => {
                        if c.plan.is_none() {
                            failed = true;
                            err(&format!("error: {}\n", summary(&c)));
                        } else {
                            let p = c.plan.as_ref().unwrap();
                            let peers: usize = p.orgs.iter().filter(|o| o.kind == fabchart::topology::OrgKind::Peer).map(|o| o.nodes.len()).sum();
                            let orderers: usize = p.orgs.iter().filter(|o| o.kind == fabchart::topology::OrgKind::Orderer).map(|o| o.nodes.len()).sum();
                            out(&format!(
                                "ok: {} — network `{}`, Fabric {} {}: {} orgs, {peers} peers, {orderers} orderers, {} channels ({})\n",
                                c.source.name,
                                p.network.name,
                                p.network.fabric_version.as_str(),
                                p.network.consensus.as_str(),
                                p.orgs.len(),
                                p.channels.len(),
                                summary(&c).rsplit(": ").next().unwrap_or_default()
                            ));
                        }
                        compiled.push(c);
                    }
                    Err(e) => {
                        failed = true;
                        err(&format!("error: {e}\n"));
                    }
                }
            }
            let plans: Vec<(&str, &fabchart::plan::Plan)> =
                compiled.iter().filter_map(|c| c.plan.as_ref().map(|p| (c.source.name.as_str(), p))).collect();
            if plans.len() > 1 {
                let conflicts = multi::conflicts(&plans);
                for c in &conflicts {
                    err(&format!("error: {}\n", c.0));
                }
                if conflicts.is_empty() {
                    out(&format!("ok: the {} networks can share one cluster (no NodePort, namespace or network name in common)\n", plans.len()));
                } else {
                    failed = true;
                }
            }
            Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Ports { topology, format, all } => {
            let c = compile_reported(&topology)?;
            let Some(plan) = &c.plan else {
                err(&format!("error: {}\n", summary(&c)));
                return Ok(ExitCode::from(1));
            };
            out(&report::render_ports(&report::port_rows(plan, all), format));
            Ok(ExitCode::SUCCESS)
        }
        Command::Build { topology, out: out_dir, crypto_dir, prune, bump } => {
            let mut c = compile_file(&topology)?;
            if c.plan.is_none() {
                err(&c.render());
                err(&format!("error: {}; nothing was written\n", summary(&c)));
                return Ok(ExitCode::from(1));
            }
            let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let opts = fabchart::BuildOptions { out: out_dir.clone(), crypto_dir, prune, bump: bump.is_some(), progress };
            let built = fabchart::build(&mut c, &opts);
            err(&c.render());
            let b = match built {
                Ok(fabchart::Outcome::Built(b)) => b,
                Ok(fabchart::Outcome::Unchanged) => {
                    out(&format!(
                        "unchanged: {} already holds this build (same topology, crypto store, channel records, chart and fabchart): nothing written\n",
                        out_dir.display()
                    ));
                    return Ok(ExitCode::SUCCESS);
                }
                Err(fabchart::BuildError::Refused) => {
                    err(&format!("error: {}; the crypto store may have gained new identities, but no channel artifact, chart or record was written\n", summary(&c)));
                    return Ok(ExitCode::from(1));
                }
                Err(fabchart::BuildError::Failed(e)) => return Err(e),
            };
            out(&build_report(&b, &out_dir));
            let (limit, e, plan) = (fabchart::emit::RELEASE_LIMIT, &b.emitted, &b.versioned.plan);
            if e.umbrella_release > limit * 9 / 10 {
                let largest = e.org_releases.iter().map(|(_, s)| *s).max().unwrap_or(0);
                err(&format!(
                    "warning: the umbrella release would be about {} KiB, over Helm's 1 MiB release limit (Kubernetes rejects larger Secrets);\n  install one release per org instead (largest: {} KiB), e.g.: helm install {} {}/charts/{} -f {}/secrets/{}-crypto.yaml\n",
                    e.umbrella_release / 1024,
                    largest / 1024,
                    plan.orgs[0].slug,
                    e.chart_dir.display(),
                    plan.orgs[0].slug,
                    out_dir.display(),
                    plan.orgs[0].slug
                ));
            }
            for (slug, size) in e.org_releases.iter().filter(|(_, s)| *s > limit * 9 / 10) {
                err(&format!("warning: org {slug}'s release would be about {} KiB, near or over Helm's 1 MiB limit; split the org\n", size / 1024));
            }
            for u in b.channels.updates.iter().filter(|u| !u.unsatisfied.is_empty()) {
                err(&format!(
                    "warning: {}/{} lacks signatures for {}: no admin key in the crypto store satisfies them under the channel's current MSPs; add them with `fabchart channel sign {}/{}/{} --msp ADMIN_MSP_DIR`, then rebuild\n",
                    fabchart::channel::DIR,
                    u.file,
                    u.unsatisfied.join(", "),
                    out_dir.display(),
                    fabchart::channel::DIR,
                    u.file
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Certs { store, within, format } => {
            let orgs = fabchart::overview::metrics::orgs_of(&store);
            let dir = if store.join("crypto-config").is_dir() { store.join("crypto-config") } else { store };
            let list = fabchart::crypto::certs::list(&dir)?;
            if format == CertsFormat::Prometheus {
                out(&fabchart::overview::metrics::prometheus(&list, orgs.as_ref()));
                return Ok(ExitCode::SUCCESS);
            }
            let now = time::OffsetDateTime::now_utc();
            out(&fabchart::crypto::certs::render(&list, now, within));
            let due = list.iter().filter(|c| fabchart::crypto::certs::due(c, now, within)).count();
            if due > 0 {
                err(&format!("{due} of {} certificates are expired or expire within {within} days; renew them with `fabchart renew`\n", list.len()));
                return Ok(ExitCode::from(3));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { out: out_dir, output, format, within, crypto_dir, now } => {
            let now = match now {
                Some(t) => fabchart::overview::parse_now(&t)?,
                None => time::OffsetDateTime::now_utc(),
            };
            let overview = fabchart::overview::load(&out_dir, crypto_dir.as_deref())?;
            let (text, default) = match format {
                ReportFormat::Html => (fabchart::overview::page::html(&overview, now, within), "report.html"),
                ReportFormat::Svg => (fabchart::overview::diagram::svg(&overview, true), "report.svg"),
            };
            let path = output.unwrap_or_else(|| PathBuf::from(default));
            write_new(&path, text.as_bytes(), true)?;
            out(&format!("wrote {}\n", path.display()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Renew { topology, out: out_dir, crypto_dir, within, cert, rekey } => {
            let c = compile_reported(&topology)?;
            let Some(plan) = &c.plan else {
                err(&format!("error: {}\n", summary(&c)));
                return Ok(ExitCode::from(1));
            };
            let dir = crypto_dir.unwrap_or_else(|| out_dir.join("crypto-config"));
            let opts = fabchart::crypto::certs::RenewOptions { within_days: within, names: cert, rekey };
            let renewed = fabchart::crypto::certs::renew(plan, &dir, &opts, time::OffsetDateTime::now_utc())?;
            let mut text = String::new();
            for r in &renewed {
                text += &format!("renewed: {r}\n");
            }
            text += &format!("renew: {} certificates re-issued{}\n", renewed.len(), if rekey { " with new keys" } else { ", keys kept" });
            out(&text);
            Ok(ExitCode::SUCCESS)
        }
        Command::Package { chart_dir, destination } => {
            let (path, digest) = fabchart::package::package(&chart_dir, &destination)?;
            out(&format!("packaged: {} (sha256 {digest})\n", path.display()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Index { dist, url, merge } => {
            let r = fabchart::package::index(&dist, url.as_deref(), merge.as_deref())?;
            out(&format!("index: {} ({} archives, {} entries kept from the merged index)\n", r.path.display(), r.charts, r.merged));
            Ok(ExitCode::SUCCESS)
        }
        Command::Channel(ChannelCommand::Show { out: out_dir, channel }) => {
            let shown = fabchart::channel::show(&out_dir, &channel)?;
            out(&shown.json);
            err(&shown.notes);
            Ok(ExitCode::SUCCESS)
        }
        Command::Channel(ChannelCommand::Sign { envelope, msp, msp_id, output }) => {
            let note = fabchart::channel::sign_file(&envelope, &msp, msp_id.as_deref(), output.as_deref())?;
            out(&note);
            Ok(ExitCode::SUCCESS)
        }
        Command::Channel(ChannelCommand::Import { out: out_dir, channel, config_block, genesis }) => {
            out(&fabchart::channel::import(&out_dir, &channel, &config_block, genesis.as_deref())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { old, new } => {
            let (a, b) = (plan_json(&old)?, plan_json(&new)?);
            let changes = fabchart::version::diff(&a, &b);
            let mut text = fabchart::version::render(&changes);
            if let Some(l) = fabchart::version::level(&changes) {
                text += &format!("bump: {}\n", l.as_str());
            }
            out(&text);
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { topology, format, out: out_dir } => {
            let c = compile_reported(&topology)?;
            let Some(plan) = &c.plan else {
                err(&format!("error: {}\n", summary(&c)));
                return Ok(ExitCode::from(1));
            };
            let packages = match &out_dir {
                Some(d) => report::read_packages(d)?,
                None => vec![],
            };
            out(&report::render_plan_with(plan, format, &packages));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What `build` tells the user, stage by stage.
fn build_report(b: &fabchart::Built, out_dir: &Path) -> String {
    let (r, plan, e) = (&b.crypto, &b.versioned.plan, &b.emitted);
    let mut text = format!(
        "crypto: {}: created {} orgs, {} nodes, {} users ({} key pairs); reused {} identities\n",
        b.crypto_dir.display(),
        r.orgs_created,
        r.nodes_created,
        r.users_created,
        r.key_pairs_created(),
        r.reused
    );
    if r.leftovers > 0 {
        text += &format!("crypto: removed {} unfinished units of an interrupted build\n", r.leftovers);
    }
    for x in &r.reissued {
        text += &format!("re-issued: {x}\n");
    }
    for x in &r.pruned {
        text += &format!("pruned: {x}\n");
    }
    for x in &r.stale {
        text += &format!("not in the topology (kept; --prune removes it): {x}\n");
    }
    if !b.versioned.changes.is_empty() {
        let list = fabchart::version::render(&b.versioned.changes);
        text += &format!("version {}: {}\n", plan.network.chart.version, list.trim_end().replace('\n', "; "));
    }
    text += &format!(
        "chart: {} ({} org subcharts); crypto values: {} (mode 0600, private keys: never commit)\n",
        e.chart_dir.display(),
        plan.orgs.len(),
        out_dir.join("secrets").display()
    );
    let ch = &b.channels;
    text += &format!(
        "channels: {}: configtx.yaml, {} (review: *.json, `fabchart channel show`; keep this folder: it is the channels' state)\n",
        e.artifacts_dir.display(),
        if e.artifacts.is_empty() { "no channel".to_string() } else { e.artifacts.join(", ") }
    );
    if !ch.created.is_empty() {
        text += &format!("channels: new: {}\n", ch.created.join(", "));
    }
    for u in &ch.updates {
        text += &format!("update: {}\n", fabchart::version::update_line(u));
    }
    for d in &ch.dropped {
        text += &format!("channels: {d} is not in the topology any more: its records are kept (the network keeps the channel; orderers leave it with `osnadmin channel remove`)\n");
    }
    for p in &b.chaincodes.packages {
        text += &format!(
            "chaincode: {} of {}: package {} (mode 0600), package ID {}{}\n",
            p.label,
            p.org,
            out_dir.join(fabchart::chaincode::DIR).join(&p.file).display(),
            p.id,
            if p.pinned { "" } else { " (new)" }
        );
    }
    for d in &b.chaincodes.definitions {
        text += &format!(
            "chaincode: {} on {}: sequence {}{}; approved by {}, committed by {}\n",
            d.chaincode,
            d.channel,
            d.sequence,
            match &d.change {
                None => " (unchanged)".to_string(),
                Some(c) if c == "new" => " (new)".to_string(),
                Some(c) => format!(" (new definition: {c})"),
            },
            d.orgs.join(", "),
            d.committer
        );
    }
    for (ch, name) in &b.chaincodes.dropped {
        text += &format!("chaincode: {name} is not on channel {ch} in the topology any more: the channel keeps its definition (Fabric cannot remove one); its record is kept and the chart no longer runs it there\n");
    }
    for c in &b.connections {
        text += &format!(
            "connection: {}: profiles for apps{}; identities {} (mode 0600)\n",
            out_dir.join(fabchart::chaincode::connection::DIR).join(&c.slug).display(),
            match &c.no_external {
                None => " in the cluster and outside (NodePorts)".to_string(),
                Some(why) => format!(" in the cluster (none outside: {why})"),
            },
            out_dir.join("secrets").join(format!("{}-identities.json", c.slug)).display()
        );
    }
    text += &format!("release size (estimate): umbrella {} KiB of Helm's 1024 KiB limit\n", e.umbrella_release / 1024);
    text
}

/// Writes a file whole or not at all: a temporary file in the same directory, renamed into
/// place. Refuses to replace an existing file unless `force`.
fn write_new(path: &Path, bytes: &[u8], force: bool) -> Result<(), String> {
    if path.exists() && !force {
        return Err(format!("{} already exists; pass --force to replace it, or name another file", path.display()));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// A plan as JSON: from a recorded fabchart-plan.json, or compiled from a topology.
fn plan_json(path: &Path) -> Result<serde_json::Value, String> {
    if path.extension().is_some_and(|e| e == "json") {
        return fabchart::version::read_record(path);
    }
    let c = compile_reported(path)?;
    let plan = c.plan.ok_or_else(|| format!("{} has errors", path.display()))?;
    serde_json::to_value(&plan).map_err(|e| e.to_string())
}
