package agent

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/aclapi"
	"github.com/orbit/orbit/internal/aclresolve"
	"github.com/orbit/orbit/internal/store"
)

// ACLConfig is the agent config's `acl { ... }` block, with Consul's names.
type ACLConfig struct {
	// Enabled turns ACLs on; default on, off with -dev. Turning them off
	// outside -dev is logged as a warning at every start.
	Enabled *bool `hcl:"enabled,optional"`
	// DefaultPolicy decides what no rule does: "deny" (default) or "allow".
	DefaultPolicy string `hcl:"default_policy,optional"`
	// DownPolicy decides when a token cannot be resolved because the store
	// is unreachable: "extend-cache" (default), "async-cache", "allow", "deny".
	DownPolicy string `hcl:"down_policy,optional"`
	// TokenTTL is how long a resolved token is reused (default 30s); any
	// ACL change ends it sooner.
	TokenTTL string `hcl:"token_ttl,optional"`
	// Tokens are the agent's own tokens.
	Tokens *ACLTokens `hcl:"tokens,block"`
}

// ACLTokens is the `acl { tokens { ... } }` block.
type ACLTokens struct {
	// InitialManagement is a management token's secret, created at the
	// first start of the cluster's servers (it counts as the bootstrap).
	InitialManagement string `hcl:"initial_management,optional"`
	// Agent is the token the agent's own calls to other agents carry
	// (joining servers); default the initial management token.
	Agent string `hcl:"agent,optional"`
	// Default is the token used for requests that carry none; default the
	// anonymous token.
	Default string `hcl:"default,optional"`
}

// aclDefaults checks the acl block and decides whether ACLs are on.
func (c *Config) aclDefaults() error {
	if c.ACL == nil {
		c.ACL = &ACLConfig{}
	}
	if c.ACL.Tokens == nil {
		c.ACL.Tokens = &ACLTokens{}
	}
	c.aclEnabled = !c.Dev
	if c.ACL.Enabled != nil {
		c.aclEnabled = *c.ACL.Enabled
	}
	ttl := time.Duration(0)
	if c.ACL.TokenTTL != "" {
		d, err := time.ParseDuration(c.ACL.TokenTTL)
		if err != nil || d <= 0 {
			return fmt.Errorf("acl token_ttl %q: want a positive duration", c.ACL.TokenTTL)
		}
		ttl = d
	}
	c.resolver = aclresolve.Config{Default: acl.Default(c.ACL.DefaultPolicy), Down: c.ACL.DownPolicy, TTL: ttl,
		DefaultToken: c.ACL.Tokens.Default}
	return c.resolver.Validate()
}

// agentToken is the token the agent's own calls to other agents carry.
func (c *Config) agentToken() string {
	if c.ACL == nil || c.ACL.Tokens == nil {
		return ""
	}
	if c.ACL.Tokens.Agent != "" {
		return c.ACL.Tokens.Agent
	}
	return c.ACL.Tokens.InitialManagement
}

// startACL builds the token resolver and, with ACLs on, makes it the
// authorizer of every listener (unless the caller chose one); on a server
// it stores the built-in policies, the anonymous token and the initial
// management token first.
func (a *Agent) startACL(ctx context.Context) error {
	res, err := aclresolve.New(a.cfg.resolver, aclresolve.Deps{Tables: a.view, Secrets: a.store,
		IsNotFound: func(err error) bool { return errors.Is(err, store.ErrNotFound) },
		Logger:     a.log.With("component", "acl"), Clock: a.clock})
	if err != nil {
		return fmt.Errorf("acl: %w", err)
	}
	a.resolver = res
	a.auth = a.cfg.Authorizer
	if !a.cfg.aclEnabled || a.auth != nil {
		if !a.cfg.aclEnabled && a.cfg.ACL.Enabled != nil {
			a.log.Warn("ACLs are disabled (acl { enabled = false }): every request on every listener is allowed")
		}
		return nil
	}
	a.auth = acl.Enforcer{Tokens: res}
	if !a.cfg.Server {
		return nil
	}
	anon := &acl.Token{AccessorID: acl.AnonymousTokenID, SecretID: acl.AnonymousSecret, Description: "Anonymous Token",
		CreateTime: a.clock.Now().UTC()}
	anon.SetHash()
	var mgmt *acl.Token
	if s := a.cfg.ACL.Tokens.InitialManagement; s != "" {
		mgmt = &acl.Token{AccessorID: uuid.NewString(), SecretID: s, Description: "Initial Management Token",
			Policies: []acl.Link{{ID: acl.GlobalManagementID, Name: acl.GlobalManagement().Name}}, CreateTime: a.clock.Now().UTC()}
		mgmt.SetHash()
	}
	builtins := acl.Builtins()
	for i := range builtins {
		builtins[i].SetHash()
	}
	rev, err := a.store.InitACL(ctx, builtins, anon, mgmt)
	if err != nil {
		return fmt.Errorf("acl: %w", err)
	}
	return a.view.WaitRevision(ctx, rev)
}

// aclHandler is /v1/acl/*, answering 401 while ACLs are off.
func (a *Agent) aclHandler() (*aclapi.Handler, error) {
	if a.resolver == nil {
		return nil, errors.New("acl: the resolver is not started")
	}
	return aclapi.New(aclapi.Config{Enabled: a.cfg.aclEnabled, ResetFile: filepath.Join(a.dataDir, "acl-bootstrap-reset"),
		Datacenter: a.cfg.Datacenter},
		aclapi.Deps{View: a.view, Store: a.store, Self: a.resolver, Authorizer: a.auth,
			Logger: a.log.With("component", "aclapi"), Clock: a.clock})
}
