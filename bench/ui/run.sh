#!/usr/bin/env bash
# Web UI benchmark: builds orbit, starts the real `orbit agent -dev` on free
# loopback ports in a temporary folder, registers 1,000 services with 10
# instances each (10,000, with checks) through the catalog API, then times
# the services page's content (as the browser asks it: X-Orbit-Fragment)
# and weighs the overview page (shell + CSS + script + content). Stops the
# agent and removes its data when done. Needs go. Not run in CI.
#
#   bench/ui/run.sh [services] [instances-per-service] [rounds]   # default 1000 10 50
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/uibench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
go build -o "$WORK/orbit" ./cmd/orbit
go build -o "$WORK/uibench" ./bench/ui
"$WORK/uibench" -orbit "$WORK/orbit" -services "${1:-1000}" -instances "${2:-10}" -rounds "${3:-50}"
