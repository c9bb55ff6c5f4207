# retry.sh: sourced by the channel Jobs' scripts (`. "$SCRIPTS/retry.sh"`). POSIX sh.
#
# retry CMD...: runs CMD until it succeeds, at most $ATTEMPTS times (default 30), sleeping
# 2s, 4s, 8s, ... up to 30s between tries. Exit statuses 3 (a final "no", e.g. drift) and
# 10 (done one thing, go round again) are answers, passed on at once without a retry. Its
# counters are globals: a retry nested in a retried command runs in a subshell.
retry() {
  try=1
  delay=2
  while :; do
    rc=0
    "$@" || rc=$?
    case "$rc" in
      0 | 3 | 10) return "$rc" ;;
    esac
    if [ "$try" -ge "${ATTEMPTS:-30}" ]; then
      echo "FAILED after $try attempts: $*"
      return 1
    fi
    echo "  attempt $try/${ATTEMPTS:-30} failed; retrying in ${delay}s"
    sleep "$delay"
    try=$((try + 1))
    delay=$((delay * 2))
    if [ "$delay" -gt 30 ]; then delay=30; fi
  done
}
