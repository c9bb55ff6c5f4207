//! Stage 5, channels: each channel's life, encoded natively (no Fabric binaries).
//!
//! - A channel's birth: configtx.yaml and what configtxgen makes from it. Fabric 2.5/3.1:
//!   one application-channel genesis block per channel (the channel participation API
//!   joins orderers with it, peers join with it). Fabric 1.4: the system channel's
//!   genesis block and each channel's creation transaction.
//! - Its identity is pinned: once written, a genesis block (and a 1.4 creation tx) is
//!   never written again; every later build reuses the bytes in OUT/channel-artifacts.
//! - Its life: `state/<channel>.json` records the configuration the running channel is
//!   expected to have. When the topology (or the crypto: a renewed certificate) changes
//!   it, the stage writes the signed CONFIG_UPDATE envelopes that take the recorded
//!   configuration to the new one, in steps Fabric accepts (`evolve`), each computed as
//!   `configtxlator compute_update` does (`update`), checked and applied as the orderer
//!   applies it, and signed by the admins its modification policies require (`policy`,
//!   `sign`). An envelope, once written, is never rewritten.
//!
//! Everything is a pure function of the plan, the crypto store and the records:
//! timestamps and nonces are derived, never taken from the clock or a random source.

pub mod encode;
pub mod evolve;
pub mod policy;
pub mod profile;
pub mod proto;
use proto as pb;
pub mod render;
pub mod sign;
pub mod state;
pub mod update;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use prost::Message;

use crate::crypto::store;
use crate::plan::{NodeKind, Plan};
use crate::topology::{Consensus, FabricVersion, OrgKind};
use profile::SYSTEM_CHANNEL;
use state::{BaseKind, Loaded, STATE_DIR, UPDATES_DIR, UpdateRecord};

/// The folder under OUT holding every artifact, configtx.yaml, the records and the JSON.
pub const DIR: &str = "channel-artifacts";

/// What one org's subchart carries and does for the channels (file names are base names
/// of files it carries under `files/channels/`).
#[derive(Debug, Clone, Default)]
pub struct OrgChannels {
    /// Fabric 1.4 orderer orgs: the system channel genesis block.
    pub system_block: Option<String>,
    pub channels: Vec<OrgChannel>,
    /// Orderer orgs: configtx.yaml goes into a ConfigMap.
    pub configtx: bool,
    /// Extra files (name, bytes) the subchart carries: update plans.
    pub extra: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgChannel {
    pub name: String,
    /// 2.5/3.1: the channel's pinned genesis block.
    pub block: Option<String>,
    /// 1.4: the channel creation transaction (the org that creates the channel).
    pub create_tx: Option<String>,
    /// Peer orgs: the org is not in the genesis configuration (a config update adds it):
    /// its join Job waits until the ordering service serves it the channel.
    pub wait_member: bool,
    /// Orderer orgs: orderers (host names) that join with the genesis block; the others
    /// join with the latest config block fetched from the channel's orderers.
    pub genesis_join: Vec<String>,
    /// Orderer orgs not in the genesis configuration join after the update Job.
    pub late: bool,
    /// Orderer addresses (host:port) serving the channel, to fetch config blocks from.
    pub orderers: Vec<String>,
    /// The org that applies the channel's config updates: its update plan and envelopes.
    pub updates: Option<OrgUpdates>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgUpdates {
    /// The update plan (`<channel>.updates`): one line per update, then the final state.
    pub plan: String,
    /// Envelope file names, in order.
    pub files: Vec<String>,
    /// Whether any is applied before the upgrade (a consenter leaving).
    pub pre: bool,
}

/// An update this build generated.
#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub channel: String,
    pub sequence: u64,
    pub file: String,
    pub change: evolve::Change,
    pub signers: Vec<String>,
    /// Policies the signatures fabchart could collect do not satisfy (sign them with
    /// `fabchart channel sign`).
    pub unsatisfied: Vec<String>,
    /// Part of setting the channel up (1.4 anchor peers after creation), not a change to a
    /// running channel: not a version change of its own.
    pub bootstrap: bool,
}

pub struct Artifacts {
    /// Every file of OUT/channel-artifacts this build knows, by relative path: pinned files
    /// (read back, or new) and the files it regenerates.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The relative paths this build writes (new pinned files and regenerated ones).
    pub written: BTreeSet<String>,
    /// Org slug → what its subchart carries.
    pub orgs: BTreeMap<String, OrgChannels>,
    pub updates: Vec<NewUpdate>,
    /// Channels whose genesis (1.4: creation tx) this build made.
    pub created: Vec<String>,
    /// Channels recorded in OUT that the topology no longer has: their records are kept.
    pub dropped: Vec<String>,
    /// Every channel's records after this build (written by [`Artifacts::finish`]).
    pub records: BTreeMap<String, Loaded>,
}

impl Artifacts {
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(|v| v.as_slice())
    }

