package jobvalidate

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/orbit/orbit/internal/report/reporttest"
)

// TestSARIFStructure checks the output against the SARIF 2.1.0 schema's
// required properties: version and runs at the top; tool.driver.name in a
// run; message in a result (with ruleId/ruleIndex pointing into the rules
// and a known level); artifactLocation.uri and a region with startLine >= 1.
func TestSARIFStructure(t *testing.T) {
	root := tree(t, map[string]string{
		"s.nomad.hcl":      staticJob,
		"broken.nomad.hcl": "job \"b\" {\n  group \"g\" {\n",
	})
	code, stdout, stderr := run(t, "-format", "sarif", root)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := reporttest.CheckSARIF([]byte(stdout)); err != nil {
		t.Errorf("SARIF: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc["version"] != "2.1.0" {
		t.Errorf("version = %v", doc["version"])
	}
	if s, _ := doc["$schema"].(string); s == "" {
		t.Error("no $schema")
	}
	runs := list(t, doc, "runs")
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	run := runs[0].(map[string]any)
	driver := obj(t, obj(t, run, "tool"), "driver")
	if driver["name"] != "orbit" {
		t.Errorf("driver name = %v", driver["name"])
	}
	rules := list(t, driver, "rules")
	for _, r := range rules {
		rule := r.(map[string]any)
		if id, _ := rule["id"].(string); id == "" {
			t.Errorf("rule without id: %v", rule)
		}
	}
	results := list(t, run, "results")
	if len(results) != 2 {
		t.Fatalf("%d results, want 2 (a parse error and a static port)", len(results))
	}
	for _, r := range results {
		res := r.(map[string]any)
		id, _ := res["ruleId"].(string)
		idx, ok := res["ruleIndex"].(float64)
		if !ok || int(idx) >= len(rules) || rules[int(idx)].(map[string]any)["id"] != id {
			t.Errorf("ruleIndex %v does not point at rule %q", res["ruleIndex"], id)
		}
		switch res["level"] {
		case "error", "warning", "note", "none":
		default:
			t.Errorf("level %v", res["level"])
		}
		if text, _ := obj(t, res, "message")["text"].(string); text == "" {
			t.Error("result without message.text")
		}
		locs := list(t, res, "locations")
		phys := obj(t, locs[0].(map[string]any), "physicalLocation")
		uri, _ := obj(t, phys, "artifactLocation")["uri"].(string)
		if filepath.Base(uri) != "s.nomad.hcl" && filepath.Base(uri) != "broken.nomad.hcl" {
			t.Errorf("uri %q", uri)
		}
		region := obj(t, phys, "region")
		if line, _ := region["startLine"].(float64); line < 1 {
			t.Errorf("startLine %v", region["startLine"])
		}
		if col, _ := region["startColumn"].(float64); col < 1 {
			t.Errorf("startColumn %v", region["startColumn"])
		}
	}
}

func TestSARIFSuppression(t *testing.T) {
	root := tree(t, map[string]string{"x.nomad.hcl": `job "x" {
  type = "batch"
  meta {
    orbit-exception-dynamic-ports = "legacy: the appliance listens on 8080"
  }
  group "g" {
    network {
      port "web" { static = 8080 }
    }
    task "t" {
      driver = "raw_exec"
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`})
	code, stdout, _ := run(t, "-format", "sarif", root)
	if code != 0 {
		t.Fatalf("exit %d, want 0 for an excepted finding:\n%s", code, stdout)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Level        string
				Suppressions []struct{ Kind, Justification string }
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	r := doc.Runs[0].Results[0]
	if r.Level != "note" || len(r.Suppressions) != 1 || r.Suppressions[0].Kind != "inSource" {
		t.Errorf("result %+v", r)
	}
}

func obj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("%q is not an object in %v", key, m)
	}
	return v
}

func list(t *testing.T, m map[string]any, key string) []any {
	t.Helper()
	v, ok := m[key].([]any)
	if !ok {
		t.Fatalf("%q is not an array in %v", key, m)
	}
	return v
}
