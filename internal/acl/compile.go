package acl

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Default is the agent's default_policy: what a request gets when no rule
// of the token's policies matches it.
type Default string

// Default policies, as Consul's acl.default_policy spells them.
const (
	DefaultAllow Default = "allow"
	DefaultDeny  Default = "deny"
)

// Policy is a stored ACL policy as Consul's API shows it; Rules is the
// document Parse reads.
type Policy struct {
	ID          string
	Name        string
	Description string
	Rules       string
	Datacenters []string
	Hash        []byte
	CreateIndex uint64
	ModifyIndex uint64
}

// Compiled is one token's authorizer: its policies' rules (the token's own
// and its roles', resolved by the caller) merged into lookup tables. It is
// immutable and safe for concurrent use; compile once per token and policy
// change, not per request.
type Compiled struct {
	accessorID string
	allow      bool // default policy allow
	management bool // holds global-management: everything is allowed

	trees       map[string]*tree       // segmented resources and Intention
	globals     map[string]Disposition // acl, operator, keyring, mesh, peering, quota, plugin
	namespaces  *capTable              // Nomad namespace rules
	hostVolumes *capTable              // Nomad host_volume rules
}

// tree holds one segmented resource's rules: exact segments, and prefixes
// longest first.
type tree struct {
	exact    map[string]Disposition
	prefixes []prefixRule
}

type prefixRule struct {
	prefix string
	policy Disposition
}

// Compile parses policies and compiles them for the token accessorID
// (AnonymousTokenID for the anonymous token). A token holding the
// global-management policy (by ID) may do everything, as in Consul.
func Compile(accessorID string, def Default, policies ...Policy) (*Compiled, error) {
	rules := make([]*Rules, 0, len(policies))
	management := false
	for _, p := range policies {
		if p.ID == GlobalManagementID {
			management = true
		}
		r, err := Parse(cmp.Or(p.Name, p.ID), p.Rules)
		if err != nil {
			return nil, fmt.Errorf("policy %q: %w", cmp.Or(p.Name, p.ID), err)
		}
		rules = append(rules, r)
	}
	c := CompileRules(accessorID, def, rules...)
	c.management = management
	return c, nil
}

// CompileRules compiles already parsed documents (no management shortcut).
func CompileRules(accessorID string, def Default, docs ...*Rules) *Compiled {
	c := &Compiled{
		accessorID:  accessorID,
		allow:       def == DefaultAllow,
		trees:       map[string]*tree{},
		globals:     map[string]Disposition{},
		namespaces:  newCapTable(),
		hostVolumes: newCapTable(),
	}
	prefixes := map[string]map[string]Disposition{}
	add := func(resource, segment string, prefix bool, d Disposition) {
		if d == "" {
			return
		}
		t := c.trees[resource]
		if t == nil {
			t = &tree{exact: map[string]Disposition{}}
			c.trees[resource] = t
			prefixes[resource] = map[string]Disposition{}
		}
		if prefix {
			prefixes[resource][segment] = merge(prefixes[resource][segment], d)
		} else {
			t.exact[segment] = merge(t.exact[segment], d)
		}
	}
	for _, doc := range docs {
		if doc == nil {
			continue
		}
		for _, g := range doc.Grants {
			switch {
			case slices.Contains(globals, g.Resource) || g.Resource == Quota || g.Resource == Plugin:
				c.globals[g.Resource] = merge(c.globals[g.Resource], g.Policy)
			default:
				add(g.Resource, g.Segment, g.Prefix, g.Policy)
				if g.Resource == Service {
					add(Intention, g.Segment, g.Prefix, intentions(g))
				}
			}
		}
		for _, n := range doc.Namespaces {
			c.namespaces.add(Namespace, n)
		}
		for _, h := range doc.HostVolumes {
			c.hostVolumes.add(HostVolume, h)
		}
	}
	for resource, ps := range prefixes {
		t := c.trees[resource]
		for p, d := range ps {
			t.prefixes = append(t.prefixes, prefixRule{prefix: p, policy: d})
		}
		slices.SortFunc(t.prefixes, func(a, b prefixRule) int {
			return cmp.Or(cmp.Compare(len(b.prefix), len(a.prefix)), cmp.Compare(a.prefix, b.prefix))
		})
	}
	return c
}

// intentions is a service rule's intentions disposition: as written, or
// read when the rule grants read or write on the service, as Consul
// defaults it.
func intentions(g Grant) Disposition {
	if g.Intentions != "" {
		return g.Intentions
	}
	if g.Policy == PolicyRead || g.Policy == PolicyWrite || g.Policy == PolicyList {
		return PolicyRead
	}
	return g.Policy
}

// lookup returns the rule that decides segment: an exact rule, else the
// longest matching prefix. Rules of equal specificity were merged at
// compile time (deny wins).
func (t *tree) lookup(segment string) (Disposition, bool) {
	if d, ok := t.exact[segment]; ok {
		return d, true
	}
	for _, p := range t.prefixes {
		if strings.HasPrefix(segment, p.prefix) {
			return p.policy, true
		}
	}
	return "", false
}

// grants says whether a disposition grants an access level: write grants
// read, list and write; list grants read and list; read grants read.
func grants(d Disposition, a Access) bool {
	switch d {
	case PolicyWrite:
		return a == Read || a == List || a == Write
	case PolicyList:
		return a == Read || a == List
	case PolicyRead:
		return a == Read
	}
	return false
}

// AllowedWritePrefix says whether the token may write every name under
// prefix of a segmented resource (Consul's KeyWritePrefix, for a recursive
// KV delete): write on prefix itself, and no rule for a longer name under
// it that withholds write.
func (c *Compiled) AllowedWritePrefix(resource, prefix string) bool {
	if c.management {
		return true
	}
	if !c.Allowed(Rule{Resource: resource, Segment: prefix, Access: Write}) {
		return false
	}
	t := c.trees[resource]
	if t == nil {
		return true
	}
	for seg, d := range t.exact {
		if strings.HasPrefix(seg, prefix) && d != PolicyWrite {
			return false
		}
	}
	for _, p := range t.prefixes {
		if len(p.prefix) > len(prefix) && strings.HasPrefix(p.prefix, prefix) && p.policy != PolicyWrite {
			return false
		}
	}
	return true
}
