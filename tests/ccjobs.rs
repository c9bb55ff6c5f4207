//! The chaincode lifecycle Jobs' script, run for real: chart-skeleton/org/files/scripts/
//! chaincode.sh (with the retry.sh it sources; the chart ships both as they are) against a
//! stub `peer` CLI that emulates Fabric 2.5's `peer lifecycle chaincode`, and a stub `sleep`.
//!
//! Why: the lifecycle Jobs are where fabchart acts on a live network, in the Fabric peer
//! image (Ubuntu: dash, GNU coreutils) we do not control, and every step has to be
//! idempotent (a Helm hook runs again on every upgrade) and must stop, not retry, when the
//! channel is past the chart. So, as in tests/jobs.rs, every case runs twice, with a PATH
//! holding nothing but the tools the script may use:
//!
//! - `dash`: `dash` with symlinks to the system's coreutils/sed/grep;
//! - `busybox`: `busybox sh` with symlinks to busybox for every applet.
//!
//! Both shells are required: a test fails (never skips) when one is missing, naming
//! scripts/install-tools.sh. The stubs run under the same shell and tools (plus `mv`, which
//! only the stub uses).
//!
//! The stub `peer` (PEER_STUB) keeps a small lifecycle state in files of the case's $STUB:
//! the package IDs installed per peer (CORE_PEER_ADDRESS), each org's approvals per
//! (channel, name, sequence) with their package ID and definition parameters, the committed
//! definition per (channel, name), the channel's orgs and each peer's org. It answers as
//! Fabric 2.5 does: JSON as Go's `json.MarshalIndent(msg, "", "\t")` prints the lifecycle
//! protos (omitempty fields left out: `{}` for no installed chaincode, no `init_required`
//! when false), and Fabric's own error texts and rules: approving a sequence below the
//! committed one, or past the next one, or the same content twice, fails; readiness and
//! commit need the next sequence; an org counts as approving only with the same parameters
//! (version, init, policy, collections); a commit fails unless each endorsing peer's org
//! approved and they are a majority of the channel's orgs; TLS roots must be the endorsing
//! orgs'. Anything the script should never send (an unknown or repeated option, a missing
//! flag, a non-JSON output) makes the stub exit 64. `stub_answers_as_fabric_does` checks
//! that its JSON parses.
//!
//! What is checked, each case with its exit status, stdout lines and the exact call log
//! (every `peer` call with the peer it went to, every `sleep`):
//! - install: a fresh install on two peers; a package already installed (on one or both
//!   peers) is not installed again; a package whose ID the peer CLI computes differently
//!   stops with exit 3, nothing installed; a peer that never answers fails after $ATTEMPTS;
//! - approve: a fresh approval passes the definition's policy file as ONE argument (quotes
//!   and spaces kept), its collections file and --init-required, with the package ID and
//!   the orderer; an approval already made for this package is not made again, one for
//!   another package is replaced; an org joining a committed sequence approves it; a channel
//!   past the chart's sequence stops with exit 3, nothing approved;
//! - commit: waits (back-off 2s, 4s) until a majority approved the same definition, then
//!   commits endorsed by the approving orgs' peers only, and confirms with querycommitted;
//!   an already committed sequence is left alone; a later one stops with exit 3;
//! - an upgrade to sequence 2 (version 1.1, a new package): install, approve and commit,
//!   then a re-run that does nothing;
//! - an orderer that is down: approve and commit go on to the next orderer on the retry;
//! - a call that took effect although the CLI reported a timeout is not sent again (the
//!   retry asks first); a commit counts only once this org's peer shows it; this org's peer
//!   down: approve and commit fail after $ATTEMPTS, nothing sent.
//!
//! The stub `sleep` only logs: no test ever sleeps or depends on timing. A script that
//! loops forever fails its test instead of hanging it (the stubs' call budget, BUDGET).
//!
//! Scratch folders: common::tmp, one per case and toolset; a passing case removes its own.

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

// ---- the toolsets -----------------------------------------------------------------------

/// Every external command chaincode.sh may run (besides the stubs). Anything else is "not
/// found" on its PATH here.
const TOOLS: &[&str] = &["grep", "sed", "tr", "tail", "head", "wc", "cat"];

/// What only the stubs use, on their own PATH.
const STUB_TOOLS: &[&str] = &["mv"];

struct Toolset {
    name: &'static str,
    /// The shell and its leading arguments (`busybox sh`).
    shell: Vec<String>,
    /// PATH: the stub folder, then a folder of symlinks to TOOLS.
    path: String,
    /// The stub `peer`, to run directly.
    peer: PathBuf,
}


/// The stub `peer`: `peer lifecycle chaincode CMD ...` of Fabric 2.5, on the state in $STUB:
///
/// - installed/ADDRESS: the package IDs installed on that peer, one a line;
/// - approved/CH.NAME.SEQ.MSPID: that org's approval: lines package ID, version, init
///   (true/false), signature policy (empty: the channel default), collections (their JSON
///   without whitespace; empty: none);
/// - pending/K-CH.NAME.SEQ.MSPID: an approval another org makes later: after each
///   `checkcommitreadiness`, the first one (by K) moves to approved/;
/// - committed/CH.NAME: the committed definition: sequence, version, init, policy,
///   collections;
/// - orgs/CH: the channel's application orgs (MSP IDs, one a line, sorted);
/// - peerorgs/ADDRESS: the MSP ID of that peer's org; down/ADDRESS: a peer or orderer that
///   does not answer; timeout/CMD: the next `install`, `approveformyorg` or `commit` takes
///   effect but the CLI reports a timeout (exit 1); lag: a commit reaches committed/ only
///   after the next querycommitted (this org's peer gets the block late).
///
/// A package file stands in for a package: its first line is the ID the CLI computes for
/// it. Every call is logged to $STUB/calls.log as `[CORE_PEER_ADDRESS] peer ARGS`, an
/// argument with any character outside [A-Za-z0-9_.:/@=,+-] in double quotes (so the log
/// shows where each argument starts and ends).
const PEER_STUB: &str = r#"
PATH=STUB_PATH:$PATH
line=peer
for a in "$@"; do
  case "$a" in
    "" | *[!A-Za-z0-9_.:/@=,+-]*) line="$line \"$a\"" ;;
    *) line="$line $a" ;;
  esac
done
echo "[${CORE_PEER_ADDRESS:-}] $line" >>"$STUB/calls.log"
bad() { echo "stub peer: $*" >&2; exit 64; }
BUDGET
T=$(printf '\t')
[ "$#" -ge 3 ] && [ "$1" = lifecycle ] && [ "$2" = chaincode ] || bad "unexpected call: $*"
cmd=$3
shift 3
me=${CORE_PEER_ADDRESS:-}
msp=${CORE_PEER_LOCALMSPID:-}
[ -n "$me" ] && [ -n "$msp" ] || bad "no CORE_PEER_ADDRESS or CORE_PEER_LOCALMSPID"
seen= ch= name= ver= seq= pkg= orderer= tls= ca= policy= colls= init=false output= file= peers= roots=
while [ "$#" -gt 0 ]; do
  case "$1" in
    --peerAddresses | --tlsRootCertFiles) ;;
    -*) case "$seen " in *" $1 "*) bad "$cmd: $1 given twice" ;; esac ;;
  esac
  case "$1" in
    -*) seen="$seen $1"; case "$1" in --tls | --init-required) ;; *) [ "$#" -ge 2 ] || bad "$1 without a value" ;; esac ;;
  esac
  case "$1" in
    -C) ch=$2; shift ;;
    -n) name=$2; shift ;;
    -v) ver=$2; shift ;;
    --sequence) seq=$2; shift ;;
    --package-id) pkg=$2; shift ;;
    -o) orderer=$2; shift ;;
    --tls) tls=1 ;;
    --cafile) ca=$2; shift ;;
    --signature-policy) policy=$2; shift ;;
    --collections-config) colls=$2; shift ;;
    --init-required) init=true ;;
    --output) output=$2; shift ;;
    --peerAddresses) peers="$peers $2"; shift ;;
    --tlsRootCertFiles) roots="$roots $2"; shift ;;
    -*) bad "unexpected option $1" ;;
    *) [ -z "$file" ] || bad "unexpected argument $1"; file=$1 ;;
  esac
  shift
done

