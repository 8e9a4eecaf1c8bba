package view

import (
	"cmp"
	"encoding/json"
	"slices"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/store"
)

// ACLRes is every ACL object: tokens, policies, roles and the bootstrap
// marker. The token resolver's cache is valid while it does not move.
var ACLRes = FamilyRes(store.FamilyACL)

// aclTables are the decoded ACL objects; the View's mu guards them.
// Tokens have no secrets (the store keeps those apart).
type aclTables struct {
	tokens   map[string]*acl.Token  // accessor →
	policies map[string]*acl.Policy // id →
	roles    map[string]*acl.Role   // id →

	authMethods  map[string]*acl.AuthMethod  // name →
	bindingRules map[string]*acl.BindingRule // id →
}

func newACLTables() aclTables {
	return aclTables{tokens: map[string]*acl.Token{}, policies: map[string]*acl.Policy{}, roles: map[string]*acl.Role{},
		authMethods: map[string]*acl.AuthMethod{}, bindingRules: map[string]*acl.BindingRule{}}
}

// applyACL decodes one key of the ACL family (tokens/<accessor>,
// policies/<id>, roles/<id>, auth-methods/<name>, binding-rules/<id>); name indexes and the bootstrap marker only
// move the index.
func (v *View) applyACL(parts []string, ev store.Event, rev uint64) {
	defer v.bumpLocked(ACLRes, rev)
	if len(parts) != 2 {
		return
	}
	kind, id := parts[0], parts[1]
	create := uint64(ev.KV.CreateRevision)
	switch kind {
	case store.ACLTokens:
		aclApply(v, v.acl.tokens, id, ev, func(t *acl.Token) { t.AccessorID, t.CreateIndex, t.ModifyIndex = id, create, rev })
	case store.ACLPolicies:
		aclApply(v, v.acl.policies, id, ev, func(p *acl.Policy) { p.ID, p.CreateIndex, p.ModifyIndex = id, create, rev })
	case store.ACLRoles:
		aclApply(v, v.acl.roles, id, ev, func(r *acl.Role) { r.ID, r.CreateIndex, r.ModifyIndex = id, create, rev })
	case store.ACLAuthMethods:
		aclApply(v, v.acl.authMethods, id, ev, func(m *acl.AuthMethod) { m.Name, m.CreateIndex, m.ModifyIndex = id, create, rev })
	case store.ACLBindingRules:
		aclApply(v, v.acl.bindingRules, id, ev, func(r *acl.BindingRule) { r.ID, r.CreateIndex, r.ModifyIndex = id, create, rev })
	}
}

// aclApply decodes (or deletes) one object of a table and lets set fill
// what the key and revisions say.
func aclApply[T any](v *View, table map[string]*T, id string, ev store.Event, set func(*T)) {
	if ev.Delete {
		delete(table, id)
		return
	}
	o := new(T)
	if err := json.Unmarshal(ev.KV.Value, o); err != nil {
		v.log.Error("skip undecodable ACL object", "key", ev.KV.Key, "err", err)
		return
	}
	set(o)
	table[id] = o
}

// ACLToken returns a token by accessor (without its secret). The value is
// shared: callers must not change it.
func (v *View) ACLToken(accessor string) (*acl.Token, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	t, ok := v.acl.tokens[accessor]
	return t, ok
}

// ACLTokens lists every token, by creation then accessor.
func (v *View) ACLTokens() []*acl.Token {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*acl.Token, 0, len(v.acl.tokens))
	for _, t := range v.acl.tokens {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *acl.Token) int {
		return cmp.Or(cmp.Compare(a.CreateIndex, b.CreateIndex), cmp.Compare(a.AccessorID, b.AccessorID))
	})
	return out
}

// ACLPolicy returns a policy by ID.
func (v *View) ACLPolicy(id string) (*acl.Policy, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	p, ok := v.acl.policies[id]
	return p, ok
}

// ACLPolicyByName returns a policy by name.
func (v *View) ACLPolicyByName(name string) (*acl.Policy, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, p := range v.acl.policies {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// ACLPolicies lists every policy, by name.
func (v *View) ACLPolicies() []*acl.Policy {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*acl.Policy, 0, len(v.acl.policies))
	for _, p := range v.acl.policies {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *acl.Policy) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// ACLRole returns a role by ID.
func (v *View) ACLRole(id string) (*acl.Role, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	r, ok := v.acl.roles[id]
	return r, ok
}

// ACLRoleByName returns a role by name.
func (v *View) ACLRoleByName(name string) (*acl.Role, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, r := range v.acl.roles {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// ACLRoles lists every role, by name.
func (v *View) ACLRoles() []*acl.Role {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*acl.Role, 0, len(v.acl.roles))
	for _, r := range v.acl.roles {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *acl.Role) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// ACLIndex is the index of every ACL object (Index(ACLRes)).
func (v *View) ACLIndex() uint64 { return v.Index(ACLRes) }