    /// Stamps this build's updates with the chart version that introduces them, and adds
    /// every channel's records (`state/<channel>.json`) and expected configuration
    /// (`state/<channel>_config.json`) to the files to write.
    pub fn finish(&mut self, chart_version: &str) -> Result<(), String> {
        let records = std::mem::take(&mut self.records);
        for (ch, mut l) in records {
            for u in l.state.updates.iter_mut().filter(|u| u.chart_version.is_empty()) {
                u.chart_version = chart_version.to_string();
            }
            self.put(&format!("{STATE_DIR}/{ch}.json"), l.json().into_bytes(), true);
            self.put(&format!("{STATE_DIR}/{ch}_config.json"), render::pretty(&render::config(&l.config)?).into_bytes(), true);
            self.records.insert(ch, l);
        }
        Ok(())
    }
}

/// Why the stage stopped.
#[derive(Debug)]
pub enum Error {
    /// Changes Fabric would refuse, by channel: reported as located errors.
    Refused(Vec<(String, evolve::Refusal)>),
    Failed(String),
}

impl From<String> for Error {
    fn from(s: String) -> Error {
        Error::Failed(s)
    }
}

/// The org admins fabchart holds keys for, by MSP ID.
fn admins(plan: &Plan, store_dir: &Path) -> Result<Vec<sign::Signer>, String> {
    let mut out = vec![];
    for o in &plan.orgs {
        let Some(admin) = o.users.iter().find(|u| u.admin) else { continue };
        let dir = store::user_dir(store_dir, o, admin).join("msp");
        out.push(sign::Signer::from_msp_dir(&dir, &o.msp_id).map_err(|e| format!("the admin of {}: {e}", o.msp_id))?);
    }
    Ok(out)
}

/// The smallest set of admins (greedy, in org order) whose signatures satisfy every
/// policy in `policies` under configuration `cfg`. An admin whose certificate the
/// configuration does not list but whose key signed a certificate it does list (an
/// admincerts entry renewed with the same key) signs with the listed certificate.
/// Returns the signers and the policies nobody can satisfy.
fn choose<'a>(cfg: &pb::ConfigGroup, policies: &BTreeSet<String>, admins: &'a [sign::Signer]) -> Result<(Vec<sign::Signer>, Vec<String>), String> {
    let ev = policy::Evaluator::new(cfg);
    let mut cands: Vec<sign::Signer> = vec![];
    for a in admins {
        cands.push(a.with_cert(a.cert_pem.clone())?);
        if let Some(m) = ev.msp(&a.msp_id) {
            for pem in m.admin_pems() {
                let der = policy::pem_certs(&pem).into_iter().next().unwrap_or_default();
                let same_key = x509_parser::parse_x509_certificate(&der).is_ok_and(|(_, c)| c.public_key().subject_public_key.data.as_ref() == a.key.public_bytes());
                if same_key && der != a.cert_der()? {
                    cands.push(a.with_cert(pem)?);
                }
            }
        }
    }
    let signed: Vec<policy::Signed> = cands.iter().map(|s| policy::Signed { msp_id: s.msp_id.clone(), cert: s.cert_der().unwrap_or_default(), verified: true }).collect();
    let ok = |keep: &[bool]| {
        let set: Vec<policy::Signed> = signed.iter().zip(keep).filter(|(_, k)| **k).map(|(s, _)| s.clone()).collect();
        policies.iter().all(|p| ev.satisfied(p, &set))
    };
    let mut keep = vec![true; cands.len()];
    if !ok(&keep) {
        let unsatisfied = policies.iter().filter(|p| !ev.satisfied(p, &signed)).cloned().collect();
        // Everyone fabchart holds signs; `fabchart channel sign` adds the rest.
        let set = cands.into_iter().filter(|s| policies.iter().any(|p| ev.satisfied(p, &[policy::Signed { msp_id: s.msp_id.clone(), cert: s.cert_der().unwrap_or_default(), verified: true }]))).collect();
        return Ok((set, unsatisfied));
    }
    for i in (0..cands.len()).rev() {
        keep[i] = false;
        if !ok(&keep) {
            keep[i] = true;
        }
    }
    Ok((cands.into_iter().zip(keep).filter(|(_, k)| *k).map(|(s, _)| s).collect(), vec![]))
}


/// One channel's records and the updates that bring it to `target`.
struct Evolution<'a> {
    channel: &'a str,
    /// The channel's record starts with this build (its updates set it up).
    bootstrap: bool,
    admins: &'a [sign::Signer],
    /// Certificates the target embeds (the update timestamp is the newest NotBefore of
    /// these and the signers').
    certs: Vec<Vec<u8>>,
}

