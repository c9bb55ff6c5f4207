//! fabchart: compiles a Hyperledger Fabric network topology (a superset of cryptogen's
//! crypto-config.yaml) into a plan and, in later stages, crypto material and Helm charts.
//!
//! Pipeline (one module per stage; see ARCHITECTURE.md):
//! [`topology`] load → [`validate`] → [`plan`] → [`crypto`] → [`channel`] → [`chaincode`] →
//! [`emit`] → [`package`]/index. [`compile`] runs the first three; [`build`] runs them all up to the
//! chart, each stage a plain call with a typed result.

pub mod chaincode;
pub mod channel;
pub mod crypto;
pub mod diag;
pub mod emit;
pub mod examples;
pub mod multi;
pub mod overview;
pub mod package;
pub mod plan;
pub mod report;
pub mod topology;
pub mod uptodate;
pub mod validate;
pub mod version;

use diag::Diagnostics;
use plan::Plan;
use topology::Source;

/// The result of compiling one topology: the plan (only when there are no errors) and
/// everything worth telling the user.
pub struct Compiled {
    pub source: Source,
    pub diags: Diagnostics,
    pub plan: Option<Plan>,
    /// What was decoded, with positions (later stages locate their errors with it).
    pub topology: topology::Topology,
}

impl Compiled {
    /// The diagnostics as the user sees them, with file, line, column and source line.
    pub fn render(&self) -> String {
        diag::render(&self.source.name, &self.source.text, &self.diags)
    }
}

/// Load → validate → plan. All stages run even after errors, so one run reports every
/// problem; the plan is returned only if none is an error.
pub fn compile(source: Source) -> Compiled {
    let mut diags = Diagnostics::default();
    let topology = topology::load(&source, &mut diags);
    let plan = if diags.has_errors() && topology.orgs().next().is_none() {
        None // nothing was decoded (syntax error, empty file): nothing more to say
    } else {
        validate::validate(&topology, &mut diags);
        Some(plan::build::build(&topology, &mut diags))
    };
    let plan = plan.filter(|_| !diags.has_errors());
    Compiled { source, diags, plan, topology }
}

/// Reads and compiles a file. `Err` only when the file cannot be read at all.
pub fn compile_file(path: &std::path::Path) -> Result<Compiled, String> {
    Ok(compile(Source::read(path)?))
}

/// What `build` is asked to do.
pub struct BuildOptions {
    /// OUT: the chart, secrets, channel artifacts and records go here.
    pub out: std::path::PathBuf,
    /// The crypto store (default OUT/crypto-config).
    pub crypto_dir: Option<std::path::PathBuf>,
    pub prune: bool,
    /// Version the chart from what changed (`--bump auto`).
    pub bump: bool,
    pub progress: bool,
}

/// Everything one build did, stage by stage.
pub struct Built {
    /// The plan at its chart version, and what changed since the last build.
    pub versioned: version::Versioned,
    pub crypto_dir: std::path::PathBuf,
    pub crypto: crypto::Report,
    pub channels: channel::Artifacts,
    /// CCaaS packages, package IDs and chaincode definitions.
    pub chaincodes: chaincode::Chaincodes,
    pub connections: Vec<chaincode::connection::OrgConnection>,
    pub emitted: emit::Emitted,
}

/// What a build did.
pub enum Outcome {
    Built(Box<Built>),
    /// OUT already holds what this build would write (`uptodate`): nothing was written.
    Unchanged,
}

pub enum BuildError {
    /// The topology asks for something the running network cannot get: located errors
    /// were added to the `Compiled`'s diagnostics.
    Refused,
    Failed(String),
}

impl From<String> for BuildError {
    fn from(s: String) -> BuildError {
        BuildError::Failed(s)
    }
}

