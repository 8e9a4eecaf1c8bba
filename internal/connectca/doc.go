// Package connectca serves Consul Connect's certificate authority
// endpoints from orbit's internal CA, in Consul's JSON shapes, so Consul
// clients (consul/api, consul-template, Connect-native libraries, Consul's
// own test servers, which wait for an active root) work against orbit:
//
//	GET  /v1/agent/connect/ca/roots          trusted roots (blocking; no ACL, as Consul)
//	GET  /v1/connect/ca/roots                the same (?pem=true: a PEM chain)
//	GET  /v1/agent/connect/ca/leaf/{service} the service's certificate (blocking; service:write)
//	GET  /v1/connect/ca/configuration        provider "consul" and its settings (operator:read)
//	PUT  /v1/connect/ca/configuration        change them (operator:write)
//	POST /v1/agent/connect/authorize         may a client identity reach a service (service:write)
//	GET  /v1/connect/intentions              the intentions: none
//	GET  /v1/connect/intentions/check        the default decision
//
// orbit has no intentions, so authorization answers Consul's default: allow
// when ACLs are off, else the ACL default policy.
//
// What it is not: it signs nothing itself (the Authority, pki.ServiceCerts,
// does), keeps no state (the store holds the configuration), and runs no
// proxies. It is mounted on the API listener by the agent and asks the
// authorizer itself, per endpoint.
package connectca
