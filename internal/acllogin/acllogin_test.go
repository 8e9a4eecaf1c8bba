package acllogin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/orbit/orbit/internal/acl"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func pemOf(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func config(t *testing.T, raw map[string]any) *JWTConfig {
	t.Helper()
	c, err := ParseJWTConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseJWTConfig(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := pemOf(t, &rk.PublicKey)
	cases := []struct {
		name string
		raw  map[string]any
		want string // "" accepts; else a part of the error
	}{
		{"pub keys", map[string]any{"JWTValidationPubKeys": []any{good}}, ""},
		{"jwks url", map[string]any{"JWKSURL": "http://127.0.0.1:1/.well-known/jwks.json", "BoundAudiences": []any{"consul.io"}}, ""},
		{"leeways as strings and numbers", map[string]any{"JWKSURL": "https://x", "ClockSkewLeeway": "30s", "ExpirationLeeway": 1e9}, ""},
		{"no keys", map[string]any{"BoundIssuer": "x"}, "exactly one of"},
		{"both keys", map[string]any{"JWKSURL": "https://x", "JWTValidationPubKeys": []any{good}}, "exactly one of"},
		{"oidc discovery", map[string]any{"OIDCDiscoveryURL": "https://x"}, "OIDCDiscoveryURL is not supported"},
		{"bad pem", map[string]any{"JWTValidationPubKeys": []any{"nope"}}, "JWTValidationPubKeys[0]: no PEM block"},
		{"bad url", map[string]any{"JWKSURL": "ftp://x"}, "want an http or https URL"},
		{"unknown field", map[string]any{"JWKSURL": "https://x", "BoundAudience": "typo"}, `unknown field "BoundAudience"`},
		{"bad alg", map[string]any{"JWKSURL": "https://x", "JWTSupportedAlgs": []any{"HS256"}}, `unsupported algorithm "HS256"`},
		{"attribute mapped twice", map[string]any{"JWKSURL": "https://x", "ClaimMappings": map[string]any{"a": "x"},
			"ListClaimMappings": map[string]any{"b": "x"}}, `attribute "x" is mapped twice`},
		{"bad attribute", map[string]any{"JWKSURL": "https://x", "ClaimMappings": map[string]any{"a": "x.y"}}, "attribute must be a name"},
		{"ca without url", map[string]any{"JWTValidationPubKeys": []any{good}, "JWKSCACert": "x"}, "'JWKSCACert' requires 'JWKSURL'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseJWTConfig(c.raw)
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalid)):
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	base := func() map[string]any {
		return map[string]any{"iss": "https://issuer", "aud": []string{"consul.io"}, "sub": "web",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	with := func(k string, v any) map[string]any { c := base(); c[k] = v; return c }
	pubCfg := map[string]any{"JWTValidationPubKeys": []any{pemOf(t, &rk.PublicKey)}, "BoundIssuer": "https://issuer",
		"BoundAudiences": []any{"consul.io", "other"}}
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &other.PublicKey, KeyID: "k0", Algorithm: "RS256", Use: "sig"},
		{Key: &rk.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
	cases := []struct {
		name  string
		cfg   map[string]any
		set   *jose.JSONWebKeySet
		token string
		want  string // "" verifies
	}{
		{"pub key", pubCfg, nil, sign(t, jose.RS256, rk, "", base()), ""},
		{"jwks by kid", map[string]any{"JWKSURL": "https://x", "BoundAudiences": []any{"consul.io"}}, jwks, sign(t, jose.RS256, rk, "k1", base()), ""},
		{"jwks kid of another key", map[string]any{"JWKSURL": "https://x", "BoundAudiences": []any{"consul.io"}}, jwks, sign(t, jose.RS256, rk, "k0", base()), "no known key verifies"},
		{"jwks unknown kid", map[string]any{"JWKSURL": "https://x", "BoundAudiences": []any{"consul.io"}}, jwks, sign(t, jose.RS256, rk, "k9", base()), `key id "k9"`},
		{"wrong key", pubCfg, nil, sign(t, jose.RS256, other, "", base()), "no known key verifies"},
		{"alg not accepted", map[string]any{"JWTValidationPubKeys": []any{pemOf(t, &ek.PublicKey)}, "BoundAudiences": []any{"consul.io"}}, nil,
			sign(t, jose.ES256, ek, "", base()), "unexpected signature algorithm"},
		{"ES256 accepted when listed", map[string]any{"JWTValidationPubKeys": []any{pemOf(t, &ek.PublicKey)}, "BoundAudiences": []any{"consul.io"},
			"JWTSupportedAlgs": []any{"ES256"}}, nil, sign(t, jose.ES256, ek, "", base()), ""},
		{"wrong issuer", pubCfg, nil, sign(t, jose.RS256, rk, "", with("iss", "https://evil")), "not the bound issuer"},
		{"wrong audience", pubCfg, nil, sign(t, jose.RS256, rk, "", with("aud", "vault.io")), "does not match any bound audience"},
		{"audience but none bound", map[string]any{"JWTValidationPubKeys": []any{pemOf(t, &rk.PublicKey)}}, nil,
			sign(t, jose.RS256, rk, "", base()), "no audiences bound"},
		{"expired beyond leeway", pubCfg, nil, sign(t, jose.RS256, rk, "", with("exp", now.Add(-time.Hour).Unix())), "expired"},
		{"expired within leeway", pubCfg, nil, sign(t, jose.RS256, rk, "", with("exp", now.Add(-time.Minute).Unix())), ""},
		{"expired, leeways off", map[string]any{"JWTValidationPubKeys": []any{pemOf(t, &rk.PublicKey)}, "BoundAudiences": []any{"consul.io"},
			"ClockSkewLeeway": -1, "ExpirationLeeway": -1}, nil, sign(t, jose.RS256, rk, "", with("exp", now.Add(-time.Second).Unix())), "expired"},
		{"not yet valid", pubCfg, nil, sign(t, jose.RS256, rk, "", with("nbf", now.Add(time.Hour).Unix())), "not valid yet"},
		{"garbage", pubCfg, nil, "a.b.c", "invalid bearer token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims, err := Verify(config(t, c.cfg), c.set, c.token, now)
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want == "" && claims["sub"] != "web":
				t.Fatalf("claims %v", claims)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, acl.ErrDenied)):
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestMapClaims(t *testing.T) {
	cfg := config(t, map[string]any{"JWKSURL": "https://x",
		"ClaimMappings":     map[string]any{"nomad_job_id": "job", "/meta/team": "team", "admin": "admin", "n": "n", "gone": "gone"},
		"ListClaimMappings": map[string]any{"groups": "groups", "single": "single", "/deep/0": "first"}})
	claims := map[string]any{"nomad_job_id": "web", "meta": map[string]any{"team": "blue"}, "admin": true, "n": 3.0,
		"groups": []any{"a", "b"}, "single": "only", "deep": []any{[]any{"x", "y"}}}
	id, err := MapClaims(cfg, claims)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"job": "web", "team": "blue", "admin": "true", "n": "3", "gone": ""}
	for k, v := range want {
		if id.Values[k] != v {
			t.Errorf("value.%s = %q, want %q", k, id.Values[k], v)
		}
	}
	if strings.Join(id.Lists["groups"], ",") != "a,b" || strings.Join(id.Lists["single"], ",") != "only" ||
		strings.Join(id.Lists["first"], ",") != "x,y" {
		t.Errorf("lists %v", id.Lists)
	}
	claims["nomad_job_id"] = map[string]any{"x": 1}
	if _, err := MapClaims(cfg, claims); err == nil {
		t.Error("an object claim mapped to a value was accepted")
	}
}

func TestBind(t *testing.T) {
	id := Identity{Values: map[string]string{"job": "web", "task": "api", "ns": "default", "node": "n1"},
		Lists: map[string][]string{"groups": {"ops", "dev"}}}
	rule := func(sel, typ, name string) *acl.BindingRule {
		return &acl.BindingRule{ID: "r-" + typ, Selector: sel, BindType: typ, BindName: name}
	}
	cases := []struct {
		name  string
		rules []*acl.BindingRule
		want  Bindings
		err   string
	}{
		{"no rules", nil, Bindings{}, ""},
		{"empty selector matches", []*acl.BindingRule{rule("", acl.BindService, "${value.job}-${value.task}")},
			Bindings{Services: []string{"web-api"}}, ""},
		{"selector on a value", []*acl.BindingRule{rule(`value.ns == "default"`, acl.BindRole, "job-${value.job}"),
			rule(`value.ns == "prod"`, acl.BindPolicy, "prod")}, Bindings{Roles: []string{"job-web"}}, ""},
		{"selector on a list", []*acl.BindingRule{rule(`"ops" in list.groups`, acl.BindPolicy, "ops"),
			rule(`"admin" in list.groups`, acl.BindPolicy, "admin")}, Bindings{Policies: []string{"ops"}}, ""},
		{"node", []*acl.BindingRule{rule(`value.node matches "^n[0-9]+$"`, acl.BindNode, "${value.node}")},
			Bindings{Nodes: []string{"n1"}}, ""},
		{"duplicates once", []*acl.BindingRule{rule("", acl.BindRole, "r"), rule("", acl.BindRole, "r")},
			Bindings{Roles: []string{"r"}}, ""},
		{"unknown variable", []*acl.BindingRule{rule("", acl.BindService, "${value.nope}")}, Bindings{}, `unknown variable "value.nope"`},
		{"list variable is not interpolated", []*acl.BindingRule{rule("", acl.BindService, "${list.groups}")}, Bindings{}, "unknown variable"},
		{"invalid service name", []*acl.BindingRule{rule("", acl.BindService, "Web_${value.job}")}, Bindings{}, "not a valid service name"},
		{"bad selector", []*acl.BindingRule{rule("value.ns ==", acl.BindRole, "r")}, Bindings{}, "selector"},
		{"unknown bind type", []*acl.BindingRule{rule("", "user", "r")}, Bindings{}, "unknown BindType"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Bind(c.rules, id)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Services, ",") != strings.Join(c.want.Services, ",") || strings.Join(got.Roles, ",") != strings.Join(c.want.Roles, ",") ||
				strings.Join(got.Policies, ",") != strings.Join(c.want.Policies, ",") || strings.Join(got.Nodes, ",") != strings.Join(c.want.Nodes, ",") {
				t.Fatalf("bindings %+v, want %+v", got, c.want)
			}
			if got.None() != c.want.None() {
				t.Fatal("None disagrees")
			}
		})
	}
}

