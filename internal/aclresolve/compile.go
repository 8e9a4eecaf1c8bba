package aclresolve

import (
	"fmt"

	"github.com/orbit/orbit/internal/acl"
)

// Tables is the part of the view the resolver reads.
type Tables interface {
	ACLToken(accessor string) (*acl.Token, bool)
	ACLPolicy(id string) (*acl.Policy, bool)
	ACLRole(id string) (*acl.Role, bool)
	ACLRoleByName(name string) (*acl.Role, bool)
	ACLIndex() uint64
}

// policiesOf collects what a token's rights come from: its own policies,
// its roles' policies and service identities, and its own service
// identities, its node identities and, for a workload's derived token,
// the workload policy and the role job-<job-id> if it exists. Links to policies or roles that no longer exist are
// skipped, as Consul skips them; built-in policies are found even before
// the store holds them.
func policiesOf(t *acl.Token, tables Tables) []acl.Policy {
	var out []acl.Policy
	seen := map[string]bool{}
	addPolicy := func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		if p, ok := tables.ACLPolicy(id); ok {
			out = append(out, *p)
			return
		}
		for _, b := range acl.Builtins() {
			if b.ID == id {
				out = append(out, b)
			}
		}
	}
	addIdentities := func(ids []acl.ServiceIdentity) {
		for _, s := range ids {
			if p := acl.ServiceIdentityPolicy(s); !seen[p.ID] {
				seen[p.ID] = true
				out = append(out, p)
			}
		}
	}
	for _, l := range t.Policies {
		addPolicy(l.ID)
	}
	addRole := func(r *acl.Role) {
		for _, pl := range r.Policies {
			addPolicy(pl.ID)
		}
		addIdentities(r.ServiceIdentities)
	}
	for _, l := range t.Roles {
		if r, ok := tables.ACLRole(l.ID); ok {
			addRole(r)
		}
	}
	addIdentities(t.ServiceIdentities)
	for _, n := range t.NodeIdentities {
		out = append(out, acl.NodeIdentityPolicy(n))
	}
	if w := t.Workload; w != nil {
		out = append(out, acl.WorkloadPolicy(*w))
		if r, ok := tables.ACLRoleByName(acl.WorkloadRoleName(w.JobID)); ok {
			addRole(r)
		}
	}
	return out
}

// compileToken compiles a token's authorizer from the tables.
func compileToken(t *acl.Token, def acl.Default, tables Tables) (*acl.Compiled, error) {
	c, err := acl.Compile(t.AccessorID, def, policiesOf(t, tables)...)
	if err != nil {
		return nil, fmt.Errorf("compile token %s: %w", t.AccessorID, err)
	}
	return c, nil
}
