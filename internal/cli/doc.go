// Package cli implements orbit's subcommands. Every command except `agent`
// (which hands over to package agent) talks to a running agent through its
// HTTP API only, at --address or ORBIT_ADDR (default http://127.0.0.1:8500).
// Flags are accepted as -x and --x.
package cli
