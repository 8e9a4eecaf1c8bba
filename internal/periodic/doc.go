// Package periodic launches the children of periodic jobs as Nomad does:
// a job with a periodic block is not placed itself; at each time its cron
// specs name (in its time zone), the leader's launcher registers a child
// job with ID "<parent>/periodic-<unix seconds>", ParentID set and no
// periodic block, with a "periodic-job" evaluation. With prohibit_overlap
// a launch is skipped while a child of the job is not dead. A launch that
// fell due while no launcher led (a leader change, a restart) is made
// once, at the latest time that fell due.
//
// When a launch is due is decided in pure code (decide.go) from the job's
// periodic block, the last launch and the time now; the loop (server.go)
// runs on one server at a time under an etcd election (store.RunElection)
// and writes through the store. It is not the scheduler (which places the
// children like any batch job) nor the API's force launch
// (internal/nomadapi); internal/agent wires it next to the scheduler.
package periodic
