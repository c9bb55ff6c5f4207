#!/bin/sh
# chaincode.sh STEP ARGS...: the chaincode lifecycle of one org, as `peer lifecycle
# chaincode` runs it, each step idempotent (it first asks the peer what is already done)
# and retried (retry.sh: $ATTEMPTS tries, back-off 2s..30s).
#
#   install FILE PACKAGE_ID PEER...
#       Checks that the peer CLI computes PACKAGE_ID for FILE (calculatepackageid), then,
#       per PEER (host:port): skips it when `queryinstalled` lists PACKAGE_ID, else
#       `install FILE`.
#   approve CHANNEL NAME VERSION SEQUENCE PACKAGE_ID INIT_REQUIRED
#       Skips when `queryapproved --sequence SEQUENCE` shows this org's approval of
#       PACKAGE_ID; stops (exit 3) when the channel has committed a later sequence than
#       this chart's; else `approveformyorg`.
#   commit CHANNEL NAME VERSION SEQUENCE INIT_REQUIRED MSPID@PEER...
#       Done when `querycommitted` shows SEQUENCE; stops (exit 3) on a later one. Else waits
#       until `checkcommitreadiness` shows approvals of a majority of the channel's orgs
#       (the LifecycleEndorsement policy, MAJORITY Endorsement), then `commit`s with the
#       peers (and TLS roots) of the orgs that approved, and confirms with `querycommitted`.
#
# The definition's policy and collections are files, not arguments (no quoting to get
# wrong): $CONFIG/NAME.CHANNEL.policy (a signature policy) and
# $CONFIG/NAME.CHANNEL.collections.json, when they exist. Peers' TLS roots for commit:
# $CONFIG/tlsca.MSPID.pem.
#
# Environment: CONFIG, SCRIPTS (retry.sh), ORDERERS ("host:port ...": tried in turn),
# ORDERER_CA, ATTEMPTS, WORK, and the peer CLI's identity: the org Admin
# (CORE_PEER_LOCALMSPID, CORE_PEER_MSPCONFIGPATH, CORE_PEER_TLS_*; CORE_PEER_ADDRESS is
# set per peer). Needs: peer, grep, sed, tr, tail, head, wc, cat.
set -euf

: "${CONFIG:?}" "${SCRIPTS:=${0%/*}}" "${ATTEMPTS:=30}" "${WORK:=/tmp}"

. "$SCRIPTS/retry.sh"

# def_file NAME CHANNEL SUFFIX: $CONFIG/NAME.CHANNEL.SUFFIX if it exists and is not empty.
def_file() {
  f="$CONFIG/$1.$2.$3"
  [ -s "$f" ] && echo "$f" || true
}

# run_def CMD NAME CHANNEL VERSION SEQUENCE INIT [EXTRA...]: runs `peer lifecycle chaincode
# CMD` with the definition's flags, then EXTRA.
run_def() {
  cmd=$1 name=$2 ch=$3 ver=$4 seq=$5 init=$6
  shift 6
  policy=$(def_file "$name" "$ch" policy)
  colls=$(def_file "$name" "$ch" collections.json)
  set -- -C "$ch" -n "$name" -v "$ver" --sequence "$seq" "$@"
  if [ -n "$policy" ]; then set -- "$@" --signature-policy "$(cat "$policy")"; fi
  if [ -n "$colls" ]; then set -- "$@" --collections-config "$colls"; fi
  if [ "$init" = true ]; then set -- "$@" --init-required; fi
  peer lifecycle chaincode "$cmd" "$@"
}

# orderer: the orderer this attempt uses (the next one on each retry).
orderer() {
  # shellcheck disable=SC2086
  set -- ${ORDERERS:?}
  n=$(( (${try:-1} - 1) % $# ))
  while [ "$n" -gt 0 ]; do shift; n=$((n - 1)); done
  echo "$1"
}

# committed_sequence CHANNEL NAME: the sequence the channel has committed, or 0.
committed_sequence() {
  if out=$(peer lifecycle chaincode querycommitted -C "$1" -n "$2" --output json 2>&1); then
    printf '%s\n' "$out" | tr -d ' \t\r\n' | sed -n 's/.*"sequence":\([0-9][0-9]*\).*/\1/p' | head -n 1
    return 0
  fi
  case "$out" in
    *"not found"* | *"namespace $2 is not defined"* | *"not defined"*) echo 0; return 0 ;;
  esac
  echo "querycommitted failed: $(printf '%s\n' "$out" | tail -n 1)" >&2
  return 1
}

# ahead CHANNEL NAME SEQUENCE: exit 3 (a final no) when the channel is past SEQUENCE.
check_ahead() {
  have=$(committed_sequence "$1" "$2") || return 1
  if [ "${have:-0}" -gt "$3" ]; then
    echo "chaincode $2 on channel $1: the channel has committed sequence $have, later than this chart's $3."
    echo "  Its definition was changed outside this chart (or by a newer chart version): build from the OUT that made it, or import that state."
    return 3
  fi
  echo "${have:-0}" >"$WORK/$1.$2.committed"
}

install_one() {
  file=$1 id=$2 peer=$3
  if out=$(CORE_PEER_ADDRESS="$peer" peer lifecycle chaincode queryinstalled --output json 2>&1); then
    if printf '%s\n' "$out" | grep -qF "\"$id\""; then
      echo "$peer: $id already installed"
      return 0
    fi
  else
    echo "$peer: queryinstalled failed: $(printf '%s\n' "$out" | tail -n 1)"
    return 1
  fi
  if out=$(CORE_PEER_ADDRESS="$peer" peer lifecycle chaincode install "$file" 2>&1); then
    echo "$peer: installed $id"
    return 0
  fi
  case "$out" in
    *"already successfully installed"*) echo "$peer: $id already installed"; return 0 ;;
  esac
  echo "$peer: installing $id failed: $(printf '%s\n' "$out" | tail -n 1)"
  return 1
}