impl Evolution<'_> {
    fn run(&self, l: &mut Loaded, target: &pb::ConfigGroup, a: &mut Artifacts, v: FabricVersion) -> Result<(), Error> {
        let mut target = target.clone();
        evolve::carry_unmodelled(l.group(), &mut target);
        let steps = evolve::steps(l.group(), &target).map_err(|r| Error::Refused(vec![(self.channel.to_string(), r)]))?;
        if v == FabricVersion::V1_4
            && let Some(s) = steps.iter().find(|s| !supported_on_1_4(&s.change))
        {
            use evolve::Change::*;
            let orderer_side = matches!(s.change, Batch | ConsensusOptions | ConsenterAdded(_) | ConsenterRemoved(_) | ConsenterCerts(_) | ConsenterAddresses | OrdererOrgAdded(_) | OrdererOrgRemoved(_) | OrdererOrgChanged(..) | Other(_));
            return Err(Error::Refused(vec![(
                self.channel.to_string(),
                evolve::Refusal {
                    subject: if orderer_side { evolve::Subject::OrdererOrgs } else { evolve::Subject::Channel },
                    message: format!("on Fabric 1.4 fabchart updates consortium and channel membership, anchor peers and org MSPs of a running network; this change ({}) is not one of them", s.change.describe()),
                    help: "keep the 1.4 ordering service as it is (or change it by hand and `fabchart channel import` the channel), or move the network to Fabric 2.5".into(),
                },
            )]));
        }
        for step in steps {
            let update = update::config_update(self.channel, l.group(), &step.target).ok_or_else(|| format!("internal: step {:?} changes nothing", step.change.describe()))?;
            let applied = update::apply(&l.config, &update).map_err(|e| format!("internal: channel {}: the update for {:?} does not apply: {e}", self.channel, step.change.describe()))?;
            let after = applied.config.channel_group.as_ref().expect("applied");
            if evolve::raft_membership_changes(l.group(), after) > 1 {
                return Err(Error::Failed(format!("internal: channel {}: an update changes more than one consenter", self.channel)));
            }
            let (signers, unsatisfied) = choose(l.group(), &applied.policies, self.admins)?;
            let mut certs = self.certs.clone();
            certs.extend(signers.iter().map(|s| s.cert_pem.clone()));
            let refs: Vec<&sign::Signer> = signers.iter().collect();
            let env = sign::envelope(&update, &refs, encode::timestamp(&certs))?;
            let seq = applied.config.sequence;
            let stem = format!("{}_{:04}_{}", self.channel, seq, step.change.slug());
            let file = format!("{UPDATES_DIR}/{stem}.tx");
            let json = render::pretty(&render::envelope(&pb::Envelope::decode(env.as_slice()).map_err(|e| e.to_string())?)?);
            a.put(&file, env, true);
            a.put(&format!("{UPDATES_DIR}/{stem}.json"), json.into_bytes(), true);
            let names: Vec<String> = signers.iter().map(|s| s.msp_id.clone()).collect();
            let record = UpdateRecord {
                file: file.clone(),
                sequence: seq,
                summary: step.change.describe(),
                pre: step.pre,
                signers: names.clone(),
                digest_before: update::digest(l.group())?,
                chart_version: String::new(),
            };
            l.push(record, applied.config)?;
            a.updates.push(NewUpdate { channel: self.channel.to_string(), sequence: seq, file, change: step.change, signers: names, unsatisfied, bootstrap: self.bootstrap });
        }
        Ok(())
    }
}

/// What fabchart changes on a running Fabric 1.4 network.
fn supported_on_1_4(c: &evolve::Change) -> bool {
    use evolve::Change::*;
    matches!(c, OrgAdded(_) | OrgRemoved(_) | OrgChanged(..) | ConsortiumOrgAdded(..) | ConsortiumOrgRemoved(..))
}

impl Artifacts {
    /// Adds a file (relative path) this build knows; `written`: this build writes it.
    pub fn put(&mut self, name: &str, bytes: Vec<u8>, written: bool) {
        if written {
            self.written.insert(name.to_string());
        }
        self.files.insert(name.to_string(), bytes);
    }

    /// A pinned file: the bytes OUT has, else `make()` (written).
    fn pinned(&mut self, dir: &Path, name: &str, make: impl FnOnce() -> Result<Vec<u8>, String>) -> Result<Vec<u8>, String> {
        if let Ok(b) = std::fs::read(dir.join(name)) {
            self.put(name, b.clone(), false);
            return Ok(b);
        }
        let b = make()?;
        self.put(name, b.clone(), true);
        Ok(b)
    }

    /// Keeps a channel's records, and reads the recorded envelopes (the chart carries them).
    fn record(&mut self, dir: &Path, l: &Loaded) -> Result<(), String> {
        self.records.insert(l.state.channel.clone(), l.clone());
        for u in &l.state.updates {
            if !self.files.contains_key(&u.file) {
                let b = std::fs::read(dir.join(&u.file)).map_err(|e| format!("cannot read {}: {e}", dir.join(&u.file).display()))?;
                self.put(&u.file.clone(), b, false);
            }
        }
        Ok(())
    }
}