# only OPTION...: the options this command takes.
only() {
  for s in $seen; do
    case " $* " in *" $s "*) ;; *) bad "$cmd does not take $s" ;; esac
  done
}
need_def() { [ -n "$ch" ] && [ -n "$name" ] && [ -n "$ver" ] && [ -n "$seq" ] || bad "$cmd needs -C, -n, -v and --sequence"; }
need_json() { [ "$output" = json ] || bad "$cmd: the script reads --output json"; }
need_file() { [ -z "$file" ] || bad "$cmd takes no argument $file"; }
fail() {
  echo "Error: proposal failed with status: 500 - failed to invoke backing implementation of '$1': $2" >&2
  exit 1
}
down() {
  echo "Error: failed to retrieve endorser client for $cmd: endorser client failed to connect to $1: failed to create new connection: context deadline exceeded" >&2
  exit 1
}
via_orderer() {
  [ -n "$orderer" ] && [ "$tls" = 1 ] && [ -r "$ca" ] || bad "$cmd needs -o, --tls and a readable --cafile"
  if [ -e "$STUB/down/$orderer" ]; then
    echo "Error: failed to retrieve broadcast client: orderer client failed to connect to $orderer: failed to create new connection: context deadline exceeded" >&2
    exit 1
  fi
}
# The request's collections, as stored: their JSON without whitespace.
rc=
if [ -n "$colls" ]; then
  [ -r "$colls" ] || { echo "Error: invalid collection configuration in file $colls: could not read file '$colls': open $colls: no such file or directory" >&2; exit 1; }
  rc=$(tr -d ' \t\r\n' <"$colls")
fi
params="$ver|$init|$policy|$rc"

# timed_out: the call took effect, but the CLI gave up waiting for it (a file
# $STUB/timeout/CMD: once).
timed_out() {
  [ -e "$STUB/timeout/$cmd" ] || return 1
  mv "$STUB/timeout/$cmd" "$STUB/timeout/$cmd.fired"
}
approval() { { read -r a_pkg; read -r a_ver; read -r a_init; read -r a_policy; read -r a_colls; } <"$1"; }
committed() {
  c_seq=0 c_ver= c_init= c_policy= c_colls=
  [ -f "$STUB/committed/$ch.$name" ] || return 1
  { read -r c_seq; read -r c_ver; read -r c_init; read -r c_policy; read -r c_colls; } <"$STUB/committed/$ch.$name"
}
# tally SEQ PARAMS: which of the channel's orgs approved SEQ with PARAMS: $entries
# ("Org1MSP=true Org2MSP=false"), $yes of $all.
tally() {
  [ -f "$STUB/orgs/$ch" ] || bad "no orgs/$ch: the test set up no channel $ch"
  entries= yes=0 all=0
  while read -r o; do
    v=false
    if [ -f "$STUB/approved/$ch.$name.$1.$o" ]; then
      approval "$STUB/approved/$ch.$name.$1.$o"
      if [ "$a_ver|$a_init|$a_policy|$a_colls" = "$2" ]; then v=true; yes=$((yes + 1)); fi
    fi
    all=$((all + 1))
    entries="$entries $o=$v"
  done <"$STUB/orgs/$ch"
}
# json_map INDENT: $entries as the members of a JSON object.
json_map() {
  sep=
  for e in $entries; do
    printf '%s%s"%s": %s' "$sep" "$1" "${e%%=*}" "${e#*=}"
    sep=",
"
  done
  printf '\n'
}
# The definition's fields as the lifecycle protos print them (the policy bytes are not
# computed: a stand-in for a signature policy, the real default's reference otherwise).
def_json() { # SEQ VERSION POLICY COLLECTIONS
  vp=EiAvQ2hhbm5lbC9BcHBsaWNhdGlvbi9FbmRvcnNlbWVudA==
  [ -z "$3" ] || vp=CiISIBIeCAESDBIKCAESAggAEgIIARoMEgoKB09yZzFNU1AQAw==
  printf '{\n\t"sequence": %s,\n\t"version": "%s",\n\t"endorsement_plugin": "escc",\n\t"validation_plugin": "vscc",\n\t"validation_parameter": "%s",\n' "$1" "$2" "$vp"
  if [ -z "$4" ]; then
    printf '\t"collections": {},\n'
  else
    printf '\t"collections": {\n\t\t"config": [\n'
    sep=
    for n in $(printf '%s\n' "$4" | grep -o '"name":"[^"]*"' | sed 's/^"name":"//; s/"$//'); do
      printf '%s\t\t\t{\n\t\t\t\t"Payload": {\n\t\t\t\t\t"StaticCollectionConfig": {\n\t\t\t\t\t\t"name": "%s"\n\t\t\t\t\t}\n\t\t\t\t}\n\t\t\t}' "$sep" "$n"
      sep=",
"
    done
    printf '\n\t\t]\n\t},\n'
  fi
}

case "$cmd" in
  calculatepackageid)
    only
    [ -n "$file" ] || bad "calculatepackageid needs a file"
    [ -r "$file" ] || { echo "Error: failed to read chaincode package at '$file': open $file: no such file or directory" >&2; exit 1; }
    read -r id <"$file"
    echo "$id"
    exit 0
    ;;
  commit) [ -n "$peers" ] || [ ! -e "$STUB/down/$me" ] || down "$me" ;;
  *) [ ! -e "$STUB/down/$me" ] || down "$me" ;;
esac

case "$cmd" in
  queryinstalled)
    only --output
    need_json
    need_file
    if [ ! -s "$STUB/installed/$me" ]; then
      printf '{}\n'
      exit 0
    fi
    printf '{\n\t"installed_chaincodes": [\n'
    sep=
    while read -r id; do
      printf '%s\t\t{\n\t\t\t"package_id": "%s",\n\t\t\t"label": "%s"\n\t\t}' "$sep" "$id" "${id%%:*}"
      sep=",
