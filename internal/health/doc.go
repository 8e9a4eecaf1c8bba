// Package health is the node agent's check runner: for its own node it runs
// every check whose definition is http, tcp, grpc or ttl (and script checks
// when enabled), applies Consul's semantics (2xx passing, 429 warning,
// anything else critical; success_before_passing, failures_before_warning,
// failures_before_critical; TTL expiry; deregister_critical_service_after),
// and writes a check's status to the store only when it changes.
//
// One scheduler (a min-heap of next-run times driven by an injected clock)
// dispatches runs to a bounded worker pool, and HTTP checks share one
// keep-alive transport per TLS setting, so ten thousand checks on one node
// cost a few hundred goroutines, not ten thousand timers.
//
// It is not the catalog (checks are registered through api and store), not a
// reader of other nodes' checks, and not an HTTP handler: api calls UpdateTTL
// for /v1/agent/check/pass|warn|fail|update. It reads the local view through
// the Source interface and writes through Writer; agent wires both.
package health
