// Package external runs the health checks of external nodes — hosts that
// run no orbit agent, such as a NAS or a backup server — on the cluster's
// agents, and applies import plans.
//
// An external node is a catalog node whose meta carries Consul ESM's
// "external-node" = "true" (registered through /v1/catalog/register, by
// `orbit import -apply`, or declared in an agent's `external` config
// block). Each of its checks runs on exactly one live agent: the owner is
// a pure function of the check and the set of live agents read from the
// store (rendezvous hashing, Owner), so every agent computes the same
// assignment from the same etcd state without extra writes, checks spread
// evenly over the agents, and when an agent's liveness lease expires only
// its checks move, each to the agent ranked next. With "external-probe" =
// "true" the node also gets ESM's node check "externalNodeHealth"; orbit
// probes over TCP (a connect to the node's first service port), not ICMP,
// so it needs no raw sockets.
//
// The Runner reuses internal/health's check runner: one health.Manager per
// external node that owns at least one of its checks, reading a filtered
// view of that node's checks. The import Handler writes a plan's nodes,
// instances, checks and KV pairs in one etcd transaction.
//
// It is not the check runner of an agent's own node (internal/health) nor
// a parser of configurations (internal/importer). Imported by
// internal/agent only.
package external
