package aclapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/aclapi"
	"github.com/orbit/orbit/internal/aclresolve"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

// server serves the ACL endpoints over a real store and view, enforced by
// the real resolver under default deny.
type server struct {
	url       string
	resetFile string
}

func start(t *testing.T) server { return startWith(t, true) }

func startWith(t *testing.T, enabled bool) server {
	t.Helper()
	s := orbittest.NewStore(t)
	v := orbittest.NewView(t, s)
	ctx := context.Background()
	rev, err := s.InitACL(ctx, acl.Builtins(), &acl.Token{AccessorID: acl.AnonymousTokenID, SecretID: acl.AnonymousSecret,
		Description: "Anonymous Token"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.WaitRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	res, err := aclresolve.New(aclresolve.Config{}, aclresolve.Deps{Tables: v, Secrets: s,
		IsNotFound: func(err error) bool { return errors.Is(err, store.ErrNotFound) }})
	if err != nil {
		t.Fatal(err)
	}
	reset := filepath.Join(t.TempDir(), "acl-bootstrap-reset")
	h, err := aclapi.New(aclapi.Config{Enabled: enabled, ResetFile: reset},
		aclapi.Deps{View: v, Store: s, Self: res, Authorizer: acl.Enforcer{Tokens: res}, Logger: orbittest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return server{url: srv.URL, resetFile: reset}
}

func (s server) client(t *testing.T, token string) *capi.ACL {
	t.Helper()
	c, err := capi.NewClient(&capi.Config{Address: strings.TrimPrefix(s.url, "http://"), Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c.ACL()
}

// must returns a consul/api call's value; a failed call panics, which
// fails the test with the call's stack.
func must[T, M any](v T, _ M, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func noErr(t *testing.T, _ any, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err error, code int, text string) {
	t.Helper()
	var se capi.StatusError
	if !errors.As(err, &se) || se.Code != code || !strings.Contains(se.Body, text) {
		t.Fatalf("error %v, want %d %q", err, code, text)
	}
}

// TestConsulClientFlow: bootstrap, policy, role, token create, read, self,
// clone, update, list filters and delete with the real consul/api client.
func TestConsulClientFlow(t *testing.T) {
	srv := start(t)
	anon := srv.client(t, "")
	_, _, err := anon.TokenList(nil)
	wantErr(t, err, 403, "Permission denied: anonymous token lacks permission 'acl:read'. The anonymous token is used implicitly")

	root := must(anon.Bootstrap())
	if root.SecretID == "" || len(root.Policies) != 1 || root.Policies[0].ID != acl.GlobalManagementID ||
		root.Policies[0].Name != "global-management" || root.CreateIndex == 0 || len(root.Hash) == 0 {
		t.Fatalf("bootstrap token %+v", root)
	}
	_, _, err = anon.Bootstrap()
	wantErr(t, err, 403, fmt.Sprintf("ACL bootstrap no longer allowed (reset index: %d)", root.CreateIndex))

	mgmt := srv.client(t, root.SecretID)
	pol := must(mgmt.PolicyCreate(&capi.ACLPolicy{Name: "kv-app", Description: "app keys",
		Rules: `key_prefix "app/" { policy = "write" }`}, nil))
	if pol.ID == "" || pol.CreateIndex == 0 || len(pol.Hash) == 0 {
		t.Fatalf("policy %+v", pol)
	}
	_, _, err = mgmt.PolicyCreate(&capi.ACLPolicy{Name: "kv-app"}, nil)
	wantErr(t, err, 400, `A Policy with Name "kv-app" already exists`)
	_, _, err = mgmt.PolicyCreate(&capi.ACLPolicy{Name: "bad", Rules: "key_prefix \"\" {\n  policy = \"wirte\"\n}"}, nil)
	wantErr(t, err, 400, `bad:2:`)
	if got := must(mgmt.PolicyReadByName("kv-app", nil)); got.ID != pol.ID || got.Rules != pol.Rules {
		t.Fatalf("policy by name %+v", got)
	}
	if got, _, err := mgmt.PolicyReadByName("nope", nil); got != nil || err != nil {
		t.Fatalf("missing policy by name: %+v %v", got, err)
	}
	names := []string{}
	for _, p := range must(mgmt.PolicyList(nil)) {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "builtin/global-read-only,global-management,kv-app" {
		t.Fatalf("policies %v", names)
	}

	role := must(mgmt.RoleCreate(&capi.ACLRole{Name: "app", Policies: []*capi.ACLRolePolicyLink{{Name: "kv-app"}}}, nil))
	if len(role.Policies) != 1 || role.Policies[0].ID != pol.ID {
		t.Fatalf("role %+v", role)
	}
	if got := must(mgmt.RoleReadByName("app", nil)); got == nil || got.ID != role.ID {
		t.Fatalf("role by name %+v", got)
	}

	tok := must(mgmt.TokenCreate(&capi.ACLToken{Description: "app token", Roles: []*capi.ACLTokenRoleLink{{Name: "app"}}}, nil))
	read := must(mgmt.TokenRead(tok.AccessorID, nil))
	if read.SecretID != tok.SecretID || read.Description != "app token" || len(read.Roles) != 1 || read.Roles[0].ID != role.ID {
		t.Fatalf("token read %+v", read)
	}
	self := must(srv.client(t, tok.SecretID).TokenReadSelf(nil))
	if self.AccessorID != tok.AccessorID {
		t.Fatalf("self %+v", self)
	}
	clone := must(mgmt.TokenClone(tok.AccessorID, "clone", nil))
	if clone.AccessorID == tok.AccessorID || clone.SecretID == tok.SecretID || clone.Description != "clone" || len(clone.Roles) != 1 {
		t.Fatalf("clone %+v", clone)
	}
	read.Policies = []*capi.ACLTokenPolicyLink{{ID: acl.GlobalReadOnlyID}}
	upd := must(mgmt.TokenUpdate(read, nil))
	if len(upd.Policies) != 1 || upd.Policies[0].Name != "builtin/global-read-only" || upd.ModifyIndex <= read.ModifyIndex ||
		string(upd.Hash) == string(read.Hash) {
		t.Fatalf("update %+v", upd)
	}
	read.SecretID = "6ad2c6a4-0000-4000-8000-000000000000"
	_, _, err = mgmt.TokenUpdate(read, nil)
	wantErr(t, err, 400, "Changing a token's SecretID is not permitted")

	byRole := must(mgmt.TokenListFiltered(capi.ACLTokenFilterOptions{Role: role.ID}, nil))
	if len(byRole) != 2 {
		t.Fatalf("%d tokens with role app, want 2", len(byRole))
	}
	byPolicy := must(mgmt.TokenListFiltered(capi.ACLTokenFilterOptions{Policy: acl.GlobalManagementID}, nil))
	if len(byPolicy) != 1 || byPolicy[0].AccessorID != root.AccessorID || byPolicy[0].SecretID != root.SecretID {
		t.Fatalf("tokens with global-management: %+v", byPolicy)
	}
	_, _, err = mgmt.TokenListFiltered(capi.ACLTokenFilterOptions{Role: role.ID, Policy: pol.ID}, nil)
	wantErr(t, err, 400, "can only filter by one of policy, role, serviceName, or authMethod at once")

	w, err := mgmt.TokenDelete(tok.AccessorID, nil)
	noErr(t, w, err)
	_, _, err = mgmt.TokenRead(tok.AccessorID, nil)
	wantErr(t, err, 403, "ACL not found")
	_, _, err = srv.client(t, tok.SecretID).TokenReadSelf(nil)
	wantErr(t, err, 403, "ACL not found")
	w, err = mgmt.RoleDelete(role.ID, nil)
	noErr(t, w, err)
	if got, _, err := mgmt.RoleRead(role.ID, nil); got != nil || err != nil {
		t.Fatalf("deleted role: %+v %v", got, err)
	}
	_, err = mgmt.PolicyDelete(acl.GlobalManagementID, nil)
	wantErr(t, err, 400, "") // consul/api drops the body of a failed delete

	// The reset index allows exactly one more bootstrap.
	if err := os.WriteFile(srv.resetFile, []byte(fmt.Sprint(root.CreateIndex)), 0o600); err != nil {
		t.Fatal(err)
	}
	again := must(anon.Bootstrap())
	if again.AccessorID == root.AccessorID {
		t.Fatal("reset bootstrap returned the old token")
	}
	if _, err := os.Stat(srv.resetFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reset file still there: %v", err)
	}
	_, _, err = anon.Bootstrap()
	wantErr(t, err, 403, "ACL bootstrap no longer allowed")
}

// TestAuthorizationMatrix: which tokens may use which ACL endpoints under
// default deny.
func TestAuthorizationMatrix(t *testing.T) {
	srv := start(t)
	root := must(srv.client(t, "").Bootstrap())
	mgmt := srv.client(t, root.SecretID)
	ro := must(mgmt.TokenCreate(&capi.ACLToken{Policies: []*capi.ACLTokenPolicyLink{{ID: acl.GlobalReadOnlyID}}}, nil))
	kvp := must(mgmt.PolicyCreate(&capi.ACLPolicy{Name: "kv", Rules: `key_prefix "" { policy = "write" }`}, nil))
	kv := must(mgmt.TokenCreate(&capi.ACLToken{Policies: []*capi.ACLTokenPolicyLink{{ID: kvp.ID}}}, nil))
	tokens := map[string]string{"anonymous": "", "read-only": ro.SecretID, "management": root.SecretID, "kv": kv.SecretID,
		"unknown": "9c1e56e4-0000-4000-8000-000000000000"}
	endpoints := []struct {
		method, path, body string
		want               map[string]int // token → status; missing means 403
	}{
		{"GET", "/v1/acl/tokens", "", map[string]int{"read-only": 200, "management": 200}},
		{"GET", "/v1/acl/token/" + ro.AccessorID, "", map[string]int{"read-only": 200, "management": 200}},
		{"GET", "/v1/acl/token/self", "", map[string]int{"anonymous": 200, "read-only": 200, "management": 200, "kv": 200}},
		{"GET", "/v1/acl/policies", "", map[string]int{"read-only": 200, "management": 200}},
		{"GET", "/v1/acl/policy/" + acl.GlobalManagementID, "", map[string]int{"read-only": 200, "management": 200}},
		{"GET", "/v1/acl/policy/name/kv", "", map[string]int{"read-only": 200, "management": 200}},
		{"GET", "/v1/acl/roles", "", map[string]int{"read-only": 200, "management": 200}},
		{"PUT", "/v1/acl/policy", `{"Name":"p-%s"}`, map[string]int{"management": 200}},
		{"PUT", "/v1/acl/role", `{"Name":"r-%s"}`, map[string]int{"management": 200}},
		{"PUT", "/v1/acl/token", `{}`, map[string]int{"management": 200}},
		{"DELETE", "/v1/acl/token/" + kv.AccessorID, "", map[string]int{"management": 200}},
	}
	for _, e := range endpoints {
		for name, secret := range tokens {
			if name == "management" && e.method == "DELETE" {
				continue // would remove a token the others use
			}
			t.Run(e.method+" "+e.path+" as "+name, func(t *testing.T) {
				body := e.body
				if strings.Contains(body, "%s") {
					body = fmt.Sprintf(body, strings.ReplaceAll(name, "-", ""))
				}
				req, err := http.NewRequest(e.method, srv.url+e.path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if secret != "" {
					req.Header.Set("X-Consul-Token", secret)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				want := e.want[name]
				if want == 0 {
					want = 403
				}
				if resp.StatusCode != want {
					t.Fatalf("%d %s, want %d", resp.StatusCode, b, want)
				}
				switch {
				case want == 403 && name == "unknown":
					if string(b) != "ACL not found\n" {
						t.Fatalf("body %q", b)
					}
				case want == 403 && !strings.HasPrefix(string(b), "Permission denied: "):
					t.Fatalf("body %q", b)
				case e.path == "/v1/acl/tokens" && name == "read-only" && strings.Contains(string(b), root.SecretID):
					t.Fatalf("a read-only token sees secrets: %s", b)
				}
			})
		}
	}
}

// TestDisabled: with ACLs off every endpoint answers 401 as Consul's.
func TestDisabled(t *testing.T) {
	srv := startWith(t, false)
	_, _, err := srv.client(t, "").Bootstrap()
	wantErr(t, err, 401, "ACL support disabled")
	_, _, err = srv.client(t, "").PolicyList(nil)
	wantErr(t, err, 401, "ACL support disabled")
}

// TestBlockingList: a list with ?index= waits for the next ACL change.
func TestBlockingList(t *testing.T) {
	srv := start(t)
	root := must(srv.client(t, "").Bootstrap())
	mgmt := srv.client(t, root.SecretID)
	_, meta, err := mgmt.PolicyList(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []*capi.ACLPolicyListEntry, 1)
	go func() {
		l, _, err := mgmt.PolicyList(&capi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: time.Minute})
		if err != nil {
			t.Error(err)
		}
		done <- l
	}()
	must(mgmt.PolicyCreate(&capi.ACLPolicy{Name: "late"}, nil))
	select {
	case l := <-done:
		if len(l) != 3 {
			t.Fatalf("blocking list returned %d policies, want 3", len(l))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("blocking list did not return after a change")
	}
}
