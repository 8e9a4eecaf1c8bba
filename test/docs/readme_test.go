// Package docs_test keeps the README's examples true: the policy outputs it
// shows are regenerated from the fixtures and compared.
package docs_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/jobvalidate"
)

const fixture = "../shared/fixtures/jobs/bad/static-port.nomad.hcl"

// blocks returns the fenced code blocks of the README with their info string.
func blocks(t *testing.T, readme string) (infos, bodies []string) {
	t.Helper()
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```") {
			continue
		}
		info := strings.TrimPrefix(lines[i], "```")
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		infos, bodies = append(infos, info), append(bodies, strings.Join(body, "\n"))
	}
	return infos, bodies
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	jobvalidate.Run(args, &out, &errb)
	if errb.Len() > 0 {
		t.Fatalf("orbit job validate %v: %s", args, errb.String())
	}
	return strings.TrimRight(out.String(), "\n")
}

func TestReadmePolicyExamples(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, fixture)); err != nil {
		t.Skipf("shared fixtures not found beside the repository (%v)", err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	infos, bodies := blocks(t, string(readme))
	var sawText, sawJSON, sawSARIF bool
	for i, b := range bodies {
		switch {
		case infos[i] == "text" && strings.HasPrefix(b, "$ orbit job validate "+fixture):
			sawText = true
			want := strings.SplitN(b, "\n", 2)[1]
			if got := run(t, fixture); got != want {
				t.Errorf("README text example is stale:\n--- README\n%s\n--- orbit\n%s", want, got)
			}
		case infos[i] == "json" && strings.Contains(b, `"rule": "dynamic-ports"`):
			sawJSON = true
			if got := run(t, "-format", "json", fixture); got != b {
				t.Errorf("README JSON example is stale:\n--- README\n%s\n--- orbit\n%s", b, got)
			}
		case infos[i] == "json" && strings.Contains(b, `"version": "2.1.0"`):
			sawSARIF = true
			var doc, real struct {
				Runs []struct{ Results any } `json:"runs"`
			}
			if err := json.Unmarshal([]byte(b), &doc); err != nil {
				t.Fatalf("README SARIF example is not JSON: %v", err)
			}
			if err := json.Unmarshal([]byte(run(t, "-format", "sarif", fixture)), &real); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(doc.Runs[0].Results, real.Runs[0].Results) {
				t.Errorf("README SARIF results are stale:\n%v\nvs\n%v", doc.Runs[0].Results, real.Runs[0].Results)
			}
		}
	}
	if !sawText || !sawJSON || !sawSARIF {
		t.Errorf("README examples missing: text %v json %v sarif %v", sawText, sawJSON, sawSARIF)
	}
}
