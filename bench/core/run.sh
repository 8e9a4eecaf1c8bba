#!/usr/bin/env bash
# Core benchmarks of issue 2: registrations/s, health reads under wrk,
# blocking-query fan-out, idle RSS with 200 services, RSS with 10,000 checks.
# Usage: bench/core/run.sh   (from the repository root; needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
go build -o "$out/orbit" ./cmd/orbit
go build -o "$out/corebench" ./bench/core

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start_agent() { # $1: name
  local port; port=$(free_port)
  "$out/orbit" agent -dev -data-dir "$out/$1" -http-addr "127.0.0.1:$port" -dns-addr off \
    -entrypoint "web=127.0.0.1:0,websecure=127.0.0.1:0" -log-level warn >"$out/$1.log" 2>&1 &
  echo $! >"$out/$1.pid"
  API="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -sf "$API/v1/status/leader" >/dev/null && return 0; sleep 0.1; done
  echo "agent $1 did not start" >&2; cat "$out/$1.log" >&2; exit 1
}
stop_agent() { kill "$(cat "$out/$1.pid")"; wait "$(cat "$out/$1.pid")" 2>/dev/null || true; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$(cat "$out/$1.pid")/status"; }
# cpu_pct NAME SECONDS: the agent's CPU use over a window, in % of one core.
cpu_pct() {
  local pid; pid=$(cat "$out/$1.pid")
  local t0; t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  sleep "$2"
  local t1; t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  awk -v a="$t0" -v b="$t1" -v s="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (b-a)/hz/s*100}'
}

"$out/corebench" backend >"$out/backend.addr" &
sleep 0.5
BACKEND="http://$(head -1 "$out/backend.addr")/health"

echo "== registrations/s and health reads (1,000 services, one http check each)"
start_agent reg
"$out/corebench" register -api "$API" -n 1000 -c 16 -check "$BACKEND" -interval 10s
sleep 12 # every check has run once and turned passing
echo "-- wrk -t2 -c64 -d10s $API/v1/health/service/bench-1?passing"
wrk -t2 -c64 -d10s --latency "$API/v1/health/service/bench-1?passing" | grep -E "Requests/sec|Latency  |99%|50%"
echo "== blocking-query fan-out"
"$out/corebench" fanout -api "$API" -watchers 1000 -rounds 5
stop_agent reg

echo "== idle RSS with 200 services (TTL checks)"
start_agent idle
"$out/corebench" register -api "$API" -n 200 -c 8 -prefix idle
sleep 20
echo "idle RSS: $(rss_mb idle) MB; idle CPU: $(cpu_pct idle 10)% of a core"
stop_agent idle

echo "== RSS with 10,000 http checks at a 10s interval"
start_agent many
"$out/corebench" register -api "$API" -n 10000 -c 32 -prefix many -check "$BACKEND" -interval 10s
sleep 30
echo "RSS with 10,000 checks: $(rss_mb many) MB; CPU over 20s of steady checking: $(cpu_pct many 20)% of a core"
stop_agent many
