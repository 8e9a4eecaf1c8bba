// Package drainer drains nodes as Nomad does: while a node's schedule
// holds a drain strategy, the leader's drainer releases the node's
// allocations to migrate a few at a time, under each group's migrate
// block (max_parallel, health_check, min_healthy_time), forces the rest
// at the drain's deadline, drains system allocations last (unless told
// to ignore them) and, once nothing it must move is left, clears the
// strategy and records the drain complete. The node stays ineligible.
//
// Releasing an allocation is writing its ID into the node's
// job.NodeSchedule (Migrate) with a "node-drain" evaluation of its job, in
// one compare-and-swap transaction; the scheduler then stops it and places
// its replacement elsewhere. The decisions (decide.go) are pure; the loop
// (server.go) runs on one server at a time under an etcd election. It is
// not the scheduler (internal/scheduler) nor the API that starts a drain
// (internal/nomadapi); internal/agent wires it next to the scheduler.
package drainer