install() {
  file=$1 id=$2
  shift 2
  # stdout only: a warning on stderr must not read as another ID.
  got=$(peer lifecycle chaincode calculatepackageid "$file" 2>"$WORK/calculate.err") || {
    echo "calculatepackageid $file failed: $(tail -n 1 "$WORK/calculate.err")"
    return 1
  }
  if [ "$got" != "$id" ]; then
    echo "the package $file has ID $got for the peer CLI, but fabchart computed $id: not installing"
    return 3
  fi
  for p in "$@"; do
    (retry install_one "$file" "$id" "$p")
  done
}

approve_once() {
  ch=$1 name=$2 ver=$3 seq=$4 id=$5 init=$6
  check_ahead "$ch" "$name" "$seq" || return $?
  if out=$(peer lifecycle chaincode queryapproved -C "$ch" -n "$name" --sequence "$seq" --output json 2>&1) &&
    printf '%s\n' "$out" | grep -qF "\"$id\""; then
    echo "chaincode $name on channel $ch: sequence $seq already approved by $CORE_PEER_LOCALMSPID for $id"
    return 0
  fi
  o=$(orderer)
  if out=$(run_def approveformyorg "$name" "$ch" "$ver" "$seq" "$init" --package-id "$id" -o "$o" --tls --cafile "${ORDERER_CA:?}" 2>&1); then
    echo "chaincode $name on channel $ch: $CORE_PEER_LOCALMSPID approved sequence $seq (version $ver, $id)"
    return 0
  fi
  echo "chaincode $name on channel $ch: approving sequence $seq through $o failed: $(printf '%s\n' "$out" | tail -n 1)"
  return 1
}

approve() {
  retry approve_once "$@"
}

commit_once() {
  ch=$1 name=$2 ver=$3 seq=$4 init=$5
  shift 5
  check_ahead "$ch" "$name" "$seq" || return $?
  if [ "$(cat "$WORK/$ch.$name.committed")" = "$seq" ]; then
    echo "chaincode $name on channel $ch: sequence $seq is committed"
    return 0
  fi
  out=$(run_def checkcommitreadiness "$name" "$ch" "$ver" "$seq" "$init" --output json 2>&1) || {
    echo "chaincode $name on channel $ch: checkcommitreadiness failed: $(printf '%s\n' "$out" | tail -n 1)"
    return 1
  }
  flat=$(printf '%s\n' "$out" | tr -d ' \t\r\n')
  yes=$(printf '%s\n' "$flat" | grep -o '"[^"]*":true' | wc -l)
  no=$(printf '%s\n' "$flat" | grep -o '"[^"]*":false' | wc -l)
  yes=$((yes + 0)) all=$((yes + no))
  need=$((all / 2 + 1))
  if [ "$all" -eq 0 ] || [ "$yes" -lt "$need" ]; then
    waiting=$(printf '%s\n' "$flat" | grep -o '"[^"]*":false' | sed 's/":false//; s/"//' | tr '\n' ' ' | sed 's/ $//')
    echo "chaincode $name on channel $ch: $yes of $all orgs approved sequence $seq, $need needed; waiting for: $waiting"
    return 1
  fi
  # The peers of the orgs that approved endorse the commit.
  peers=""
  for e in "$@"; do
    msp=${e%%@*}
    if printf '%s\n' "$flat" | grep -qF "\"$msp\":true"; then
      peers="$peers $e"
    fi
  done
  o=$(orderer)
  set --
  for e in $peers; do
    set -- "$@" --peerAddresses "${e#*@}" --tlsRootCertFiles "$CONFIG/tlsca.${e%%@*}.pem"
  done
  if out=$(run_def commit "$name" "$ch" "$ver" "$seq" "$init" "$@" -o "$o" --tls --cafile "${ORDERER_CA:?}" 2>&1); then
    have=$(committed_sequence "$ch" "$name") || return 1
    if [ "$have" = "$seq" ]; then
      echo "chaincode $name on channel $ch: committed sequence $seq (version $ver)"
      return 0
    fi
    echo "chaincode $name on channel $ch: commit sent, querycommitted shows sequence $have"
    return 1
  fi
  echo "chaincode $name on channel $ch: commit through $o failed: $(printf '%s\n' "$out" | tail -n 1)"
  return 1
}

commit() {
  retry commit_once "$@"
}

step=${1:?usage: chaincode.sh install|approve|commit ARGS...}
shift
case "$step" in
  install) install "$@" ;;
  approve) approve "$@" ;;
  commit) commit "$@" ;;
  *) echo "chaincode.sh: unknown step $step"; exit 2 ;;
esac
