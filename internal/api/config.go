package api

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// Config configures the API server.
type Config struct {
	// Addr is the listen address, e.g. "127.0.0.1:8500"; port 0 picks one.
	Addr string
	// Listener, when set, is used instead of listening on Addr (the agent
	// binds early so other features know the address).
	Listener net.Listener
	// Datacenter, NodeName, NodeID and Address describe the local agent.
	Datacenter string
	NodeName   string
	NodeID     string
	Address    string
	// Version is reported by /v1/agent/self.
	Version string
	// Server reports whether this agent holds state (a store member).
	Server bool
	// StoreEndpoints are the etcd client URLs other agents join through
	// (reported by /v1/agent/self as Config.StoreEndpoints).
	StoreEndpoints []string
	// ACLsEnabled is reported by /v1/agent/self (Config.ACLsEnabled).
	ACLsEnabled bool
	// EnableScriptChecks allows checks with Args; off by default, as Consul.
	EnableScriptChecks bool
	// Mounts are other features' handlers, served on this listener after
	// the authorizer allowed the request.
	Mounts []Mount
	// Authorizer decides access; nil allows everything.
	Authorizer acl.Authorizer
	// Audit records the listener's writes and denials (httpkit.Serve);
	// the zero value records nothing.
	Audit httpkit.Audit
	// SessionTTLMin is the shortest session TTL accepted; 0 means
	// Consul's 10s (catalog.SessionTTLMin).
	SessionTTLMin time.Duration
	// Servers, when set, removes a failed server's store member on
	// force-leave, as Consul removes a left server from its raft peers.
	Servers ServerForceLeaver
	// Clock times blocking queries and lock delays; nil is the wall clock.
	Clock    clockwork.Clock
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Addr == "" && c.Listener == nil {
		return errors.New("api: listen address is required")
	}
	if c.NodeName == "" || c.Datacenter == "" {
		return errors.New("api: node name and datacenter are required")
	}
	return nil
}

// Mount is another feature's handler under a path prefix ("/v1/dns/").
// Requests need Resource read access for GET and HEAD, write otherwise,
// unless Public: a public mount asks no authorizer (the workload identity
// keys under /.well-known/, which verifiers must reach with ACLs on).
type Mount struct {
	Prefix   string
	Resource string
	Public   bool
	Handler  http.Handler
}
