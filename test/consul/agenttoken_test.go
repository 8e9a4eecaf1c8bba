package consul_test

import (
	"net/http"
	"strings"
	"testing"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// TestAgentTokenUpdate sets the agent's tokens through consul/api: every
// token name is accepted with agent:write, an unknown one is a 404, and
// the default token set at runtime is what tokenless requests carry.
func TestAgentTokenUpdate(t *testing.T) {
	const root = "3f6c1d2e-0000-4000-8000-00000000cafe"
	on := true
	a := testagent.Start(t, func(c *agent.Config) {
		c.ACL = &agent.ACLConfig{Enabled: &on, Tokens: &agent.ACLTokens{InitialManagement: root}}
	})
	addr := a.HTTPAddr().String()
	c, err := capi.NewClient(&capi.Config{Address: addr, Token: root})
	if err != nil {
		t.Fatal(err)
	}
	anon, err := capi.NewClient(&capi.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.KV().Put(&capi.KVPair{Key: "k", Value: []byte("v")}, nil); err == nil {
		t.Fatal("anonymous write allowed before the default token is set")
	}
	if _, err := anon.Agent().UpdateDefaultACLToken(root, nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("anonymous token update: %v", err)
	}
	ag := c.Agent()
	for name, update := range map[string]func(string, *capi.WriteOptions) (*capi.WriteMeta, error){
		"agent": ag.UpdateAgentACLToken, "recovery": ag.UpdateAgentRecoveryACLToken, "master": ag.UpdateAgentMasterACLToken,
		"replication": ag.UpdateReplicationACLToken, "config file": ag.UpdateConfigFileRegistrationToken, "dns": ag.UpdateDNSToken,
		"default": ag.UpdateDefaultACLToken,
	} {
		if _, err := update(root, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := anon.KV().Put(&capi.KVPair{Key: "k", Value: []byte("v")}, nil); err != nil {
		t.Fatalf("a tokenless write does not carry the default token: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPut, "http://"+addr+"/v1/agent/token/nope", strings.NewReader(`{"Token":"x"}`))
	req.Header.Set("X-Consul-Token", root)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown token type: %d", resp.StatusCode)
	}

	// With ACLs off, Consul answers that ACL support is disabled.
	plain := testagent.Start(t)
	if code, body := do(t, http.MethodPut, "http://"+plain.HTTPAddr().String()+"/v1/agent/token/default", `{"Token":"x"}`); code != http.StatusUnauthorized || !strings.Contains(body, "ACL support disabled") {
		t.Fatalf("ACLs off: %d %q", code, body)
	}
}
