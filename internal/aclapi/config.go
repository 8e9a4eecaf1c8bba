package aclapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/view"
)

// Config tunes the endpoints.
type Config struct {
	// Enabled serves the endpoints; when false each answers 401 "ACL
	// support disabled", as Consul does.
	Enabled bool
	// ResetFile is the data directory's acl-bootstrap-reset file: holding
	// the reset index a refused bootstrap named, it allows one more
	// bootstrap and is removed by it. "" never allows one.
	ResetFile string
	// Datacenter names the node identities logins bind.
	Datacenter string
}

// Reader is the part of the view the endpoints read.
type Reader interface {
	ACLToken(accessor string) (*acl.Token, bool)
	ACLTokens() []*acl.Token
	ACLPolicy(id string) (*acl.Policy, bool)
	ACLPolicyByName(name string) (*acl.Policy, bool)
	ACLPolicies() []*acl.Policy
	ACLRole(id string) (*acl.Role, bool)
	ACLRoleByName(name string) (*acl.Role, bool)
	ACLRoles() []*acl.Role
	ACLAuthMethod(name string) (*acl.AuthMethod, bool)
	ACLAuthMethods() []*acl.AuthMethod
	ACLBindingRule(id string) (*acl.BindingRule, bool)
	ACLBindingRules(method string) []*acl.BindingRule
	Wait(ctx context.Context, res view.Resource, index uint64) uint64
	WaitRevision(ctx context.Context, rev int64) error
}

// Writer is the part of the store the endpoints write and read secrets
// from.
type Writer interface {
	BootstrapACL(ctx context.Context, t *acl.Token, resetIndex int64) (int64, error)
	CreateACLToken(ctx context.Context, t *acl.Token) (int64, error)
	UpdateACLToken(ctx context.Context, t *acl.Token, prev int64) (int64, error)
	DeleteACLToken(ctx context.Context, accessor string) (bool, int64, error)
	ACLTokenSecret(ctx context.Context, accessor string) (string, error)
	ACLTokenSecrets(ctx context.Context) (map[string]string, error)
	PutACLPolicy(ctx context.Context, p *acl.Policy, create bool) (int64, error)
	DeleteACLPolicy(ctx context.Context, id string) (bool, int64, error)
	PutACLRole(ctx context.Context, r *acl.Role, create bool) (int64, error)
	DeleteACLRole(ctx context.Context, id string) (bool, int64, error)
	PutACLAuthMethod(ctx context.Context, m *acl.AuthMethod, create bool) (int64, error)
	DeleteACLAuthMethod(ctx context.Context, name string, ruleIDs, accessors []string) (bool, int64, error)
	PutACLBindingRule(ctx context.Context, r *acl.BindingRule, create bool) (int64, error)
	DeleteACLBindingRule(ctx context.Context, id string) (bool, int64, error)
}

// Self finds the token a secret names (aclresolve.Resolver.Token), for
// /v1/acl/token/self.
type Self interface {
	Token(ctx context.Context, secret string) (*acl.Token, error)
}

// Deps are the handler's collaborators.
type Deps struct {
	View       Reader
	Store      Writer
	Self       Self
	Authorizer acl.Authorizer
	Logger     *slog.Logger
	Clock      clockwork.Clock
	// HTTPClient fetches auth methods' JWKS URLs; nil is a client with a
	// 10s timeout.
	HTTPClient *http.Client
}
