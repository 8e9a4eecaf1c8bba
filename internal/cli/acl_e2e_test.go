package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// aclAgent starts a real agent with ACLs on and default deny.
func aclAgent(t *testing.T) *testagent.Agent {
	t.Helper()
	on := true
	return testagent.Start(t, func(c *agent.Config) {
		c.ACL = &agent.ACLConfig{Enabled: &on, DefaultPolicy: "deny"}
	})
}

// orbit runs one command against a with token (none when ""), as a shell
// with ORBIT_ADDR and ORBIT_TOKEN set would.
func orbit(t *testing.T, a *testagent.Agent, token, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"ORBIT_ADDR": a.Addr, "ORBIT_TOKEN": token}
	e := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin), Getenv: func(k string) string { return env[k] }}
	code := runEnv(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// must runs a command that must succeed and returns its output.
func must(t *testing.T, a *testagent.Agent, token string, args ...string) string {
	t.Helper()
	code, out, errs := orbit(t, a, token, "", args...)
	if code != 0 {
		t.Fatalf("orbit %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// refused runs a command that must fail and returns its stderr.
func refused(t *testing.T, a *testagent.Agent, token string, args ...string) string {
	t.Helper()
	code, out, errs := orbit(t, a, token, "", args...)
	if code != 1 {
		t.Fatalf("orbit %s: exit %d, want 1\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return errs
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

// TestACLCommandsAgainstAgent drives every orbit acl command against a
// real agent with ACLs on, and checks what they did through the agent.
func TestACLCommandsAgainstAgent(t *testing.T) {
	a := aclAgent(t)

	// Before bootstrap, anonymous is denied and told what to do.
	if errs := refused(t, a, "", "acl", "token", "list"); !strings.Contains(errs, "Permission denied") || !strings.Contains(errs, "-token or ORBIT_TOKEN") {
		t.Fatalf("anonymous list: %s", errs)
	}
	root := decodeJSON[acl.Token](t, must(t, a, "", "acl", "bootstrap", "-format", "json"))
	if root.SecretID == "" || len(root.Policies) != 1 || root.Policies[0].ID != acl.GlobalManagementID {
		t.Fatalf("bootstrap token %+v", root)
	}
	if errs := refused(t, a, "", "acl", "bootstrap"); !strings.Contains(errs, "ACL bootstrap no longer allowed") || !strings.Contains(errs, "acl-bootstrap-reset") {
		t.Fatalf("second bootstrap: %s", errs)
	}
	mgmt := root.SecretID
	if out := must(t, a, mgmt, "acl", "token", "read", "-self"); !strings.Contains(out, root.AccessorID) || !strings.Contains(out, "global-management") {
		t.Fatalf("read -self:\n%s", out)
	}

	// Policies: create from a file, read, list, update what is given.
	rules := filepath.Join(t.TempDir(), "app.hcl")
	os.WriteFile(rules, []byte("key_prefix \"app/\" {\n  policy = \"read\"\n}\n"), 0o600)
	pol := decodeJSON[acl.Policy](t, must(t, a, mgmt, "acl", "policy", "create", "-name", "app-read", "-description", "read app config",
		"-rules", "@"+rules, "-format", "json"))
	if out := must(t, a, mgmt, "acl", "policy", "read", "-name", "app-read"); !strings.Contains(out, `key_prefix "app/"`) || !strings.Contains(out, "read app config") {
		t.Fatalf("policy read:\n%s", out)
	}
	if out := must(t, a, mgmt, "acl", "policy", "list"); !strings.Contains(out, "app-read") || !strings.Contains(out, "global-management") {
		t.Fatalf("policy list:\n%s", out)
	}
	must(t, a, mgmt, "acl", "policy", "update", "-id", pol.ID[:8], "-description", "app config, read only")
	if p := decodeJSON[acl.Policy](t, must(t, a, mgmt, "acl", "policy", "read", "-id", pol.ID, "-format", "json")); p.Description != "app config, read only" || !strings.Contains(p.Rules, "app/") {
		t.Fatalf("policy after update: %+v", p)
	}
	writeRules := "key_prefix \"app/\" {\n  policy = \"write\"\n}\n"
	code, _, errs := orbit(t, a, mgmt, writeRules, "acl", "policy", "create", "-name", "app-write", "-rules", "-")
	if code != 0 {
		t.Fatalf("policy create from stdin: %s", errs)
	}
	if errs := refused(t, a, mgmt, "acl", "policy", "create", "-name", "bad", "-rules", "key_prefix {"); !strings.Contains(errs, "400") {
		t.Fatalf("bad rules: %s", errs)
	}

	// Roles.
	must(t, a, mgmt, "acl", "role", "create", "-name", "job-web", "-description", "web", "-policy-name", "app-write")
	if out := must(t, a, mgmt, "acl", "role", "list"); !strings.Contains(out, "job-web") || !strings.Contains(out, "app-write") {
		t.Fatalf("role list:\n%s", out)
	}
	must(t, a, mgmt, "acl", "role", "update", "-name", "job-web", "-description", "the web job")
	if r := decodeJSON[acl.Role](t, must(t, a, mgmt, "acl", "role", "read", "-name", "job-web", "-format", "json")); r.Description != "the web job" || len(r.Policies) != 1 || r.Policies[0].Name != "app-write" {
		t.Fatalf("role after update: %+v", r)
	}

	// Tokens: what a token may do is what its links say.
	tok := decodeJSON[acl.Token](t, must(t, a, mgmt, "acl", "token", "create", "-description", "app", "-policy-name", "app-read", "-format", "json"))
	must(t, a, mgmt, "kv", "put", "app/db", "postgres://db")
	if out := must(t, a, tok.SecretID, "kv", "get", "app/db"); out != "postgres://db\n" {
		t.Fatalf("kv get with the app token: %q", out)
	}
	if errs := refused(t, a, tok.SecretID, "kv", "put", "app/db", "x"); !strings.Contains(errs, "403") {
		t.Fatalf("kv put with a read token: %s", errs)
	}
	if errs := refused(t, a, tok.SecretID, "acl", "token", "list"); !strings.Contains(errs, "Permission denied") {
		t.Fatalf("token list with the app token: %s", errs)
	}
	if out := must(t, a, mgmt, "acl", "token", "list"); !strings.Contains(out, tok.AccessorID) || !strings.Contains(out, "app-read") {
		t.Fatalf("token list:\n%s", out)
	}
	must(t, a, mgmt, "acl", "token", "update", "-id", tok.AccessorID[:8], "-append-role-name", "job-web")
	up := decodeJSON[acl.Token](t, must(t, a, mgmt, "acl", "token", "read", "-id", tok.AccessorID, "-format", "json"))
	if up.Description != "app" || len(up.Policies) != 1 || len(up.Roles) != 1 || up.Roles[0].Name != "job-web" {
		t.Fatalf("token after update: %+v", up)
	}
	must(t, a, tok.SecretID, "kv", "put", "app/db", "through the role")
	clone := decodeJSON[acl.Token](t, must(t, a, mgmt, "acl", "token", "clone", "-id", tok.AccessorID, "-description", "copy", "-format", "json"))
	if clone.AccessorID == tok.AccessorID || clone.SecretID == tok.SecretID || clone.Description != "copy" || len(clone.Roles) != 1 {
		t.Fatalf("clone %+v", clone)
	}

	// Deletes, and what is gone is refused.
	if out := must(t, a, mgmt, "acl", "token", "delete", "-id", tok.AccessorID); !strings.Contains(out, "deleted successfully") {
		t.Fatalf("token delete: %s", out)
	}
	if errs := refused(t, a, tok.SecretID, "kv", "get", "app/db"); !strings.Contains(errs, "ACL not found") {
		t.Fatalf("deleted token: %s", errs)
	}
	must(t, a, mgmt, "acl", "token", "delete", "-id", clone.AccessorID)
	must(t, a, mgmt, "acl", "role", "delete", "-name", "job-web")
	must(t, a, mgmt, "acl", "policy", "delete", "-name", "app-read")
	refused(t, a, mgmt, "acl", "policy", "read", "-name", "app-read")
	refused(t, a, mgmt, "acl", "role", "read", "-name", "job-web")
	if errs := refused(t, a, mgmt, "acl", "token", "read", "-id", "ffffffff"); !strings.Contains(errs, "no token ID starts with") {
		t.Fatalf("unknown prefix: %s", errs)
	}
}