/// The update plan the channel-update Job follows: the base, each update (file, sequence
/// and version digest before it, pre/post, summary), and the final state.
fn update_plan(l: &Loaded) -> String {
    let mut s = format!(
        "# Config updates of channel {} generated by fabchart, applied in this order by the\n# channel-update Job. Fields: file, config sequence and version digest before it,\n# pre|post (before or after the upgrade's resources), summary.\nbase {} {}\n",
        l.state.channel, l.state.base.sequence, l.state.base.digest
    );
    for u in &l.state.updates {
        let base = u.file.rsplit('/').next().unwrap_or(&u.file);
        s += &format!("update {base} {} {} {} {}\n", u.sequence - 1, u.digest_before, if u.pre { "pre" } else { "post" }, u.summary);
    }
    s += &format!("final {} {}\n", l.state.sequence, l.state.digest);
    s
}

fn msp_ids(g: &pb::ConfigGroup, section: &str) -> Vec<String> {
    g.groups.get(section).map(|s| s.groups.keys().cloned().collect()).unwrap_or_default()
}

/// Builds every channel's artifacts and updates. `dir` is OUT/channel-artifacts (the
/// records are read from it; nothing is written here: `emit` writes `written`).
pub fn build(plan: &Plan, store_dir: &Path, dir: &Path) -> Result<Artifacts, Error> {
    state::recover(dir)?;
    let v = plan.network.fabric_version;
    let mut profiles = profile::profiles(plan, store_dir);
    let mut a = Artifacts { files: BTreeMap::new(), written: BTreeSet::new(), orgs: BTreeMap::new(), updates: vec![], created: vec![], dropped: vec![], records: BTreeMap::new() };
    a.orgs = plan.orgs.iter().map(|o| (o.slug.clone(), OrgChannels::default())).collect();
    for o in plan.orgs.iter().filter(|o| o.kind == OrgKind::Orderer) {
        a.orgs.get_mut(&o.slug).expect("org").configtx = true;
    }
    let admins = std::cell::OnceCell::new();
    let admins = || -> Result<&[sign::Signer], String> {
        if admins.get().is_none() {
            let _ = admins.set(self::admins(plan, store_dir)?);
        }
        Ok(admins.get().expect("set").as_slice())
    };

    // Records first: BFT ids come from them.
    let mut loaded: BTreeMap<String, Loaded> = BTreeMap::new();
    for p in &profiles {
        let l = match state::load(dir, &p.channel_id)? {
            Some(l) => Some(l),
            // An OUT written before fabchart kept records: its genesis block is the channel.
            None if p.orderer.is_some() => match std::fs::read(dir.join(format!("{}.block", p.channel_id))) {
                Ok(b) => Some(Loaded::genesis(&p.channel_id, &format!("{}.block", p.channel_id), &b).map_err(|e| format!("{}/{}.block: {e}", dir.display(), p.channel_id))?),
                Err(_) => None,
            },
            None => None,
        };
        if let Some(l) = l {
            loaded.insert(p.channel_id.clone(), l);
        }
    }
    // A network moves between Fabric 1.4 and 2.x/3.x only through Fabric's own migration.
    for (ch, l) in &loaded {
        let caps = evolve::capability_names(l.group().values.get("Capabilities"));
        let was_14 = caps.iter().any(|c| c.starts_with("V1_"));
        if was_14 != (v == FabricVersion::V1_4) {
            let from = if was_14 { "1.4".to_string() } else { caps.join(",") };
            return Err(Error::Refused(vec![(
                ch.clone(),
                evolve::Refusal {
                    subject: evolve::Subject::FabricVersion,
                    message: format!("the running channel has Fabric {from} capabilities; FabricVersion {} cannot take it there with config updates", v.as_str()),
                    help: "1.4 networks move to 2.x through Fabric's system-channel removal and channel-participation migration (by hand, then `fabchart channel import` each channel); capabilities never go down. Keep the FabricVersion the network has".into(),
                },
            )]));
        }
    }
    for p in profiles.iter_mut() {
        let (Some(l), Some(o)) = (loaded.get(&p.channel_id), p.orderer.as_mut()) else { continue };
        if o.orderer_type == Consensus::Bft {
            let addrs: Vec<String> = o.consenters.iter().map(|c| format!("{}:{}", c.host, c.port)).collect();
            let ids = evolve::bft_ids(l.group(), &addrs, l.state.bft_highest_id);
            for c in o.consenters.iter_mut() {
                c.id = ids[&format!("{}:{}", c.host, c.port)];
            }
        }
    }
    a.put("configtx.yaml", profile::configtx_yaml(plan, &profiles, store_dir, dir).into_bytes(), true);

    let mut refused = vec![];
    // 1.4: the system channel first (channels are created from its configuration).
    let mut system_config: Option<pb::ConfigGroup> = None;
    for p in &profiles {
        let mut r = encode::Reader::default();
        let target = encode::channel_group(&mut r, p)?;
        let ch = p.channel_id.clone();
        let evo = Evolution { channel: &ch, bootstrap: false, admins: &[], certs: r.certs.clone() };
        if p.orderer.is_some() {
            // A channel born from a genesis block: every 2.5/3.1 channel, 1.4's system channel.
            let name = format!("{ch}.block");
            let existed = loaded.contains_key(&ch);
            let block = a.pinned(dir, &name, || Ok(pb::bytes(&encode::genesis_block(v, &ch, target.clone(), encode::timestamp(&r.certs)))))?;
            a.pinned(dir, &format!("{ch}.json"), || Ok(render::pretty(&render::config(&state::block_config(&block)?.0)?).into_bytes()))?;
            let mut l = match loaded.remove(&ch) {
                Some(l) => l,
                None => Loaded::genesis(&ch, &name, &block)?,
            };
            if !existed {
                a.created.push(ch.clone());
            } else {
                let evo = Evolution { admins: admins()?, ..evo };
                collect(evo.run(&mut l, &target, &mut a, v), &mut refused)?;
            }
            a.record(dir, &l)?;
            if ch == SYSTEM_CHANNEL && v == FabricVersion::V1_4 {
                system_config = Some(l.group().clone());
                for o in plan.orgs.iter().filter(|o| o.kind == OrgKind::Orderer) {
                    let oc = a.orgs.get_mut(&o.slug).expect("org");
                    oc.system_block = Some(name.clone());
                }
                attach_updates(&mut a, plan, &l, first_orderer_org(plan, &l), &[]);
                continue;
            }
            let chp = plan.channels.iter().find(|c| c.name == ch).expect("profile of a channel");
            attach_channel(&mut a, plan, chp, &l, &name);
        } else {
            // 1.4: the creation transaction, and the configuration the orderer makes of it.
            let tx_name = format!("{ch}.tx");
            let update = encode::channel_create_update(&mut r, p)?;
            let ts = encode::timestamp(&r.certs);
            let tx = a.pinned(dir, &tx_name, || Ok(encode::update_envelope(&update, Some(ts)).encode_to_vec()))?;
            let existed = !a.written.contains(&tx_name);
            a.pinned(dir, &format!("{ch}.json"), || Ok(render::pretty(&render::config_update(&update)?).into_bytes()))?;
            let fresh = !loaded.contains_key(&ch);
            let mut l = match loaded.remove(&ch) {
                Some(l) => l,
                None => {
                    let system = system_config.as_ref().ok_or_else(|| "internal: no system channel before the channels".to_string())?;
                    let created = encode::created_channel(system, &sign::parse(&tx)?.update)?;
                    let base_name = format!("{STATE_DIR}/{ch}_created.pb");
                    let bytes = a.pinned(dir, &base_name, || Ok(pb::bytes(&created)))?;
                    let created = pb::Config::decode(bytes.as_slice()).map_err(|e| format!("{base_name}: {e}"))?;
                    Loaded::from_config(&ch, BaseKind::Created, &base_name, created, None)?
                }
            };
            if !existed {
                a.created.push(ch.clone());
            }
            // The channel as the topology has it: the recorded one with the application
            // section the profile describes (1.4 orderer sections are not updated).
            let mut want = l.group().clone();
            if let Some(app) = target.groups.get("Application") {
                want.groups.insert("Application".into(), app.clone());
            }
            let evo = Evolution { admins: admins()?, bootstrap: fresh, ..evo };
            collect(evo.run(&mut l, &want, &mut a, v), &mut refused)?;
            a.record(dir, &l)?;
            let chp = plan.channels.iter().find(|c| c.name == ch).expect("profile of a channel");
            attach_channel(&mut a, plan, chp, &l, &tx_name);
        }
    }
    if !refused.is_empty() {
        return Err(Error::Refused(refused));
    }
    // Channels fabchart has records of that the topology dropped: records kept.
    for (ch, _) in state::recorded(dir) {
        if !profiles.iter().any(|p| p.channel_id == ch)
            && let Some(l) = state::load(dir, &ch)?
        {
            a.record(dir, &l)?;
            if let Some(g) = &l.genesis {
                a.put(&format!("{ch}.block"), g.clone(), false);
            }
            a.dropped.push(ch);
        }
    }
    Ok(a)
}

