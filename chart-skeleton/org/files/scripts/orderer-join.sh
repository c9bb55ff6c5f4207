#!/bin/sh
# orderer-join.sh CHANNEL ADMIN_ADDRESS BLOCK [CHANNEL ADMIN_ADDRESS BLOCK ...]: joins
# orderers to channels through the channel participation API (osnadmin's REST calls), each
# with the given config block: a channel's genesis block for the orderers that bootstrap
# it, the channel's latest config block for an orderer joining a running channel (it
# starts as a follower and becomes a consenter when a config update adds it). Safe to
# re-run: GET 200 means already a member; POST 405 means the channel exists there.
#
# Environment: CA, CERT, KEY (the org Admin's TLS CA, client certificate and key: the
# admin endpoint requires mutual TLS), ATTEMPTS, WORK, SCRIPTS (retry.sh; default: this
# script's folder). Needs: curl, sh.
set -euf
: "${CA:?}" "${CERT:?}" "${KEY:?}" "${ATTEMPTS:=30}" "${WORK:=/tmp}" "${SCRIPTS:=${0%/*}}"

. "$SCRIPTS/retry.sh"

# osn CURL_ARGS...: one admin API call; prints the HTTP status (000: no answer), the body
# goes to $WORK/osn.out.
osn() {
  : >"$WORK/osn.out"
  curl -sS --connect-timeout 10 --max-time 60 -o "$WORK/osn.out" -w '%{http_code}' --cacert "$CA" --cert "$CERT" --key "$KEY" "$@" || true
}

# join CHANNEL HOST:ADMINPORT BLOCK
join() {
  if [ ! -s "$3" ]; then
    echo "$2: no config block $3 to join channel $1 with"
    return 1
  fi
  url="https://$2/participation/v1/channels"
  code=$(osn "$url/$1")
  case "$code" in
    200) echo "$2: already a member of channel $1"; return 0 ;;
    404) ;;
    *) echo "$2: GET channel $1 answered $code $(head -c 300 "$WORK/osn.out")"; return 1 ;;
  esac
  code=$(osn -F "config-block=@$3" "$url")
  case "$code" in
    201) echo "$2: joined channel $1 with $(basename "$3")"; return 0 ;;
    405) echo "$2: already a member of channel $1"; return 0 ;;
  esac
  echo "$2: joining channel $1 answered $code $(head -c 300 "$WORK/osn.out")"
  return 1
}

if [ "$#" -eq 0 ] || [ $(($# % 3)) -ne 0 ]; then
  echo "usage: orderer-join.sh CHANNEL ADMIN_ADDRESS BLOCK [CHANNEL ADMIN_ADDRESS BLOCK ...] (got $# arguments)"
  exit 2
fi
while [ "$#" -ge 3 ]; do
  retry join "$1" "$2" "$3"
  shift 3
done
echo "channel participation done"
