// Package store is orbit's only door to etcd: it runs an embedded etcd member
// in the agent's data directory (or connects to an external cluster), names
// the keys of orbit's key space, and offers transactional writes, leases,
// snapshots, watches and the cluster's leader and peers. Consul sessions
// and KV locks live here too (sessions.go): a session on an etcd lease,
// acquire and release as transactions on the key's holder, and the reaper
// that frees the keys of sessions whose lease ended. ACL tokens, policies
// and roles are written here too (acl.go), with token secrets under
// SecretPrefix, outside the key space views load.
//
// It is not a cache (see view, which keeps the in-memory state fed by one
// watch) and knows nothing of catalog semantics beyond key names. No other
// package imports etcd; they use the plain types here.
package store
