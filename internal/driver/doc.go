// Package driver defines how orbit's node agent runs a task: the Driver
// interface (start a task, recover it after an agent restart from a stored
// Handle), the Task it returns (wait, signal, stop with a kill signal and a
// timeout, destroy), the TaskConfig a driver is given, and Fingerprint,
// which tells which drivers work on this node. It also holds the process
// plumbing the process-based drivers share: a process in its own process
// group, watched through a pidfd so a restarted agent can re-attach to it,
// with stdout and stderr written into FIFOs that the client's log collector
// reads.
//
// It is not a driver itself (see rawexec, exec and docker), not the task
// runner (see client, which decides when to start, restart and stop) and
// holds no state of its own. The client and the drivers import it.
package driver
