// Package acl holds orbit's access-control types: the rule a request needs
// and the Authorizer every API handler asks before it acts. Until ACLs are
// enabled the authorizer allows everything; the security work replaces it
// with token and policy evaluation without touching handlers.
//
// It is plain types and pure logic; api imports it, agent chooses the
// implementation.
package acl

import (
	"context"
	"errors"
	"fmt"
)

// ErrDenied is returned when a token lacks the permission a request needs.
var ErrDenied = errors.New("Permission denied")

// Access is read or write.
type Access string

// Access levels.
const (
	Read  Access = "read"
	Write Access = "write"
)

// Resource kinds, as Consul's ACL rules name them.
const (
	Agent    = "agent"
	Node     = "node"
	Service  = "service"
	Key      = "key"
	Operator = "operator"
	Job      = "job"
	DNS      = "dns"
	Session  = "session"
)

// Rule is one permission: a resource kind, the name within it (a service
// name, a key, a node name; empty for the whole kind) and an access level.
type Rule struct {
	Resource string
	Segment  string
	Access   Access
}

func (r Rule) String() string {
	if r.Segment == "" {
		return fmt.Sprintf("%s:%s", r.Resource, r.Access)
	}
	return fmt.Sprintf("%s %q:%s", r.Resource, r.Segment, r.Access)
}

// Authorizer decides whether a request's token may act.
type Authorizer interface {
	Authorize(ctx context.Context, token string, rule Rule) error
}

// AllowAll is the authorizer used while ACLs are disabled.
type AllowAll struct{}

// Authorize allows everything.
func (AllowAll) Authorize(context.Context, string, Rule) error { return nil }

var _ Authorizer = AllowAll{}