/// The whole pipeline on a compiled topology (`c.plan` must be there): crypto → channels →
/// chaincodes → versions → emit → records; or nothing, when OUT already holds its result (`uptodate`). Nothing of OUT's network state is replaced before every
/// stage has succeeded: the crypto store only gains units, and the channel artifacts,
/// chart and records are swapped in at the end.
pub fn build(c: &mut Compiled, opts: &BuildOptions) -> Result<Outcome, BuildError> {
    let plan = c.plan.clone().ok_or_else(|| "the topology has errors".to_string())?;
    let crypto_dir = opts.crypto_dir.clone().unwrap_or_else(|| opts.out.join("crypto-config"));
    let fingerprint = uptodate::Inputs { plan: &plan, out: &opts.out, crypto_dir: &crypto_dir, prune: opts.prune, bump: opts.bump };
    if uptodate::up_to_date(&fingerprint) {
        return Ok(Outcome::Unchanged);
    }
    let recorded = version::recorded(&opts.out)?;
    let plan_changes = version::plan_changes(&plan, recorded.as_ref())?;

    let copts = crypto::Options { dir: crypto_dir.clone(), prune: opts.prune, progress: opts.progress };
    let crypto = crypto::build(&plan, &copts, time::OffsetDateTime::now_utc())?;

    let mut channels = match channel::build(&plan, &crypto_dir, &opts.out.join(channel::DIR)) {
        Ok(a) => a,
        Err(channel::Error::Failed(e)) => return Err(BuildError::Failed(e)),
        Err(channel::Error::Refused(list)) => {
            for (ch, r) in list {
                let span = locate(&c.topology, &ch, &r.subject);
                c.diags.error(span, format!("channel {ch}: {}", r.message)).add_help(r.help);
            }
            return Err(BuildError::Refused);
        }
    };

    let mut chaincodes = chaincode::build(&plan, &crypto_dir, &opts.out)?;
    let connections = chaincode::connection::build(&plan, &crypto_dir)?;

    let mut changes = plan_changes;
    let from_updates = channels.updates.iter().filter(|u| !u.bootstrap).map(|u| version::channel_change(&u.channel, &u.change)).collect();
    version::merge(&mut changes, from_updates);
    let versioned = version::settle(&plan, recorded.as_ref(), changes, opts.bump)?;
    channels.finish(&versioned.plan.network.chart.version)?;
    for (path, bytes) in chaincodes.finish(&versioned.plan.network.chart.version) {
        channels.put(&path, bytes, true);
    }

    let chart_dir = opts.out.join(&versioned.plan.network.chart.name);
    let previous_changelog = std::fs::read_to_string(chart_dir.join("CHANGELOG.md")).unwrap_or_default();
    let apps = emit::Apps { chaincodes: &chaincodes, connections: &connections };
    let emitted = emit::emit(&versioned.plan, &crypto_dir, &opts.out, &channels, &apps)?;
    chaincode::write(&opts.out, &chaincodes)?;
    chaincode::connection::write(&opts.out, &connections)?;
    let changelog = version::changelog(&previous_changelog, &versioned, &channels.updates);
    crypto::store::replace(&emitted.chart_dir.join("CHANGELOG.md"), changelog.as_bytes(), 0o644)?;
    version::write_record(&opts.out, &versioned.plan)?;
    uptodate::record(&fingerprint)?;
    Ok(Outcome::Built(Box::new(Built { versioned, crypto_dir, crypto, channels, chaincodes, connections, emitted })))
}

/// Where in the topology a refused channel change comes from.
fn locate(t: &topology::Topology, channel: &str, subject: &channel::evolve::Subject) -> Option<diag::Span> {
    use channel::evolve::Subject;
    let ch = t.channels.iter().find(|c| c.name.as_ref().is_some_and(|n| n.v == channel));
    match subject {
        Subject::Consensus => t.network.consensus.as_ref().map(|s| s.span).or(t.network.span),
        Subject::FabricVersion => t.network.fabric_version.as_ref().map(|s| s.span).or(t.network.span),
        Subject::OrdererOrgs => ch
            .and_then(|c| c.orderer_orgs.as_ref().and_then(|o| o.first().map(|x| x.span)).or(Some(c.span)))
            .or_else(|| t.orderer_orgs.first().map(|o| o.span)),
        Subject::Channel => ch.map(|c| c.span).or(t.network.span),
    }
}
