#!/bin/sh
# channel-update.sh MODE CHANNEL...: brings each CHANNEL's live configuration to the one
# fabchart built this chart for, by applying the config updates fabchart generated, in
# order, each exactly once. Safe to re-run: it starts from what the live channel has.
#
#   MODE  post:  every pending update (post-install/post-upgrade hook);
#         pre:   only the pending updates marked `pre` at the head of the list (a consenter
#                leaving, applied by the pre-upgrade hook while its orderer still runs);
#         fetch: no update: waits until an orderer serves this identity the channel's
#                latest config block and leaves it in $WORK/CHANNEL.live.block (an orderer
#                joining a running channel joins with it; a peer org a config update adds
#                waits for it before joining).
#
# For each channel, $CHANNELS/<channel>.updates (written by fabchart) lists:
#   base   SEQ DIGEST                        the recorded base configuration
#   update FILE SEQ DIGEST pre|post SUMMARY   an envelope, and the config it applies to
#   final  SEQ DIGEST                        the configuration after every update
# where DIGEST is the SHA-256 of the sorted version lines configversions.awk prints.
#
# Each round fetches the channel's latest config block from an orderer and fingerprints it:
#   - final state: nothing to do;
#   - the state before update K: updates before K are already applied; submit K, wait
#     until the orderers have committed it, and go round again;
#   - a sequence below the base: the channel is still being set up; retried;
#   - anything else: the channel was changed outside fabchart (drift): stop, exit 3.
#
# Environment: CHANNELS (the update plans and envelopes), SCRIPTS (retry.sh, configversions.awk),
# ORDERERS ("host:port ..."), ORDERER_CA (PEM bundle for the orderers' TLS), ATTEMPTS,
# WORK (scratch folder), and the peer CLI's identity (CORE_PEER_LOCALMSPID,
# CORE_PEER_MSPCONFIGPATH, ...). Needs: peer, od, awk, sort, sha256sum, sed.
set -euf

: "${CHANNELS:?}" "${SCRIPTS:=${0%/*}}" "${ORDERERS:?}" "${ORDERER_CA:?}" "${ATTEMPTS:=30}" "${WORK:=/tmp}"

. "$SCRIPTS/retry.sh"

# live CHANNEL: fetches the channel's latest config block from the first orderer that
# answers and writes "SEQUENCE DIGEST" to $WORK/CHANNEL.live.
live() {
  for o in $ORDERERS; do
    if peer channel fetch config "$WORK/$1.live.block" -c "$1" -o "$o" --tls --cafile "$ORDERER_CA" >"$WORK/fetch.log" 2>&1; then
      od -An -v -tu1 "$WORK/$1.live.block" | awk -f "$SCRIPTS/configversions.awk" >"$WORK/$1.versions" || {
        echo "channel $1: the config block from $o cannot be read"
        return 1
      }
      seq=$(sed -n 's/^sequence //p' "$WORK/$1.versions")
      digest=$(grep -v '^sequence ' "$WORK/$1.versions" | LC_ALL=C sort | sha256sum | cut -c1-64)
      echo "$seq $digest" >"$WORK/$1.live"
      return 0
    fi
  done
  echo "channel $1: no orderer served its config ($ORDERERS): $(tail -n 1 "$WORK/fetch.log")"
  return 1
}

# field PLAN KIND N: field N of the first line of kind KIND.
field() {
  awk -v k="$2" -v n="$3" '$1 == k { print $n; exit }' "$1"
}

# submit CHANNEL FILE: sends the envelope to the first orderer that accepts it. The peer
# CLI adds this identity's signature and re-signs the envelope (as any submitter must
# satisfy the channel's Writers); the envelope carries the admins' signatures already.
submit() {
  for o in $ORDERERS; do
    if peer channel update -f "$CHANNELS/$2" -c "$1" -o "$o" --tls --cafile "$ORDERER_CA" >"$WORK/update.log" 2>&1; then
      return 0
    fi
    echo "  $o refused $2: $(tail -n 1 "$WORK/update.log")"
  done
  return 1
}

