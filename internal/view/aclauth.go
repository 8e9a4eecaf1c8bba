package view

import (
	"cmp"
	"slices"

	"github.com/orbit/orbit/internal/acl"
)

// ACLAuthMethod returns an auth method by name. The value is shared:
// callers must not change it.
func (v *View) ACLAuthMethod(name string) (*acl.AuthMethod, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	m, ok := v.acl.authMethods[name]
	return m, ok
}

// ACLAuthMethods lists every auth method, by name.
func (v *View) ACLAuthMethods() []*acl.AuthMethod {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*acl.AuthMethod, 0, len(v.acl.authMethods))
	for _, m := range v.acl.authMethods {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *acl.AuthMethod) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// ACLBindingRule returns a binding rule by ID.
func (v *View) ACLBindingRule(id string) (*acl.BindingRule, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	r, ok := v.acl.bindingRules[id]
	return r, ok
}

// ACLBindingRules lists the binding rules of one auth method ("" for
// every one), by creation then ID: the order login applies them in.
func (v *View) ACLBindingRules(method string) []*acl.BindingRule {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := []*acl.BindingRule{}
	for _, r := range v.acl.bindingRules {
		if method == "" || r.AuthMethod == method {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *acl.BindingRule) int {
		return cmp.Or(cmp.Compare(a.CreateIndex, b.CreateIndex), cmp.Compare(a.ID, b.ID))
	})
	return out
}
