// Package api serves orbit's HTTP API: Consul's agent, catalog, health, KV
// (with session locks), session and status endpoints with Consul's paths, query parameters, JSON field
// names and headers (so the consul/api client, Traefik, Prometheus and
// consul-template work unchanged), including blocking queries on every read
// endpoint where Consul has them. Other features (DNS zones, the edge, the
// orchestrator) mount their own handlers on the same listener through
// Config.Mounts.
//
// Reads come from the view; writes go to the store and answer only once the
// view has caught up with them (read-your-writes). Every handler asks the
// acl.Authorizer first. The package does not run checks (health does) and
// does not decide policy (acl does). On a server, Run also invalidates
// sessions whose checks failed and runs the store's session reaper.
package api