# moved CHANNEL SEQ: the live sequence is past SEQ (the submitted update is committed).
moved() {
  live "$1" || return 1
  now=$(cut -d' ' -f1 "$WORK/$1.live")
  if [ "$now" -gt "$2" ]; then return 0; fi
  echo "  channel $1: still at sequence $now, waiting for the update to be committed"
  return 1
}

# step MODE CHANNEL PLAN: one round; 0 = done, 10 = applied one update (go again),
# 3 = drift, 1 = failed (retried).
step() {
  mode=$1
  ch=$2
  plan=$3
  live "$ch" || return 1
  seq=$(cut -d' ' -f1 "$WORK/$ch.live")
  digest=$(cut -d' ' -f2 "$WORK/$ch.live")
  if [ "$seq" = "$(field "$plan" final 2)" ] && [ "$digest" = "$(field "$plan" final 3)" ]; then
    echo "channel $ch: up to date at config sequence $seq"
    return 0
  fi
  line=$(awk -v s="$seq" -v d="$digest" '$1 == "update" && $3 == s && ($4 "") == (d "") { print; exit }' "$plan")
  if [ -z "$line" ]; then
    base=$(field "$plan" base 2)
    if [ "$seq" -lt "$base" ]; then
      echo "channel $ch: at config sequence $seq, below the base $base fabchart records: still being set up"
      return 1
    fi
    echo "channel $ch has DRIFTED: the live config is at sequence $seq (version digest $(echo "$digest" | cut -c1-12)), a state fabchart did not make: it expects sequence $(field "$plan" final 2) after all its updates$(awk '$1 == "update" { printf ", or %s before %s", $3, $2 }' "$plan")."
    echo "  The channel was changed outside fabchart. Fetch its config block (peer channel fetch config BLOCK -c $ch -o ORDERER --tls --cafile CA),"
    echo "  adopt it with \`fabchart channel import OUT $ch BLOCK\`, rebuild, and upgrade with the new chart. Nothing was submitted."
    return 3
  fi
  set -- $line
  file=$2
  when=$5
  shift 5
  summary=$*
  done_before=$(awk -v f="$file" '$1 == "update" { if ($2 == f) exit; n++ } END { print n + 0 }' "$plan")
  if [ "$done_before" -gt 0 ]; then
    echo "channel $ch: $done_before update(s) already applied (sequence $seq)"
  fi
  if [ "$mode" = pre ] && [ "$when" != pre ]; then
    echo "channel $ch: the next update ($file) is applied after the upgrade"
    return 0
  fi
  echo "channel $ch: applying $file at sequence $seq: $summary"
  submit "$ch" "$file" || return 1
  # A subshell: the wait has attempts of its own (retry's counters are global); when it
  # gives up (an update accepted but never committed), the round fails and the outer
  # retry fetches again and resubmits.
  (retry moved "$ch" "$seq") || return 1
  echo "channel $ch: applied $file; now at sequence $(cut -d' ' -f1 "$WORK/$ch.live")"
  return 10
}

# channel MODE CHANNEL: rounds until the channel is up to date (or, in pre mode, until
# the next update is not a pre one).
channel() {
  plan="$CHANNELS/$2.updates"
  if [ ! -f "$plan" ]; then
    echo "channel $2: no update plan ($plan)"
    return 1
  fi
  while :; do
    rc=0
    retry step "$1" "$2" "$plan" || rc=$?
    [ "$rc" -eq 10 ] && continue
    return "$rc"
  done
}

# fetched CHANNEL: the latest config block, once this identity may read the channel.
fetched() {
  live "$1" || return 1
  echo "channel $1: fetched its latest config block (sequence $(cut -d' ' -f1 "$WORK/$1.live"))"
}

mode=${1:?usage: channel-update.sh pre|post|fetch CHANNEL...}
shift
# Every channel is tried; a drift (3) anywhere is the exit status, else any failure (1).
status=0
for ch in "$@"; do
  rc=0
  case "$mode" in
    pre | post) channel "$mode" "$ch" || rc=$? ;;
    fetch) retry fetched "$ch" || rc=$? ;;
    *) echo "usage: channel-update.sh pre|post|fetch CHANNEL..."; exit 2 ;;
  esac
  if [ "$rc" -eq 3 ] || { [ "$rc" -ne 0 ] && [ "$status" -ne 3 ]; }; then status=$rc; fi
done
exit "$status"
