package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
	"github.com/orbit/orbit/internal/report/reporttest"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the orbit audit example of internal/policy/README.md")

// put sends a registration to the agent's HTTP API.
func put(t *testing.T, a *testagent.Agent, path, body string) {
	t.Helper()
	c := &apiClient{base: a.URL, http: &http.Client{Timeout: 30 * time.Second}}
	if _, err := c.do(context.Background(), "PUT", path, []byte(body), nil); err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
}

// runAudit runs cmdAudit against the agent and returns its exit status,
// stdout and stderr.
func runAudit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	code := cmdAudit(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// registerFleet registers, on the agent's node, a clean service with two
// instances (api), an excepted static port (legacy) and a routed service
// that breaks every instance rule (web); and on an external node a service
// whose only instance is critical (db).
func registerFleet(t *testing.T, a *testagent.Agent) {
	t.Helper()
	for _, id := range []string{"api-1", "api-2"} {
		put(t, a, "/v1/agent/service/register", `{"ID":"`+id+`","Name":"api","Port":2400`+id[4:]+`,
			"Meta":{"orbit-identity-aud":"consul.io"},"Check":{"TTL":"1h","Status":"passing"}}`)
	}
	put(t, a, "/v1/agent/service/register", `{"ID":"legacy-1","Name":"legacy","Port":8443,
		"Meta":{"orbit-identity-aud":"consul.io","orbit-exception-dynamic-ports":"legacy: the appliance only speaks 8443"},
		"Check":{"TTL":"1h","Status":"passing"}}`)
	put(t, a, "/v1/agent/service/register", `{"ID":"web-1","Name":"web","Port":8080,
		"Tags":["traefik.enable=true","traefik.http.routers.web.rule=Host(`+"`web.lab`"+`)"]}`)
	put(t, a, "/v1/catalog/register", `{"Node":"ext1","Address":"127.0.0.2",
		"Service":{"ID":"db-1","Service":"db","Port":25432,"Meta":{"orbit-identity-aud":"consul.io"}},
		"Checks":[{"CheckID":"db-alive","Name":"db alive","Status":"critical","ServiceID":"db-1"}]}`)
}

func TestAuditEndToEnd(t *testing.T) {
	a := testagent.Start(t)
	registerFleet(t, a)

	t.Run("text", func(t *testing.T) {
		code, stdout, stderr := runAudit(t, "--address", a.Addr)
		if code != 1 {
			t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		want := []string{
			`agent "node1": warning: [acl] ACLs are disabled`,
			`service "db": warning: [ha-count] all 1 instance(s) are critical`,
			`service "legacy" instance "legacy-1" on node "node1": info: [dynamic-ports] port 8443 is outside`,
			`service "web" instance "web-1" on node "node1": error: [dynamic-ports] port 8080 is outside the dynamic range 20000-32000`,
			`service "web" instance "web-1" on node "node1": error: [health-check] no health check of its own`,
			`service "web" instance "web-1" on node "node1": error: [service-identity] registered without a workload identity: add an identity { aud = ["consul.io"] } block`,
			`service "web": warning: [ha-count] user-facing (traefik.enable=true) but runs 1 instance(s)`,
			`5 instances checked: 3 errors, 3 warnings, 1 excepted`,
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != len(want) {
			t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), stdout)
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("line %d:\n  %s\nwant prefix:\n  %s", i+1, lines[i], w)
			}
		}
		if !strings.Contains(lines[2], "(excepted: legacy: the appliance only speaks 8443)") {
			t.Errorf("excepted finding without its reason: %s", lines[2])
		}
		// The README's audit example is this output.
		reporttest.CheckExample(t, filepath.Join("..", "policy", "README.md"), "$ orbit audit",
			"$ orbit audit\n"+stdout+"$ echo $?\n1\n", *updateREADME)
	})

	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := runAudit(t, "-format", "json", "--address", a.URL)
		if code != 1 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var out []map[string]any
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("not a JSON array: %v\n%s", err, stdout)
		}
		if len(out) != 7 {
			t.Fatalf("%d findings, want 7:\n%s", len(out), stdout)
		}
		for _, f := range out {
			if len(f) != 4 || f["rule"] == "" || f["severity"] == "" || f["resource"] == "" || f["message"] == "" {
				t.Errorf("finding %v: want exactly rule, severity, resource, message", f)
			}
		}
		if out[3]["rule"] != "dynamic-ports" || out[3]["resource"] != `service "web" instance "web-1" on node "node1"` || out[3]["severity"] != "error" {
			t.Errorf("finding 4: %v", out[3])
		}
	})

	t.Run("sarif", func(t *testing.T) {
		code, stdout, stderr := runAudit(t, "--format=sarif", "--address", a.Addr)
		if code != 1 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if err := reporttest.CheckSARIF([]byte(stdout)); err != nil {
			t.Fatalf("SARIF: %v\n%s", err, stdout)
		}
		var doc struct {
			Runs []struct {
				Tool struct {
					Driver struct {
						Rules []struct{ ID string }
					}
				}
				Results []struct {
					RuleID    string
					Level     string
					Locations []struct {
						PhysicalLocation json.RawMessage
						LogicalLocations []struct{ FullyQualifiedName, Kind string }
					}
					Suppressions []struct{ Kind, Justification string }
				}
			}
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		if n := len(doc.Runs[0].Tool.Driver.Rules); n != 5 {
			t.Errorf("%d rules, want the audit's 5", n)
		}
		res := doc.Runs[0].Results
		if len(res) != 7 {
			t.Fatalf("%d results", len(res))
		}
		for _, r := range res {
			if len(r.Locations) != 1 || r.Locations[0].PhysicalLocation != nil || len(r.Locations[0].LogicalLocations) != 1 ||
				r.Locations[0].LogicalLocations[0].Kind != "resource" || r.Locations[0].LogicalLocations[0].FullyQualifiedName == "" {
				t.Errorf("result %s: locations %+v, want one logical location", r.RuleID, r.Locations)
			}
		}
		if r := res[2]; r.Level != "note" || len(r.Suppressions) != 1 || r.Suppressions[0].Justification != "legacy: the appliance only speaks 8443" {
			t.Errorf("excepted result %+v", r)
		}
	})

	t.Run("policy file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "policy.hcl")
		src := "rule \"dynamic-ports\" {\n  allowed_ports = [8080, 53]\n}\nrule \"health-check\" {\n  enabled = false\n}\nrule \"service-identity\" {\n  severity = \"warning\"\n}\n"
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runAudit(t, "-policy", p, "--address", a.Addr)
		if code != 0 {
			t.Fatalf("exit %d, want 0 (no errors left)\n%s%s", code, stdout, stderr)
		}
		if strings.Contains(stdout, "[health-check]") || strings.Contains(stdout, "error:") || !strings.Contains(stdout, "warning: [service-identity]") {
			t.Errorf("policy not applied:\n%s", stdout)
		}
	})
}

