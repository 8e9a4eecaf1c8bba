// Package jobspec turns a Nomad-style HCL job file into a job.Job.
//
// It understands the job file scope orbit supports: the job, group, network,
// port, service, check, identity, task, template, resources, restart,
// reschedule, update, constraint, affinity, spread and volume blocks,
// variable and locals blocks with var.x interpolation from defaults, var
// files and -var values. Runtime interpolations such as ${NOMAD_PORT_http},
// ${attr.unique.network.ip-address} or ${meta.x} are kept verbatim for the
// client to resolve. Anything it does not support is an error naming the
// block or attribute at file:line:col, never a silent drop.
//
// It is pure: no file or network I/O (callers pass the bytes of the job and
// of any var files), no policy (see internal/policy), no defaults beyond
// job.Canonicalize. The CLI, the API's job parse and register endpoints and
// internal/jobvalidate import it.
package jobspec