"
    done <"$STUB/installed/$me"
    printf '\n\t]\n}\n'
    ;;
  install)
    only
    [ -r "$file" ] || { echo "Error: failed to read chaincode package at '$file': open $file: no such file or directory" >&2; exit 1; }
    read -r id <"$file"
    if [ -f "$STUB/installed/$me" ] && grep -qxF "$id" "$STUB/installed/$me"; then
      echo "Error: chaincode install failed with status: 500 - failed to invoke backing implementation of 'InstallChaincode': chaincode already successfully installed (package ID '$id')" >&2
      exit 1
    fi
    echo "$id" >>"$STUB/installed/$me"
    if timed_out; then
      echo "Error: failed to endorse chaincode install: rpc error: code = DeadlineExceeded desc = context deadline exceeded" >&2
      exit 1
    fi
    echo "2025-01-01 00:00:00.000 UTC 0001 INFO [cli.lifecycle.chaincode] submitInstallProposal -> Installed remotely: response:<status:200 payload:\"...\" >" >&2
    echo "2025-01-01 00:00:00.000 UTC 0002 INFO [cli.lifecycle.chaincode] submitInstallProposal -> Chaincode code package identifier: $id" >&2
    ;;
  queryapproved)
    only -C -n --sequence --output
    need_json
    need_file
    [ -n "$ch" ] && [ -n "$name" ] && [ -n "$seq" ] || bad "queryapproved needs -C, -n and --sequence"
    f="$STUB/approved/$ch.$name.$seq.$msp"
    if [ ! -f "$f" ]; then
      echo "Error: query failed with status: 500 - failed to invoke backing implementation of 'QueryApprovedChaincodeDefinition': could not fetch approved chaincode definition (name: '$name', sequence: '$seq') on channel '$ch'" >&2
      exit 1
    fi
    approval "$f"
    def_json "$seq" "$a_ver" "$a_policy" "$a_colls"
    [ "$a_init" != true ] || printf '\t"init_required": true,\n'
    printf '\t"source": {\n\t\t"Type": {\n\t\t\t"LocalPackage": {\n\t\t\t\t"package_id": "%s"\n\t\t\t}\n\t\t}\n\t}\n}\n' "$a_pkg"
    ;;
  querycommitted)
    only -C -n --output
    need_json
    need_file
    [ -n "$ch" ] && [ -n "$name" ] || bad "querycommitted needs -C and -n"
    if ! committed; then
      [ ! -e "$STUB/lagging.$ch.$name" ] || mv "$STUB/lagging.$ch.$name" "$STUB/committed/$ch.$name"
      echo "Error: query failed with status: 404 - namespace $name is not defined" >&2
      exit 1
    fi
    [ ! -e "$STUB/lagging.$ch.$name" ] || mv "$STUB/lagging.$ch.$name" "$STUB/committed/$ch.$name"
    tally "$c_seq" "$c_ver|$c_init|$c_policy|$c_colls"
    def_json "$c_seq" "$c_ver" "$c_policy" "$c_colls"
    [ "$c_init" != true ] || printf '\t"init_required": true,\n'
    printf '\t"approvals": {\n'
    json_map "$T$T"
    printf '\t}\n}\n'
    ;;
  approveformyorg)
    only -C -n -v --sequence --package-id --signature-policy --collections-config --init-required -o --tls --cafile
    need_def
    need_file
    [ -n "$pkg" ] || bad "approveformyorg: the script approves with a --package-id"
    via_orderer
    committed || :
    F=ApproveChaincodeDefinitionForMyOrg
    [ "$seq" -ge "$c_seq" ] || fail $F "currently defined sequence $c_seq is larger than requested sequence $seq"
    [ "$seq" -le $((c_seq + 1)) ] || fail $F "requested sequence $seq is larger than the next available sequence number $((c_seq + 1))"
    f="$STUB/approved/$ch.$name.$seq.$msp"
    same=
    if [ -f "$f" ]; then
      approval "$f"
      [ "$a_pkg|$a_ver|$a_init|$a_policy|$a_colls" != "$pkg|$params" ] || same=1
    fi
    if [ "$seq" = "$c_seq" ]; then
      [ "$c_ver|$c_init|$c_policy|$c_colls" = "$params" ] || fail $F "attempted to redefine the current committed sequence ($c_seq) for namespace $name with different parameters: the definitions differ"
      [ -z "$same" ] || fail $F "attempted to redefine the current committed sequence ($c_seq) for namespace $name"
    else
      [ -z "$same" ] || fail $F "attempted to redefine uncommitted sequence ($seq) for namespace $name with unchanged content"
    fi
    printf '%s\n' "$pkg" "$ver" "$init" "$policy" "$rc" >"$f"
    if timed_out; then
      echo "Error: timed out waiting for txid on all peers" >&2
      exit 1
    fi
    echo "2025-01-01 00:00:00.000 UTC 0001 INFO [chaincodeCmd] ClientWait -> txid [0a1b2c] committed with status (VALID) at $me" >&2
    ;;
  checkcommitreadiness)
    only -C -n -v --sequence --signature-policy --collections-config --init-required --output
    need_def
    need_json
    need_file
    committed || :
    if [ "$seq" -ne $((c_seq + 1)) ]; then
      echo "Error: query failed with status: 500 - failed to invoke backing implementation of 'CheckCommitReadiness': requested sequence is $seq, but new definition must be sequence $((c_seq + 1))" >&2
      exit 1
    fi
    tally "$seq" "$params"
    printf '{\n\t"approvals": {\n'
    json_map "$T$T"
    printf '\t}\n}\n'
    # Meanwhile, another org approves.
    for f in "$STUB"/pending/*; do
      [ ! -e "$f" ] || { b=${f##*/}; mv "$f" "$STUB/approved/${b#*-}"; }
      break
    done
    ;;
  commit)
    only -C -n -v --sequence --signature-policy --collections-config --init-required --peerAddresses --tlsRootCertFiles -o --tls --cafile
    need_def
    need_file
    via_orderer
    endorsers=$msp
    if [ -n "$peers" ]; then
      endorsers=
      # shellcheck disable=SC2086
      set -- $roots
      for p in $peers; do
        [ "$#" -gt 0 ] || bad "--peerAddresses $p without its --tlsRootCertFiles"
        r=$1
        shift
        [ ! -e "$STUB/down/$p" ] || down "$p"
        [ -f "$STUB/peerorgs/$p" ] || { echo "Error: failed to retrieve endorser client for commit: endorser client failed to connect to $p: failed to create new connection: connection error: desc = \"transport: error while dialing: dial tcp: lookup ${p%:*}: no such host\"" >&2; exit 1; }
        read -r o <"$STUB/peerorgs/$p"
        if [ ! -r "$r" ] || [ "$(cat "$r")" != "TLS CA of $o" ]; then
          echo "Error: failed to retrieve endorser client for commit: endorser client failed to connect to $p: failed to create new connection: connection error: desc = \"transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority\"" >&2
          exit 1
        fi
        endorsers="$endorsers $o"
      done
      [ "$#" -eq 0 ] || bad "more --tlsRootCertFiles than --peerAddresses"
    fi
    committed || :
    F=CommitChaincodeDefinition
    [ "$seq" -eq $((c_seq + 1)) ] || fail $F "requested sequence is $seq, but new definition must be sequence $((c_seq + 1))"
    tally "$seq" "$params"
    orgs=
    n=0
    for o in $endorsers; do
      case " $entries " in *" $o=true "*) ;; *) fail $F "chaincode definition not agreed to by this org ($o)" ;; esac
      case " $orgs " in *" $o "*) ;; *) orgs="$orgs $o"; n=$((n + 1)) ;; esac
    done
    if [ "$n" -lt $((all / 2 + 1)) ]; then
      echo "Error: transaction invalidated with status (ENDORSEMENT_POLICY_FAILURE)" >&2
      exit 1
    fi
    if [ -e "$STUB/lag" ]; then
      # The block reaches this org's peer (the one querycommitted asks) a query later.
      printf '%s\n' "$seq" "$ver" "$init" "$policy" "$rc" >"$STUB/lagging.$ch.$name"
    else
      printf '%s\n' "$seq" "$ver" "$init" "$policy" "$rc" >"$STUB/committed/$ch.$name"
    fi
    if timed_out; then
      echo "Error: timed out waiting for txid on all peers" >&2
      exit 1
    fi
    echo "2025-01-01 00:00:00.000 UTC 0001 INFO [chaincodeCmd] ClientWait -> txid [3d4e5f] committed with status (VALID) at ${peers# }" >&2
    ;;
  *) bad "unexpected command $cmd" ;;
esac
"#;

/// The stub `sleep`: logs the back-off and returns at once.
const SLEEP_STUB: &str = r#"
echo "sleep $*" >>"$STUB/calls.log"
BUDGET
"#;

/// A script that loops forever must fail its test, not hang it: past 200 calls in one run,
/// a stub logs it and kills its process group (each script runs in a group of its own).
const BUDGET: &str = r#"n=0
while read -r _; do n=$((n + 1)); done <"$STUB/calls.log"
if [ "$n" -gt 200 ]; then
  echo "stub: more than 200 calls: a runaway loop; killed" >>"$STUB/calls.log"
  kill -KILL 0
fi"#;

fn toolset(root: &Path, name: &'static str) -> Toolset {
    let dir = root.join(name);
    let all: Vec<&str> = TOOLS.iter().chain(STUB_TOOLS).copied().collect();
    let (shell, shebang, links): (Vec<String>, String, Vec<(&str, PathBuf)>) = match name {
        "dash" => {
            let dash = require("dash");
            let links = all.iter().map(|t| (*t, require(t))).collect();
            (vec![dash.display().to_string()], format!("#!{}\n", dash.display()), links)
        }
        _ => {
            let bb = require("busybox");
            let (ok, list, _) = run(Command::new(&bb).arg("--list"));
            assert!(ok, "busybox --list failed");
            let applets: Vec<&str> = list.lines().collect();
            for t in all.iter().chain(&["sh"]) {
                assert!(applets.contains(t), "this busybox has no `{t}` applet: run scripts/install-tools.sh");
            }
            let links = all.iter().map(|t| (*t, bb.clone())).collect();
            (vec![bb.display().to_string(), "sh".into()], format!("#!{} sh\n", bb.display()), links)
        }
    };
    let (script_links, stub_links) = links.split_at(TOOLS.len());
    symlink_dir(&dir.join("tools"), script_links);
    symlink_dir(&dir.join("stub-tools"), stub_links);
    // The stubs run under the same shell and tools as the script.
    let stubs = dir.join("stubs");
    std::fs::create_dir_all(&stubs).unwrap();
    for (n, body) in [("peer", PEER_STUB), ("sleep", SLEEP_STUB)] {
        let body = body.replace("BUDGET", BUDGET).replace("STUB_PATH", &dir.join("stub-tools").display().to_string());
        write_exec(&stubs.join(n), &format!("{shebang}# stub {n} (tests/ccjobs.rs){body}"));
    }
    Toolset { name, shell, path: format!("{}:{}", stubs.display(), dir.join("tools").display()), peer: stubs.join("peer") }
}

/// Built once per test process.
fn toolsets() -> [&'static Toolset; 2] {
    static SETS: OnceLock<[Toolset; 2]> = OnceLock::new();
    let s = SETS.get_or_init(|| {
        let root = tmp("toolsets");
        [toolset(&root, "dash"), toolset(&root, "busybox")]
    });
    [&s[0], &s[1]]
}

fn scripts() -> PathBuf {
    repo().join("chart-skeleton/org/files/scripts")
}

// ---- the network ------------------------------------------------------------------------

