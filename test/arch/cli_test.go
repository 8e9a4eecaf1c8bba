package arch_test

import (
	"os/exec"
	"strings"
	"testing"
)

// cliAllowed is what the CLI may import of orbit: the agent (to run
// `orbit agent`) and plain-type, pure and client-side packages. It talks
// to the servers over HTTP only, so no server package (api, nomadapi, dns,
// proxy, scheduler, client, view, store, ...) belongs here.
var cliAllowed = map[string]bool{
	"agent": true, "acl": true, "audit": true, "catalog": true, "doctor": true, "filter": true, "job": true,
	"jobspec": true, "jobvalidate": true, "nomadwire": true, "policy": true, "report": true, "routing": true, "zone": true,
}

// cliTestAllowed adds what the CLI's tests may start: real agents.
var cliTestAllowed = map[string]bool{"orbittest": true, "orbittest/testagent": true}

func TestCLIImportsNoServerPackage(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}}`,
		"github.com/orbit/orbit/internal/cli/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		pkg, imports, tests := f[0], strings.Fields(f[1]), strings.Fields(f[2])
		check := func(imp string, test bool) {
			if !strings.HasPrefix(imp, mod) {
				return
			}
			rest := strings.TrimPrefix(imp, mod)
			if top(imp) == "cli" || cliAllowed[top(imp)] || (test && cliTestAllowed[rest]) {
				return
			}
			t.Errorf("%s imports %s: the CLI speaks HTTP to the servers and imports no server package", pkg, imp)
		}
		for _, imp := range imports {
			check(imp, false)
		}
		for _, imp := range tests {
			check(imp, true)
		}
	}
}
