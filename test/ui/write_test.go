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

func TestKVEditWithStaleIndexIsRefused(t *testing.T) {
	a := testagent.Start(t)
	seedCatalog(t, a, "")
	b := newBrowser(t, a.URL)
	b.open("/ui/kv/app/config")
	b.waitFor("the editor", `document.querySelector("#kv-edit textarea")`)
	// While this user edits, someone else writes the key: the page keeps the
	// user's edit (and the index it read).
	b.run("edit", chromedpSetValue("#kv-value", "mine"))
	put(t, a.URL+"/v1/kv/app/config", "", `{"debug":true}`)
	b.run("save", chromedpClick(`#kv-edit button[type=submit]`))
	b.waitFor("the refusal", `document.getElementById("flash").className.includes("bad") && document.getElementById("flash").textContent.includes("changed since")`)
	b.screenshot("kv-stale")
	if _, body := fetch(t, a.URL+"/v1/kv/app/config?raw", "", false); body != `{"debug":true}` {
		t.Fatalf("the stale edit was written: key holds %q", body)
	}
	// Reloaded, the edit goes through.
	b.open("/ui/kv/app/config")
	b.run("edit again", chromedpSetValue("#kv-value", "mine"), chromedpClick(`#kv-edit button[type=submit]`))
	b.waitFor("saved", `document.getElementById("flash").className.includes("good")`)
	if _, body := fetch(t, a.URL+"/v1/kv/app/config?raw", "", false); body != "mine" {
		t.Fatalf("the edit was not written: key holds %q", body)
	}
	if errs := b.takeErrs(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// TestReadOnlyTokenSeesNoWrites logs in with a token that may only read:
// no page offers a write, and a write sent anyway is refused with the
// server's message.
func TestReadOnlyTokenSeesNoWrites(t *testing.T) {
	a := testagent.Start(t, func(c *agent.Config) {
		c.ACL = &agent.ACLConfig{Enabled: ptr(true), DefaultPolicy: "deny", Tokens: &agent.ACLTokens{InitialManagement: orbittest.RootToken}}
	})
	seedCatalog(t, a, orbittest.RootToken)
	put(t, a.URL+"/v1/acl/policy", orbittest.RootToken, `{"Name":"reader","Rules":"key_prefix \"\" { policy = \"read\" }\nservice_prefix \"\" { policy = \"read\" }\nnode_prefix \"\" { policy = \"read\" }\nnamespace \"*\" { policy = \"read\" }"}`)
	var tok struct{ SecretID string }
	if err := json.Unmarshal([]byte(put(t, a.URL+"/v1/acl/token", orbittest.RootToken, `{"Description":"read only","Policies":[{"Name":"reader"}]}`)), &tok); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, a.URL)

	// Without a token the pages say what is missing instead of showing data.
	b.open("/ui/kv/")
	b.waitFor("no keys without a token", `!document.querySelector("#kv-list a")`)
	b.open("/ui/services")
	b.waitFor("no services without a token", `!document.querySelector("[data-service]")`)

	b.setToken(tok.SecretID)
	for _, p := range []string{"/ui/services", "/ui/kv/", "/ui/kv/app/config", "/ui/jobs", "/ui/services/web"} {
		b.open(p)
		if n := eval[int](b, `document.querySelectorAll("#content [data-write]").length`); n != 0 {
			b.screenshot("readonly-" + strings.Trim(strings.ReplaceAll(p, "/", "-"), "-"))
			t.Errorf("%s offers %d write controls to a read-only token", p, n)
		}
	}
	b.open("/ui/services")
	b.waitFor("services readable with the token", `document.querySelector('[data-service="web"]')`)
	b.open("/ui/kv/app/config")
	b.screenshot("kv-readonly")
	// A write sent anyway, with the session's token, is refused with the
	// server's own message.
	res := evalAwait[string](b, `orbit.api("PUT", "/v1/kv/app/config", "x").then(r => r.text().then(t => r.status + " " + t))`)
	if !strings.HasPrefix(res, "403 ") || !strings.Contains(res, "Permission denied") {
		t.Errorf("write with a read-only token answered %q, want 403 with the server's message", res)
	}
	if errs := b.takeErrs(); len(errs) > 0 {
		t.Logf("console (denials are expected to log failed loads): %v", errs)
	}
	code, _ := fetch(t, a.URL+"/v1/kv/app/config?raw", orbittest.RootToken, false)
	if code != http.StatusOK {
		t.Fatalf("key gone: %d", code)
	}
}

func ptr[T any](v T) *T { return &v }

const sleepJob = `job "sleeper" {
  type = "service"
  group "main" {
    count = 1
    task "sleep" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["600"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

func TestJobRunFromUIReachesRunning(t *testing.T) {
	a := testagent.Start(t)
	b := newBrowser(t, a.URL)
	b.open("/ui/jobs/-run")
	b.run("paste the job", chromedpSetValue("#job-hcl", sleepJob), chromedpClick(`button[data-do="jobPlan"]`))
	b.waitFor("the plan", `document.getElementById("plan-out").dataset.planned === "sleeper"`)
	b.screenshot("job-plan")
	b.run("run", chromedpClick("#job-submit"))
	b.waitFor("the job page", `location.pathname === "/ui/jobs/sleeper" && document.querySelector("#job-id")`)
	b.waitFor("a running allocation", `document.querySelector('[data-alloc][data-status="running"]')`)
	b.screenshot("job")
	id := eval[string](b, `document.querySelector('[data-alloc][data-status="running"]').dataset.alloc`)
	b.open("/ui/allocations/" + id)
	b.waitFor("the task's state", `document.querySelector("#content h2")`)
	b.screenshot("allocation")
	if errs := b.takeErrs(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	req, _ := http.NewRequest(http.MethodDelete, a.URL+"/v1/job/sleeper?purge=true", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}
