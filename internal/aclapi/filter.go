package aclapi

import (
	"net/http"
	"slices"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// tokenFilter is the one filter a token list may carry.
type tokenFilter struct {
	policy, role, authMethod, service string
}

// parseTokenFilter reads ?policy=, ?role=, ?authmethod= and ?servicename=;
// more than one is refused, as Consul refuses it.
func parseTokenFilter(r *http.Request) (tokenFilter, error) {
	q := r.URL.Query()
	f := tokenFilter{policy: q.Get("policy"), role: q.Get("role"), authMethod: q.Get("authmethod"), service: q.Get("servicename")}
	n := 0
	for _, v := range []string{f.policy, f.role, f.authMethod, f.service} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return f, httpkit.BadRequest("can only filter by one of policy, role, serviceName, or authMethod at once")
	}
	return f, nil
}

// match says whether a token passes the filter. A policy filter matches
// tokens that link the policy directly, as Consul's does.
func (f tokenFilter) match(t *acl.Token) bool {
	hasLink := func(ls []acl.Link, id string) bool {
		return slices.ContainsFunc(ls, func(l acl.Link) bool { return l.ID == id })
	}
	switch {
	case f.policy != "":
		return hasLink(t.Policies, f.policy)
	case f.role != "":
		return hasLink(t.Roles, f.role)
	case f.authMethod != "":
		return t.AuthMethod == f.authMethod
	case f.service != "":
		return slices.ContainsFunc(t.ServiceIdentities, func(s acl.ServiceIdentity) bool { return s.ServiceName == f.service })
	}
	return true
}
