// Package client is orbit's node agent for workloads: it watches the
// allocations the scheduler placed on its node (through the view), runs
// each one's tasks through drivers, and reports what happened by writing
// only its own keys (AllocStatus per allocation, NodeInfo for its node).
//
// For an allocation it picks dynamic host ports (20000–32000, never one
// bound on the host or held by another allocation here), lays out the
// allocation directory, builds each task's environment with Nomad's
// meanings (NOMAD_PORT_<label> is the "to" port when set, NOMAD_ADDR_<label>
// the host address; ORBIT_* aliases), interpolates ${...} in env, config,
// tags and templates, renders template blocks with consul-template's
// common functions reading the view, restarts failed tasks by the restart
// policy, registers the allocation's services and checks (owned by the
// allocation) when a task starts, and on stop deregisters first, waits
// shutdown_delay, then signals the tasks. Task output goes through FIFOs
// into rotated log files under the allocation directory (OpenLog reads
// them). Task handles are kept in the data directory, so a restarted agent
// re-attaches to running tasks.
//
// It is not the scheduler (it never writes allocations), not the health
// checker (the node's health manager runs the registered checks) and not an
// HTTP handler. The agent constructs it with New and runs it with Run.
package client
