#!/usr/bin/env bash
# DNS benchmark: the real `orbit agent -dev` (built from ./cmd/orbit) beside
# PowerDNS authoritative (bind backend), serving the same 1,000-record zone
# and the same NAME.service.consul names, driven by dnsperf, interleaved
# round by round in one run; then the time from registering a router to its
# host name being answered (bench/dns/routerlat). Self-contained: it builds
# what it runs, picks free 127.0.0.1 ports, prints a table and stops every
# process it started. Needs dnsperf, pdns-server, pdns-backend-bind, curl,
# python3. Not run in CI.
#
#   bench/dns/run.sh [seconds-per-run] [rounds]     # default 10 3
#   CLIENTS=20 ROUTERS=50 bench/dns/run.sh 10 3
#
# Writes bench/dns/results.tsv.
set -euo pipefail
SECS=${1:-10}
ROUNDS=${2:-3}
CLIENTS=${CLIENTS:-20}
ROUTERS=${ROUTERS:-50}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/dnsbench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for bin in go dnsperf pdns_server curl python3 dig; do
	command -v "$bin" >/dev/null || { echo "missing $bin (apt-get install dnsperf pdns-server pdns-backend-bind curl python3 dnsutils)" >&2; exit 1; }
done

# free_ports N prints N distinct free 127.0.0.1 ports usable for UDP and TCP.
free_ports() {
	python3 -c '
import socket, sys
ss = []
while len(ss) < 2 * int(sys.argv[1]):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try: u.bind(("127.0.0.1", p))
    except OSError: t.close(); continue
    ss += [t, u]
print(" ".join(str(s.getsockname()[1]) for s in ss[::2]))
for s in ss: s.close()' "$1"
}
read -r API ORBIT_PORT PDNS_PORT EDGE < <(free_ports 4)

echo "building orbit and routerlat" >&2
(cd "$ROOT" && go build -o "$WORK/orbit" ./cmd/orbit && go build -o "$WORK/routerlat" ./bench/dns/routerlat)

# The zone: 1,000 records (SOA, NS, ns1 and 997 A records host0..host996 —
# 998 names with ns1), and the service names as a consul zone for PowerDNS
# (orbit answers those from its catalog).
{
	echo '$TTL 300'
	echo '@ IN SOA ns1 hostmaster 1 3600 600 86400 60'
	echo '@ IN NS ns1'
	echo 'ns1 IN A 192.0.2.1'
	for i in $(seq 0 996); do echo "host$i IN A 198.18.$((i / 250)).$((i % 250 + 1))"; done
} >"$WORK/bench.zone"
{
	echo '$TTL 0'
	echo '@ IN SOA ns hostmaster 1 3600 600 86400 0'
	echo '@ IN NS ns'
	echo 'ns IN A 192.0.2.1'
	for i in $(seq 0 99); do echo "svc$i.service IN A 10.0.0.$((i + 1))"; done
} >"$WORK/consul.zone"
for i in $(seq 0 996); do echo "host$i.bench.example A"; done | shuf --random-source=<(yes) >"$WORK/zone.queries"
for i in $(seq 0 99); do echo "svc$i.service.consul A"; done >"$WORK/consul.queries"

cat >"$WORK/named.conf" <<CONF
options { directory "$WORK"; };
zone "bench.example" { type master; file "$WORK/bench.zone"; };
zone "consul" { type master; file "$WORK/consul.zone"; };
CONF
: >"$WORK/pdns.conf"
pdns_server --config-dir="$WORK" --socket-dir="$WORK" --daemon=no --guardian=no --disable-syslog=yes \
	--launch=bind --bind-config="$WORK/named.conf" --local-address=127.0.0.1 --local-port="$PDNS_PORT" \
	--webserver=no --api=no --loglevel=3 --write-pid=no >"$WORK/pdns.log" 2>&1 & PIDS+=($!)
PDNS_PID=$!

# The agent as a user runs it.
"$WORK/orbit" agent -dev -http-addr "127.0.0.1:$API" -dns-addr "127.0.0.1:$ORBIT_PORT" \
	-entrypoint "web=127.0.0.1:$EDGE" -log-level warn >"$WORK/orbit.log" 2>&1 & PIDS+=($!)
ORBIT_PID=$!
for i in $(seq 300); do
	curl -sf "http://127.0.0.1:$API/v1/status/leader" 2>/dev/null | grep -q . && break
	kill -0 "$ORBIT_PID" 2>/dev/null || { cat "$WORK/orbit.log" >&2; echo "orbit agent exited" >&2; exit 1; }
	[ "$i" = 300 ] && { cat "$WORK/orbit.log" >&2; echo "orbit agent's API never answered" >&2; exit 1; }
	sleep 0.1
