#!/usr/bin/env bash
# Monitoring cost: the real `orbit agent -dev` (built from ./cmd/orbit),
# which collects every second with nothing configured, beside Debian's
# Netdata with its default plugins, both on free 127.0.0.1 ports, measured
# over the same window: metrics collected per second, CPU (user+system
# ticks from /proc, Netdata's plugins counted with it) and RSS. For orbit
# it also reports the collection loop's own time
# (orbit_metrics_collect_duration_seconds_sum), which isolates the
# metrics feature from the rest of the agent. Self-contained: it builds
# what it runs, prints a table and stops every process it started. Needs
# go, netdata, curl, python3. Not run in CI.
#
#   bench/metrics/run.sh [seconds] [warmup-seconds]    # default 60 20
#
# Writes bench/metrics/results.tsv.
set -euo pipefail
SECS=${1:-60}
WARM=${2:-20}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/metricsbench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for bin in go netdata curl python3; do
	command -v "$bin" >/dev/null || { echo "missing $bin (apt-get install netdata curl python3)" >&2; exit 1; }
done

free_ports() {
	python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
for s in ss: s.close()' "$1"
}
read -r API DNS WEB WEBS ND < <(free_ports 5)

echo "building orbit..." >&2
(cd "$ROOT" && go build -o "$WORK/orbit" ./cmd/orbit)

"$WORK/orbit" agent -dev -http-addr "127.0.0.1:$API" -dns-addr "127.0.0.1:$DNS" \
	-entrypoint "web=127.0.0.1:$WEB" -entrypoint "websecure=127.0.0.1:$WEBS" >"$WORK/orbit.log" 2>&1 &
ORBIT=$!
PIDS+=("$ORBIT")

mkdir -p "$WORK/nd/lib" "$WORK/nd/cache" "$WORK/nd/log"
cat >"$WORK/nd/netdata.conf" <<CONF
[global]
  run as user = $(id -un)
  memory mode = ram
  history = 3600
[web]
  bind to = 127.0.0.1:$ND
[registry]
  enabled = no
[cloud]
  enabled = no
[directories]
  lib = $WORK/nd/lib
  cache = $WORK/nd/cache
  log = $WORK/nd/log
CONF
netdata -D -c "$WORK/nd/netdata.conf" >"$WORK/nd/out.log" 2>&1 &
NETDATA=$!
PIDS+=("$NETDATA")

wait_up() {
	for _ in $(seq 1 120); do curl -sf "$1" >/dev/null && return 0; sleep 0.5; done
	echo "$1 did not answer in 60s" >&2
	exit 1
}
wait_up "http://127.0.0.1:$API/api/v1/info"
wait_up "http://127.0.0.1:$ND/api/v1/info"
echo "warming up ${WARM}s..." >&2
sleep "$WARM"

# tree PID: the process and its descendants (Netdata's plugins).
tree() {
	local p=$1
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree "$c"; done
}
# ticks PID...: summed utime+stime.
ticks() {
	local t=0 p
	for p in "$@"; do
		[ -r /proc/"$p"/stat ] || continue
		t=$((t + $(awk '{sub(/.*\) /, ""); print $12 + $13}' /proc/"$p"/stat)))
	done
	echo "$t"
}
rss_kb() {
	local t=0 p
	for p in "$@"; do
		t=$((t + $(awk '/^VmRSS/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0)))
	done
	echo "$t"
}
collect_sum() {
	curl -s "http://127.0.0.1:$API/metrics" | awk '/^orbit_metrics_collect_duration_seconds_sum/ {print $2}'
}

ND_PIDS=$(tree "$NETDATA")
o0=$(ticks "$ORBIT"); n0=$(ticks $ND_PIDS); c0=$(collect_sum)
echo "measuring ${SECS}s..." >&2
sleep "$SECS"
ND_PIDS=$(tree "$NETDATA")
o1=$(ticks "$ORBIT"); n1=$(ticks $ND_PIDS); c1=$(collect_sum)

HZ=$(getconf CLK_TCK)
ORBIT_METRICS=$(curl -s "http://127.0.0.1:$API/api/v1/info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metrics-count"])')
ORBIT_CHARTS=$(curl -s "http://127.0.0.1:$API/api/v1/charts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["charts_count"])')
read -r ND_METRICS ND_CHARTS < <(curl -s "http://127.0.0.1:$ND/api/v1/charts" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["dimensions_count"], d["charts_count"])')
ORBIT_RSS=$(rss_kb "$ORBIT")
ND_RSS=$(rss_kb $ND_PIDS)
SAMPLE=$(curl -s "http://127.0.0.1:$API/metrics" | awk '/^orbit_metrics_sample_bytes / {b=$2} /^orbit_metrics_samples / {s=$2} END {if (s > 0) printf "%.2f", b/s}')
STORE=$(curl -s "http://127.0.0.1:$API/metrics" | awk '/^orbit_metrics_memory_bytes / {printf "%.1f", $2/1048576}')

python3 - "$SECS" "$HZ" "$o0" "$o1" "$n0" "$n1" "$c0" "$c1" "$ORBIT_METRICS" "$ORBIT_CHARTS" "$ND_METRICS" "$ND_CHARTS" \
	"$ORBIT_RSS" "$ND_RSS" "$SAMPLE" "$STORE" "$ROOT/bench/metrics/results.tsv" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import sys, time
a = sys.argv[1:]
secs, hz = float(a[0]), float(a[1])
o = (int(a[3]) - int(a[2])) / hz / secs * 100
n = (int(a[5]) - int(a[4])) / hz / secs * 100
feat = (float(a[7]) - float(a[6])) / secs * 100
om, oc, nm, nc = int(a[8]), int(a[9]), int(a[10]), int(a[11])
orss, nrss = int(a[12]) / 1024, int(a[13]) / 1024
print(f"window {secs:.0f}s, load average {a[17]}")
print(f"| | metrics/s | charts | CPU (% of one core) | RSS (MiB) |")
print(f"|---|---:|---:|---:|---:|")
print(f"| orbit agent -dev, whole agent | {om:,} | {oc:,} | {o:.2f} | {orss:.0f} |")
print(f"| orbit metrics feature alone (collection loop) | {om:,} | {oc:,} | {feat:.2f} | store {a[15]} |")
print(f"| Netdata 1.37 (daemon + plugins) | {nm:,} | {nc:,} | {n:.2f} | {nrss:.0f} |")
print(f"orbit per-second samples: {a[14]} bytes each")
with open(a[16], "a") as f:
    f.write("\t".join([time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), a[17], f"{secs:.0f}", str(om), f"{o:.2f}",
                       f"{feat:.2f}", f"{orss:.0f}", a[15], a[14], str(nm), f"{n:.2f}", f"{nrss:.0f}"]) + "\n")
PY
