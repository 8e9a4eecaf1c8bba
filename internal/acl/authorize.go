package acl

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Allowed says whether the token may do what r describes.
//
// Consul's resources (service, key, node, agent, session, event, query,
// intention) are decided by the exact rule for r.Segment, else the longest
// matching prefix rule, else the default policy. Global resources (acl,
// operator, keyring, mesh, peering, quota, plugin) by their one rule, else
// the default, except that acl is never granted by default allow (as in
// Consul, only a rule or management grants it). Namespace and HostVolume
// requests carry a Nomad capability in r.Access. Job is a namespace
// request: r.Segment is the namespace ("" is "default"); read needs
// read-job, list list-jobs, write submit-job. DNS (the zones API) is an
// operator request.
func (c *Compiled) Allowed(r Rule) bool {
	if c.management {
		return true
	}
	switch r.Resource {
	case Job:
		cp := jobCapability(r.Access)
		return cp != "" && c.namespaces.allowed(cmp.Or(r.Segment, "default"), cp, c.allow)
	case Namespace:
		return c.namespaces.allowed(r.Segment, r.Access, c.allow)
	case HostVolume:
		return c.hostVolumes.allowed(r.Segment, r.Access, c.allow)
	case DNS:
		return c.global(Operator, r.Access)
	case ACL, Operator, Keyring, Mesh, Peering, Quota, Plugin:
		return c.global(r.Resource, r.Access)
	}
	if t := c.trees[r.Resource]; t != nil {
		if d, ok := t.lookup(r.Segment); ok {
			return grants(d, r.Access)
		}
	}
	return c.allow
}

// jobCapability is the namespace capability a job request needs.
func jobCapability(a Access) Access {
	switch a {
	case Read:
		return CapReadJob
	case List:
		return CapListJobs
	case Write:
		return CapSubmitJob
	}
	return ""
}

func (c *Compiled) global(resource string, a Access) bool {
	d, ok := c.globals[resource]
	switch {
	case !ok:
		return c.allow && resource != ACL
	case resource == Plugin && d == PolicyList:
		return a == List // Nomad: list plugins, not read them
	}
	return grants(d, a)
}

// Check returns nil when r is allowed, else a *DeniedError (errors.Is
// ErrDenied) with Consul's message.
func (c *Compiled) Check(r Rule) error {
	if c.Allowed(r) {
		return nil
	}
	return &DeniedError{AccessorID: c.accessorID, Rule: r}
}

// DeniedError is a denial, worded as Consul words it.
type DeniedError struct {
	AccessorID string
	Rule       Rule
}

// Error is Consul's PermissionDeniedError text:
//
//	Permission denied: token with AccessorID '<id>' lacks permission 'key:read' on "foo"
//	Permission denied: anonymous token lacks permission 'acl:read'. The anonymous token is used implicitly when a request does not specify a token.
func (e *DeniedError) Error() string {
	var b strings.Builder
	b.WriteString(ErrDenied.Error())
	if e.AccessorID == AnonymousTokenID {
		b.WriteString(": anonymous token")
	} else {
		fmt.Fprintf(&b, ": token with AccessorID '%s'", e.AccessorID)
	}
	fmt.Fprintf(&b, " lacks permission '%s:%s'", e.Rule.Resource, e.Rule.Access)
	if e.Rule.Segment != "" {
		fmt.Fprintf(&b, " on %q", e.Rule.Segment)
	}
	if e.AccessorID == AnonymousTokenID {
		b.WriteString(". The anonymous token is used implicitly when a request does not specify a token.")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrDenied) true.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// capTable holds Nomad's labelled capability rules: exact names, and glob
// patterns ("*" matches any run of characters).
type capTable struct {
	exact map[string]capSet
	globs []globRule // most literal characters first
}

type capSet map[Access]bool

type globRule struct {
	pattern  string
	literals int // characters other than "*": more is closer
	caps     capSet
}

func newCapTable() *capTable { return &capTable{exact: map[string]capSet{}} }

// add merges a rule: the union of its policy's capabilities, its listed
// ones and those they imply.
func (t *capTable) add(resource string, g CapabilityGrant) {
	set := capSet{}
	for _, a := range expand(resource, g.Policy) {
		set[a] = true
	}
	for _, s := range g.Capabilities {
		set[Access(s)] = true
		for _, a := range implied(Access(s)) {
			set[a] = true
		}
	}
	if !strings.Contains(g.Name, "*") {
		t.exact[g.Name] = union(t.exact[g.Name], set)
		return
	}
	for i := range t.globs {
		if t.globs[i].pattern == g.Name {
			t.globs[i].caps = union(t.globs[i].caps, set)
			return
		}
	}
	t.globs = append(t.globs, globRule{pattern: g.Name, literals: len(g.Name) - strings.Count(g.Name, "*"), caps: set})
	slices.SortStableFunc(t.globs, func(a, b globRule) int { return cmp.Compare(b.literals, a.literals) })
}

func union(a, b capSet) capSet {
	out := capSet{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// allowed decides a capability on name: the exact rule, else the union of
// the closest matching globs (most literal characters), else the default.
// A deny capability in the deciding set denies everything.
func (t *capTable) allowed(name string, cp Access, def bool) bool {
	if set, ok := t.exact[name]; ok {
		return !set[CapDeny] && set[cp]
	}
	best, granted, denied := -1, false, false
	for _, g := range t.globs {
		if g.literals < best {
			break
		}
		if glob(g.pattern, name) {
			best = g.literals
			granted = granted || g.caps[cp]
			denied = denied || g.caps[CapDeny]
		}
	}
	if best < 0 {
		return def
	}
	return granted && !denied
}

// glob matches name against pattern, where "*" matches any run of
// characters (including none and including "/").
func glob(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case star >= 0:
			mark++
			p, n = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
