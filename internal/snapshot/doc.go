// Package snapshot saves and restores orbit's durable state: the archive
// format (a gzipped tar, as Consul's snapshots are, holding orbit's own
// meta.json, state.jsonl and SHA256SUMS), the Consul-compatible
// GET/PUT /v1/snapshot handler that consul/api's Snapshot client speaks,
// and the scheduled snapshots a server keeps in its data directory.
//
// It is not the store's backup of etcd's files: what a snapshot holds and
// how a restore replaces the state in one transaction is the store's
// (store.Dump, store.Restore); this package moves that state in and out.
// The agent wires it; nothing else imports it.
package snapshot
