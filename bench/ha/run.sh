#!/usr/bin/env bash
# HA benchmarks of issue 11: KV writes/s through 3 orbit servers beside a
# 1-server orbit and a plain 3-member etcd cluster (Debian's etcd-server),
# write unavailability when the store leader of 3 servers is killed, and
# idle RSS per server.
# Usage: bench/ha/run.sh [N_WRITES] [SECONDS]   (from the repository root;
# needs etcd: apt-get install -y etcd-server)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}; SECS=${2:-20}; C=16
command -v etcd >/dev/null || { echo "etcd is missing: apt-get install -y etcd-server" >&2; exit 2; }
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$out"' EXIT
go build -o "$out/orbit" ./cmd/orbit
go build -o "$out/habench" ./bench/ha
TOKEN=bench-$(date +%s)-root
printf 'acl {\n  tokens {\n    initial_management = "%s"\n  }\n}\n' "$TOKEN" >"$out/acl.hcl"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
await() { for _ in $(seq 1 300); do curl -sf -H "X-Consul-Token: $TOKEN" "$1" >/dev/null && return 0; sleep 0.2; done; echo "$1 did not answer" >&2; exit 1; }

# start_orbit NAME EXPECT [JOIN]: prints the API URL.
start_orbit() {
  local h p c; h=$(port); p=$(port); c=$(port)
  local join=(); [ -n "${3:-}" ] && join=(-retry-join "$3")
  "$out/orbit" agent -server -node "$1" -data-dir "$out/$1" -bind 127.0.0.1 -http-addr "127.0.0.1:$h" \
    -store-peer-addr "127.0.0.1:$p" -store-client-addr "127.0.0.1:$c" -dns-addr off \
    -entrypoint "web=127.0.0.1:0,websecure=127.0.0.1:0" -bootstrap-expect "$2" -config "$out/acl.hcl" \
    -log-level warn "${join[@]}" >"$out/$1.log" 2>&1 &
  echo $! >"$out/$1.pid"
  echo "127.0.0.1:$h" >"$out/$1.addr"
}
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$(cat "$out/$1.pid")/status"; }

echo "== 1 orbit server"
start_orbit one 1; await "http://$(cat "$out/one.addr")/v1/status/leader"
"$out/habench" put -urls "http://$(cat "$out/one.addr")" -token "$TOKEN" -n "$N" -c $C
kill "$(cat "$out/one.pid")"

echo "== 3 orbit servers"
start_orbit s1 3; await "http://$(cat "$out/s1.addr")/v1/status/leader"
start_orbit s2 3 "$(cat "$out/s1.addr")"; await "http://$(cat "$out/s2.addr")/v1/status/leader"
start_orbit s3 3 "$(cat "$out/s1.addr")"; await "http://$(cat "$out/s3.addr")/v1/status/leader"
URLS="http://$(cat "$out/s1.addr"),http://$(cat "$out/s2.addr"),http://$(cat "$out/s3.addr")"
for _ in $(seq 1 100); do [ "$(curl -sf -H "X-Consul-Token: $TOKEN" "http://$(cat "$out/s1.addr")/v1/status/peers" | grep -o 127 | wc -l)" = 3 ] && break; sleep 0.3; done
sleep 15
echo "idle RSS per server: s1 $(rss_mb s1) MB, s2 $(rss_mb s2) MB, s3 $(rss_mb s3) MB"
"$out/habench" put -urls "$URLS" -token "$TOKEN" -n "$N" -c $C

echo "== write unavailability: kill -9 the store leader of 3 servers under $C writers"
leader=$(curl -sf -H "X-Consul-Token: $TOKEN" "http://$(cat "$out/s1.addr")/v1/status/leader" | tr -d '"')
victim=""; for s in s1 s2 s3; do [ "$(cat "$out/$s.addr")" = "$leader" ] && victim=$s; done
others=""; for s in s1 s2 s3; do [ "$s" != "$victim" ] && others="$others,http://$(cat "$out/$s.addr")"; done
"$out/habench" gap -urls "${others#,}" -token "$TOKEN" -c $C -d "${SECS}s" &
gp=$!
sleep $((SECS / 3))
echo "killing $victim ($leader), the store leader"
kill -9 "$(cat "$out/$victim.pid")"
wait $gp
for s in s1 s2 s3; do kill "$(cat "$out/$s.pid")" 2>/dev/null || true; done

echo "== plain 3-member etcd ($(etcd --version | head -1))"
declare -A CP PP
for m in e1 e2 e3; do CP[$m]=$(port); PP[$m]=$(port); done
cluster="e1=http://127.0.0.1:${PP[e1]},e2=http://127.0.0.1:${PP[e2]},e3=http://127.0.0.1:${PP[e3]}"
for m in e1 e2 e3; do
  etcd --name $m --data-dir "$out/$m" --listen-client-urls "http://127.0.0.1:${CP[$m]}" \
    --advertise-client-urls "http://127.0.0.1:${CP[$m]}" --listen-peer-urls "http://127.0.0.1:${PP[$m]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${PP[$m]}" --initial-cluster "$cluster" \
    --initial-cluster-state new --log-level error >"$out/$m.log" 2>&1 &
done
for m in e1 e2 e3; do await "http://127.0.0.1:${CP[$m]}/health"; done
"$out/habench" put -etcd -urls "http://127.0.0.1:${CP[e1]},http://127.0.0.1:${CP[e2]},http://127.0.0.1:${CP[e3]}" -n "$N" -c $C
