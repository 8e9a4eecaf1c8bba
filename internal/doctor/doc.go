// Package doctor explains how a host resolves names and whether that
// reaches orbit's DNS server: `orbit dns doctor`. Gather reads the
// resolver configuration (resolv.conf, systemd-resolved, dnsmasq) under a
// root directory; Diagnose turns it, with what the running agent reports
// about its DNS server (Info, served at /v1/dns/info), into findings, in
// pure code.
//
// It is not the DNS server (internal/dns), which imports it for Info and
// ResolvConfNameservers; internal/cli runs it. It imports nothing of
// orbit.
package doctor
