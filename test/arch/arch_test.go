// Package arch_test guards the architecture of STYLE.md: every package
// under internal/ imports only what its entry in allow (allow_test.go)
// lists, the entries stay exact, no entry breaks its kind's rule (features
// never import each other, plain types import nothing internal, the CLI
// imports no server package), only internal/store imports etcd and only
// the docker driver imports the Docker client.
package arch_test

import (
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const internalPrefix = "github.com/orbit/orbit/internal/"

// pkg is what one package under internal/ imports, as go list reports it.
type pkg struct {
	imports []string // internal packages of its own files, below internal/
	tests   []string // further internal packages its tests import
	ext     []string // other modules' packages, its files and tests alike
}

// loadPackages lists every package under internal/, keyed below internal/.
func loadPackages(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f",
		`{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}`,
		internalPrefix+"...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		self := strings.TrimPrefix(f[0], internalPrefix)
		var p pkg
		own := map[string]bool{}
		for _, imp := range strings.Fields(f[1]) {
			if rest, ok := strings.CutPrefix(imp, internalPrefix); ok {
				own[rest] = true
				p.imports = append(p.imports, rest)
			} else {
				p.ext = append(p.ext, imp)
			}
		}
		for _, imp := range strings.Fields(f[2]) {
			if rest, ok := strings.CutPrefix(imp, internalPrefix); ok {
				if rest != self && !own[rest] {
					p.tests = append(p.tests, rest)
				}
			} else {
				p.ext = append(p.ext, imp)
			}
		}
		p.imports, p.tests, p.ext = sortedSet(p.imports), sortedSet(p.tests), sortedSet(p.ext)
		pkgs[self] = p
	}
	return pkgs
}

func sortedSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func TestImportAllowList(t *testing.T) {
	pkgs := loadPackages(t)
	t.Run("every package listed", func(t *testing.T) { checkListed(t, pkgs) })
	t.Run("imports allowed and entries exact", func(t *testing.T) { checkImports(t, pkgs) })
	t.Run("entries respect their kind", func(t *testing.T) { checkKinds(t) })
	t.Run("external modules", func(t *testing.T) { checkExternal(t, pkgs) })
}

func checkListed(t *testing.T, pkgs map[string]pkg) {
	for _, name := range slices.Sorted(maps.Keys(pkgs)) {
		if _, ok := allow[name]; !ok {
			p := pkgs[name]
			t.Errorf("internal/%s has no entry in test/arch/allow_test.go: add it, choosing KIND from %s:\n\t%q: {kind: KIND%s%s},",
				name, strings.Join(kindNames[:], ", "), name, field("imports", p.imports), field("tests", p.tests))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(allow)) {
		if _, ok := pkgs[name]; !ok {
			t.Errorf("test/arch/allow_test.go lists %q, but internal/%s does not exist (any more): remove its entry", name, name)
		}
	}
}

// field prints one list of an entry as Go source, or nothing when empty.
func field(name string, pkgs []string) string {
	if len(pkgs) == 0 {
		return ""
	}
	q := make([]string, len(pkgs))
	for i, p := range pkgs {
		q[i] = fmt.Sprintf("%q", p)
	}
	return fmt.Sprintf(", %s: list(%s)", name, strings.Join(q, ", "))
}

func checkImports(t *testing.T, pkgs map[string]pkg) {
	for _, name := range slices.Sorted(maps.Keys(pkgs)) {
		r, ok := allow[name]
		if !ok {
			continue // reported by checkListed
		}
		p := pkgs[name]
		for _, imp := range p.imports {
			if !slices.Contains(r.imports, imp) {
				t.Errorf("internal/%s imports internal/%s, which allow[%q].imports does not list: if it belongs, add %q there (test/arch/allow_test.go)",
					name, imp, name, imp)
			}
		}
		for _, imp := range p.tests {
			if !slices.Contains(r.tests, imp) {
				t.Errorf("the tests of internal/%s import internal/%s, which allow[%q].tests does not list: if it belongs, add %q there (test/arch/allow_test.go)",
					name, imp, name, imp)
			}
		}
		for _, imp := range r.imports {
			switch {
			case slices.Contains(p.tests, imp):
				t.Errorf("allow[%q].imports lists %q, which only the tests of internal/%s import: move it to tests", name, imp, name)
			case !slices.Contains(p.imports, imp):
				t.Errorf("allow[%q].imports lists %q, which internal/%s no longer imports: remove it", name, imp, name)
			}
		}
		for _, imp := range r.tests {
			switch {
			case slices.Contains(p.imports, imp):
				t.Errorf("allow[%q].tests lists %q, which the package's own files import: move it to imports", name, imp)
			case !slices.Contains(p.tests, imp):
				t.Errorf("allow[%q].tests lists %q, which no test of internal/%s imports any more: remove it", name, imp, name)
			}
		}
	}
}

// checkKinds holds every entry against its kind's rule, so no entry can
// allow what the architecture forbids (it needs no go list).
func checkKinds(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(allow)) {
		r := allow[name]
		rule := mayImport[r.kind]
		for _, imp := range r.imports {
			to, ok := allow[imp]
			if !ok {
				t.Errorf("allow[%q].imports lists %q, which has no entry of its own", name, imp)
				continue
			}
			if !slices.Contains(rule.kinds, to.kind) {
				t.Errorf("allow[%q] (%s) lists %q (%s): %s", name, r.kind, imp, to.kind, rule.why)
			}
		}
		for _, imp := range r.tests {
			to, ok := allow[imp]
			if !ok {
				t.Errorf("allow[%q].tests lists %q, which has no entry of its own", name, imp)
				continue
			}
			if to.kind == cli {
				t.Errorf("allow[%q].tests lists %q: only end-to-end tests under test/ run the CLI", name, imp)
			}
		}
	}
}

func checkExternal(t *testing.T, pkgs map[string]pkg) {
	for _, name := range slices.Sorted(maps.Keys(pkgs)) {
		for _, imp := range pkgs[name].ext {
			for _, x := range externalOnly {
				if strings.HasPrefix(imp, x.prefix) && !ownedBy(name, x.owners) {
					t.Errorf("internal/%s (or its tests) imports %s: %s", name, imp, x.why)
				}
			}
		}
	}
}

// ownedBy reports whether package name is one of owners or below one.
func ownedBy(name string, owners []string) bool {
	for _, o := range owners {
		if name == o || strings.HasPrefix(name, o+"/") {
			return true
		}
	}
	return false
}