const CH: &str = "mychannel";
const CC: &str = "basic";
/// This org: its MSP ID and two peers (P0 the one the Job's CORE_PEER_ADDRESS names).
const ME: &str = "Org1MSP";
const P0: &str = "peer0.org1:7051";
const P1: &str = "peer1.org1:7051";
const P2: &str = "peer0.org2:7051";
const P3: &str = "peer0.org3:7051";
const ORGS: [(&str, &str); 3] = [("Org1MSP", P0), ("Org2MSP", P2), ("Org3MSP", P3)];
const O0: &str = "orderer0.orgorderer1:7050";
const O1: &str = "orderer1.orgorderer1:7050";
const ID1: &str = "basic_1.0:e3072b0ae2e716e4ce06ec0c33002c3768c54d7ba2f985d0490a39eb7e6dcce6";
const ID2: &str = "basic_1.1:624a7f5877d78564ae8083a95337d8f9c828ca82ee8eb8af2786d44db9edb6ca";
const OTHER: &str = "other_2.0:529c6f2315e4276dc4d5aa1a2c8bc7178b2ccb5e1487fbd46c69d1bab115fed7";

/// A definition of `basic` on mychannel, as the chart's Jobs pass it.
#[derive(Clone, Copy)]
struct Def {
    seq: u32,
    ver: &'static str,
    id: &'static str,
    init: bool,
}

const V1: Def = Def { seq: 1, ver: "1.0", id: ID1, init: false };
const V2: Def = Def { seq: 2, ver: "1.1", id: ID2, init: false };

const POLICY: &str = "OR('Org1MSP.peer','Org2MSP.peer')";
/// A policy with spaces: the script must still pass it as one argument.
const SPACED_POLICY: &str = "AND('Org1MSP.member', OR('Org2MSP.peer', 'Org3MSP.peer'))";
const COLLECTIONS: &str = r#"[
  {
    "name": "private",
    "policy": "OR('Org1MSP.member', 'Org2MSP.member')",
    "requiredPeerCount": 0,
    "maxPeerCount": 1,
    "blockToLive": 0,
    "memberOnlyRead": true
  }
]
"#;

// ---- one run of chaincode.sh -----------------------------------------------------------

/// A scratch folder for one script run: $STUB (the stub peer's state, calls.log), $CONFIG,
/// packages/, $WORK.
struct Case {
    dir: PathBuf,
    t: &'static Toolset,
    orderers: String,
    attempts: u32,
}

#[derive(Debug)]
struct Run {
    code: i32,
    /// stdout, with the case folder written as `$CASE`.
    out: String,
    err: String,
    /// The stubs' calls, with the case folder written as `$CASE`.
    log: Vec<String>,
}

impl Run {
    fn lines(&self) -> Vec<&str> {
        self.out.lines().collect()
    }

    fn count(&self, word: &str) -> usize {
        self.log.iter().filter(|l| l.split(' ').any(|w| w == word)).count()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}--- calls\n{}", self.code, self.out, self.err, self.log.join("\n"))
    }
}

/// A passing case leaves nothing behind; a failing one keeps its folder to look at.
impl Drop for Case {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Case {
    /// mychannel's orgs: Org1MSP (this org: peers P0, P1), Org2MSP (P2), Org3MSP (P3);
    /// nothing installed, approved or committed; no policy or collections files.
    fn new(name: &str, t: &'static Toolset) -> Case {
        let dir = tmp(&format!("{name}-{}", t.name));
        for d in ["installed", "approved", "pending", "committed", "orgs", "peerorgs", "down", "timeout"] {
            std::fs::create_dir_all(dir.join("stub").join(d)).unwrap();
        }
        for d in ["config", "packages", "work"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        let c = Case { dir, t, orderers: O0.into(), attempts: 3 };
        c.write("orderer-ca.pem", "stub orderer TLS CAs\n");
        c.write("stub/calls.log", "");
        c.write(&format!("stub/orgs/{CH}"), &ORGS.iter().map(|(m, _)| format!("{m}\n")).collect::<String>());
        for (msp, peer) in ORGS.iter().chain(&[(ME, P1)]) {
            c.write(&format!("stub/peerorgs/{peer}"), &format!("{msp}\n"));
            c.write(&format!("config/tlsca.{msp}.pem"), &format!("TLS CA of {msp}\n"));
        }
        c
    }

    fn path(&self, rel: &str) -> String {
        self.dir.join(rel).display().to_string()
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.join(rel), text).unwrap_or_else(|e| panic!("write {rel}: {e}"));
    }

    fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(rel)).ok()
    }

    /// A stand-in package file for which the peer CLI computes `id`; its path.
    fn package(&self, file: &str, id: &str) -> String {
        self.write(&format!("packages/{file}"), &format!("{id}\n"));
        self.path(&format!("packages/{file}"))
    }

    fn installed(&self, peer: &str, ids: &[&str]) -> &Self {
        self.write(&format!("stub/installed/{peer}"), &ids.iter().map(|i| format!("{i}\n")).collect::<String>());
        self
    }

    fn policy(&self, text: &str) -> &Self {
        self.write(&format!("config/{CC}.{CH}.policy"), &format!("{text}\n"));
        self
    }

    fn collections(&self, json: &str) -> &Self {
        self.write(&format!("config/{CC}.{CH}.collections.json"), json);
        self
    }

    /// The next `cmd` call takes effect, then the CLI reports a timeout.
    fn timeout(&self, cmd: &str) -> &Self {
        self.write(&format!("stub/timeout/{cmd}"), "");
        self
    }

    fn down(&self, addr: &str) -> &Self {
        self.write(&format!("stub/down/{addr}"), "");
        self
    }

    /// The definition's parameters as the stub stores them (version, init, policy,
    /// collections), with this case's policy and collections files.
    fn params(&self, d: &Def) -> String {
        let policy = self.read(&format!("config/{CC}.{CH}.policy")).unwrap_or_default();
        let colls: String = self.read(&format!("config/{CC}.{CH}.collections.json")).unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
        format!("{}\n{}\n{}\n{}\n", d.ver, d.init, policy.trim_end_matches('\n'), colls)
    }

    /// `msp` has approved `d` for package `id`.
    fn approved_for(&self, msp: &str, d: &Def, id: &str) -> &Self {
        self.write(&format!("stub/approved/{CH}.{CC}.{}.{msp}", d.seq), &format!("{id}\n{}", self.params(d)));
        self
    }

    fn approved(&self, msp: &str, d: &Def) -> &Self {
        self.approved_for(msp, d, d.id)
    }

    /// `msp` approves `d` after the `order`-th checkcommitreadiness (counting those with a
    /// pending approval left).
    fn pending(&self, order: u32, msp: &str, d: &Def) -> &Self {
        self.write(&format!("stub/pending/{order}-{CH}.{CC}.{}.{msp}", d.seq), &format!("{}\n{}", d.id, self.params(d)));
        self
    }

    fn committed(&self, d: &Def) -> &Self {
        self.write(&format!("stub/committed/{CH}.{CC}"), &format!("{}\n{}", d.seq, self.params(d)));
        self
    }

    fn approval(&self, msp: &str, seq: u32) -> Option<String> {
        self.read(&format!("stub/approved/{CH}.{CC}.{seq}.{msp}"))
    }

    fn clear_log(&self) {
        self.write("stub/calls.log", "");
    }

    /// `chaincode.sh ARGS` with the env the chart's chaincode Jobs set.
    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(&self.t.shell[0]);
        cmd.args(&self.t.shell[1..])
            .arg(scripts().join("chaincode.sh"))
            .args(args)
            .env_clear()
            .env("PATH", &self.t.path)
            .env("STUB", self.dir.join("stub"))
            .env("CONFIG", self.dir.join("config"))
            .env("SCRIPTS", scripts())
            .env("ORDERERS", &self.orderers)
            .env("ORDERER_CA", self.dir.join("orderer-ca.pem"))
            .env("ATTEMPTS", self.attempts.to_string())
            .env("WORK", self.dir.join("work"))
            .env("CORE_PEER_LOCALMSPID", ME)
            .env("CORE_PEER_ADDRESS", P0)
            .current_dir(self.dir.join("work"));
        // A group of its own, for the stubs' runaway guard (BUDGET).
        cmd.process_group(0);
        let o = cmd.output().unwrap_or_else(|e| panic!("run chaincode.sh: {e}"));
        let dir = self.dir.display().to_string();
        let log = std::fs::read_to_string(self.dir.join("stub/calls.log")).unwrap().lines().map(|l| l.replace(&dir, "$CASE")).collect();
        Run {
            code: o.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&o.stdout).replace(&dir, "$CASE"),
            err: String::from_utf8_lossy(&o.stderr).into_owned(),
            log,
        }
    }

    fn install(&self, file: &str, id: &str, peers: &[&str]) -> Run {
        let mut args = vec!["install", file, id];
        args.extend(peers);
        self.run(&args)
    }

    fn approve(&self, d: &Def) -> Run {
        let (seq, init) = (d.seq.to_string(), d.init.to_string());
        self.run(&["approve", CH, CC, d.ver, &seq, d.id, &init])
    }

    fn commit(&self, d: &Def, endorsers: &[(&str, &str)]) -> Run {
        let (seq, init) = (d.seq.to_string(), d.init.to_string());
        let e: Vec<String> = endorsers.iter().map(|(m, p)| format!("{m}@{p}")).collect();
        let mut args = vec!["commit", CH, CC, d.ver, &seq, &init];
        args.extend(e.iter().map(String::as_str));
        self.run(&args)
    }

    /// The definition flags the script adds from this case's CONFIG files and `d`.
    fn def_flags(&self, d: &Def) -> String {
        let mut s = String::new();
        if let Some(p) = self.read(&format!("config/{CC}.{CH}.policy")) {
            s += &format!(" --signature-policy \"{}\"", p.trim_end_matches('\n'));
        }
        if self.read(&format!("config/{CC}.{CH}.collections.json")).is_some() {
            s += &format!(" --collections-config $CASE/config/{CC}.{CH}.collections.json");
        }
        if d.init {
            s += " --init-required";
        }
        s
    }

    fn approve_call(&self, d: &Def, orderer: &str) -> String {
        cc(P0, &format!("approveformyorg -C {CH} -n {CC} -v {} --sequence {} --package-id {} -o {orderer} --tls --cafile $CASE/orderer-ca.pem{}", d.ver, d.seq, d.id, self.def_flags(d)))
    }

    fn readiness_call(&self, d: &Def) -> String {
        cc(P0, &format!("checkcommitreadiness -C {CH} -n {CC} -v {} --sequence {} --output json{}", d.ver, d.seq, self.def_flags(d)))
    }

    fn commit_call(&self, d: &Def, endorsers: &[(&str, &str)], orderer: &str) -> String {
        let peers: String = endorsers.iter().map(|(m, p)| format!(" --peerAddresses {p} --tlsRootCertFiles $CASE/config/tlsca.{m}.pem")).collect();
        cc(P0, &format!("commit -C {CH} -n {CC} -v {} --sequence {}{peers} -o {orderer} --tls --cafile $CASE/orderer-ca.pem{}", d.ver, d.seq, self.def_flags(d)))
    }
}

