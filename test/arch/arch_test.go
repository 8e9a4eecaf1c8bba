// Package arch_test guards the architecture of STYLE.md: imports point one
// way (cli → agent → features → pure logic → view → store → plain types),
// only store imports etcd, and features never import each other.
package arch_test

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/orbit/orbit/internal/"

// layer of each internal package; a package may import only lower layers,
// and features (layer 5) none of their own layer.
var layers = map[string]int{
	"catalog": 0, "job": 0, "acl": 0, "zone": 0,
	"store":   1,
	"view":    2,
	"routing": 3, "jobspec": 3, "policy": 3, "filter": 3, "audit": 3, "report": 3,
	// drivers are the client's plugins: below the features, above logic.
	"driver": 4,
	// the route feeder: view → route table, handed to proxy and DNS.
	"routefeed": 4,
	"api":       5, "dns": 5, "proxy": 5, "health": 5, "scheduler": 5, "client": 5,
	"pki": 5, "identity": 5, "metrics": 5, "ui": 5, "nomadapi": 5, "jobvalidate": 5,
	"nomadwire": 3, "doctor": 4,
	"agent": 6,
	"cli":   7,
}

func top(pkg string) string {
	rest := strings.TrimPrefix(pkg, mod)
	t, _, _ := strings.Cut(rest, "/")
	return t
}

func TestImportsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "github.com/orbit/orbit/internal/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		from := top(pkg)
		if strings.HasPrefix(from, "orbittest") {
			continue // the test harness may start anything
		}
		lf, known := layers[from]
		if !known {
			t.Errorf("package %s has no layer in arch_test.go: add it", pkg)
			continue
		}
		for _, imp := range imports {
			if strings.HasPrefix(imp, "go.etcd.io/etcd") && from != "store" {
				t.Errorf("%s imports %s: only internal/store may import etcd", pkg, imp)
			}
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			to := top(imp)
			if to == from {
				continue // sub-packages of one feature (driver/docker → driver)
			}
			lt, ok := layers[to]
			if !ok {
				continue
			}
			switch {
			case lt > lf:
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must point down", pkg, lf, imp, lt)
			case lt == lf && lf == 5:
				t.Errorf("%s imports feature %s: features talk through interfaces the agent wires", pkg, imp)
			case lf == 0 && lt >= 0:
				t.Errorf("plain-types package %s imports %s: plain types import nothing internal", pkg, imp)
			}
		}
	}
}