/// Keeps refusals to report them all at the end; passes other errors on.
fn collect(r: Result<(), Error>, into: &mut Vec<(String, evolve::Refusal)>) -> Result<(), Error> {
    match r {
        Err(Error::Refused(list)) => {
            into.extend(list);
            Ok(())
        }
        other => other,
    }
}

/// The first orderer org of the plan that is in the recorded configuration (the system
/// channel's updater on 1.4).
fn first_orderer_org<'p>(plan: &'p Plan, l: &Loaded) -> Option<&'p crate::plan::OrgPlan> {
    let members = msp_ids(l.before.first().and_then(|c| c.channel_group.as_ref()).unwrap_or(l.group()), "Orderer");
    plan.orgs.iter().find(|o| o.kind == OrgKind::Orderer && members.contains(&o.msp_id)).or_else(|| plan.orgs.iter().find(|o| o.kind == OrgKind::Orderer))
}

/// Gives the updater org the channel's update plan and envelopes.
fn attach_updates(a: &mut Artifacts, _plan: &Plan, l: &Loaded, updater: Option<&crate::plan::OrgPlan>, orderers: &[String]) {
    let Some(u) = updater else { return };
    let ch = &l.state.channel;
    let plan_name = format!("{ch}.updates");
    let files: Vec<String> = l.state.updates.iter().map(|r| r.file.rsplit('/').next().unwrap_or(&r.file).to_string()).collect();
    let pre = l.state.updates.iter().any(|r| r.pre);
    let oc = a.orgs.get_mut(&u.slug).expect("org");
    oc.extra.push((plan_name.clone(), update_plan(l).into_bytes()));
    let entry = OrgUpdates { plan: plan_name, files, pre };
    match oc.channels.iter_mut().find(|c| c.name == *ch) {
        Some(c) => c.updates = Some(entry),
        None => oc.channels.push(OrgChannel { name: ch.clone(), orderers: orderers.to_vec(), updates: Some(entry), ..Default::default() }),
    }
}

