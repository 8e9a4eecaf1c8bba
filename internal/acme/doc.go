// Package acme obtains publicly trusted certificates for the edge from an
// ACME certificate authority (Let's Encrypt, or any RFC 8555 server), once
// per cluster, and serves them on every edge node.
//
// It is a thin layer over certmagic, Caddy's ACME engine: certmagic orders,
// renews (when a third of a certificate's lifetime is left) and staples
// OCSP; this package gives it the cluster's store as its Storage (files in
// etcd, locks on etcd leases so an order happens once per cluster and a
// dead holder's lock expires), answers DNS-01 challenges by writing the
// _acme-challenge TXT record into orbit's own authoritative zone (no DNS
// provider plugin, no API key), and answers HTTP-01 and TLS-ALPN-01
// challenges on any edge node from the challenge data kept in the store.
//
// Which names to manage comes from the route table: routers whose
// tls.certresolver names one of the configured resolvers, for their
// tls.domains or else their rule's hosts (Wanted).
//
// It is not the internal CA (internal/pki), which stays the resolver of
// names no ACME resolver is configured for. internal/agent wires it: the
// proxy takes its certificates and challenge answers through one-method
// interfaces of its own, the route feeder gives it tables.
package acme
