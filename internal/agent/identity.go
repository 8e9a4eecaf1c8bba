package agent

import (
	"context"
	"fmt"
	"net"

	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/identity"
)

// startIdentity starts the workload identity signer on servers: it shares
// the keyring in the store with every other server and rotates it. Its
// public keys are mounted on the API listener and -nomad-addr, without ACL.
func (a *Agent) startIdentity(ctx context.Context, run func(string, func(context.Context) error)) error {
	if !a.cfg.Server {
		return nil
	}
	s, err := identity.New(ctx, identity.Config{Issuer: a.issuer()},
		identity.Deps{Storage: a.store, Logger: a.log.With("component", "identity"), Clock: a.clock})
	if err != nil {
		return fmt.Errorf("workload identity: %w", err)
	}
	a.identity = s
	run("identity", s.Run)
	if a.cfg.aclEnabled {
		a.consulTokens = &consulTokens{signer: s, store: a.store, view: a.view, now: a.clock.Now}
		log := a.log.With("component", "consul-tokens")
		run("consul-tokens", func(ctx context.Context) error { return a.consulTokens.revokeWorkloadTokens(ctx, log.Warn) })
	}
	return nil
}

// issuer is the URL of this agent's API, the iss of the tokens it signs:
// the bound API address, with the bind address in place of an unspecified
// host.
func (a *Agent) issuer() string {
	host, port, err := net.SplitHostPort(a.httpAddr)
	if err != nil {
		return a.cfg.tls.apiScheme() + "://" + a.httpAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() && a.cfg.BindAddr != "" {
		host = a.cfg.BindAddr
	}
	return a.cfg.tls.apiScheme() + "://" + net.JoinHostPort(host, port)
}

// Identity is the workload identity signer (nil on agents without the
// server role; valid after Started).
func (a *Agent) Identity() *identity.Signer { return a.identity }

// identitySigner lets the client sign its tasks' identities with the
// signer (features never import each other).
type identitySigner struct{ s *identity.Signer }

var _ client.IdentitySigner = identitySigner{}

// SignIdentity implements client.IdentitySigner; a ttl of 0 or above the
// signer's longest is the longest.
func (is identitySigner) SignIdentity(w client.WorkloadIdentity) (string, error) {
	ttl := w.TTL
	if ttl <= 0 || ttl > is.s.MaxTokenTTL() {
		ttl = is.s.MaxTokenTTL()
	}
	return is.s.Sign(identity.Workload{Region: w.Region, Namespace: w.Namespace, JobID: w.JobID, Group: w.Group,
		AllocationID: w.AllocationID, Task: w.Task, Identity: w.Name, Audience: w.Audience}.Claims(), ttl)
}
