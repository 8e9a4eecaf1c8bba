#!/usr/bin/env bash
# Runs every orbit test. On a fresh Debian machine it first installs the
# real servers and tools the tests drive (needs root): etcd (external store
# test), dig (DNS tests), PowerDNS (zone transfer test), chromium (UI tests),
# nginx (nginx -t on the import fixtures). Docker Engine tests
# use the daemon the machine runs and skip, saying so, when none answers.
set -euo pipefail
cd "$(dirname "$0")"

pkgs=(etcd-server dnsutils pdns-server pdns-backend-bind hey chromium nginx)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing Debian packages the tests need: ${missing[*]}"
    apt-get update -qq
    # Debian's PowerDNS package starts a service on port 53; tests run their own.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    (command -v systemctl >/dev/null && systemctl disable --now pdns nginx 2>/dev/null) || true
    (command -v service >/dev/null && service nginx stop 2>/dev/null) || true
    (command -v service >/dev/null && service pdns stop 2>/dev/null) || true
  else
    echo "warning: missing ${missing[*]}; tests that need them will skip (run as root to install)" >&2
  fi
fi

gofmt_out=$(gofmt -l cmd internal test bench)
if [[ -n $gofmt_out ]]; then
  echo "gofmt needed on:" >&2; echo "$gofmt_out" >&2; exit 1
fi
go vet ./...
go test -count=1 -timeout 25m ./...
