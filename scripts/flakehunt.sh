#!/usr/bin/env bash
# Hunts flaky tests: runs the packages that start agents, schedulers and
# clusters -count=N times, then the whole ./test.sh R times, all while K
# CPU burners keep the machine busy. Prints every failed test by name and
# how often it failed; exits non-zero when anything failed. Not part of
# .ci/run: it takes a long time on purpose.
#
#   scripts/flakehunt.sh [-n COUNT] [-r RUNS] [-k BURNERS] [-p 'pkg ...'] [-t REGEX] [-o DIR]
#
#   -n  go test -count for the cluster packages (default 20; 0 skips them)
#   -r  whole ./test.sh runs (default 5; 0 skips them)
#   -k  CPU burners (`yes >/dev/null`) running meanwhile (default 2)
#   -p  packages for the -count runs (default: the cluster packages below)
#   -t  only tests matching REGEX in the -count runs (go test -run)
#   -o  directory for the logs (default: a new temporary directory)
set -uo pipefail
cd "$(dirname "$0")/.."

count=20 runs=5 burners=2 run_re= out=
pkgs="./internal/scheduler/... ./internal/client/... ./internal/agent/... ./internal/api/...
./internal/dns/... ./internal/proxy/... ./internal/health/... ./internal/cli/... ./internal/store/...
./internal/view/... ./internal/driver/... ./test/..."
while getopts "n:r:k:p:t:o:" opt; do
  case $opt in
    n) count=$OPTARG ;;
    r) runs=$OPTARG ;;
    k) burners=$OPTARG ;;
    p) pkgs=$OPTARG ;;
    t) run_re=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
  esac
done
out=${out:-$(mktemp -d -t flakehunt.XXXXXX)}
mkdir -p "$out"

burner_pids=()
child=
stop_burners() {
  for pid in "${burner_pids[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${burner_pids[@]}"; do
    wait "$pid" 2>/dev/null
  done
  burner_pids=()
}
cleanup() {
  # The running go test or test.sh leads its own process group (set -m):
  # stop it with everything it started.
  if [[ -n $child ]]; then
    kill -TERM -- "-$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  stop_burners
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run LOG CMD...: runs CMD in the background, so a signal to this script is
# handled at once rather than after CMD ends, with its output in LOG.
run() {
  local log=$1 rc
  shift
  set -m
  "$@" >"$log" 2>&1 &
  child=$!
  set +m
  wait "$child"
  rc=$?
  child=
  return $rc
}
for ((i = 0; i < burners; i++)); do
  yes >/dev/null &
  burner_pids+=($!)
done
echo "flakehunt: $burners burners, logs in $out"

status=0
if ((count > 0)); then
  # shellcheck disable=SC2086 # pkgs is a word list on purpose
  for pkg in $(go list $pkgs); do
    log="$out/count-$(echo "$pkg" | tr / _).log"
    args=(-count="$count" -timeout 60m)
    [[ -n $run_re ]] && args+=(-run "$run_re")
    echo "flakehunt: go test ${args[*]} $pkg"
    if ! run "$log" go test "${args[@]}" "$pkg"; then
      status=1
      echo "flakehunt:   FAILED (see $log)"
    fi
  done
fi
for ((i = 1; i <= runs; i++)); do
  log="$out/test.sh-$i.log"
  echo "flakehunt: ./test.sh run $i of $runs"
  if run "$log" ./test.sh; then
    echo "flakehunt:   passed"
  else
    status=1
    echo "flakehunt:   FAILED (see $log)"
  fi
done
stop_burners

echo "flakehunt: failures by test (count, test):"
# A subtest's failure also fails its parents; count only the leaves.
grep -h -- '--- FAIL:' "$out"/*.log 2>/dev/null | sed -E 's/.*--- FAIL: ([^ ]+).*/\1/' | sort | uniq -c | sort -rn |
  awk '{ n[$2] = $1; names[NR] = $2 } END {
    for (i in names) { leaf = 1; for (j in names) if (index(names[j], names[i] "/") == 1) leaf = 0; if (leaf) print "  " n[names[i]], names[i] } }' | sort -rn
grep -h -E '^(panic:|FAIL\s+\S+\s+\(build|.*test timed out)' "$out"/*.log 2>/dev/null | sort | uniq -c | sed 's/^/  /'
if ((status == 0)); then
  echo "flakehunt: everything passed"
fi
exit $status