/// A logged `peer lifecycle chaincode ARGS` call to the peer `addr`.
fn cc(addr: &str, args: &str) -> String {
    format!("[{addr}] peer lifecycle chaincode {args}")
}

fn calculate(file: &str) -> String {
    cc(P0, &format!("calculatepackageid {file}"))
}

fn queryinstalled(peer: &str) -> String {
    cc(peer, "queryinstalled --output json")
}

fn install_call(peer: &str, file: &str) -> String {
    cc(peer, &format!("install {file}"))
}

fn querycommitted() -> String {
    cc(P0, &format!("querycommitted -C {CH} -n {CC} --output json"))
}

fn queryapproved(seq: u32) -> String {
    cc(P0, &format!("queryapproved -C {CH} -n {CC} --sequence {seq} --output json"))
}

fn approved_line(d: &Def) -> String {
    format!("chaincode {CC} on channel {CH}: {ME} approved sequence {} (version {}, {})", d.seq, d.ver, d.id)
}

fn committed_line(d: &Def) -> String {
    format!("chaincode {CC} on channel {CH}: committed sequence {} (version {})", d.seq, d.ver)
}

fn ahead_lines(have: u32, want: u32) -> [String; 2] {
    [
        format!("chaincode {CC} on channel {CH}: the channel has committed sequence {have}, later than this chart's {want}."),
        "  Its definition was changed outside this chart (or by a newer chart version): build from the OUT that made it, or import that state.".into(),
    ]
}

const PKG: &str = "$CASE/packages/basic.tar.gz";
const PKG2: &str = "$CASE/packages/basic-1.1.tar.gz";

// ---- the stub itself --------------------------------------------------------------------

/// The stub's answers are what the script will parse: JSON that serde_json reads, with the
/// fields Fabric prints, tab-indented; Fabric's errors on stderr with exit 1.
#[test]
fn stub_answers_as_fabric_does() {
    for t in toolsets() {
        let c = Case::new("stub", t);
        c.policy(POLICY).collections(COLLECTIONS).installed(P0, &[ID1, OTHER]);
        c.approved(ME, &Def { init: true, ..V1 }).approved("Org2MSP", &Def { init: true, ..V1 }).committed(&Def { init: true, ..V1 });
        let peer = |args: &[&str]| {
            let o = Command::new(&t.peer)
                .args(["lifecycle", "chaincode"])
                .args(args)
                .env_clear()
                .env("PATH", &t.path)
                .env("STUB", c.dir.join("stub"))
                .env("CORE_PEER_LOCALMSPID", ME)
                .env("CORE_PEER_ADDRESS", P0)
                .output()
                .unwrap();
            (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
        };
        let json = |args: &[&str]| -> serde_json::Value {
            let (code, out, err) = peer(args);
            assert_eq!(code, 0, "[{}] peer {args:?}: {err}", t.name);
            assert!(out.starts_with("{\n\t\"") && out.ends_with("\n}\n"), "[{}] MarshalIndent with tabs: {out}", t.name);
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("[{}] peer {args:?} printed no JSON ({e}):\n{out}", t.name))
        };
        let v = json(&["queryinstalled", "--output", "json"]);
        assert_eq!(v, serde_json::json!({"installed_chaincodes": [{"package_id": ID1, "label": "basic_1.0"}, {"package_id": OTHER, "label": "other_2.0"}]}), "[{}]", t.name);
        std::fs::remove_file(c.dir.join(format!("stub/installed/{P0}"))).unwrap();
        let (code, out, _) = peer(&["queryinstalled", "--output", "json"]);
        assert_eq!((code, out.as_str()), (0, "{}\n"), "[{}] nothing installed", t.name);

        let v = json(&["queryapproved", "-C", CH, "-n", CC, "--sequence", "1", "--output", "json"]);
        assert_eq!(v["sequence"], 1);
        assert_eq!(v["version"], "1.0");
        assert_eq!(v["init_required"], true);
        assert_eq!(v["source"]["Type"]["LocalPackage"]["package_id"], ID1);
        assert_eq!(v["collections"]["config"][0]["Payload"]["StaticCollectionConfig"]["name"], "private");
        let v = json(&["querycommitted", "-C", CH, "-n", CC, "--output", "json"]);
        assert_eq!(v["sequence"], 1);
        assert_eq!(v["approvals"], serde_json::json!({"Org1MSP": true, "Org2MSP": true, "Org3MSP": false}));
        let cfg = |f: &str| c.path(&format!("config/{f}"));
        let v = json(&[
            "checkcommitreadiness", "-C", CH, "-n", CC, "-v", "1.1", "--sequence", "2", "--output", "json", "--signature-policy", POLICY, "--collections-config", &cfg("basic.mychannel.collections.json"),
        ]);
        assert_eq!(v, serde_json::json!({"approvals": {"Org1MSP": false, "Org2MSP": false, "Org3MSP": false}}), "[{}]", t.name);

        let (code, out, err) = peer(&["queryapproved", "-C", CH, "-n", CC, "--sequence", "2", "--output", "json"]);
        assert_eq!((code, out.as_str()), (1, ""), "[{}]", t.name);
        assert_eq!(err, "Error: query failed with status: 500 - failed to invoke backing implementation of 'QueryApprovedChaincodeDefinition': could not fetch approved chaincode definition (name: 'basic', sequence: '2') on channel 'mychannel'\n");
        let (code, _, err) = peer(&["querycommitted", "-C", CH, "-n", "other", "--output", "json"]);
        assert_eq!((code, err.as_str()), (1, "Error: query failed with status: 404 - namespace other is not defined\n"), "[{}]", t.name);
        // What the script must never send: exit 64.
        let (code, _, err) = peer(&["querycommitted", "-C", CH, "-n", CC]);
        assert_eq!(code, 64, "[{}] {err}", t.name);
        let (code, _, err) = peer(&["queryinstalled", "--output", "json", "--output", "json"]);
        assert_eq!(code, 64, "[{}] {err}", t.name);
    }
}

// ---- install ----------------------------------------------------------------------------