func TestValidateBindingRule(t *testing.T) {
	cfg := config(t, map[string]any{"JWKSURL": "https://x", "ClaimMappings": map[string]any{"nomad_job_id": "job"}})
	cases := []struct {
		rule acl.BindingRule
		want string
	}{
		{acl.BindingRule{AuthMethod: "m", BindType: acl.BindService, BindName: "${value.job}"}, ""},
		{acl.BindingRule{AuthMethod: "m", BindType: acl.BindRole, BindName: "job-${value.job}", Selector: `value.job == "web"`}, ""},
		{acl.BindingRule{AuthMethod: "m", BindType: acl.BindService, BindName: "${value.jbo}"}, `unknown variable "value.jbo"`},
		{acl.BindingRule{AuthMethod: "m", BindType: acl.BindService, BindName: ""}, "no BindName"},
		{acl.BindingRule{AuthMethod: "m", BindType: "bogus", BindName: "x"}, "unknown BindType"},
		{acl.BindingRule{AuthMethod: "m", BindType: acl.BindRole, BindName: "x", Selector: "value.job = 1"}, "invalid Selector"},
		{acl.BindingRule{BindType: acl.BindRole, BindName: "x"}, "no auth method"},
	}
	for _, c := range cases {
		err := ValidateBindingRule(&c.rule, cfg)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.rule, err, c.want)
		}
	}
}
