#!/usr/bin/env bash
# Edge benchmark: wrk through the real `orbit agent -dev` (built from
# ./cmd/orbit, one entry point, the backends registered over the Consul API
# with Traefik tags), nginx and HAProxy, all in front of the same two
# keep-alive Go backends, interleaved in one run at 64 and 256 connections;
# then the catalog-change-to-route time with 1,000 services. Self-contained:
# it builds what it runs, picks free 127.0.0.1 ports, waits until every
# proxy forwards, prints a table and stops every process it started.
# Not run in CI. Usage (from anywhere):
#
#   bench/edge/run.sh                          # DURATION=10s ROUNDS=2 CONNS="64 256"
#   DURATION=5s ROUNDS=1 bench/edge/run.sh
#   PROFILE=/tmp/orbit.pprof bench/edge/run.sh # also a 10 s CPU profile of the agent
#   UPDATES=0 bench/edge/run.sh                # skip the catalog-change benchmark
set -euo pipefail

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-"64 256"}
THREADS=${THREADS:-2}
UPDATES=${UPDATES:-300}
PROFILE=${PROFILE:-}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/edgebench.XXXXXX)
PIDS=()
TARGETS=(backend orbit nginx haproxy)

cleanup() {
	local p
	[ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	# nginx daemonizes: wait for its master to go.
	for _ in $(seq 50); do
		[ -f "$WORK/nginx.pid" ] && kill -0 "$(cat "$WORK/nginx.pid")" 2>/dev/null || break
		sleep 0.1
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for bin in go wrk nginx haproxy curl python3; do
	command -v "$bin" >/dev/null || { echo "missing $bin (apt-get install wrk nginx haproxy curl python3)" >&2; exit 1; }
done

# free_ports N prints N distinct free 127.0.0.1 ports, held open together
# while they are chosen so none repeats.
free_ports() {
	python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
for s in ss: s.close()' "$1"
}
read -r B1P B2P API EDGE NGINX HAPROXY < <(free_ports 6)
B1=127.0.0.1:$B1P
B2=127.0.0.1:$B2P
declare -A PORT=([backend]=$B1P [orbit]=$EDGE [nginx]=$NGINX [haproxy]=$HAPROXY)

echo "building orbit and the backend" >&2
(cd "$ROOT" && go build -o "$WORK/orbit" ./cmd/orbit && go build -o "$WORK/backend" ./bench/edge/backend)

"$WORK/backend" -listen "$B1" & PIDS+=($!)
B1_PID=$!
"$WORK/backend" -listen "$B2" & PIDS+=($!)
B2_PID=$!

# The agent as a user runs it; -enable-debug only when profiling.
debug=()
[ -n "$PROFILE" ] && debug=(-enable-debug)
"$WORK/orbit" agent -dev -http-addr "127.0.0.1:$API" -dns-addr off -entrypoint "web=127.0.0.1:$EDGE" \
	-log-level warn "${debug[@]}" >"$WORK/orbit.log" 2>&1 & PIDS+=($!)
ORBIT_PID=$!

cat >"$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  fastcgi_temp_path $WORK/nginx-fastcgi;
  uwsgi_temp_path $WORK/nginx-uwsgi;
  scgi_temp_path $WORK/nginx-scgi;
  upstream backends { server $B1; server $B2; keepalive 256; }
  server {
    listen 127.0.0.1:$NGINX;
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
nginx -c "$WORK/nginx.conf" -e "$WORK/nginx.err"

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
  bind 127.0.0.1:$HAPROXY
  default_backend be
backend be
  balance leastconn
  server b1 $B1
  server b2 $B2
CONF
haproxy -f "$WORK/haproxy.cfg" & PIDS+=($!)
HAPROXY_PID=$!

# The agent's API answers once it is ready; then register the two backends
# as instances of one service routed by Host(`bench`). Instances without a
# check are passing, as in Consul.
for i in $(seq 300); do
	curl -sf "http://127.0.0.1:$API/v1/status/leader" 2>/dev/null | grep -q . && break
	kill -0 "$ORBIT_PID" 2>/dev/null || { cat "$WORK/orbit.log" >&2; echo "orbit agent exited" >&2; exit 1; }
	[ "$i" = 300 ] && { cat "$WORK/orbit.log" >&2; echo "orbit agent's API never answered" >&2; exit 1; }
	sleep 0.1
done
n=0
for b in "$B1P" "$B2P"; do
	n=$((n + 1))
	curl -sf -X PUT "http://127.0.0.1:$API/v1/agent/service/register" -d '{
	  "ID": "bench-'$n'", "Name": "bench", "Address": "127.0.0.1", "Port": '$b',
	  "Tags": ["traefik.enable=true", "traefik.http.routers.bench.rule=Host(`bench`)",
	           "traefik.http.routers.bench.entrypoints=web"]}' >/dev/null
done

pids_of() { # the processes whose CPU a target's figure counts
	case $1 in
	nginx) local m; m=$(cat "$WORK/nginx.pid"); echo "$m $(pgrep -P "$m" | tr '\n' ' ')" ;;
	haproxy) echo "$HAPROXY_PID" ;;
	orbit) echo "$ORBIT_PID" ;;
	backend) echo "$B1_PID $B2_PID" ;;
	esac
}

