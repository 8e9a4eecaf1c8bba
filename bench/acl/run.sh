#!/usr/bin/env bash
# ACL cost (issue 10): catalog, health and KV read throughput and latency
# of one `orbit agent -dev` (built from ./cmd/orbit) with ACLs off, then
# with ACLs on (default deny) and a real token holding exactly the read
# rules the requests need, measured with hey.
# Usage: bench/acl/run.sh [SECONDS] [CONNS]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}; C=${2:-32}
command -v hey >/dev/null || { echo "hey is missing (go install github.com/rakyll/hey@latest)" >&2; exit 2; }
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$out"' EXIT
go build -o "$out/orbit" ./cmd/orbit
ROOT=bench-$(date +%s)-root
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
await() { for _ in $(seq 1 300); do curl -sf -H "X-Consul-Token: $ROOT" "$1" >/dev/null && return 0; sleep 0.2; done; echo "$1 did not answer" >&2; exit 1; }

# run MODE CONFIG: one agent, fixtures, then hey on each endpoint.
run() {
  local mode=$1 cfg=$2 h; h=$(port)
  "$out/orbit" agent -dev -node bench -data-dir "$out/$mode" -http-addr "127.0.0.1:$h" -dns-addr off \
    -entrypoint "web=127.0.0.1:0,websecure=127.0.0.1:0" -config "$cfg" -log-level warn >"$out/$mode.log" 2>&1 &
  local pid=$!
  local url="http://127.0.0.1:$h"
  await "$url/v1/catalog/services"
  curl -sf -X PUT -H "X-Consul-Token: $ROOT" "$url/v1/agent/service/register" \
    -d '{"Name":"web","ID":"web1","Port":8080,"Address":"127.0.0.1"}' >/dev/null
  curl -sf -X PUT -H "X-Consul-Token: $ROOT" "$url/v1/kv/app/config" -d 'value' >/dev/null
  local tok=$ROOT
  if [ "$mode" = on ]; then
    local pol
    pol=$(curl -sf -X PUT -H "X-Consul-Token: $ROOT" "$url/v1/acl/policy" \
      -d '{"Name":"bench-read","Rules":"service \"web\" { policy = \"read\" }\nnode_prefix \"\" { policy = \"read\" }\nservice_prefix \"\" { policy = \"read\" }\nkey_prefix \"app/\" { policy = \"read\" }"}' |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
    tok=$(curl -sf -X PUT -H "X-Consul-Token: $ROOT" "$url/v1/acl/token" -d "{\"Policies\":[{\"ID\":\"$pol\"}]}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["SecretID"])')
  fi
  for path in /v1/catalog/services /v1/health/service/web?passing /v1/kv/app/config; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Consul-Token: $tok" "$url$path")
    [ "$code" = 200 ] || { echo "$mode $path answered $code" >&2; exit 1; }
    hey -z "${SECS}s" -c "$C" -H "X-Consul-Token: $tok" "$url$path" >"$out/hey" 2>&1
    rps=$(awk '/Requests\/sec/ {print $2}' "$out/hey")
    p50=$(awk '/ 50% in / {print $3}' "$out/hey")
    p99=$(awk '/ 99% in / {print $3}' "$out/hey")
    printf '%-4s %-32s %10s req/s  p50 %ss  p99 %ss\n' "$mode" "$path" "$rps" "$p50" "$p99"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

printf 'acl {\n  enabled = false\n}\n' >"$out/off.hcl"
printf 'acl {\n  enabled = true\n  default_policy = "deny"\n  tokens {\n    initial_management = "%s"\n  }\n}\n' "$ROOT" >"$out/on.hcl"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
run off "$out/off.hcl"
run on "$out/on.hcl"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
