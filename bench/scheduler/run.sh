#!/bin/sh
# Scheduler throughput with simulated nodes in one process (not run in CI).
# Usage: bench/scheduler/run.sh   (from the repository root)
set -e
go build -o /tmp/orbit-schedbench ./bench/scheduler
for args in "-nodes 100 -allocs 2000" "-nodes 1000 -allocs 10000" "-nodes 1000 -allocs 50000" \
            "-nodes 5000 -allocs 50000" "-nodes 1000 -allocs 10000 -per-job 10000"; do
	printf '[pure %s] ' "$args"; /tmp/orbit-schedbench -mode pure $args | tail -1
done
for args in "-nodes 1000 -allocs 10000" "-nodes 1000 -allocs 10000 -per-job 10000" "-nodes 1000 -allocs 20000"; do
	printf '[e2e %s] ' "$args"; /tmp/orbit-schedbench -mode e2e $args | tail -1
done
for args in "-nodes 100 -allocs 1000" "-nodes 100 -allocs 100000"; do
	printf '[pass %s -per-job 10] ' "$args"; /tmp/orbit-schedbench -mode pass $args -per-job 10 -probes 50 | tail -1
done
