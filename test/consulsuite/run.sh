#!/usr/bin/env bash
# Runs Consul's API client test suite against orbit; see README.md.
# Usage: test/consulsuite/run.sh [-files kv_test.go,...] [-run REGEXP] [-parallel N] [-timeout 3m] [-out FILE] [-work DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
exec go run ./test/consulsuite/run -repo "$repo" "$@"
