package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/api"
	"github.com/orbit/orbit/internal/connectca"
	"github.com/orbit/orbit/internal/pki"
	"github.com/orbit/orbit/internal/store"
)

// connectState is the Connect CA: the service certificates of this agent
// (which the edge also presents to connect=true backends) and the
// endpoints serving them.
type connectState struct {
	certs   *pki.ServiceCerts
	handler *connectca.Handler
}

// startConnect loads the internal CA (creating the cluster's root on
// first start) and builds the Connect CA endpoints, on every agent, as
// every Consul agent answers them.
func (a *Agent) startConnect(ctx context.Context) error {
	if a.ca == nil {
		ca, err := pki.New(ctx, pki.Config{Now: a.clock.Now, Logger: a.log.With("component", "pki")}, a.store)
		if errors.Is(err, store.ErrSealed) {
			// A client agent: the CA's key is sealed for servers only
			// (see openCA). Service certificates signed by the servers
			// for client agents are not built yet.
			a.log.Warn("Connect CA endpoints off on this client agent: the CA's key is held by servers only")
			return nil
		}
		if err != nil {
			return fmt.Errorf("internal CA: %w", err)
		}
		a.ca = ca
	}
	certs := a.ca.ServiceCerts(a.cfg.Datacenter)
	h, err := connectca.New(connectca.Config{Datacenter: a.cfg.Datacenter, ACLsEnabled: a.cfg.aclEnabled,
		DefaultAllow: a.cfg.resolver.Default == acl.DefaultAllow},
		connectca.Deps{CA: certs, Store: a.store, Authorizer: a.auth, Clock: a.clock, Logger: a.log.With("component", "connectca")})
	if err != nil {
		return err
	}
	a.connect = &connectState{certs: certs, handler: h}
	return nil
}

// connectMounts serve the Connect CA endpoints; each asks the authorizer
// itself (the roots need no token, as in Consul).
func (a *Agent) connectMounts() []api.Mount {
	if a.connect == nil {
		return nil
	}
	var m []api.Mount
	for _, p := range connectca.Prefixes {
		m = append(m, api.Mount{Prefix: p, Public: true, Handler: a.connect.handler})
	}
	return m
}
