#!/usr/bin/env bash
# End-to-end job start: a job of N raw_exec tasks (default 100) on one dev
# agent, timed from `orbit job run -detach` until every allocation runs and
# every task answers HTTP. Usage: bench/jobrun/run.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100}; runs=${2:-3}
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; pkill -f "$out/webapp" 2>/dev/null || true; rm -rf "$out"' EXIT
go build -o "$out/orbit" ./cmd/orbit
go build -o "$out/webapp" ./internal/driver/testdata/webapp
go build -o "$out/jobrun" ./bench/jobrun
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$out/orbit" agent -dev -data-dir "$out/data" -http-addr "127.0.0.1:$port" -dns-addr off \
  -entrypoint "web=127.0.0.1:0,websecure=127.0.0.1:0" -log-level warn -policy-enforce off >"$out/agent.log" 2>&1 &
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v1/status/leader" >/dev/null && break; sleep 0.1; done
sleep 1
for r in $(seq 1 "$runs"); do
  "$out/jobrun" -orbit "$out/orbit" -webapp "$out/webapp" -api "http://127.0.0.1:$port" -n "$n"
  sleep 5 # the purged job's tasks stop before the next run
done
