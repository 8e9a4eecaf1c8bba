// Package nomadapi serves the Nomad-compatible HTTP API for jobs,
// allocations, evaluations, deployments and nodes, so the real
// github.com/hashicorp/nomad/api client and the tools built on it work
// against orbit: /v1/jobs, /v1/job/:id/..., /v1/allocation(s), /v1/node(s),
// /v1/evaluation/:id, /v1/deployment/:id, /v1/deployment/promote/:id and
// /v1/client/fs/logs/:alloc,
// with Nomad's JSON field names and blocking queries (index, wait,
// X-Nomad-Index). The JSON shapes are internal/nomadwire's, shared with
// the CLI.
//
// Reads come from the view; writes go through store (job versions, heads
// and evaluations in one transaction); the scheduler does the rest. It is
// not the scheduler (internal/scheduler) nor the Consul-compatible API
// (internal/api); internal/agent mounts its Handler on the API listener
// next to that one, and optionally on its own -nomad-addr listener.
package nomadapi
