// Package nomadwire holds Nomad's JSON shapes — jobs, allocations,
// evaluations, deployments, nodes and the register, plan and versions
// bodies — with the field names the github.com/hashicorp/nomad/api client
// reads and writes, limited to what orbit supports, and the conversion of
// a job spec between these shapes and orbit's job.Job.
//
// It is the one copy of these types: internal/nomadapi serves them and
// internal/cli reads them. It does no I/O and imports only internal/job.
// It is not the Nomad-compatible server (internal/nomadapi) nor orbit's
// own job model (internal/job).
package nomadwire
