// Package importer turns what a homelab runs today — nginx configurations,
// Traefik file-provider dynamic configurations, /etc/hosts files — into an
// import Plan for orbit: external nodes with their service instances and
// health checks (Consul ESM's conventions: node meta external-node and
// external-probe), Traefik tags for the edge, KV pairs and DNS record sets.
// Every input it cannot map becomes an Unmapped entry with its file:line.
//
// It is pure: parsers and planners over bytes that the caller read, no
// network, no files, no goroutines. It is not the writer of a plan (the
// agent's import endpoint in internal/external applies one in a single
// etcd transaction) and not a reader of running Consul or Nomad servers
// (internal/cli does that with their own clients and hands the results to
// the planners here). Imported by internal/cli and internal/external.
package importer
