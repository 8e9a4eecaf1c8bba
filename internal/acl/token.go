package acl

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"golang.org/x/crypto/blake2b"
)

// ErrNotFound is a token secret no stored token has (or an expired one):
// Consul answers it 403 "ACL not found".
var ErrNotFound = errors.New("ACL not found")

// ErrInvalid is a token, policy or role that cannot be stored as given;
// the wrapping error names the problem (a 400).
var ErrInvalid = errors.New("invalid")

// AnonymousSecret is the anonymous token's secret, as Consul stores it.
const AnonymousSecret = "anonymous"

// Link names a policy or a role from a token or role, by ID or name as
// Consul's API takes it; stored links carry both.
type Link struct {
	ID   string `json:"ID,omitempty"`
	Name string `json:"Name,omitempty"`
}

// ServiceIdentity grants a token the rights of one service (Consul's
// service identity): write on the service and its sidecar proxy, read on
// every service and node.
type ServiceIdentity struct {
	ServiceName string
	Datacenters []string `json:",omitempty"`
}

// Token is an ACL token as Consul's API shows it. The store keeps SecretID
// apart from the rest (under a server-only prefix); a Token read from the
// view has no SecretID.
type Token struct {
	AccessorID        string
	SecretID          string
	Description       string
	Policies          []Link            `json:",omitempty"`
	Roles             []Link            `json:",omitempty"`
	ServiceIdentities []ServiceIdentity `json:",omitempty"`
	NodeIdentities    []NodeIdentity    `json:",omitempty"`
	// Workload is set on a workload's derived token (orbit's own field):
	// its rights come from WorkloadPolicy and the role job-<job-id>.
	Workload       *Workload `json:",omitempty"`
	Local          bool
	AuthMethod     string        `json:",omitempty"`
	ExpirationTTL  time.Duration `json:",omitempty"`
	ExpirationTime *time.Time    `json:",omitempty"`
	CreateTime     time.Time
	Hash           []byte
	CreateIndex    uint64
	ModifyIndex    uint64
}

// Expired says whether the token's expiration time has passed at now.
func (t *Token) Expired(now time.Time) bool {
	return t.ExpirationTime != nil && !now.Before(*t.ExpirationTime)
}

// Role is a named set of policies and service identities tokens link to.
type Role struct {
	ID                string
	Name              string
	Description       string
	Policies          []Link            `json:",omitempty"`
	ServiceIdentities []ServiceIdentity `json:",omitempty"`
	Hash              []byte
	CreateIndex       uint64
	ModifyIndex       uint64
}

// Names as Consul validates them.
var (
	policyName  = regexp.MustCompile(`^[A-Za-z0-9\-_]{1,128}$`)
	roleName    = regexp.MustCompile(`^[A-Za-z0-9\-_]{1,256}$`)
	serviceName = regexp.MustCompile(`^[a-z0-9]([a-z0-9\-_]*[a-z0-9])?$`)
)

// ValidatePolicy checks a policy to be stored: its name and its rules. A
// built-in policy's name may not change (checked by the caller, which
// knows the stored one).
func ValidatePolicy(p *Policy) error {
	if !policyName.MatchString(p.Name) && !(p.ID == GlobalReadOnlyID && p.Name == GlobalReadOnly().Name) {
		return fmt.Errorf("%w: Invalid Policy: invalid Name. Only alphanumeric characters, '-' and '_' are allowed", ErrInvalid)
	}
	if _, err := Parse(p.Name, p.Rules); err != nil {
		return fmt.Errorf("%w: Invalid Policy: rules: %v", ErrInvalid, err)
	}
	return nil
}

// ValidateRole checks a role to be stored.
func ValidateRole(r *Role) error {
	if !roleName.MatchString(r.Name) {
		return fmt.Errorf("%w: Invalid Role: invalid Name. Only alphanumeric characters, '-' and '_' are allowed", ErrInvalid)
	}
	return validateIdentities("Role", r.ServiceIdentities)
}

