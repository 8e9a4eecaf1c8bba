// Package routefeed is the one loop that turns catalog changes into the
// edge route table and hands that same table to every consumer (the edge
// proxy and the DNS server) in one step.
//
// On every view change it converts the services' instances to routing's
// input (reconverting only services whose index moved), applies flap
// damping (an instance that was a backend and turned unhealthy is kept as
// passing for Config.FlapDamping), lets package routing compile the
// immutable table, and calls SetRoutes on each Sink in order. When a damped
// instance's grace period ends it builds again without waiting for a
// change. Nothing polls: consumers learn of a new table when it is handed
// to them.
//
// What it is not: it parses no tags (routing does), serves nothing and
// keeps no per-request state. Damping is a pure function of the previous
// state, the instances and now (damp.go), tested with tables.
//
// Who imports it: agent, which wires New(cfg, deps) with the view as the
// Catalog and the proxy and the DNS server as Sinks, and runs Run(ctx).
package routefeed