/// Nothing installed: calculatepackageid agrees, then each peer is asked and installed on,
/// in order.
#[test]
fn install_on_every_peer() {
    for t in toolsets() {
        let c = Case::new("install-fresh", t);
        let pkg = c.package("basic.tar.gz", ID1);
        let r = c.install(&pkg, ID1, &[P0, P1]);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [format!("{P0}: installed {ID1}"), format!("{P1}: installed {ID1}")], "[{}] {r}", t.name);
        assert_eq!(r.log, [calculate(PKG), queryinstalled(P0), install_call(P0, PKG), queryinstalled(P1), install_call(P1, PKG)], "[{}] {r}", t.name);
        for p in [P0, P1] {
            assert_eq!(c.read(&format!("stub/installed/{p}")).unwrap(), format!("{ID1}\n"), "[{}] {r}", t.name);
        }
    }
}

/// Installed on both peers: no install. Installed on the first only (next to another
/// chaincode): installed on the second only.
#[test]
fn install_skips_peers_that_have_the_package() {
    for t in toolsets() {
        let c = Case::new("install-done", t);
        let pkg = c.package("basic.tar.gz", ID1);
        c.installed(P0, &[ID1]).installed(P1, &[OTHER, ID1]);
        let r = c.install(&pkg, ID1, &[P0, P1]);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [format!("{P0}: {ID1} already installed"), format!("{P1}: {ID1} already installed")], "[{}] {r}", t.name);
        assert_eq!(r.log, [calculate(PKG), queryinstalled(P0), queryinstalled(P1)], "[{}] {r}", t.name);

        let c = Case::new("install-half", t);
        let pkg = c.package("basic.tar.gz", ID1);
        c.installed(P0, &[OTHER, ID1]).installed(P1, &[OTHER]);
        let r = c.install(&pkg, ID1, &[P0, P1]);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [format!("{P0}: {ID1} already installed"), format!("{P1}: installed {ID1}")], "[{}] {r}", t.name);
        assert_eq!(r.log, [calculate(PKG), queryinstalled(P0), queryinstalled(P1), install_call(P1, PKG)], "[{}] {r}", t.name);
        assert_eq!(c.read(&format!("stub/installed/{P1}")).unwrap(), format!("{OTHER}\n{ID1}\n"), "[{}] {r}", t.name);
    }
}

/// The peer CLI computes another ID for the package than the chart's: exit 3 at once (no
/// retry, no sleep), nothing installed anywhere.
#[test]
fn install_stops_when_the_package_id_differs() {
    for t in toolsets() {
        let c = Case::new("install-id", t);
        let other = "basic_1.0:a5faeee5c8e3621f641eed587c1c4090d93a9bbe7aa2845794d8ce68f189bffc";
        let pkg = c.package("basic.tar.gz", other);
        let r = c.install(&pkg, ID1, &[P0, P1]);
        assert_eq!(r.code, 3, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [format!("the package {PKG} has ID {other} for the peer CLI, but fabchart computed {ID1}: not installing")], "[{}] {r}", t.name);
        assert_eq!(r.log, [calculate(PKG)], "[{}] {r}", t.name);
        assert!(c.read(&format!("stub/installed/{P0}")).is_none() && c.read(&format!("stub/installed/{P1}")).is_none(), "[{}] {r}", t.name);
    }
}

/// A peer that does not answer: the first peer is done, the second is retried $ATTEMPTS
/// times with the back-off, then the script fails (exit 1) with the peer's error.
#[test]
fn install_fails_after_its_attempts_on_a_peer_that_does_not_answer() {
    for t in toolsets() {
        let mut c = Case::new("install-down", t);
        c.attempts = 2;
        let pkg = c.package("basic.tar.gz", ID1);
        c.down(P1);
        let r = c.install(&pkg, ID1, &[P0, P1]);
        assert_eq!(r.code, 1, "[{}] {r}", t.name);
        let said = format!("{P1}: queryinstalled failed: Error: failed to retrieve endorser client for queryinstalled: endorser client failed to connect to {P1}: failed to create new connection: context deadline exceeded");
        assert_eq!(
            r.lines(),
            [format!("{P0}: installed {ID1}"), said.clone(), "  attempt 1/2 failed; retrying in 2s".into(), said, format!("FAILED after 2 attempts: install_one {PKG} {ID1} {P1}")],
            "[{}] {r}",
            t.name
        );
        assert_eq!(r.log, [calculate(PKG), queryinstalled(P0), install_call(P0, PKG), queryinstalled(P1), "sleep 2".into(), queryinstalled(P1)], "[{}] {r}", t.name);
    }
}

// ---- approve ----------------------------------------------------------------------------

/// Nothing approved: querycommitted (not defined), queryapproved (not found), then
/// approveformyorg with the package ID, the orderer, the policy file's text as one
/// argument, the collections file and --init-required. The stub records exactly that
/// definition. Without policy/collections files and init: none of those flags.
#[test]
fn approve_a_fresh_definition() {
    for t in toolsets() {
        for policy in [POLICY, SPACED_POLICY] {
            let c = Case::new("approve-fresh", t);
            c.policy(policy).collections(COLLECTIONS);
            let d = Def { init: true, ..V1 };
            let r = c.approve(&d);
            assert_eq!(r.code, 0, "[{}] {r}", t.name);
            assert_eq!(r.lines(), [approved_line(&d)], "[{}] {r}", t.name);
            let call = cc(
                P0,
                &format!(
                    "approveformyorg -C mychannel -n basic -v 1.0 --sequence 1 --package-id {ID1} -o {O0} --tls --cafile $CASE/orderer-ca.pem --signature-policy \"{policy}\" --collections-config $CASE/config/basic.mychannel.collections.json --init-required"
                ),
            );
            assert_eq!(r.log, [querycommitted(), queryapproved(1), call], "[{}] {r}", t.name);
            let colls: String = COLLECTIONS.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(c.approval(ME, 1).unwrap(), format!("{ID1}\n1.0\ntrue\n{policy}\n{colls}\n"), "[{}] {r}", t.name);
            assert_eq!(c.read("work/mychannel.basic.committed").unwrap(), "0\n", "[{}] {r}", t.name);
        }

        let c = Case::new("approve-plain", t);
        let r = c.approve(&V1);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [approved_line(&V1)], "[{}] {r}", t.name);
        let call = cc(P0, &format!("approveformyorg -C mychannel -n basic -v 1.0 --sequence 1 --package-id {ID1} -o {O0} --tls --cafile $CASE/orderer-ca.pem"));
        assert_eq!(r.log, [querycommitted(), queryapproved(1), call.clone()], "[{}] {r}", t.name);
        assert_eq!(call, c.approve_call(&V1, O0));
        assert_eq!(c.approval(ME, 1).unwrap(), format!("{ID1}\n1.0\nfalse\n\n\n"), "[{}] {r}", t.name);
    }
}

/// This org approved this sequence for this package: no approveformyorg (Fabric would
/// refuse it: "unchanged content"). Approved for another package (the chart's package
/// changed): approved again, for the new one, also at the committed sequence. An org that
/// joins after the commit approves the committed sequence.
#[test]
fn approve_only_what_is_not_approved() {
    for t in toolsets() {
        let c = Case::new("approve-done", t);
        c.policy(POLICY).approved(ME, &V1);
        let r = c.approve(&V1);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [format!("chaincode basic on channel mychannel: sequence 1 already approved by Org1MSP for {ID1}")], "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted(), queryapproved(1)], "[{}] {r}", t.name);

        let c = Case::new("approve-repackaged", t);
        c.policy(POLICY).approved_for(ME, &V1, OTHER);
        let r = c.approve(&V1);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [approved_line(&V1)], "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted(), queryapproved(1), c.approve_call(&V1, O0)], "[{}] {r}", t.name);
        assert!(c.approval(ME, 1).unwrap().starts_with(&format!("{ID1}\n")), "[{}] {r}", t.name);

        let c = Case::new("approve-late", t);
        c.policy(POLICY).approved("Org2MSP", &V1).approved("Org3MSP", &V1).committed(&V1);
        let r = c.approve(&V1);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [approved_line(&V1)], "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted(), queryapproved(1), c.approve_call(&V1, O0)], "[{}] {r}", t.name);
        assert_eq!(c.read("work/mychannel.basic.committed").unwrap(), "1\n", "[{}] {r}", t.name);

        // A new package for the committed sequence (Fabric takes a new package ID without
        // a new sequence): approved again.
        let c = Case::new("approve-committed-repackaged", t);
        c.approved_for(ME, &V1, OTHER).approved("Org2MSP", &V1).committed(&V1);
        let r = c.approve(&V1);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [approved_line(&V1)], "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted(), queryapproved(1), c.approve_call(&V1, O0)], "[{}] {r}", t.name);
        assert!(c.approval(ME, 1).unwrap().starts_with(&format!("{ID1}\n")), "[{}] {r}", t.name);
    }
}

