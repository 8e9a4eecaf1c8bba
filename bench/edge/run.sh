#!/usr/bin/env bash
# Edge proxy benchmark: wrk through orbit's edge, nginx, HAProxy and Caddy
# in front of the same two keep-alive Go backends, interleaved in one run,
# at 64 and 256 connections; then the catalog-change-to-route time with
# 1,000 services. Not run in CI. Usage (from the repository root):
#
#   bench/edge/run.sh                 # DURATION=10s ROUNDS=2 CONNS="64 256"
#   DURATION=5s ROUNDS=1 bench/edge/run.sh
set -euo pipefail

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-"64 256"}
THREADS=${THREADS:-2}
BASE=${BASE:-19000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/edgebench.XXXXXX)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

need=()
for bin in wrk nginx haproxy caddy; do
	command -v "$bin" >/dev/null || need+=("$bin")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}" >&2
	apt-get install -y "${need[@]}" >/dev/null
fi

B1=127.0.0.1:$((BASE + 1))
B2=127.0.0.1:$((BASE + 2))
declare -A PORT=([backend]=$((BASE + 1)) [orbit]=$((BASE + 104)) [nginx]=$((BASE + 101)) [haproxy]=$((BASE + 102)) [caddy]=$((BASE + 103)))

echo "building the backend and orbit's edge" >&2
(cd "$ROOT" && go build -o "$WORK/backend" ./bench/edge/backend && go build -o "$WORK/orbitedge" ./bench/edge/orbitedge)

"$WORK/backend" -listen "$B1" & PIDS+=($!)
"$WORK/backend" -listen "$B2" & PIDS+=($!)

cat >"$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  upstream backends { server $B1; server $B2; keepalive 256; }
  server {
    listen 127.0.0.1:${PORT[nginx]};
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
CONF
nginx -c "$WORK/nginx.conf"

cat >"$WORK/haproxy.cfg" <<CONF
global
  nbthread 2
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  option forwardfor
  http-reuse always
frontend fe
  bind 127.0.0.1:${PORT[haproxy]}
  default_backend be
backend be
  balance leastconn
  server b1 $B1
  server b2 $B2
CONF
haproxy -f "$WORK/haproxy.cfg" & PIDS+=($!)
HAPROXY_PID=$!

cat >"$WORK/Caddyfile" <<CONF
{
  admin off
  auto_https off
}
http://:${PORT[caddy]} {
  bind 127.0.0.1
  reverse_proxy $B1 $B2
}
CONF
caddy run --config "$WORK/Caddyfile" --adapter caddyfile >"$WORK/caddy.log" 2>&1 & PIDS+=($!)
CADDY_PID=$!

"$WORK/orbitedge" -listen "127.0.0.1:${PORT[orbit]}" -backends "$B1,$B2" 2>"$WORK/orbit.log" & PIDS+=($!)
ORBIT_PID=$!

# pids of a target, for CPU accounting (nginx: master and workers).
pids_of() {
	case $1 in
	nginx) local m; m=$(cat "$WORK/nginx.pid"); echo "$m $(pgrep -P "$m" | tr '\n' ' ')" ;;
	haproxy) echo "$HAPROXY_PID" ;;
	caddy) echo "$CADDY_PID" ;;
	orbit) echo "$ORBIT_PID" ;;
	backend) echo "${PIDS[0]} ${PIDS[1]}" ;;
	esac
}

# cpu_ticks sums user+system clock ticks of the given pids.
cpu_ticks() {
	local total=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$total"
}

to_ms() { # wrk latency (e.g. 812.00us, 1.52ms, 1.01s) to milliseconds
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
		printf "%.2f", n }'
}

wait_up() {
	for _ in $(seq 100); do
		# The body proves the request was proxied, not answered by the proxy.
		curl -sf -H 'Host: bench' "http://127.0.0.1:$1/" 2>/dev/null | grep -q 'hello from' && return 0
		sleep 0.1
	done
	echo "nothing answers on port $1" >&2
	exit 1
}
for t in backend orbit nginx haproxy caddy; do wait_up "${PORT[$t]}"; done

HZ=$(getconf CLK_TCK)
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
for round in $(seq "$ROUNDS"); do
	for c in $CONNS; do
		for t in backend orbit nginx haproxy caddy; do
			pids=$(pids_of "$t")
			before=$(cpu_ticks $pids)
			start=$(date +%s.%N)
			out=$(wrk -t"$THREADS" -c"$c" -d"$DURATION" --latency -H 'Host: bench' "http://127.0.0.1:${PORT[$t]}/")
			end=$(date +%s.%N)
			after=$(cpu_ticks $pids)
			rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
			p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
			p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
			errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')
			cpu=$(awk -v t=$((after - before)) -v hz="$HZ" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", 100 * t / hz / (e - s)}')
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$c" "$t" "$rps" "$p50" "$p99" "$cpu" "$errs" | tee -a "$RESULTS" >&2
		done
	done
done

echo
echo "| conns | proxy | req/s | p50 ms | p99 ms | CPU % (of one core) | vs nginx |"
echo "|---|---|---|---|---|---|---|"
for c in $CONNS; do
	for t in backend orbit nginx haproxy caddy; do
		awk -F'\t' -v c="$c" -v t="$t" '
			$2 == c && $3 == "nginx" { nr += $4; nn++ }
			$2 == c && $3 == t { r += $4; p50 += $5; p99 += $6; cpu += $7; n++ }
			END { if (n) printf "| %s | %s | %.0f | %.2f | %.2f | %.0f | %.2f× |\n", c, (t == "backend" ? "backend alone" : t), r/n, p50/n, p99/n, cpu/n, (r/n)/(nr/nn) }' "$RESULTS"
	done
done

echo
echo "catalog change to route, 1,000 services:"
(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkRouteUpdate' -benchtime "${UPDATES:-300}x" ./internal/proxy/ | grep -E 'Benchmark|ok')