func TestAuditCleanClusterExitsZero(t *testing.T) {
	a := testagent.Start(t)
	for _, id := range []string{"www-1", "www-2"} {
		put(t, a, "/v1/agent/service/register", `{"ID":"`+id+`","Name":"www","Port":2500`+id[4:]+`,"Tags":["traefik.enable=true"],
			"Meta":{"orbit-identity-aud":"consul.io"},"Check":{"TTL":"1h","Status":"passing"}}`)
	}
	code, stdout, stderr := runAudit(t, "--address", a.Addr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	// ACLs do not exist yet: the one finding is the ACL warning.
	want := "agent \"node1\": warning: [acl]"
	if !strings.HasPrefix(stdout, want) || !strings.HasSuffix(stdout, "2 instances checked: 0 errors, 1 warning, 0 excepted\n") {
		t.Errorf("output:\n%s", stdout)
	}
}

func TestAuditCannotRun(t *testing.T) {
	badPolicy := filepath.Join(t.TempDir(), "bad.hcl")
	if err := os.WriteFile(badPolicy, []byte(`rule "nope" {}`), 0o644); err != nil {
		t.Fatal(err)
	}
	down := orbittest.FreeAddr(t) // nothing listens there
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"agent unreachable", []string{"--address", down}, "cannot reach the orbit agent"},
		{"unknown format", []string{"-format", "xml", "--address", down}, "want text, json or sarif"},
		{"unknown flag", []string{"-colour"}, "flag provided but not defined"},
		{"arguments", []string{"--address", down, "web"}, "unexpected arguments"},
		{"bad policy", []string{"-policy", badPolicy, "--address", down}, `unknown rule "nope"`},
		{"missing policy", []string{"-policy", badPolicy + ".none", "--address", down}, "read policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runAudit(t, tt.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.msg)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}
