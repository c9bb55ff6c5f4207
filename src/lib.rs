//! fabchart: compiles a Hyperledger Fabric network topology (a superset of cryptogen's
//! crypto-config.yaml) into a plan and, in later stages, crypto material and Helm charts.
//!
//! Pipeline (one module per stage; see ARCHITECTURE.md):
//! [`topology`] load → [`validate`] → [`plan`] → crypto → emit chart → package/index.

pub mod channel;
pub mod crypto;
pub mod diag;
pub mod emit;
pub mod examples;
pub mod multi;
pub mod package;
pub mod plan;
pub mod report;
pub mod topology;
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
    Compiled { source, diags, plan }
}

/// Reads and compiles a file. `Err` only when the file cannot be read at all.
pub fn compile_file(path: &std::path::Path) -> Result<Compiled, String> {
    Ok(compile(Source::read(path)?))
}
