package jobvalidate

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodJob = `job "ok" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

// staticJob has one error: a static port on line 5, column 9.
const staticJob = `job "static" {
  type = "batch"
  group "g" {
    network {
      port "web" { static = 8080 }
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

// tree writes files (path → content) under a temporary directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestExitCodes(t *testing.T) {
	root := tree(t, map[string]string{
		"clean/a.nomad.hcl":            goodJob,
		"clean/vars.hcl":               "domain = \"x\"\n",
		"clean/.archive/old.nomad.hcl": staticJob,
		"dirty/b.hcl":                  staticJob,
		"wip/.testing/c.nomad.hcl":     staticJob,
		"broken/d.nomad.hcl":           "job \"d\" {\n",
		"policy/bad.hcl":               "rule \"nope\" {}\n",
	})
	at := func(p string) string { return filepath.Join(root, p) }
	tests := []struct {
		name string
		args []string
		want int
		out  string
	}{
		{"clean tree", []string{at("clean")}, 0, "1 file checked: no findings"},
		{"error found", []string{at("dirty")}, 1, "[dynamic-ports]"},
		{"testing folder gives warnings", []string{at("wip")}, 0, "warning: [dynamic-ports]"},
		{"archive file given is skipped", []string{at("clean/.archive/old.nomad.hcl")}, 0, "0 files checked"},
		{"parse error is a finding", []string{at("broken")}, 1, "error: [parse]"},
		{"missing path", []string{at("nope")}, 2, ""},
		{"no path", nil, 2, ""},
		{"unknown flag", []string{"-colour", at("clean")}, 2, ""},
		{"bad format", []string{"-format", "xml", at("clean")}, 2, ""},
		{"bad policy", []string{"-policy", at("policy/bad.hcl"), at("clean")}, 2, ""},
		{"missing var file", []string{"-var-file", at("none.hcl"), at("clean")}, 2, ""},
		{"double-dash flags after paths", []string{at("dirty"), "--format=json"}, 1, `"rule": "dynamic-ports"`},
		{"policy disables the rule", []string{"--policy", writePolicy(t, `rule "dynamic-ports" { enabled = false }`), at("dirty")}, 0, "no findings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.out) {
				t.Errorf("stdout does not contain %q:\n%s", tt.out, stdout)
			}
			if tt.want == 2 && stderr == "" {
				t.Error("exit 2 without a message on stderr")
			}
		})
	}
}

func writePolicy(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.hcl")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTextCaret(t *testing.T) {
	root := tree(t, map[string]string{"s.nomad.hcl": staticJob})
	path := filepath.Join(root, "s.nomad.hcl")
	_, stdout, _ := run(t, path)
	lines := strings.Split(stdout, "\n")
	if !strings.HasPrefix(lines[0], path+":5:20: error: [dynamic-ports] ") {
		t.Fatalf("first line %q", lines[0])
	}
	if lines[1] != `          port "web" { static = 8080 }` {
		t.Errorf("source line %q", lines[1])
	}
	if caret := strings.Index(lines[2], "^"); caret != strings.Index(lines[1], "static") || strings.TrimSpace(lines[2]) != "^" {
		t.Errorf("caret line %q does not point at column 20 of %q", lines[2], lines[1])
	}
}

func TestJSONShape(t *testing.T) {
	root := tree(t, map[string]string{"s.nomad.hcl": staticJob, "ok.nomad.hcl": goodJob})
	code, stdout, _ := run(t, "-format", "json", root)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var out []map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, stdout)
	}
	if len(out) != 1 {
		t.Fatalf("%d findings, want 1: %s", len(out), stdout)
	}
	want := map[string]string{"rule": "string", "severity": "string", "file": "string", "line": "number", "column": "number", "message": "string"}
	for key, kind := range want {
		v, ok := out[0][key]
		if !ok {
			t.Errorf("missing %q", key)
			continue
		}
		if _, isNum := v.(float64); (kind == "number") != isNum {
			t.Errorf("%q is %T, want a %s", key, v, kind)
		}
	}
	if len(out[0]) != len(want) {
		t.Errorf("keys %v, want exactly %v", out[0], want)
	}
	if out[0]["line"].(float64) != 5 || out[0]["rule"] != "dynamic-ports" {
		t.Errorf("finding %v", out[0])
	}
	_, clean, _ := run(t, "-format", "json", filepath.Join(root, "ok.nomad.hcl"))
	if strings.TrimSpace(clean) != "[]" {
		t.Errorf("clean JSON output %q, want []", clean)
	}
}

func TestVarsReachTheParser(t *testing.T) {
	f := filepath.Join(fixturesDir(t), "jobs", "good", "vars.nomad.hcl")
	varFile := writePolicy(t, "domain = \"home.arpa\"\n")
	code, stdout, stderr := run(t, "-var", "replicas=1", "-var-file", varFile, f)
	if code != 0 || !strings.Contains(stdout, "warning: [ha-count]") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "-var", "undeclared=1", f)
	if code != 1 || !strings.Contains(stdout, `[parse] variable "undeclared" is not declared`) {
		t.Fatalf("exit %d, stdout:\n%s", code, stdout)
	}
}

func TestFixtureTrees(t *testing.T) {
	dir := filepath.Join(fixturesDir(t), "jobs")
	if code, stdout, stderr := run(t, filepath.Join(dir, "good")); code != 0 {
		t.Errorf("good fixtures: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ := run(t, filepath.Join(dir, "bad"))
	if code != 1 || strings.Contains(stdout, "[parse]") {
		t.Errorf("bad fixtures: exit %d\n%s", code, stdout)
	}
}
