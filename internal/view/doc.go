// Package view keeps an agent's in-memory copy of orbit's state under
// /orbit/, fed by one etcd watch, and answers every read from it with typed
// values: nodes, instances, checks and KV; allocations and their reports,
// job heads and versions, evaluations, deployments and node fingerprints;
// DNS zones. Each value is decoded once, when the watch applies it, and
// filed in indexes (allocations by job and by node, evaluations and
// deployments by job, pending evaluations, active deployments, versions by
// job, zones by apex), so a reader pays for what it asks about, not for
// the cluster.
//
// Each resource (a service, a node, a job, a node's allocations, a zone,
// the service list, the node list, the checks, a key family, a KV key or
// prefix) carries the revision of its last change, deletions included;
// that revision is the resource's blocking query index, and Wait returns
// when a resource passes an index, so writes elsewhere never wake a
// watcher. Changes returns a journal of the orchestrator changes applied
// since a revision, for readers that keep state of their own (the
// scheduler's per-node usage).
//
// No stored bytes leave the package (a test guards it). Objects handed
// out are never mutated after they enter the view; callers must not modify
// them. The view does not write (writes go to store); api, dns, proxy,
// health, scheduler, client and nomadapi read it.
package view