cpu_ticks() { # user+system clock ticks of the given pids
	local total=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$total"
}

to_ms() { # wrk latency (812.00us, 1.52ms, 1.01s) in milliseconds
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
		printf "%.2f", n }'
}

wait_up() { # until both backends answer through the target (the body names one)
	local seen=""
	for _ in $(seq 300); do
		seen+=$(curl -sf -H 'Host: bench' "http://127.0.0.1:$1/" 2>/dev/null || true)
		if [[ $seen == *"$B1P"* && $seen == *"$B2P"* ]]; then return 0; fi
		sleep 0.1
	done
	echo "port $1 does not forward to both backends" >&2
	cat "$WORK/orbit.log" >&2
	exit 1
}
for _ in $(seq 100); do # the backend alone names only itself
	curl -sf "http://$B1/" >/dev/null 2>&1 && curl -sf "http://$B2/" >/dev/null 2>&1 && break
	sleep 0.1
done
for t in orbit nginx haproxy; do wait_up "${PORT[$t]}"; done

if [ -n "$PROFILE" ]; then
	# Profile the agent under load at 64 connections before the rounds.
	wrk -t"$THREADS" -c64 -d12s -H 'Host: bench' "http://127.0.0.1:$EDGE/" >/dev/null &
	load=$!
	sleep 1
	curl -sf -o "$PROFILE" "http://127.0.0.1:$API/debug/pprof/profile?seconds=10"
	wait "$load"
	cp "$WORK/orbit" "${PROFILE%.*}.bin"
	echo "CPU profile of the agent: go tool pprof -top ${PROFILE%.*}.bin $PROFILE" >&2
fi

HZ=$(getconf CLK_TCK)
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
for round in $(seq "$ROUNDS"); do
	for c in $CONNS; do
		for t in "${TARGETS[@]}"; do
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
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| conns | proxy | req/s | p50 ms | p99 ms | CPU % (of one core) | CPU µs/req | req/s vs nginx | p99 vs nginx |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in $CONNS; do
	for t in "${TARGETS[@]}"; do
		awk -F'\t' -v c="$c" -v t="$t" '
			$2 == c && $3 == "nginx" { nr += $4; np += $6; nn++ }
			$2 == c && $3 == t { r += $4; p50 += $5; p99 += $6; cpu += $7; us += 10000 * $7 / $4; n++ }
			END { if (n) printf "| %s | %s | %.0f | %.2f | %.2f | %.0f | %.1f | %.2f× | %.2f× |\n", c, (t == "backend" ? "backend alone" : t == "orbit" ? "orbit agent -dev" : t), r/n, p50/n, p99/n, cpu/n, us/n, (r/n)/(nr/nn), (p99/n)/(np/nn) }' "$RESULTS"
	done
done

if [ "$UPDATES" != 0 ]; then
	echo
	echo "catalog change to route, 1,000 services:"
	(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkRouteUpdate' -benchtime "${UPDATES}x" ./internal/proxy/ | grep -E 'Benchmark|ok')
fi
