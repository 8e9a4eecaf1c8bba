// Package job holds orbit's plain job types: Job, Group, Task, Network, Port,
// Service, Check, Identity, Template, Resources, the restart, reschedule and
// update policies, constraints, affinities, spreads and volumes, with their
// defaults and validation.
//
// A job is what a Nomad-style job file describes. Every field that a standards
// finding or a parse error can point at carries a source position (Pos); a
// zero Pos means the value was not written in the file and holds its default.
//
// It is not a parser (see internal/jobspec), not a rule engine (see
// internal/policy) and not a scheduler: it imports nothing internal and does
// no I/O. jobspec, policy, the scheduler, the client and the API import it.
package job