/// The channel committed sequence 2; this chart has sequence 1: approve and commit stop
/// with exit 3 after querycommitted, no retry, nothing approved or committed.
#[test]
fn approve_and_commit_stop_when_the_channel_is_ahead() {
    for t in toolsets() {
        let c = Case::new("ahead", t);
        c.committed(&V2);
        let r = c.approve(&V1);
        assert_eq!(r.code, 3, "[{}] {r}", t.name);
        assert_eq!(r.lines(), ahead_lines(2, 1), "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted()], "[{}] {r}", t.name);
        assert!(c.approval(ME, 1).is_none(), "[{}] {r}", t.name);

        c.clear_log();
        let r = c.commit(&V1, &ORGS);
        assert_eq!(r.code, 3, "[{}] {r}", t.name);
        assert_eq!(r.lines(), ahead_lines(2, 1), "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted()], "[{}] {r}", t.name);
        assert_eq!(c.read(&format!("stub/committed/{CH}.{CC}")).unwrap().lines().next(), Some("2"), "[{}] {r}", t.name);
    }
}

// ---- commit -----------------------------------------------------------------------------

/// Only this org approved (1 of 3, 2 needed). After the first readiness check Org3
/// approves a different definition (init required: it does not count), after the second
/// Org2 approves this one: the script waits (sleep 2, sleep 4), then commits endorsed by
/// Org1's and Org2's peers only, and confirms with querycommitted.
#[test]
fn commit_waits_for_a_majority_then_commits_with_the_approving_orgs() {
    for t in toolsets() {
        let mut c = Case::new("commit-wait", t);
        c.attempts = 5;
        c.policy(POLICY).collections(COLLECTIONS);
        c.approved(ME, &V1).pending(1, "Org3MSP", &Def { init: true, ..V1 }).pending(2, "Org2MSP", &V1);
        let r = c.commit(&V1, &ORGS);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        let waiting = |w: &str| format!("chaincode basic on channel mychannel: 1 of 3 orgs approved sequence 1, 2 needed; waiting for: {w}");
        assert_eq!(
            r.lines(),
            [
                waiting("Org2MSP Org3MSP"),
                "  attempt 1/5 failed; retrying in 2s".into(),
                waiting("Org2MSP Org3MSP"),
                "  attempt 2/5 failed; retrying in 4s".into(),
                committed_line(&V1),
            ],
            "[{}] {r}",
            t.name
        );
        let endorsers = [ORGS[0], ORGS[1]];
        let ready = c.readiness_call(&V1);
        assert_eq!(
            r.log,
            [
                querycommitted(),
                ready.clone(),
                "sleep 2".into(),
                querycommitted(),
                ready.clone(),
                "sleep 4".into(),
                querycommitted(),
                ready,
                c.commit_call(&V1, &endorsers, O0),
                querycommitted(),
            ],
            "[{}] {r}",
            t.name
        );
        assert!(r.log[1].contains(&format!(" --signature-policy \"{POLICY}\" --collections-config $CASE/config/basic.mychannel.collections.json")), "[{}] {r}", t.name);
        assert_eq!(c.read(&format!("stub/committed/{CH}.{CC}")).unwrap(), format!("1\n{}", c.params(&V1)), "[{}] {r}", t.name);

        // Re-running: the sequence is committed, nothing else asked.
        c.clear_log();
        let r = c.commit(&V1, &ORGS);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), ["chaincode basic on channel mychannel: sequence 1 is committed"], "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted()], "[{}] {r}", t.name);
    }
}

/// Committed already: only querycommitted, exit 0; with the init flag too.
#[test]
fn commit_leaves_a_committed_sequence_alone() {
    for t in toolsets() {
        let c = Case::new("commit-done", t);
        let d = Def { init: true, ..V1 };
        c.approved(ME, &d).approved("Org2MSP", &d).committed(&d);
        let r = c.commit(&d, &ORGS);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), ["chaincode basic on channel mychannel: sequence 1 is committed"], "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted()], "[{}] {r}", t.name);
        assert_eq!(c.read("work/mychannel.basic.committed").unwrap(), "1\n", "[{}] {r}", t.name);
    }
}

/// A majority that never comes: $ATTEMPTS readiness checks, then a failure (exit 1),
/// nothing committed.
#[test]
fn commit_fails_when_no_majority_comes() {
    for t in toolsets() {
        let mut c = Case::new("commit-never", t);
        c.attempts = 2;
        c.approved(ME, &V1);
        let r = c.commit(&V1, &ORGS);
        assert_eq!(r.code, 1, "[{}] {r}", t.name);
        let waiting = "chaincode basic on channel mychannel: 1 of 3 orgs approved sequence 1, 2 needed; waiting for: Org2MSP Org3MSP";
        let all: Vec<String> = ORGS.iter().map(|(m, p)| format!("{m}@{p}")).collect();
        assert_eq!(
            r.lines(),
            [waiting.to_string(), "  attempt 1/2 failed; retrying in 2s".into(), waiting.into(), format!("FAILED after 2 attempts: commit_once mychannel basic 1.0 1 false {}", all.join(" "))],
            "[{}] {r}",
            t.name
        );
        assert_eq!(r.log, [querycommitted(), c.readiness_call(&V1), "sleep 2".into(), querycommitted(), c.readiness_call(&V1)], "[{}] {r}", t.name);
        assert!(c.read(&format!("stub/committed/{CH}.{CC}")).is_none(), "[{}] {r}", t.name);
    }
}

// ---- an upgrade -------------------------------------------------------------------------

/// Sequence 1 (basic 1.0) committed and installed; the chart moves to sequence 2 (version
/// 1.1, a new package): installed next to the old one on both peers, sequence 2 approved,
/// committed with Org2 (which approved it already); then the whole Job again does nothing.
#[test]
fn upgrade_to_sequence_2() {
    for t in toolsets() {
        let c = Case::new("upgrade", t);
        c.policy(POLICY);
        for (m, _) in ORGS {
            c.approved(m, &V1);
        }
        c.committed(&V1).installed(P0, &[ID1]).installed(P1, &[ID1]).approved("Org2MSP", &V2);
        let pkg = c.package("basic-1.1.tar.gz", ID2);
        let endorsers = [ORGS[0], ORGS[1]];

        let r = c.install(&pkg, ID2, &[P0, P1]);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [format!("{P0}: installed {ID2}"), format!("{P1}: installed {ID2}")], "[{}] {r}", t.name);
        assert_eq!(r.log, [calculate(PKG2), queryinstalled(P0), install_call(P0, PKG2), queryinstalled(P1), install_call(P1, PKG2)], "[{}] {r}", t.name);
        assert_eq!(c.read(&format!("stub/installed/{P1}")).unwrap(), format!("{ID1}\n{ID2}\n"), "[{}] {r}", t.name);

        c.clear_log();
        let r = c.approve(&V2);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [approved_line(&V2)], "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted(), queryapproved(2), c.approve_call(&V2, O0)], "[{}] {r}", t.name);
        assert!(r.log[2].contains(" -v 1.1 --sequence 2 --package-id basic_1.1:"), "[{}] {r}", t.name);

        c.clear_log();
        let r = c.commit(&V2, &ORGS);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(r.lines(), [committed_line(&V2)], "[{}] {r}", t.name);
        assert_eq!(r.log, [querycommitted(), c.readiness_call(&V2), c.commit_call(&V2, &endorsers, O0), querycommitted()], "[{}] {r}", t.name);
        assert_eq!(c.read(&format!("stub/committed/{CH}.{CC}")).unwrap(), format!("2\n{}", c.params(&V2)), "[{}] {r}", t.name);

        // The Jobs again (a helm upgrade without changes): nothing is done. (One log for
        // the three runs.)
        c.clear_log();
        let i = c.install(&pkg, ID2, &[P0, P1]);
        let a = c.approve(&V2);
        let m = c.commit(&V2, &ORGS);
        for r in [&i, &a, &m] {
            assert_eq!(r.code, 0, "[{}] {r}", t.name);
        }
        assert_eq!(
            [i.lines(), a.lines(), m.lines()].concat(),
            [
                format!("{P0}: {ID2} already installed"),
                format!("{P1}: {ID2} already installed"),
                format!("chaincode basic on channel mychannel: sequence 2 already approved by Org1MSP for {ID2}"),
                "chaincode basic on channel mychannel: sequence 2 is committed".into(),
            ],
            "[{}] {m}",
            t.name
        );
        assert_eq!(m.log, [calculate(PKG2), queryinstalled(P0), queryinstalled(P1), querycommitted(), queryapproved(2), querycommitted()], "[{}] {m}", t.name);
        // The old chart's Jobs now stop: the channel is past their sequence.
        c.clear_log();
        let r = c.approve(&V1);
        assert_eq!((r.code, r.lines()), (3, ahead_lines(2, 1).iter().map(String::as_str).collect()), "[{}] {r}", t.name);
    }
}

