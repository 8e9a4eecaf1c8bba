#!/usr/bin/env bash
# Order to serving on every edge node: two `orbit agent` processes on one
# store and pebble on loopback. Not part of CI.
# Usage: bench/acme/run.sh [-runs N] [-challenge http-01|tls-alpn-01|dns-01]
set -euo pipefail
cd "$(dirname "$0")/../.."
go run ./bench/acme "$@"
