package acl

import (
	"context"
	"fmt"
)

// Resolver turns a request's secret token into its compiled authorizer:
// the token store's job (with the anonymous token for "", and a cache).
type Resolver interface {
	Resolve(ctx context.Context, secret string) (*Compiled, error)
}

// Enforcer is the Authorizer handlers ask once ACLs are enabled: it
// resolves the token and checks the rule.
type Enforcer struct {
	Tokens Resolver
}

var _ Authorizer = Enforcer{}

// Authorize resolves token and checks rule; a denial is a *DeniedError.
func (e Enforcer) Authorize(ctx context.Context, token string, rule Rule) error {
	c, err := e.Tokens.Resolve(ctx, token)
	if err != nil {
		return fmt.Errorf("resolve token: %w", err)
	}
	return c.Check(rule)
}