// ---- orderer failover -------------------------------------------------------------------

/// The first orderer does not answer: approveformyorg and commit fail through it, and the
/// retry (after sleep 2) goes through the second; each is sent once per attempt.
#[test]
fn approve_and_commit_fail_over_to_the_next_orderer() {
    for t in toolsets() {
        let mut c = Case::new("failover", t);
        c.orderers = format!("{O0} {O1}");
        c.down(O0).approved("Org3MSP", &V1);
        let refused = format!("Error: failed to retrieve broadcast client: orderer client failed to connect to {O0}: failed to create new connection: context deadline exceeded");

        let r = c.approve(&V1);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(
            r.lines(),
            [format!("chaincode basic on channel mychannel: approving sequence 1 through {O0} failed: {refused}"), "  attempt 1/3 failed; retrying in 2s".into(), approved_line(&V1)],
            "[{}] {r}",
            t.name
        );
        assert_eq!(r.log, [querycommitted(), queryapproved(1), c.approve_call(&V1, O0), "sleep 2".into(), querycommitted(), queryapproved(1), c.approve_call(&V1, O1)], "[{}] {r}", t.name);
        assert_eq!(r.count("approveformyorg"), 2, "[{}] {r}", t.name);

        c.clear_log();
        let r = c.commit(&V1, &ORGS);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(
            r.lines(),
            [format!("chaincode basic on channel mychannel: commit through {O0} failed: {refused}"), "  attempt 1/3 failed; retrying in 2s".into(), committed_line(&V1)],
            "[{}] {r}",
            t.name
        );
        let endorsers = [ORGS[0], ORGS[2]];
        assert_eq!(
            r.log,
            [
                querycommitted(),
                c.readiness_call(&V1),
                c.commit_call(&V1, &endorsers, O0),
                "sleep 2".into(),
                querycommitted(),
                c.readiness_call(&V1),
                c.commit_call(&V1, &endorsers, O1),
                querycommitted(),
            ],
            "[{}] {r}",
            t.name
        );

        // Three orderers, the first two down: the third attempt uses the third.
        let mut c = Case::new("failover-3", t);
        c.orderers = format!("{O0} {O1} orderer2.orgorderer1:7050");
        c.down(O0).down(O1);
        let r = c.approve(&V1);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        let used: Vec<&str> = r.log.iter().filter(|l| l.contains("approveformyorg")).map(|l| l.split(" -o ").nth(1).unwrap().split(' ').next().unwrap()).collect();
        assert_eq!(used, [O0, O1, "orderer2.orgorderer1:7050"], "[{}] {r}", t.name);
        assert_eq!(r.log.iter().filter(|l| l.starts_with("sleep")).collect::<Vec<_>>(), ["sleep 2", "sleep 4"], "[{}] {r}", t.name);
    }
}

/// A call that took effect although the CLI reported a timeout (a slow peer or orderer)
/// is not sent again: the retry first asks the peer, and finds the step done. A commit is
/// done only once this org's peer shows it.
#[test]
fn a_step_that_timed_out_but_took_effect_is_not_repeated() {
    for t in toolsets() {
        let c = Case::new("timeout", t);
        let pkg = c.package("basic.tar.gz", ID1);
        c.timeout("install").timeout("approveformyorg").timeout("commit").approved("Org2MSP", &V1);
        let r = c.install(&pkg, ID1, &[P0, P1]);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(
            r.lines(),
            [
                format!("{P0}: installing {ID1} failed: Error: failed to endorse chaincode install: rpc error: code = DeadlineExceeded desc = context deadline exceeded"),
                "  attempt 1/3 failed; retrying in 2s".into(),
                format!("{P0}: {ID1} already installed"),
                format!("{P1}: installed {ID1}"),
            ],
            "[{}] {r}",
            t.name
        );
        assert_eq!(r.log, [calculate(PKG), queryinstalled(P0), install_call(P0, PKG), "sleep 2".into(), queryinstalled(P0), queryinstalled(P1), install_call(P1, PKG)], "[{}] {r}", t.name);

        c.clear_log();
        let r = c.approve(&V1);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(
            r.lines(),
            [
                format!("chaincode basic on channel mychannel: approving sequence 1 through {O0} failed: Error: timed out waiting for txid on all peers"),
                "  attempt 1/3 failed; retrying in 2s".into(),
                format!("chaincode basic on channel mychannel: sequence 1 already approved by Org1MSP for {ID1}"),
            ],
            "[{}] {r}",
            t.name
        );
        assert_eq!(r.log, [querycommitted(), queryapproved(1), c.approve_call(&V1, O0), "sleep 2".into(), querycommitted(), queryapproved(1)], "[{}] {r}", t.name);

        c.clear_log();
        let r = c.commit(&V1, &ORGS);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(
            r.lines(),
            [
                format!("chaincode basic on channel mychannel: commit through {O0} failed: Error: timed out waiting for txid on all peers"),
                "  attempt 1/3 failed; retrying in 2s".into(),
                "chaincode basic on channel mychannel: sequence 1 is committed".into(),
            ],
            "[{}] {r}",
            t.name
        );
        assert_eq!(r.log, [querycommitted(), c.readiness_call(&V1), c.commit_call(&V1, &[ORGS[0], ORGS[1]], O0), "sleep 2".into(), querycommitted()], "[{}] {r}", t.name);

        // The commit succeeded, but this org's peer has not got the block yet: not
        // reported as done until querycommitted shows it.
        let c = Case::new("lag", t);
        c.approved(ME, &V1).approved("Org2MSP", &V1).write("stub/lag", "");
        let r = c.commit(&V1, &ORGS);
        assert_eq!(r.code, 0, "[{}] {r}", t.name);
        assert_eq!(
            r.lines(),
            ["chaincode basic on channel mychannel: commit sent, querycommitted shows sequence 0", "  attempt 1/3 failed; retrying in 2s", "chaincode basic on channel mychannel: sequence 1 is committed"],
            "[{}] {r}",
            t.name
        );
        assert_eq!(r.log, [querycommitted(), c.readiness_call(&V1), c.commit_call(&V1, &[ORGS[0], ORGS[1]], O0), querycommitted(), "sleep 2".into(), querycommitted()], "[{}] {r}", t.name);
    }
}

/// The org's peer does not answer: approve and commit fail after $ATTEMPTS querycommitted
/// calls (the error on stderr), exit 1, nothing sent to an orderer.
#[test]
fn approve_and_commit_fail_when_the_peer_does_not_answer() {
    for t in toolsets() {
        let mut c = Case::new("peer-down", t);
        c.attempts = 2;
        c.down(P0);
        let said = format!("querycommitted failed: Error: failed to retrieve endorser client for querycommitted: endorser client failed to connect to {P0}: failed to create new connection: context deadline exceeded");
        for step in ["approve", "commit"] {
            c.clear_log();
            let (r, args) = if step == "approve" {
                (c.approve(&V1), format!("approve_once mychannel basic 1.0 1 {ID1} false"))
            } else {
                (c.commit(&V1, &ORGS[..1]), format!("commit_once mychannel basic 1.0 1 false Org1MSP@{P0}"))
            };
            assert_eq!(r.code, 1, "[{}] {r}", t.name);
            assert_eq!(r.lines(), ["  attempt 1/2 failed; retrying in 2s".to_string(), format!("FAILED after 2 attempts: {args}")], "[{}] {r}", t.name);
            assert_eq!(r.err.lines().collect::<Vec<_>>(), [said.as_str(), said.as_str()], "[{}] {r}", t.name);
            assert_eq!(r.log, [querycommitted(), "sleep 2".into(), querycommitted()], "[{}] {r}", t.name);
        }
    }
}

/// An unknown step: exit 2, no peer call.
#[test]
fn unknown_step() {
    for t in toolsets() {
        let c = Case::new("unknown", t);
        let r = c.run(&["deploy", CH]);
        assert_eq!(r.code, 2, "[{}] {r}", t.name);
        assert_eq!(r.lines(), ["chaincode.sh: unknown step deploy"], "[{}] {r}", t.name);
        assert!(r.log.is_empty(), "[{}] {r}", t.name);
    }
}
