package aclapi_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/identity"
)

// issuer is an orbit workload identity signer whose JWKS is served over
// HTTP, as an agent serves it.
func issuer(t *testing.T) (*identity.Signer, string) {
	t.Helper()
	s, err := identity.New(context.Background(), identity.Config{Issuer: "http://orbit.test"}, identity.Deps{Storage: &identity.MemStorage{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv.URL + identity.JWKSPath
}

func workloadJWT(t *testing.T, s *identity.Signer, job, task string, aud ...string) string {
	t.Helper()
	tok, err := s.Sign(identity.Workload{JobID: job, Group: "g", AllocationID: "a-" + job, Task: task, Audience: aud}.Claims(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLoginFlow: a jwt auth method over orbit's JWKS, binding rules of
// every bind type, login with an orbit-signed workload JWT and logout,
// with the real consul/api client.
func TestLoginFlow(t *testing.T) {
	srv := start(t)
	signer, jwksURL := issuer(t)
	root := must(srv.client(t, "").Bootstrap())
	mgmt := srv.client(t, root.SecretID)

	_, _, err := srv.client(t, "").AuthMethodCreate(&capi.ACLAuthMethod{Name: "nomad", Type: "jwt"}, nil)
	wantErr(t, err, 403, "Permission denied")
	_, _, err = mgmt.AuthMethodCreate(&capi.ACLAuthMethod{Name: "k8s", Type: "kubernetes"}, nil)
	wantErr(t, err, 400, "Type should be one of")
	_, _, err = mgmt.AuthMethodCreate(&capi.ACLAuthMethod{Name: "nomad", Type: "jwt", Config: map[string]any{}}, nil)
	wantErr(t, err, 400, "exactly one of 'JWTValidationPubKeys', 'JWKSURL', or 'OIDCDiscoveryURL' must be set")

	method := must(mgmt.AuthMethodCreate(&capi.ACLAuthMethod{Name: "nomad-workloads", Type: "jwt", DisplayName: "Nomad",
		MaxTokenTTL: 30 * time.Minute, Config: map[string]any{
			"JWKSURL": jwksURL, "BoundAudiences": []string{"consul.io"}, "BoundIssuer": "http://orbit.test",
			"ClaimMappings": map[string]string{"nomad_job_id": "job", "nomad_task": "task", "nomad_namespace": "namespace"},
		}}, nil))
	if method.CreateIndex == 0 || method.MaxTokenTTL != 30*time.Minute || method.Config["JWKSURL"] != jwksURL {
		t.Fatalf("method %+v", method)
	}
	_, _, err = mgmt.AuthMethodCreate(&capi.ACLAuthMethod{Name: "nomad-workloads", Type: "jwt", Config: method.Config}, nil)
	wantErr(t, err, 400, "already exists")
	if got := must(mgmt.AuthMethodRead("nomad-workloads", nil)); got == nil || got.DisplayName != "Nomad" {
		t.Fatalf("read %+v", got)
	}
	if got, _, err := mgmt.AuthMethodRead("nope", nil); got != nil || err != nil {
		t.Fatalf("missing method: %+v %v", got, err)
	}
	if l := must(mgmt.AuthMethodList(nil)); len(l) != 1 || l[0].Name != "nomad-workloads" || l[0].MaxTokenTTL != 30*time.Minute {
		t.Fatalf("list %+v", l)
	}

	must(mgmt.PolicyCreate(&capi.ACLPolicy{Name: "kv-reader", Rules: `key_prefix "shared/" { policy = "read" }`}, nil))
	must(mgmt.RoleCreate(&capi.ACLRole{Name: "job-web", Policies: []*capi.ACLRolePolicyLink{{Name: "kv-reader"}}}, nil))
	_, _, err = mgmt.BindingRuleCreate(&capi.ACLBindingRule{AuthMethod: "nomad-workloads", BindType: "service", BindName: "${value.jbo}"}, nil)
	wantErr(t, err, 400, `unknown variable "value.jbo"`)
	_, _, err = mgmt.BindingRuleCreate(&capi.ACLBindingRule{AuthMethod: "nope", BindType: "service", BindName: "x"}, nil)
	wantErr(t, err, 400, `cannot find auth method "nope"`)
	svcRule := must(mgmt.BindingRuleCreate(&capi.ACLBindingRule{AuthMethod: "nomad-workloads", Selector: `value.task == "api"`,
		BindType: "service", BindName: "${value.job}-${value.task}"}, nil))
	must(mgmt.BindingRuleCreate(&capi.ACLBindingRule{AuthMethod: "nomad-workloads", Selector: `value.namespace == "default"`,
		BindType: "role", BindName: "job-${value.job}"}, nil))
	must(mgmt.BindingRuleCreate(&capi.ACLBindingRule{AuthMethod: "nomad-workloads", Selector: `value.job == "batch"`,
		BindType: "policy", BindName: "kv-reader"}, nil))
	if got := must(mgmt.BindingRuleRead(svcRule.ID, nil)); got == nil || got.BindName != "${value.job}-${value.task}" {
		t.Fatalf("rule %+v", got)
	}
	if l := must(mgmt.BindingRuleList("nomad-workloads", nil)); len(l) != 3 {
		t.Fatalf("%d rules", len(l))
	}
	if l := must(mgmt.BindingRuleList("other", nil)); len(l) != 0 {
		t.Fatalf("%d rules of another method", len(l))
	}

	anon := srv.client(t, "")
	tok := must(anon.Login(&capi.ACLLoginParams{AuthMethod: "nomad-workloads",
		BearerToken: workloadJWT(t, signer, "web", "api", "consul.io"), Meta: map[string]string{"alloc": "a-web"}}, nil))
	if tok.AuthMethod != "nomad-workloads" || !tok.Local || tok.SecretID == "" || len(tok.ServiceIdentities) != 1 ||
		tok.ServiceIdentities[0].ServiceName != "web-api" || len(tok.Roles) != 1 || tok.Roles[0].Name != "job-web" ||
		tok.ExpirationTime == nil || tok.Description != `token created via login: {"alloc":"a-web"}` {
		t.Fatalf("login token %+v", tok)
	}
	// The token's rights: its service identity and its role's policy.
	c, err := capi.NewClient(&capi.Config{Address: strings.TrimPrefix(srv.url, "http://"), Token: tok.SecretID})
	if err != nil {
		t.Fatal(err)
	}
	if self := must(c.ACL().TokenReadSelf(nil)); self.AccessorID != tok.AccessorID {
		t.Fatalf("self %+v", self)
	}
	byMethod := must(mgmt.TokenListFiltered(capi.ACLTokenFilterOptions{AuthMethod: "nomad-workloads"}, nil))
	if len(byMethod) != 1 || byMethod[0].AccessorID != tok.AccessorID {
		t.Fatalf("tokens of the method: %+v", byMethod)
	}

	// A policy binding (job batch, task worker: no service rule matches).
	batch := must(anon.Login(&capi.ACLLoginParams{AuthMethod: "nomad-workloads",
		BearerToken: workloadJWT(t, signer, "batch", "worker", "consul.io")}, nil))
	if len(batch.Policies) != 1 || batch.Policies[0].Name != "kv-reader" || len(batch.ServiceIdentities) != 0 || len(batch.Roles) != 0 {
		t.Fatalf("batch token %+v", batch)
	}

	// Refusals: wrong audience, a foreign signer, an unknown method, nothing bound.
	_, _, err = anon.Login(&capi.ACLLoginParams{AuthMethod: "nomad-workloads", BearerToken: workloadJWT(t, signer, "web", "api", "vault.io")}, nil)
	wantErr(t, err, 403, "Permission denied: aud claim does not match any bound audience")
	foreign, _ := issuer(t)
	_, _, err = anon.Login(&capi.ACLLoginParams{AuthMethod: "nomad-workloads", BearerToken: workloadJWT(t, foreign, "web", "api", "consul.io")}, nil)
	wantErr(t, err, 403, "Permission denied")
	_, _, err = anon.Login(&capi.ACLLoginParams{AuthMethod: "nope", BearerToken: "x"}, nil)
	wantErr(t, err, 403, "ACL not found")
	_, _, err = anon.Login(&capi.ACLLoginParams{AuthMethod: "nomad-workloads", BearerToken: workloadJWT(t, signer, "db", "x", "consul.io")}, nil)
	wantErr(t, err, 403, "Permission denied") // only the role rule matches, and role job-db does not exist

	// Logout: only a login's token, and then it is gone.
	_, err = mgmt.Logout(nil)
	wantErr(t, err, 403, "")
	noErr(t, nil, func() error { _, err := c.ACL().Logout(nil); return err }())
	_, _, err = c.ACL().TokenReadSelf(nil)
	wantErr(t, err, 403, "ACL not found")

	// Deleting the method deletes its rules and its logins' tokens.
	_, err = mgmt.AuthMethodDelete("nomad-workloads", nil)
	noErr(t, nil, err)
	if l := must(mgmt.BindingRuleList("", nil)); len(l) != 0 {
		t.Fatalf("%d rules left", len(l))
	}
	_, _, err = mgmt.TokenRead(batch.AccessorID, nil)
	wantErr(t, err, 403, "ACL not found")
	_, _, err = mgmt.TokenRead(root.AccessorID, nil)
	noErr(t, nil, err)
}

// TestLoginWithPublicKeys: a method with JWTValidationPubKeys instead of
// a JWKS URL, binding a node identity.
func TestLoginWithPublicKeys(t *testing.T) {
	srv := start(t)
	signer, _ := issuer(t)
	root := must(srv.client(t, "").Bootstrap())
	mgmt := srv.client(t, root.SecretID)
	var pems []string
	for _, k := range signer.JWKS().Keys {
		pub, err := k.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		pems = append(pems, pemOf(t, pub))
	}
	must(mgmt.AuthMethodCreate(&capi.ACLAuthMethod{Name: "static", Type: "jwt", TokenLocality: "global", Config: map[string]any{
		"JWTValidationPubKeys": pems, "BoundAudiences": []string{"nodes"}, "ClaimMappings": map[string]string{"nomad_task": "node"}}}, nil))
	must(mgmt.BindingRuleCreate(&capi.ACLBindingRule{AuthMethod: "static", BindType: "node", BindName: "${value.node}"}, nil))
	tok := must(srv.client(t, "").Login(&capi.ACLLoginParams{AuthMethod: "static",
		BearerToken: workloadJWT(t, signer, "infra", "node-7", "nodes")}, nil))
	if tok.Local || len(tok.NodeIdentities) != 1 || tok.NodeIdentities[0].NodeName != "node-7" || tok.NodeIdentities[0].Datacenter != "dc1" {
		t.Fatalf("token %+v", tok)
	}
	if tok.ExpirationTime != nil {
		t.Fatalf("a method without MaxTokenTTL made an expiring token: %v", tok.ExpirationTime)
	}
}

func pemOf(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}
