// Package acl_test runs a whole agent with ACLs on (default deny) and
// checks the zero-config Consul tokens workloads get: a task whose
// identity has aud = ["consul.io"] receives a token that reads services,
// nodes and its job's KV prefix, writes only its own services, renders
// its templates with those rights, and stops working when the allocation
// stops. The workload JWT is checked against the JWKS with go-jose.
package acl_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	capi "github.com/hashicorp/consul/api"
	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

const rootToken = "3f6c1d2e-0000-4000-8000-00000000beef"

func aclAgent(t *testing.T) *testagent.Agent {
	on := true
	return testagent.Start(t, func(c *agent.Config) {
		c.ACL = &agent.ACLConfig{Enabled: &on, Tokens: &agent.ACLTokens{InitialManagement: rootToken}}
	})
}

func consulClient(t *testing.T, addr, token string) *capi.Client {
	t.Helper()
	c, err := capi.NewClient(&capi.Config{Address: addr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// workloadJob is a raw_exec task with a consul.io identity: its template
// reads the job's key, and the task calls the API with its token.
func workloadJob(out, api string) string {
	script := fmt.Sprintf(`
cp "$NOMAD_TASK_DIR/greeting.txt" %[1]s/template.txt
printf '%%s' "$CONSUL_HTTP_TOKEN" > %[1]s/env-token
curl -s -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" "http://%[2]s/v1/kv/jobs/wl/greeting?raw" > %[1]s/api-own
curl -s -o /dev/null -w '%%%%{http_code}' -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" "http://%[2]s/v1/kv/jobs/other/secret?raw" > %[1]s/api-other
curl -s -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" "http://%[2]s/v1/catalog/services" > %[1]s/api-services
touch %[1]s/done
exec sleep 3600
`, out, api)
	return fmt.Sprintf(`
job "wl" {
  datacenters = ["dc1"]
  group "wl" {
    network {
      port "http" {}
    }
    service {
      name = "wl-api"
      port = "http"
    }
    task "main" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      identity {
        aud  = ["consul.io"]
        env  = true
        file = true
      }
      template {
        data        = "greeting={{ key \"jobs/wl/greeting\" }}\n"
        destination = "local/greeting.txt"
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, script)
}

func TestWorkloadConsulToken(t *testing.T) {
	a := aclAgent(t)
	root := consulClient(t, a.Addr, rootToken)
	kv := root.KV()
	for k, v := range map[string]string{"jobs/wl/greeting": "hello", "jobs/other/secret": "s3cret", "jobs/wlx/near": "no"} {
		if _, err := kv.Put(&capi.KVPair{Key: k, Value: []byte(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	nc, err := napi.NewClient(&napi.Config{Address: a.URL, SecretID: rootToken})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	j, err := nc.Jobs().ParseHCL(workloadJob(out, a.Addr), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := nc.Jobs().Register(j, nil); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(out, name))
		return string(b)
	}
	orbittest.Eventually(t, 90*time.Second, "the task ran its API calls", func() bool { return fileExists(filepath.Join(out, "done")) })

	// The template rendered with the task's token; the task's own calls.
	if got := read("template.txt"); got != "greeting=hello\n" {
		t.Fatalf("template: %q", got)
	}
	if got := read("api-own"); got != "hello" {
		t.Fatalf("own key through the API: %q", got)
	}
	if got := read("api-other"); got != "403" {
		t.Fatalf("another job's key through the API: %q, want 403", got)
	}
	if got := read("api-services"); !strings.Contains(got, `"wl-api"`) {
		t.Fatalf("services through the API: %q", got)
	}

	// The same token is in secrets/consul_token; check its rights from here.
	allocs, _, err := nc.Jobs().Allocations("wl", false, nil)
	if err != nil || len(allocs) != 1 {
		t.Fatalf("allocations %v %v", allocs, err)
	}
	secrets := filepath.Join(a.DataDir, "client", "alloc", allocs[0].ID, "main", "secrets")
	fileToken, err := os.ReadFile(filepath.Join(secrets, "consul_token"))
	if err != nil {
		t.Fatal(err)
	}
	if string(fileToken) != read("env-token") || len(fileToken) == 0 {
		t.Fatalf("secrets/consul_token %q, CONSUL_HTTP_TOKEN %q", fileToken, read("env-token"))
	}
	tok := consulClient(t, a.Addr, string(fileToken))
	if p, _, err := tok.KV().Get("jobs/wl/greeting", nil); err != nil || p == nil || string(p.Value) != "hello" {
		t.Fatalf("own key: %v %v", p, err)
	}
	for _, k := range []string{"jobs/other/secret", "jobs/wlx/near"} {
		if _, _, err := tok.KV().Get(k, nil); !isStatus(err, 403) {
			t.Fatalf("%s: %v, want 403", k, err)
		}
	}
	if _, err := tok.KV().Put(&capi.KVPair{Key: "jobs/wl/greeting", Value: []byte("x")}, nil); !isStatus(err, 403) {
		t.Fatalf("write own key: %v, want 403", err)
	}
	if svcs, _, err := tok.Catalog().Services(nil); err != nil || svcs["wl-api"] == nil {
		t.Fatalf("services: %v %v", svcs, err)
	}
	if nodes, _, err := tok.Catalog().Nodes(nil); err != nil || len(nodes) == 0 {
		t.Fatalf("nodes: %v %v", nodes, err)
	}
	err = tok.Agent().ServiceRegister(&capi.AgentServiceRegistration{Name: "intruder", Port: 1})
	if !isStatus(err, 403) {
		t.Fatalf("register another service: %v, want 403", err)
	}
	self, _, err := tok.ACL().TokenReadSelf(nil)
	if err != nil || !self.Local || !strings.Contains(self.Description, allocs[0].ID) {
		t.Fatalf("self %+v %v", self, err)
	}

	// An operator's role job-wl adds to the token at once.
	pol, _, err := root.ACL().PolicyCreate(&capi.ACLPolicy{Name: "shared-read", Rules: `key_prefix "shared/" { policy = "read" }`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(&capi.KVPair{Key: "shared/x", Value: []byte("1")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tok.KV().Get("shared/x", nil); !isStatus(err, 403) {
		t.Fatalf("shared key before the role: %v", err)
	}
	if _, _, err := root.ACL().RoleCreate(&capi.ACLRole{Name: "job-wl", Policies: []*capi.ACLRolePolicyLink{{ID: pol.ID}}}, nil); err != nil {
		t.Fatal(err)
	}
	if p, _, err := tok.KV().Get("shared/x", nil); err != nil || p == nil {
		t.Fatalf("shared key through role job-wl: %v %v", p, err)
	}

	// The workload JWT verifies against the JWKS with go-jose.
	nomadJWT, err := os.ReadFile(filepath.Join(secrets, "nomad_token"))
	if err != nil {
		t.Fatal(err)
	}
	verifyWithJWKS(t, a.URL, string(nomadJWT), allocs[0].ID)

	// Stopping the job revokes the token.
	if _, _, err := nc.Jobs().Deregister("wl", false, nil); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 90*time.Second, "the token is revoked", func() bool {
		_, _, err := tok.KV().Get("jobs/wl/greeting", nil)
		return isStatus(err, 403) && strings.Contains(err.Error(), "ACL not found")
	})
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func isStatus(err error, code int) bool {
	var se capi.StatusError
	if errors.As(err, &se) {
		return se.Code == code
	}
	return err != nil && strings.Contains(err.Error(), fmt.Sprintf("%d", code))
}

// verifyWithJWKS checks a workload JWT with go-jose against the agent's
// /.well-known/jwks.json.
func verifyWithJWKS(t *testing.T, base, token, allocID string) {
	t.Helper()
	resp, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", tok.Headers[0].KeyID, len(keys))
	}
	var std jwt.Claims
	var nomad struct {
		Job   string `json:"nomad_job_id"`
		Alloc string `json:"nomad_allocation_id"`
		Task  string `json:"nomad_task"`
	}
	if err := tok.Claims(keys[0].Key, &std, &nomad); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{"consul.io"}, Time: time.Now()}, time.Minute); err != nil {
		t.Fatalf("claims: %v", err)
	}
	if nomad.Job != "wl" || nomad.Alloc != allocID || nomad.Task != "main" || !strings.HasSuffix(std.Subject, ":wl:wl:main:default") {
		t.Fatalf("claims %+v %+v", std, nomad)
	}
}