// ValidateToken checks a token to be stored (its links already resolved).
func ValidateToken(t *Token) error {
	if t.ExpirationTTL < 0 {
		return fmt.Errorf("%w: Token Expiration TTL '%s' should be > 0", ErrInvalid, t.ExpirationTTL)
	}
	for _, n := range t.NodeIdentities {
		if n.NodeName == "" || n.Datacenter == "" {
			return fmt.Errorf("%w: Invalid Token: Node identity needs a node name and a datacenter", ErrInvalid)
		}
	}
	return validateIdentities("Token", t.ServiceIdentities)
}

func validateIdentities(kind string, ids []ServiceIdentity) error {
	for _, s := range ids {
		if s.ServiceName == "" {
			return fmt.Errorf("%w: Invalid %s: Service identity is missing the service name field on this token", ErrInvalid, kind)
		}
		if len(s.ServiceName) > 256 || !serviceName.MatchString(s.ServiceName) {
			return fmt.Errorf("%w: Invalid %s: Service identity %q has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed", ErrInvalid, kind, s.ServiceName)
		}
	}
	return nil
}

// ServiceIdentityPolicy is the policy a service identity grants, as
// Consul synthesizes it.
func ServiceIdentityPolicy(s ServiceIdentity) Policy {
	name := s.ServiceName
	rules := fmt.Sprintf(`service %q {
  policy = "write"
}
service %q {
  policy = "write"
}
service_prefix "" {
  policy = "read"
}
node_prefix "" {
  policy = "read"
}
`, name, name+"-sidecar-proxy")
	return Policy{ID: "synthetic-" + name, Name: "synthetic-policy-" + name, Rules: rules}
}

// hasher writes fields to a BLAKE2b-256 digest, each with its length so
// adjacent fields cannot run together.
type hasher struct{ b []byte }

func (h *hasher) add(s string) {
	h.b = fmt.Appendf(h.b, "%d:%s;", len(s), s)
}

func (h *hasher) sum() []byte {
	d := blake2b.Sum256(h.b)
	return d[:]
}

func (h *hasher) links(ls []Link) {
	for _, l := range ls {
		h.add(l.ID)
	}
}

func (h *hasher) identities(ids []ServiceIdentity) {
	for _, s := range ids {
		h.add(s.ServiceName)
		for _, dc := range s.Datacenters {
			h.add(dc)
		}
	}
}

// SetHash sets the token's Hash, as Consul does: a BLAKE2b-256 digest of
// what decides its rights (description, secret, scope, links, identities).
func (t *Token) SetHash() {
	var h hasher
	h.add(t.Description)
	h.add(t.AccessorID)
	h.add(t.SecretID)
	h.add(map[bool]string{true: "local", false: "global"}[t.Local])
	h.links(t.Policies)
	h.add("roles")
	h.links(t.Roles)
	h.add("identities")
	h.identities(t.ServiceIdentities)
	h.add("nodes")
	for _, n := range t.NodeIdentities {
		h.add(n.NodeName)
		h.add(n.Datacenter)
	}
	if w := t.Workload; w != nil {
		h.add("workload")
		h.add(w.JobID)
		h.add(w.AllocationID)
		h.add(w.Task)
		for _, s := range w.Services {
			h.add(s)
		}
	}
	t.Hash = h.sum()
}

// SetHash sets the policy's Hash over its name, description and rules.
func (p *Policy) SetHash() {
	var h hasher
	h.add(p.Name)
	h.add(p.Description)
	h.add(p.Rules)
	for _, dc := range p.Datacenters {
		h.add(dc)
	}
	p.Hash = h.sum()
}

// SetHash sets the role's Hash over its name, description, policies and
// identities.
func (r *Role) SetHash() {
	var h hasher
	h.add(r.Name)
	h.add(r.Description)
	h.links(r.Policies)
	h.add("identities")
	h.identities(r.ServiceIdentities)
	r.Hash = h.sum()
}

// DedupLinks drops repeated links (by ID), keeping the first.
func DedupLinks(ls []Link) []Link {
	out := ls[:0:0]
	for _, l := range ls {
		if !slices.ContainsFunc(out, func(o Link) bool { return o.ID == l.ID }) {
			out = append(out, l)
		}
	}
	return out
}