/// What each member org's subchart does for one channel (2.5/3.1 channels and 1.4
/// application channels). `file` is the genesis block or the 1.4 creation tx.
fn attach_channel(a: &mut Artifacts, plan: &Plan, chp: &crate::plan::ChannelPlan, l: &Loaded, file: &str) {
    let v = plan.network.fabric_version;
    let genesis = l.base.channel_group.clone().unwrap_or_default();
    let genesis_cfg = if l.state.base.kind == BaseKind::Genesis { Some(&genesis) } else { None };
    let genesis_consenters: Vec<String> = genesis_cfg.map(evolve::consenter_addresses).unwrap_or_default().into_iter().filter(|c| !l.state.consenters_removed.contains(c)).collect();
    let orderers: Vec<String> = evolve::consenter_addresses(l.group());
    for (i, name) in chp.orgs.iter().enumerate() {
        let Some(o) = plan.org(name) else { continue };
        let in_genesis = match genesis_cfg {
            Some(g) => msp_ids(g, "Application").contains(&o.msp_id),
            None => true,
        };
        let entry = OrgChannel {
            name: chp.name.clone(),
            block: (v != FabricVersion::V1_4).then(|| file.to_string()),
            create_tx: (v == FabricVersion::V1_4 && i == 0).then(|| file.to_string()),
            wait_member: !in_genesis,
            orderers: orderers.clone(),
            ..Default::default()
        };
        a.orgs.get_mut(&o.slug).expect("org").channels.push(entry);
    }
    let updater = if v == FabricVersion::V1_4 {
        first_orderer_org(plan, l)
    } else {
        let members = msp_ids(l.before.first().and_then(|c| c.channel_group.as_ref()).unwrap_or(l.group()), "Orderer");
        chp.orderer_orgs.iter().filter_map(|n| plan.org(n)).find(|o| members.contains(&o.msp_id)).or_else(|| chp.orderer_orgs.first().and_then(|n| plan.org(n)))
    };
    if v != FabricVersion::V1_4 {
        for name in &chp.orderer_orgs {
            let Some(o) = plan.org(name) else { continue };
            let in_genesis = msp_ids(&genesis, "Orderer").contains(&o.msp_id) || genesis_cfg.is_none();
            let genesis_join = o
                .nodes
                .iter()
                .filter(|n| n.kind == NodeKind::Orderer && genesis_consenters.contains(&n.endpoint.address))
                .map(|n| n.endpoint.hostname.clone())
                .collect();
            let entry = OrgChannel { name: chp.name.clone(), block: Some(file.to_string()), genesis_join, late: !in_genesis, orderers: orderers.clone(), ..Default::default() };
            a.orgs.get_mut(&o.slug).expect("org").channels.push(entry);
        }
    }
    attach_updates(a, plan, l, updater, &orderers);
}

/// What `channel show` prints: the JSON (stdout) and notes about it (stderr).
pub struct Shown {
    pub json: String,
    pub notes: String,
}

/// The `common.Config` of a genesis block, rendered.
fn config_json(block: &[u8]) -> Result<serde_json::Value, String> {
    render::config(&state::block_config(block)?.0)
}

