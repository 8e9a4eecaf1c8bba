// Package catalog holds orbit's plain service-catalog types: nodes, service
// instances, health checks and their statuses, with validation, the pure
// rules that aggregate check statuses into an instance's health, and the
// one conversion of a service registration (Registration.Build) with the
// registration defaults, used by the Consul API and the node client alike.
//
// It is not storage (see store), not the live in-memory state (see view) and
// not the HTTP representation (see api, which maps these types onto Consul's
// JSON). It imports nothing internal and does no I/O; every other orbit
// package may import it.
package catalog
