// Package agent is the one place that wires orbit together: it reads the
// configuration (an HCL file, then flags on top), opens the store, registers
// the node with a lease, starts the view and every feature the agent's roles
// call for, and stops them in reverse order of start, stage by stage, each
// stage completely before the next: the listeners (API, Nomad API) stop
// accepting and drain, then the workers (scheduler, client, health, edge,
// DNS), the node's lease, the view; the store closes last.
//
// It holds no feature logic of its own. The cli package calls it for
// `orbit agent`; tests start whole agents through it.
package agent