/// `fabchart channel show OUT NAME`: a channel's configuration from OUT/channel-artifacts
/// as JSON. NAME is a channel (its expected live configuration, from the records; a
/// genesis block or 1.4 creation tx without records) or an update envelope's path or
/// name (the envelope, its signers and the policies they satisfy).
pub fn show(out_dir: &Path, name: &str) -> Result<Shown, String> {
    let dir = out_dir.join(DIR);
    if name.ends_with(".tx") || Path::new(name).is_file() {
        return show_envelope(out_dir, name);
    }
    let json = |v: serde_json::Value| Shown { json: render::pretty(&v), notes: String::new() };
    if let Some(l) = state::load(&dir, name)? {
        let mut s = json(render::config(&l.config)?);
        s.notes = format!("channel {name}: expected live configuration at sequence {} ({} update(s) since the {:?} base at sequence {})\n", l.state.sequence, l.state.updates.len(), l.state.base.kind, l.state.base.sequence);
        return Ok(s);
    }
    if let Ok(b) = std::fs::read(dir.join(format!("{name}.block"))) {
        return Ok(json(config_json(&b)?));
    }
    if let Ok(b) = std::fs::read(dir.join(format!("{name}.tx"))) {
        let p = sign::parse(&b).map_err(|e| format!("{name}.tx: {e}"))?;
        return Ok(json(render::config_update(&p.update)?));
    }
    let mut known: BTreeSet<String> = state::recorded(&dir).into_keys().collect();
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        if let Some(c) = n.strip_suffix(".block").or_else(|| n.strip_suffix(".tx")) {
            known.insert(c.to_string());
        }
    }
    if known.is_empty() {
        return Err(format!("{} holds no channel artifacts: run `fabchart build TOPOLOGY -o {}` first", dir.display(), out_dir.display()));
    }
    Err(format!("no channel {name:?} in {}; channels there: {}", dir.display(), known.into_iter().collect::<Vec<_>>().join(", ")))
}

/// An update envelope: the configtxlator JSON, then who signed it and which of the
/// policies it needs the signatures satisfy (judged by the configuration it applies to,
/// when OUT's records have it).
fn show_envelope(out_dir: &Path, name: &str) -> Result<Shown, String> {
    let dir = out_dir.join(DIR);
    let path = if Path::new(name).is_file() { Path::new(name).to_path_buf() } else { dir.join(UPDATES_DIR).join(name) };
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let p = sign::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let json = render::pretty(&render::envelope(&p.envelope)?);
    let mut out = String::new();
    let base = state::load(&dir, &p.update.channel_id).ok().flatten().and_then(|l| {
        let file = path.file_name()?.to_string_lossy().to_string();
        let i = l.state.updates.iter().position(|u| u.file.ends_with(&file))?;
        Some(l.before[i].clone())
    });
    out += &format!("channel {}: {} signature(s)\n", p.update.channel_id, p.cue.signatures.len());
    for s in p.signed() {
        let subject = x509_parser::parse_x509_certificate(&s.cert).map(|(_, c)| c.subject().to_string()).unwrap_or_default();
        out += &format!("  {} {}: signature {}\n", s.msp_id, subject, if s.verified { "valid" } else { "INVALID" });
    }
    match base {
        Some(cfg) => {
            let applied = update::apply(&cfg, &p.update).map_err(|e| format!("{}: {e}", path.display()))?;
            let g = cfg.channel_group.as_ref().expect("config");
            let ev = policy::Evaluator::new(g);
            for pol in &applied.policies {
                out += &format!("policy {pol}: {}\n", if ev.satisfied(pol, &p.signed()) { "satisfied" } else { "NOT satisfied: more signatures needed (fabchart channel sign)" });
            }
        }
        None => out += "(no record of the configuration this update applies to: policies not evaluated)\n",
    }
    Ok(Shown { json, notes: out })
}

/// `fabchart channel sign`: adds a signature by the admin in `msp_dir` to the envelope at
/// `path` (written to `output`, else in place). Returns a one-line report.
pub fn sign_file(path: &Path, msp_dir: &Path, msp_id: Option<&str>, output: Option<&Path>) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let parsed = sign::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let msp_id = match msp_id {
        Some(m) => m.to_string(),
        None => infer_msp_id(path, &parsed, msp_dir)?,
    };
    let signer = sign::Signer::from_msp_dir(msp_dir, &msp_id)?;
    let signed = sign::add_signature(&bytes, &signer).map_err(|e| format!("{}: {e}", path.display()))?;
    let dest = output.unwrap_or(path);
    store::replace(dest, &signed, 0o644)?;
    Ok(format!(
        "signed: {} by {} ({}); {} signature(s) now. The chart carries the envelope as OUT/{DIR} has it: rebuild to ship it.\n",
        dest.display(),
        msp_dir.display(),
        msp_id,
        sign::parse(&signed)?.cue.signatures.len()
    ))
}

