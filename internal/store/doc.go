// Package store is orbit's only door to etcd: it runs an embedded etcd member
// in the agent's data directory (or connects to an external cluster), names
// the keys of orbit's key space, and offers transactional writes, leases,
// snapshots, watches and the cluster's leader and peers.
//
// It is not a cache (see view, which keeps the in-memory state fed by one
// watch) and knows nothing of catalog semantics beyond key names. No other
// package imports etcd; they use the plain types here.
package store
