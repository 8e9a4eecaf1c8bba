package ui_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// getJSON reads an API path with a token into out, failing the test
// unless it answers 200.
func getJSON(t *testing.T, url, token string, out any) {
	t.Helper()
	code, body := fetch(t, url, token, false)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal([]byte(body), out); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// TestACLCreateAndEdit creates a policy, a role linking it and a token
// holding the role through the UI's forms, edits the policy, checks each
// with the ACL API, and then sees a write refused with the server's own
// message once the session's token lost its ACL permission.
func TestACLCreateAndEdit(t *testing.T) {
	a := testagent.Start(t, func(c *agent.Config) {
		c.ACL = &agent.ACLConfig{Enabled: ptr(true), DefaultPolicy: "deny", Tokens: &agent.ACLTokens{InitialManagement: orbittest.RootToken}}
	})
	root := orbittest.RootToken
	seedCatalog(t, a, root)
	b := newBrowser(t, a.URL)
	b.setToken(root)

	// A policy.
	b.open("/ui/acl/policy/-new")
	b.run("fill the policy", chromedpSetValue("#acl-name", "app-read"), chromedpSetValue("#acl-desc", "reads app"),
		chromedpSetValue("#acl-rules", `key_prefix "app/" { policy = "read" }`), chromedpClick(`button[data-do="aclSave"]`))
	b.waitFor("the policy's page", `location.pathname.startsWith("/ui/acl/policy/") && !location.pathname.endsWith("-new") && document.querySelector("#acl-rules")`)
	var pol struct{ ID, Name, Description, Rules string }
	getJSON(t, a.URL+"/v1/acl/policy/name/app-read", root, &pol)
	if pol.Description != "reads app" || !strings.Contains(pol.Rules, `key_prefix "app/"`) {
		t.Fatalf("policy created from the UI: %+v", pol)
	}
	b.screenshot("acl-policy")
	// Edit it.
	b.run("edit the policy", chromedpSetValue("#acl-desc", "reads the app's keys"), chromedpClick(`button[data-do="aclSave"]`))
	b.waitFor("saved", `document.getElementById("flash").className.includes("good")`)
	getJSON(t, a.URL+"/v1/acl/policy/"+pol.ID, root, &pol)
	if pol.Description != "reads the app's keys" {
		t.Fatalf("policy edited from the UI: description %q", pol.Description)
	}

	// A role linking the policy.
	b.open("/ui/acl/role/-new")
	b.run("fill the role", chromedpSetValue("#acl-name", "app"), chromedpSetValue("#acl-policies", "app-read"), chromedpClick(`button[data-do="aclSave"]`))
	b.waitFor("the role's page", `location.pathname.startsWith("/ui/acl/role/") && !location.pathname.endsWith("-new") && document.querySelector("#acl-policies")`)
	var role struct {
		ID       string
		Policies []struct{ ID, Name string }
	}
	getJSON(t, a.URL+"/v1/acl/role/name/app", root, &role)
	if len(role.Policies) != 1 || role.Policies[0].Name != "app-read" {
		t.Fatalf("role created from the UI links %+v, want app-read", role.Policies)
	}

	// A token holding the role: its secret is shown once, and it reads
	// what the policy allows and no more.
	b.open("/ui/acl/token/-new")
	b.run("fill the token", chromedpSetValue("#acl-desc", "made in the UI"), chromedpSetValue("#acl-roles", "app"), chromedpClick(`button[data-do="aclSave"]`))
	b.waitFor("the new token's secret", `document.getElementById("acl-secret")`)
	b.screenshot("acl-token-created")
	secret := eval[string](b, `document.getElementById("acl-secret").textContent`)
	if code, body := fetch(t, a.URL+"/v1/kv/app/config", secret, false); code != http.StatusOK {
		t.Fatalf("the UI's token may not read app/config: %d %s", code, body)
	}
	if code, _ := fetch(t, a.URL+"/v1/kv/other", secret, false); code != http.StatusForbidden && code != http.StatusNotFound {
		t.Fatalf("the UI's token reads outside app/: %d", code)
	}
	b.open("/ui/acl")
	b.waitFor("the token listed", `[...document.querySelectorAll("[data-token]")].some(r => r.textContent.includes("made in the UI"))`)
	b.waitFor("the role listed", `document.querySelector('[data-role="app"] a')`)
	b.screenshot("acl")

	// An ACL admin whose permission is taken away while the form is open:
	// the write is refused with the server's message.
	put(t, a.URL+"/v1/acl/policy", root, `{"Name":"acl-admin","Rules":"acl = \"write\""}`)
	var admin struct{ AccessorID, SecretID string }
	if err := json.Unmarshal([]byte(put(t, a.URL+"/v1/acl/token", root, `{"Description":"admin","Policies":[{"Name":"acl-admin"}]}`)), &admin); err != nil {
		t.Fatal(err)
	}
	b.setToken(admin.SecretID)
	b.open("/ui/acl/policy/-new")
	b.run("fill", chromedpSetValue("#acl-name", "late"), chromedpSetValue("#acl-rules", `key_prefix "" { policy = "read" }`))
	put(t, a.URL+"/v1/acl/token/"+admin.AccessorID, root, `{"Description":"admin, demoted","Policies":[{"Name":"app-read"}]}`)
	b.run("create", chromedpClick(`button[data-do="aclSave"]`))
	b.waitFor("the refusal", `document.getElementById("flash").className.includes("bad") && document.getElementById("flash").textContent.includes("403")`)
	msg := eval[string](b, `document.getElementById("flash").textContent`)
	if !strings.Contains(msg, "Permission denied") {
		t.Errorf("refusal shown as %q, want the server's message", msg)
	}
	b.screenshot("acl-refused")
	if code, _ := fetch(t, a.URL+"/v1/acl/policy/name/late", root, false); code == http.StatusOK {
		t.Fatal("the refused policy exists")
	}

	// Demoted, the token sees the forms without write controls.
	b.open("/ui/acl/policy/" + pol.ID)
	if n := eval[int](b, `document.querySelectorAll("#content [data-write]").length`); n != 0 {
		t.Errorf("a token without acl:write is offered %d write controls", n)
	}
	if errs := b.takeErrs(); len(errs) > 0 {
		t.Logf("console (refusals log failed loads): %v", errs)
	}
}
