#!/usr/bin/env bash
# Brings up 100 raw_exec tasks on one orbit client, three times, and prints
# the time from writing the allocations to all of them running and to all
# of them answering HTTP. Not part of CI. Usage: bench/client/run.sh [-n N] [-runs R]
set -euo pipefail
cd "$(dirname "$0")/../.."
go run ./bench/client "$@"
