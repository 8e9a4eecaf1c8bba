package aclresolve

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
)

// memTables is an in-memory Tables.
type memTables struct {
	tokens   map[string]*acl.Token
	policies map[string]*acl.Policy
	roles    map[string]*acl.Role
	index    uint64
}

func (m *memTables) ACLToken(a string) (*acl.Token, bool)    { t, ok := m.tokens[a]; return t, ok }
func (m *memTables) ACLPolicy(id string) (*acl.Policy, bool) { p, ok := m.policies[id]; return p, ok }
func (m *memTables) ACLRole(id string) (*acl.Role, bool)     { r, ok := m.roles[id]; return r, ok }
func (m *memTables) ACLIndex() uint64                        { return m.index }
func (m *memTables) ACLRoleByName(name string) (*acl.Role, bool) {
	for _, r := range m.roles {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

var _ Tables = (*memTables)(nil)

// memSecrets maps secrets to accessors; down makes every lookup fail.
type memSecrets struct {
	m       map[string]string
	down    bool
	lookups int
}

var errUnknown, errDown = errors.New("no such secret"), errors.New("store unreachable")

func (s *memSecrets) ACLAccessorOf(_ context.Context, secret string) (string, error) {
	s.lookups++
	if s.down {
		return "", errDown
	}
	a, ok := s.m[secret]
	if !ok {
		return "", errUnknown
	}
	return a, nil
}

func fixture() (*memTables, *memSecrets) {
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tables := &memTables{
		tokens: map[string]*acl.Token{
			"a-kv":               {AccessorID: "a-kv", Policies: []acl.Link{{ID: "p-kv"}}},
			"a-role":             {AccessorID: "a-role", Roles: []acl.Link{{ID: "r-web"}, {ID: "r-gone"}}},
			"a-sid":              {AccessorID: "a-sid", ServiceIdentities: []acl.ServiceIdentity{{ServiceName: "api"}}},
			"a-ro":               {AccessorID: "a-ro", Policies: []acl.Link{{ID: acl.GlobalReadOnlyID}, {ID: "p-gone"}}},
			"a-old":              {AccessorID: "a-old", ExpirationTime: &past, Policies: []acl.Link{{ID: "p-kv"}}},
			"a-dflt":             {AccessorID: "a-dflt", Policies: []acl.Link{{ID: "p-svc"}}},
			acl.AnonymousTokenID: {AccessorID: acl.AnonymousTokenID},
			"a-node":             {AccessorID: "a-node", NodeIdentities: []acl.NodeIdentity{{NodeName: "n1", Datacenter: "dc1"}}},
			"a-wl": {AccessorID: "a-wl", Workload: &acl.Workload{JobID: "shop", AllocationID: "al1", Task: "t",
				Services: []string{"shop-api"}}},
			"a-wl2": {AccessorID: "a-wl2", Workload: &acl.Workload{JobID: "blog", AllocationID: "al2", Task: "t"}},
		},
		policies: map[string]*acl.Policy{
			"p-kv": {ID: "p-kv", Name: "kv", Rules: `key_prefix "app/" { policy = "write" }
key "app/secret" { policy = "deny" }`},
			"p-svc": {ID: "p-svc", Name: "svc", Rules: `service_prefix "" { policy = "read" }`},
		},
		roles: map[string]*acl.Role{"r-web": {ID: "r-web", Name: "web", Policies: []acl.Link{{ID: "p-svc"}},
			ServiceIdentities: []acl.ServiceIdentity{{ServiceName: "web"}}},
			"r-job": {ID: "r-job", Name: "job-shop", Policies: []acl.Link{{ID: "p-kv"}}}},
		index: 10,
	}
	secrets := &memSecrets{m: map[string]string{"kv": "a-kv", "role": "a-role", "sid": "a-sid", "ro": "a-ro",
		"old": "a-old", "dflt": "a-dflt", "orphan": "a-missing",
		"node": "a-node", "wl": "a-wl", "wl2": "a-wl2"}}
	return tables, secrets
}

func newResolver(t *testing.T, cfg Config, tables *memTables, secrets *memSecrets, clock clockwork.Clock) *Resolver {
	t.Helper()
	r, err := New(cfg, Deps{Tables: tables, Secrets: secrets, IsNotFound: func(err error) bool { return errors.Is(err, errUnknown) }, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func svc(name string, a acl.Access) acl.Rule {
	return acl.Rule{Resource: acl.Service, Segment: name, Access: a}
}
func key(name string, a acl.Access) acl.Rule {
	return acl.Rule{Resource: acl.Key, Segment: name, Access: a}
}

func TestResolve(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Config
		secret string
		rule   acl.Rule
		want   error // nil allowed, acl.ErrDenied or acl.ErrNotFound
	}{
		{"policy prefix write", Config{}, "kv", key("app/x", acl.Write), nil},
		{"policy exact deny beats prefix", Config{}, "kv", key("app/secret", acl.Read), acl.ErrDenied},
		{"policy outside its prefix", Config{}, "kv", key("other", acl.Read), acl.ErrDenied},
		{"role's policy", Config{}, "role", svc("db", acl.Read), nil},
		{"role's service identity", Config{}, "role", svc("web", acl.Write), nil},
		{"role's identity is not another service", Config{}, "role", svc("db", acl.Write), acl.ErrDenied},
		{"token's service identity: sidecar", Config{}, "sid", svc("api-sidecar-proxy", acl.Write), nil},
		{"token's service identity reads nodes", Config{}, "sid", acl.Rule{Resource: acl.Node, Segment: "n1", Access: acl.Read}, nil},
		{"built-in read-only reads", Config{}, "ro", key("any", acl.Read), nil},
		{"built-in read-only does not write", Config{}, "ro", key("any", acl.Write), acl.ErrDenied},
		{"unknown secret", Config{}, "nope", key("any", acl.Read), acl.ErrNotFound},
		{"token whose record is gone", Config{}, "orphan", key("any", acl.Read), acl.ErrNotFound},
		{"expired token", Config{}, "old", key("app/x", acl.Read), acl.ErrNotFound},
		{"anonymous under deny", Config{}, "", svc("web", acl.Read), acl.ErrDenied},
		{"anonymous under allow", Config{Default: acl.DefaultAllow}, "", svc("web", acl.Write), nil},
		{"allow never grants acl", Config{Default: acl.DefaultAllow}, "", acl.Rule{Resource: acl.ACL, Access: acl.Read}, acl.ErrDenied},
		{"node identity writes its node", Config{}, "node", acl.Rule{Resource: acl.Node, Segment: "n1", Access: acl.Write}, nil},
		{"node identity not another node", Config{}, "node", acl.Rule{Resource: acl.Node, Segment: "n2", Access: acl.Write}, acl.ErrDenied},
		{"node identity reads services", Config{}, "node", svc("web", acl.Read), nil},
		{"workload reads services", Config{}, "wl", svc("other", acl.Read), nil},
		{"workload reads nodes", Config{}, "wl", acl.Rule{Resource: acl.Node, Segment: "n9", Access: acl.Read}, nil},
		{"workload writes its service", Config{}, "wl", svc("shop-api", acl.Write), nil},
		{"workload cannot write another service", Config{}, "wl", svc("other", acl.Write), acl.ErrDenied},
		{"workload reads its job's keys", Config{}, "wl", key("jobs/shop/db", acl.Read), nil},
		{"workload cannot write its job's keys", Config{}, "wl", key("jobs/shop/db", acl.Write), acl.ErrDenied},
		{"workload cannot read another job's keys", Config{}, "wl", key("jobs/shopping/db", acl.Read), acl.ErrDenied},
		{"workload gets role job-<id>", Config{}, "wl", key("app/x", acl.Write), nil},
		{"workload without a role job-<id>", Config{}, "wl2", key("app/x", acl.Read), acl.ErrDenied},
		{"default token for requests without one", Config{DefaultToken: "dflt"}, "", svc("web", acl.Read), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tables, secrets := fixture()
			r := newResolver(t, c.cfg, tables, secrets, clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
			err := acl.Enforcer{Tokens: r}.Authorize(context.Background(), c.secret, c.rule)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("%s: %v, want %v", c.rule, err, c.want)
			}
		})
	}
}

func TestResolveCache(t *testing.T) {
	tables, secrets := fixture()
	clock := clockwork.NewFakeClock()
	r := newResolver(t, Config{TTL: time.Minute}, tables, secrets, clock)
	ctx := context.Background()
	check := func(what string, rule acl.Rule, allowed bool) {
		t.Helper()
		c, err := r.Resolve(ctx, "kv")
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if c.Allowed(rule) != allowed {
			t.Fatalf("%s: %s allowed = %v, want %v", what, rule, !allowed, allowed)
		}
	}
	check("first", key("app/x", acl.Write), true)
	check("cached", key("app/x", acl.Write), true)
	if secrets.lookups != 1 {
		t.Fatalf("lookups = %d, want 1 (cached)", secrets.lookups)
	}
	// A policy change moves the ACL index: the next request sees it.
	tables.policies["p-kv"] = &acl.Policy{ID: "p-kv", Rules: `key_prefix "app/" { policy = "read" }`}
	tables.index++
	check("after a policy change", key("app/x", acl.Write), false)
	if secrets.lookups != 2 {
		t.Fatalf("lookups = %d, want 2", secrets.lookups)
	}
	// The TTL bounds the cache even without a change.
	clock.Advance(2 * time.Minute)
	check("after the ttl", key("app/x", acl.Read), true)
	if secrets.lookups != 3 {
		t.Fatalf("lookups = %d, want 3", secrets.lookups)
	}
}

func TestDownPolicy(t *testing.T) {
	cases := []struct {
		down   string
		warm   bool // resolved once before the store went down
		secret string
		rule   acl.Rule
		allow  bool
	}{
		{DownExtendCache, true, "kv", key("app/x", acl.Write), true},
		{DownExtendCache, false, "kv", key("app/x", acl.Read), false},
		{DownAsyncCache, true, "kv", key("app/x", acl.Write), true},
		{DownDeny, true, "kv", key("app/x", acl.Read), false},
		{DownAllow, false, "kv", key("other", acl.Write), true},
	}
	for _, c := range cases {
		t.Run(c.down, func(t *testing.T) {
			tables, secrets := fixture()
			clock := clockwork.NewFakeClock()
			r := newResolver(t, Config{Down: c.down, TTL: time.Second}, tables, secrets, clock)
			ctx := context.Background()
			if c.warm {
				if _, err := r.Resolve(ctx, c.secret); err != nil {
					t.Fatal(err)
				}
			}
			secrets.down = true
			clock.Advance(time.Minute)
			comp, err := r.Resolve(ctx, c.secret)
			if err != nil {
				t.Fatalf("down: %v", err)
			}
			if comp.Allowed(c.rule) != c.allow {
				t.Fatalf("%s allowed = %v, want %v", c.rule, !c.allow, c.allow)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Default: "maybe"}, {Down: "panic"}, {TTL: -time.Second}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if err := (Config{Default: acl.DefaultAllow, Down: DownAllow, TTL: time.Second}).Validate(); err != nil {
		t.Error(err)
	}
}