/// The MSP whose roots issued the certificate in `msp_dir`, from the recorded
/// configuration of the envelope's channel (OUT being the folder above channel-artifacts).
fn infer_msp_id(path: &Path, parsed: &sign::Parsed, msp_dir: &Path) -> Result<String, String> {
    let cert = store::find(&msp_dir.join("signcerts"), ".pem").ok_or_else(|| format!("{}: no certificate in signcerts/", msp_dir.display()))?;
    let der = policy::pem_certs(&std::fs::read(&cert).map_err(|e| format!("cannot read {}: {e}", cert.display()))?).into_iter().next().ok_or("the certificate is not PEM")?;
    let artifacts = path.ancestors().find(|a| a.file_name().is_some_and(|n| n == DIR));
    let cfg = artifacts.and_then(|a| state::load(a, &parsed.update.channel_id).ok().flatten());
    let Some(l) = cfg else {
        return Err(format!("{} is not in a build's {DIR}/{UPDATES_DIR} with a record of channel {}: name the signer's MSP with --msp-id", path.display(), parsed.update.channel_id));
    };
    let found: Vec<String> = policy::msps(l.group()).into_values().filter(|m| m.valid(&der)).map(|m| m.name).collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no MSP of channel {} accepts the certificate in {}: name the signer's MSP with --msp-id", parsed.update.channel_id, msp_dir.display())),
        many => Err(format!("several MSPs accept the certificate in {} ({}): name one with --msp-id", msp_dir.display(), many.join(", "))),
    }
}

/// `fabchart channel import`: records `block` (a config block of the live channel) as the
/// channel's base in OUT; later builds compute their updates against it.
pub fn import(out_dir: &Path, channel: &str, block_path: &Path, genesis_path: Option<&Path>) -> Result<String, String> {
    let dir = out_dir.join(DIR);
    state::recover(&dir)?;
    let bytes = std::fs::read(block_path).map_err(|e| format!("cannot read {}: {e}", block_path.display()))?;
    let (mut config, block, id) = state::block_config(&bytes).map_err(|e| format!("{}: {e}", block_path.display()))?;
    if id != channel {
        return Err(format!("{} is a block of channel {id:?}, not {channel:?}", block_path.display()));
    }
    let number = block.header.as_ref().map_or(0, |h| h.number);
    let genesis_name = format!("{channel}.block");
    let have = std::fs::read(dir.join(&genesis_name)).ok();
    let genesis = match (genesis_path, number) {
        (Some(g), _) => {
            let b = std::fs::read(g).map_err(|e| format!("cannot read {}: {e}", g.display()))?;
            let (_, gb, gid) = state::block_config(&b).map_err(|e| format!("{}: {e}", g.display()))?;
            if gid != channel || gb.header.as_ref().map_or(1, |h| h.number) != 0 {
                return Err(format!("{} is not block 0 of channel {channel}", g.display()));
            }
            Some(b)
        }
        (None, 0) => Some(bytes.clone()),
        (None, _) => None,
    };
    if let (Some(g), Some(h)) = (&genesis, &have)
        && g != h
    {
        return Err(format!(
            "{} already holds a different genesis block for {channel}: this is another channel of the same name (its block 0 would not chain); move {} aside first if you really mean to replace it",
            dir.display(),
            dir.join(&genesis_name).display()
        ));
    }
    if genesis.is_none() && have.is_none() {
        return Err(format!(
            "{} is block {number}, and OUT has no genesis block for {channel}: peers join with block 0, so fetch it too (`peer channel fetch 0 {channel}.block -c {channel} -o ORDERER --tls --cafile CA`) and pass it with --genesis",
            block_path.display()
        ));
    }
    if let Some(g) = config.channel_group.as_mut() {
        state::canonical(g);
    }
    let previous = state::load(&dir, channel).ok().flatten();
    let base_name = format!("{STATE_DIR}/{channel}_import-{}.block", config.sequence);
    let loaded = Loaded::from_config(channel, BaseKind::Import, &base_name, config, genesis.clone())?;
    // Written as one unit: copy OUT/channel-artifacts aside, add the files, swap it in.
    let mut files: Vec<(String, Vec<u8>)> = vec![(base_name.clone(), bytes), (format!("{STATE_DIR}/{channel}.json"), loaded.json().into_bytes())];
    files.push((format!("{STATE_DIR}/{channel}_config.json"), render::pretty(&render::config(&loaded.config)?).into_bytes()));
    if have.is_none()
        && let Some(g) = genesis
    {
        files.push((format!("{channel}.json"), render::pretty(&config_json(&g)?).into_bytes()));
        files.push((genesis_name, g));
    }
    crate::emit::replace_files(out_dir, &dir, &files)?;
    let dropped = previous.map(|p| p.state.updates.len()).unwrap_or(0);
    Ok(format!(
        "imported: channel {channel} at config sequence {} (block {number}) is the base of later updates ({}/{base_name}){}\n",
        loaded.state.sequence,
        dir.display(),
        if dropped > 0 { format!("; the {dropped} update(s) recorded before are history now: the live channel is what counts") } else { String::new() }
    ))
}
