// Package scheduler is orbit's orchestrator server: it turns evaluations
// (a job registered or stopped, a node lost or joined, an allocation
// failed) into plans of allocations, and rolls new job versions out
// through deployments gated on the health the clients report.
//
// The decisions are pure functions over plain inputs (Schedule, with the
// Cluster, the job's allocations and now), tested with table tests and a
// harness that records the plans; Server is the I/O around them: it runs
// under an etcd election on server agents, reads the view, writes plans with
// store.ApplyPlan (per-node compare-and-swap, so two schedulers never
// double-book a node) and keeps evaluations and deployments up to date.
// A pass reads the view's typed indexes (a job's allocations, pending
// evaluations, active deployments, a node's allocations) and keeps each
// node's usage across passes from the view's journal of changes, so it
// costs in proportion to the jobs it evaluates, not to the cluster.
//
// It is not the node agent that runs allocations (internal/client), nor the
// HTTP API (internal/nomadapi). internal/agent imports it.
package scheduler
