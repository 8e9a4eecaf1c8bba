// Package dns is orbit's DNS server, built on github.com/miekg/dns. It
// answers, over UDP and TCP:
//
//   - Consul's service-discovery names under the consul domain (and alt
//     domains): NAME.service[.DC].consul, TAG.NAME.service.consul, RFC 2782
//     _NAME._TAG.service.consul SRV names, NODE.node[.DC].consul and
//     reverse lookups of node addresses, from the catalog view;
//   - the host names of edge routers (Host(`...`) rules), resolving to the
//     alive edge nodes while a passing instance backs the router;
//   - authoritative zones stored in etcd (managed through internal/zoneapi),
//     sent to secondaries by AXFR after a NOTIFY;
//   - everything else by forwarding to upstream resolvers, with a TTL- and
//     negative-caching cache and forwarding-loop detection.
//
// Answers come from an immutable table rebuilt once per change of the view
// and swapped atomically, so queries take no lock on shared state. Router
// host names come from the route table the route feeder hands over through
// SetRoutes, in the same step as it hands it to the proxy.
//
// It only answers DNS: it is not the catalog (view), not the zone store
// (store writes zones), not the zone REST API (internal/zoneapi, which asks
// it for Info and WaitServing) and not the router (internal/routefeed
// builds the route table). The agent constructs it with New and runs it
// with Run. `orbit dns doctor` lives in internal/doctor, which owns the
// Info type.
package dns
