// Package migration holds end-to-end tests of the migration path: external
// services health-checked by real `orbit agent` processes (a check moves
// when the agent running it dies) and `orbit import` against real agents,
// one of them standing in for a running Consul and Nomad.
//
// Every address a test writes or checks is on the loopback: the fixtures
// with homelab addresses (192.168.x) are only planned, never applied,
// since applying them would make the agents probe those hosts.
package migration
