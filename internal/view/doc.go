// Package view keeps an agent's in-memory copy of orbit's state under
// /orbit/, fed by one etcd watch, and answers every read from it: nodes,
// instances, checks, KV. Each resource (a service, a node, the service list,
// the node list, the checks, a KV key or prefix) carries the revision of its
// last change, deletions included; that revision is the resource's blocking
// query index, and Wait returns when a resource passes an index, so writes
// elsewhere never wake a watcher.
//
// Objects handed out are never mutated after they enter the view; callers
// must not modify them. The view does not write (writes go to store); the api,
// dns, proxy and health packages read it.
package view