done

# The same data in the agent: the zone through the zone API, 100 services
# with one passing instance each (no check: passing, as in Consul) through
# the Consul API.
curl -sf -X POST --data-binary "@$WORK/bench.zone" "http://127.0.0.1:$API/v1/dns/zones/bench.example/import" >/dev/null
for i in $(seq 0 99); do
	curl -sf -X PUT "http://127.0.0.1:$API/v1/agent/service/register" \
		-d "{\"ID\": \"svc$i\", \"Name\": \"svc$i\", \"Address\": \"10.0.0.$((i + 1))\", \"Port\": 80}" >/dev/null
done
for port in "$PDNS_PORT" "$ORBIT_PORT"; do
	for i in $(seq 100); do
		[ "$(dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 host996.bench.example)" = 198.18.3.247 ] &&
			[ "$(dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 svc99.service.consul)" = 10.0.0.100 ] && break
		[ "$i" = 100 ] && { echo "server on port $port never answered the bench names" >&2; exit 1; }
		sleep 0.2
	done
done

# cpu_ticks PID: user+system clock ticks (1/100 s) the process has used. On
# a shared machine q/s swings with the neighbours' load; CPU per query does
# much less.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

out=$ROOT/bench/dns/results.tsv
echo -e "round\tserver\tworkload\tqps\tavg_latency_ms\tlost\tcpu_us_per_query" >"$out"
for round in $(seq "$ROUNDS"); do
	for workload in zone consul; do
		for server in orbit powerdns; do
			port=$ORBIT_PORT pid=$ORBIT_PID
			[ "$server" = powerdns ] && port=$PDNS_PORT pid=$PDNS_PID
			before=$(cpu_ticks "$pid")
			res=$(dnsperf -s 127.0.0.1 -p "$port" -d "$WORK/$workload.queries" -l "$SECS" -c "$CLIENTS" -T 1 2>&1)
			ticks=$(($(cpu_ticks "$pid") - before))
			qps=$(awk '/Queries per second/ {print $4}' <<<"$res")
			lat=$(awk '/Average Latency/ {printf "%.3f", $4 * 1000}' <<<"$res")
			lost=$(awk '/Queries lost/ {print $3}' <<<"$res")
			done_q=$(awk '/Queries completed/ {print $3}' <<<"$res")
			cpu=$(awk -v t="$ticks" -v q="$done_q" 'BEGIN {printf "%.2f", t * 10000 / q}')
			echo -e "$round\t$server\t$workload\t$qps\t$lat\t$lost\t$cpu" | tee -a "$out" >&2
		done
	done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "median over $ROUNDS rounds of ${SECS}s, $CLIENTS clients (dnsperf -T 1), orbit agent -dev vs PowerDNS $(pdns_server --version 2>&1 | grep -o 'Authoritative Server [0-9.]*' | head -1 | awk '{print $3}'):"
printf "  %-8s %10s %10s %7s %9s %9s %12s %12s\n" workload orbit_qps pdns_qps ratio orbit_ms pdns_ms orbit_cpu_us pdns_cpu_us
for workload in zone consul; do
	oq=$(awk -v w=$workload '$2=="orbit" && $3==w {print $4}' "$out" | median)
	pq=$(awk -v w=$workload '$2=="powerdns" && $3==w {print $4}' "$out" | median)
	ol=$(awk -v w=$workload '$2=="orbit" && $3==w {print $5}' "$out" | median)
	pl=$(awk -v w=$workload '$2=="powerdns" && $3==w {print $5}' "$out" | median)
	oc=$(awk -v w=$workload '$2=="orbit" && $3==w {print $7}' "$out" | median)
	pc=$(awk -v w=$workload '$2=="powerdns" && $3==w {print $7}' "$out" | median)
	printf "  %-8s %10.0f %10.0f %6.2fx %9s %9s %12s %12s\n" "$workload" "$oq" "$pq" "$(awk -v a="$oq" -v b="$pq" 'BEGIN {print a / b}')" "$ol" "$pl" "$oc" "$pc"
done

echo
echo "router host name live in DNS, $ROUTERS routers registered through the Consul API:"
"$WORK/routerlat" -api "127.0.0.1:$API" -dns "127.0.0.1:$ORBIT_PORT" -n "$ROUTERS" | sed 's/^/  /'
