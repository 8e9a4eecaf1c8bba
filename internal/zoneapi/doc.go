// Package zoneapi is the REST API of orbit's authoritative DNS zones,
// /v1/dns/..., on the HTTP kit (internal/httpkit). The agent mounts it on
// the API listener behind the authorizer (acl.DNS):
//
//	GET    /v1/dns/info                          DNS server address, domains, upstreams, zones
//	GET    /v1/dns/zones                         list zones
//	PUT    /v1/dns/zones/{zone}                  create a zone (body: optional settings)
//	PATCH  /v1/dns/zones/{zone}                  change a zone's settings
//	GET    /v1/dns/zones/{zone}                  a zone and its record sets
//	DELETE /v1/dns/zones/{zone}                  delete a zone
//	GET    /v1/dns/zones/{zone}/records          list record sets (?name=&type=)
//	PUT    /v1/dns/zones/{zone}/records          set record sets (body: one RRSet or a list)
//	DELETE /v1/dns/zones/{zone}/records/{name}/{type}
//	POST   /v1/dns/zones/{zone}/import           replace the zone's records from a zone file body
//	GET    /v1/dns/zones/{zone}/export           the zone as a zone file
//
// Bad input answers 400 with a message naming the problem; every write
// answers once this agent's view and DNS answers include it.
//
// It reads zones from the view, writes them through the store (zone.Change
// decides, the store does the compare-and-swap) and asks the DNS server
// only for its Info and to wait until it serves a revision. It does not
// answer DNS (internal/dns does) and does not diagnose resolvers
// (internal/doctor owns the Info type). Only agent imports it.
package zoneapi
