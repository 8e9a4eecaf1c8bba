package acl

import (
	"context"
	"errors"
	"testing"
)

// memTokens is an in-memory Resolver: secret → compiled authorizer.
type memTokens map[string]*Compiled

var errNoToken = errors.New("ACL not found")

func (m memTokens) Resolve(_ context.Context, secret string) (*Compiled, error) {
	c, ok := m[secret]
	if !ok {
		return nil, errNoToken
	}
	return c, nil
}

var _ Resolver = memTokens{}

func TestEnforcer(t *testing.T) {
	reader, err := Compile("r-1", DefaultDeny, Policy{ID: "p", Name: "p", Rules: `service_prefix "" { policy = "read" }`})
	if err != nil {
		t.Fatal(err)
	}
	e := Enforcer{Tokens: memTokens{"": CompileRules(AnonymousTokenID, DefaultDeny), "s3cret": reader}}
	ctx := context.Background()
	if err := e.Authorize(ctx, "s3cret", svc("web", Read)); err != nil {
		t.Errorf("reader read: %v", err)
	}
	if err := e.Authorize(ctx, "s3cret", svc("web", Write)); !errors.Is(err, ErrDenied) {
		t.Errorf("reader write: %v, want denied", err)
	}
	err = e.Authorize(ctx, "", svc("web", Read))
	want := `Permission denied: anonymous token lacks permission 'service:read' on "web". The anonymous token is used implicitly when a request does not specify a token.`
	if err == nil || err.Error() != want {
		t.Errorf("anonymous: %v", err)
	}
	if err := e.Authorize(ctx, "nope", svc("web", Read)); !errors.Is(err, errNoToken) || errors.Is(err, ErrDenied) {
		t.Errorf("unknown token: %v, want the resolver's error", err)
	}
}

func TestAllowedWritePrefix(t *testing.T) {
	cases := []struct {
		name   string
		def    Default
		rules  string
		prefix string
		want   bool
	}{
		{"all write", DefaultDeny, `key_prefix "" { policy = "write" }`, "app/", true},
		{"deny under prefix", DefaultDeny, `key_prefix "" { policy = "write" }
key_prefix "app/secret/" { policy = "deny" }`, "app/", false},
		{"read exact under prefix", DefaultDeny, `key_prefix "app/" { policy = "write" }
key "app/x" { policy = "read" }`, "app/", false},
		{"deny outside prefix is fine", DefaultDeny, `key_prefix "" { policy = "write" }
key_prefix "other/" { policy = "deny" }`, "app/", true},
		{"no write on prefix", DefaultDeny, `key_prefix "app/x" { policy = "write" }`, "app/", false},
		{"default allow, no rules", DefaultAllow, ``, "app/", true},
		{"default allow, a deny below", DefaultAllow, `key "app/k" { policy = "deny" }`, "app/", false},
		{"write rules below", DefaultDeny, `key_prefix "app/" { policy = "write" }
key_prefix "app/x/" { policy = "write" }`, "app/", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			comp, err := Compile("a", c.def, Policy{ID: "p", Rules: c.rules})
			if err != nil {
				t.Fatal(err)
			}
			if got := comp.AllowedWritePrefix(Key, c.prefix); got != c.want {
				t.Fatalf("AllowedWritePrefix(%q) = %v, want %v", c.prefix, got, c.want)
			}
		})
	}
}
