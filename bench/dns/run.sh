#!/usr/bin/env bash
# Benchmark orbit's DNS server against PowerDNS authoritative (bind backend)
# serving the same 1,000-record zone and the same NAME.service.consul names,
# interleaved in one run. Needs dnsperf, pdns-server and pdns-backend-bind
# (Debian packages). Not run in CI.
#
#   bench/dns/run.sh [seconds-per-run] [rounds]
#
# Writes bench/dns/results.tsv and prints a summary table.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
ROUNDS=${2:-3}
CLIENTS=${CLIENTS:-20}
for bin in dnsperf pdns_server; do
	command -v "$bin" >/dev/null || { echo "missing $bin (apt-get install dnsperf pdns-server pdns-backend-bind)"; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ORBIT_PORT=$(freeport)
PDNS_PORT=$(freeport)

# The zone: 1,000 A records, and the service names as a consul zone for
# PowerDNS (orbit answers those from its catalog).
{
	echo '$TTL 300'
	echo '@ IN SOA ns1 hostmaster 1 3600 600 86400 60'
	echo '@ IN NS ns1'
	echo 'ns1 IN A 192.0.2.1'
	for i in $(seq 0 997); do echo "host$i IN A 198.18.$((i / 250)).$((i % 250 + 1))"; done
} >"$work/bench.zone"
{
	echo '$TTL 0'
	echo '@ IN SOA ns hostmaster 1 3600 600 86400 0'
	echo '@ IN NS ns'
	echo 'ns IN A 192.0.2.1'
	for i in $(seq 0 99); do echo "svc$i.service IN A 10.0.0.$((i + 1))"; done
} >"$work/consul.zone"
for i in $(seq 0 997); do echo "host$i.bench.example A"; done | shuf --random-source=<(yes) >"$work/zone.queries"
for i in $(seq 0 99); do echo "svc$i.service.consul A"; done >"$work/consul.queries"

cat >"$work/named.conf" <<CONF
options { directory "$work"; };
zone "bench.example" { type master; file "$work/bench.zone"; };
zone "consul" { type master; file "$work/consul.zone"; };
CONF
: >"$work/pdns.conf"
pdns_server --config-dir="$work" --socket-dir="$work" --daemon=no --guardian=no --disable-syslog=yes \
	--launch=bind --bind-config="$work/named.conf" --local-address=127.0.0.1 --local-port="$PDNS_PORT" \
	--webserver=no --api=no --loglevel=3 --write-pid=no >"$work/pdns.log" 2>&1 &
pids+=($!)

go build -o "$work/orbitdns" ./bench/dns/orbitdns
"$work/orbitdns" -addr "127.0.0.1:$ORBIT_PORT" -zone-file "$work/bench.zone" -zone bench.example -services 100 >"$work/orbit.log" 2>&1 &
pids+=($!)

orbit_pid=$!
for _ in $(seq 600); do
	grep -q ready "$work/orbit.log" && break
	kill -0 "$orbit_pid" 2>/dev/null || break
	sleep 0.2
done
grep -q ready "$work/orbit.log" || { echo "orbit did not start:"; cat "$work/orbit.log"; exit 1; }
for port in "$PDNS_PORT" "$ORBIT_PORT"; do
	for _ in $(seq 100); do
		dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 host1.bench.example >/dev/null 2>&1 && break
		sleep 0.2
	done
done

out=bench/dns/results.tsv
echo -e "round\tserver\tworkload\tqps\tavg_latency_ms\tlost" >"$out"
for round in $(seq "$ROUNDS"); do
	for workload in zone consul; do
		for server in orbit powerdns; do
			port=$ORBIT_PORT
			[ "$server" = powerdns ] && port=$PDNS_PORT
			res=$(dnsperf -s 127.0.0.1 -p "$port" -d "$work/$workload.queries" -l "$SECS" -c "$CLIENTS" -T 1 2>&1)
			qps=$(awk '/Queries per second/ {print $4}' <<<"$res")
			lat=$(awk '/Average Latency/ {printf "%.3f", $4 * 1000}' <<<"$res")
			lost=$(awk '/Queries lost/ {print $3}' <<<"$res")
			echo -e "$round\t$server\t$workload\t$qps\t$lat\t$lost" | tee -a "$out"
		done
	done
done

echo
echo "median q/s over $ROUNDS rounds of ${SECS}s, $CLIENTS clients (dnsperf -T 1):"
for workload in zone consul; do
	for server in orbit powerdns; do
		med=$(awk -v s=$server -v w=$workload '$2==s && $3==w {print $4}' "$out" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
		lat=$(awk -v s=$server -v w=$workload '$2==s && $3==w {print $5}' "$out" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
		printf "  %-8s %-7s %10s q/s  %s ms avg\n" "$workload" "$server" "$med" "$lat"
	done
done
