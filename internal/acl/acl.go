// Package acl holds orbit's access-control types: the rule a request needs
// and the Authorizer every API handler asks before it acts, plus the pure
// core of Consul-compatible ACLs: policy documents in Consul's rule
// language with Nomad's rules beside them (Parse, HCL or JSON), and the
// authorizer compiled from a token's policies (Compile, Compiled.Allowed,
// Consul's denial messages), and the stored objects as Consul's API shows
// them (Token, Role, Policy) with their validation and hashes. Until ACLs
// are enabled the authorizer allows everything (AllowAll).
//
// It is plain types and pure logic: no I/O, no clock, nothing internal
// imported (hcl parses the documents). It does not store or resolve
// tokens, serve /v1/acl/*, or wire enforcement: callers resolve a token to
// its policies and ask the compiled result. api and httpkit import it,
// agent chooses the implementation. See README.md for what is supported.
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

// Access levels a request needs. Write implies read; list (key rules
// only) is implied by write and by a list rule, not by read. Nomad
// namespace and host volume requests name a capability instead
// (capabilities.go).
const (
	Read  Access = "read"
	List  Access = "list"
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

	Session    = "session"
	Event      = "event"
	Query      = "query"
	ACL        = "acl"
	Keyring    = "keyring"
	Mesh       = "mesh"
	Peering    = "peering"
	Intention  = "intention"   // a service rule's intentions disposition
	Namespace  = "namespace"   // Nomad: Access is a capability ("submit-job")
	HostVolume = "host_volume" // Nomad: Access is a capability ("mount-readonly")
	Quota      = "quota"
	Plugin     = "plugin"
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
