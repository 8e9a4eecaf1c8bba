package agent_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// aclAgent is a non-dev agent (ACLs on, default deny) with rootToken as
// its initial management token.
func aclAgent(t *testing.T) *testagent.Agent {
	t.Helper()
	return testagent.Start(t, func(c *agent.Config) {
		c.Dev = false
		c.Server, c.Client, c.Edge = true, false, false
		c.DNSAddr = "off"
		c.ACL = &agent.ACLConfig{Tokens: &agent.ACLTokens{InitialManagement: rootToken}}
	})
}

func consulAs(t *testing.T, a *testagent.Agent, token string) *capi.Client {
	t.Helper()
	c, err := capi.NewClient(&capi.Config{Address: a.Addr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func statusOf(err error) int {
	var se capi.StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// TestACLsOnOutsideDev: outside -dev every listener enforces ACLs under
// default deny; the initial management token counts as the bootstrap and
// may do everything; tokens made with consul/api get what their policies
// say, exact key rules beating prefixes.
func TestACLsOnOutsideDev(t *testing.T) {
	a := aclAgent(t)
	anon := consulAs(t, a, "")
	_, _, err := anon.KV().Get("x", nil)
	if statusOf(err) != 403 || !strings.Contains(err.Error(), `anonymous token lacks permission 'key:read' on "x"`) {
		t.Fatalf("anonymous key read: %v", err)
	}
	_, _, err = anon.ACL().Bootstrap()
	if statusOf(err) != 403 || !strings.Contains(err.Error(), "ACL bootstrap no longer allowed (reset index: ") {
		t.Fatalf("bootstrap after initial_management: %v", err)
	}
	root := consulAs(t, a, rootToken).ACL()
	self, _, err := root.TokenReadSelf(nil)
	if err != nil || len(self.Policies) != 1 || self.Policies[0].ID != acl.GlobalManagementID {
		t.Fatalf("initial management token: %+v %v", self, err)
	}
	pol, _, err := root.PolicyCreate(&capi.ACLPolicy{Name: "app", Rules: `key_prefix "app/" { policy = "write" }
key "app/secret" { policy = "deny" }
key_prefix "app/ro/" { policy = "read" }`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := root.TokenCreate(&capi.ACLToken{Policies: []*capi.ACLTokenPolicyLink{{Name: pol.Name}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ro, _, err := root.TokenCreate(&capi.ACLToken{Policies: []*capi.ACLTokenPolicyLink{{ID: acl.GlobalReadOnlyID}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	put := func(token, key string) int {
		_, err := consulAs(t, a, token).KV().Put(&capi.KVPair{Key: key, Value: []byte("v")}, nil)
		return statusOf(err)
	}
	get := func(token, key string) int {
		_, _, err := consulAs(t, a, token).KV().Get(key, nil)
		return statusOf(err)
	}
	cases := []struct {
		name, token, op, key string
		want                 int // 0 is success
	}{
		{"management writes anywhere", rootToken, "put", "other/k", 0},
		{"prefix write", app.SecretID, "put", "app/x", 0},
		{"exact deny beats the prefix", app.SecretID, "get", "app/secret", 403},
		{"exact deny beats the prefix on write", app.SecretID, "put", "app/secret", 403},
		{"longer read prefix beats the shorter write", app.SecretID, "put", "app/ro/x", 403},
		{"longer read prefix still reads", app.SecretID, "get", "app/ro/x", 0},
		{"outside the prefix", app.SecretID, "get", "other/k", 403},
		{"read-only reads", ro.SecretID, "get", "other/k", 0},
		{"read-only does not write", ro.SecretID, "put", "other/k", 403},
		{"anonymous denied", "", "get", "other/k", 403},
		{"unknown token", "0b7f0000-0000-4000-8000-000000000000", "get", "other/k", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got int
			if c.op == "put" {
				got = put(c.token, c.key)
			} else {
				got = get(c.token, c.key)
			}
			if got != c.want {
				t.Fatalf("%s %s: status %d, want %d", c.op, c.key, got, c.want)
			}
		})
	}
	// Revoking a token takes effect at once (the cache follows the view).
	if _, err := root.TokenDelete(app.AccessorID, nil); err != nil {
		t.Fatal(err)
	}
	if got := get(app.SecretID, "app/x"); got != 403 {
		t.Fatalf("deleted token: %d, want 403", got)
	}
}

// TestDevKeepsACLsOff: -dev is a one-command start with ACLs off unless
// configured; /v1/acl/* says so.
func TestDevKeepsACLsOff(t *testing.T) {
	a := testagent.Start(t)
	c := consulAs(t, a, "")
	if _, err := c.KV().Put(&capi.KVPair{Key: "k", Value: []byte("v")}, nil); err != nil {
		t.Fatalf("dev write without a token: %v", err)
	}
	_, _, err := c.ACL().PolicyList(nil)
	if statusOf(err) != 401 || !strings.Contains(err.Error(), "ACL support disabled") {
		t.Fatalf("dev /v1/acl/policies: %v", err)
	}
}

// TestACLsOffIsLogged: acl { enabled = false } in the HCL file turns ACLs
// off outside -dev and says so at every start.
func TestACLsOffIsLogged(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "agent.hcl")
	if err := os.WriteFile(file, []byte(`
acl {
  enabled        = false
  default_policy = "deny"
  down_policy    = "extend-cache"
  token_ttl      = "30s"
  tokens {
    initial_management = "x"
    agent              = "y"
    default            = ""
  }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < 2; start++ {
		cfg, err := agent.ParseFlags([]string{"-config", file, "-data-dir", filepath.Join(dir, "data"), "-node", "n1",
			"-http-addr", "127.0.0.1:0", "-dns-addr", "off", "-server"}, flag.NewFlagSet("agent", flag.ContinueOnError))
		if err != nil {
			t.Fatal(err)
		}
		var logs orbittest.SyncBuffer
		a, err := agent.New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		select {
		case <-a.Started():
		case err := <-done:
			cancel()
			t.Fatalf("agent stopped during start: %v", err)
		case <-time.After(60 * time.Second):
			cancel()
			t.Fatal("agent did not start in 60s")
		}
		_, err = consulAs(t, &testagent.Agent{Addr: a.HTTPAddr().String()}, "").KV().Put(&capi.KVPair{Key: "k"}, nil)
		cancel()
		if rerr := <-done; rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			t.Fatalf("start %d: write without a token with ACLs off: %v", start, err)
		}
		if !strings.Contains(logs.String(), "level=WARN msg=\"ACLs are disabled") {
			t.Fatalf("start %d: no warning in\n%s", start, logs.String())
		}
	}
}

func TestACLConfigErrors(t *testing.T) {
	for _, c := range []agent.ACLConfig{{DefaultPolicy: "maybe"}, {DownPolicy: "panic"}, {TokenTTL: "soon"}} {
		cfg := &agent.Config{Dev: true, ACL: &c}
		if _, err := agent.New(cfg, nil); err == nil || !strings.Contains(err.Error(), "acl ") {
			t.Errorf("%+v: %v, want an error naming the acl setting", c, err)
		}
	}
}

// TestListsFilteredByACLs: catalog, health and KV lists keep what the
// token may read and say so with X-Consul-Results-Filtered-By-ACLs, as
// Consul does, instead of refusing the whole list.
func TestListsFilteredByACLs(t *testing.T) {
	a := aclAgent(t)
	root := consulAs(t, a, rootToken)
	for _, svc := range []string{"web", "db"} {
		if err := root.Agent().ServiceRegister(&capi.AgentServiceRegistration{ID: svc, Name: svc}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"app/a", "app/b", "other/c"} {
		if _, err := root.KV().Put(&capi.KVPair{Key: k, Value: []byte("v")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	pol, _, err := root.ACL().PolicyCreate(&capi.ACLPolicy{Name: "narrow", Rules: `service "web" { policy = "read" }
node "elsewhere" { policy = "read" }
key_prefix "app/" { policy = "read" }`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := root.ACL().TokenCreate(&capi.ACLToken{Policies: []*capi.ACLTokenPolicyLink{{ID: pol.ID}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	get := func(token, path string) (int, string, string) {
		req, _ := http.NewRequest("GET", a.URL+path, nil)
		req.Header.Set("X-Consul-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b)), resp.Header.Get("X-Consul-Results-Filtered-By-ACLs")
	}
	cases := []struct {
		name, token, path string
		code              int
		body, filtered    string
	}{
		{"services, narrow", tok.SecretID, "/v1/catalog/services", 200, `{"web":[]}`, "true"},
		{"services, management", rootToken, "/v1/catalog/services", 200, `{"consul":[],"db":[],"web":[]}`, ""},
		{"services, anonymous", "", "/v1/catalog/services", 200, `{}`, "true"},
		{"nodes, narrow", tok.SecretID, "/v1/catalog/nodes", 200, `[]`, "true"},
		{"health of web, its node unreadable", tok.SecretID, "/v1/health/service/web", 200, `[]`, "true"},
		{"kv recurse, narrow", tok.SecretID, "/v1/kv/?recurse", 200, "", "true"},
		{"kv keys, narrow", tok.SecretID, "/v1/kv/?keys", 200, `["app/a","app/b"]`, "true"},
		{"kv keys, management", rootToken, "/v1/kv/?keys", 200, `["app/a","app/b","other/c"]`, ""},
		{"kv keys, nothing readable", tok.SecretID, "/v1/kv/other/?keys", 404, "", "true"},
		{"unknown token", "0b7f0000-0000-4000-8000-000000000000", "/v1/catalog/services", 403, "ACL not found", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body, filtered := get(c.token, c.path)
			if code != c.code || (c.body != "" && body != c.body) || filtered != c.filtered {
				t.Fatalf("%d %s (filtered %q), want %d %s (filtered %q)", code, body, filtered, c.code, c.body, c.filtered)
			}
			if strings.Contains(c.path, "recurse") && (strings.Contains(body, "other/c") || !strings.Contains(body, "app/b")) {
				t.Fatalf("recurse answer %s", body)
			}
		})
	}
}
