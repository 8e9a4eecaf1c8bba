package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// runCLI runs one orbit command against the agent at addr through
// ORBIT_ADDR, as a user's shell would.
func runCLI(t *testing.T, addr, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin),
		Getenv: func(k string) string {
			if k == "ORBIT_ADDR" {
				return addr
			}
			return ""
		}}
	code := commands()[args[0]].run(context.Background(), e, args[1:])
	return code, out.String(), errb.String()
}

func TestCatalogAndKVCommands(t *testing.T) {
	a := testagent.Start(t)
	put(t, a, "/v1/agent/service/register", `{"Name":"web","ID":"web-1","Port":20001,"Tags":["v1"],"Check":{"TTL":"1h","Status":"passing"}}`)
	put(t, a, "/v1/agent/service/register", `{"Name":"web","ID":"web-2","Port":20002,"Check":{"TTL":"1h"}}`)

	code, out, errs := runCLI(t, a.Addr, "", "services", "-tags")
	if code != 0 || !strings.Contains(out, "web") || !strings.Contains(out, "v1") {
		t.Fatalf("services: %d %q %q", code, out, errs)
	}
	// two instances, one passing (beside the server's own consul service)
	var web []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "web" {
			web = f
		}
	}
	if len(web) < 3 || web[1] != "2" || web[2] != "1" {
		t.Fatalf("services counts: %q", out)
	}
	code, out, _ = runCLI(t, a.Addr, "", "members")
	if code != 0 || !strings.Contains(out, "node1") || !strings.Contains(out, "alive") || !strings.Contains(out, "server") {
		t.Fatalf("members: %d %q", code, out)
	}
	code, out, _ = runCLI(t, a.Addr, "", "kv", "put", "app/db", "postgres://db")
	if code != 0 || !strings.Contains(out, "Success") {
		t.Fatalf("kv put: %d %q", code, out)
	}
	code, _, _ = runCLI(t, a.Addr, "from stdin", "kv", "put", "app/motd", "-")
	if code != 0 {
		t.Fatal("kv put from stdin failed")
	}
	code, out, _ = runCLI(t, a.Addr, "", "kv", "get", "app/db")
	if code != 0 || out != "postgres://db\n" {
		t.Fatalf("kv get: %d %q", code, out)
	}
	code, out, _ = runCLI(t, a.Addr, "", "kv", "get", "-recurse", "app/")
	if code != 0 || out != "app/db:postgres://db\napp/motd:from stdin\n" {
		t.Fatalf("kv get -recurse: %d %q", code, out)
	}
	// A compare-and-swap with a stale index is refused with a hint.
	code, _, errs = runCLI(t, a.Addr, "", "kv", "put", "-modify-index", "1", "app/db", "x")
	if code != 1 || !strings.Contains(errs, "CAS failed") {
		t.Fatalf("kv put cas: %d %q", code, errs)
	}
	code, _, _ = runCLI(t, a.Addr, "", "kv", "delete", "-recurse", "app/")
	if code != 0 {
		t.Fatal("kv delete failed")
	}
	code, _, errs = runCLI(t, a.Addr, "", "kv", "get", "app/db")
	if code != 1 || !strings.Contains(errs, "No key exists") {
		t.Fatalf("kv get after delete: %d %q", code, errs)
	}
	code, out, _ = runCLI(t, a.Addr, "", "version")
	if code != 0 || !strings.HasPrefix(out, "orbit v") {
		t.Fatalf("version: %q", out)
	}
	// No agent: the error says what to do.
	code, _, errs = runCLI(t, "127.0.0.1:1", "", "services")
	if code != 1 || !strings.Contains(errs, "is `orbit agent` running?") {
		t.Fatalf("no agent: %d %q", code, errs)
	}
}
