// Package catalog holds orbit's plain service-catalog types: nodes, service
// instances, health checks and their statuses, with validation and the pure
// rules that aggregate check statuses into an instance's health.
//
// It is not storage (see store), not the live in-memory state (see view) and
// not the HTTP representation (see api, which maps these types onto Consul's
// JSON). It imports nothing internal and does no I/O; every other orbit
// package may import it.
package catalog
