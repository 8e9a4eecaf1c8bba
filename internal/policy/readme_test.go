package policy_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/audit"
	"github.com/orbit/orbit/internal/jobvalidate"
	"github.com/orbit/orbit/internal/policy"
	"github.com/orbit/orbit/internal/report"
	"github.com/orbit/orbit/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the README examples from the commands' output")

// TestREADMEExamples runs each "orbit job validate" example of the README
// on the jobs in testdata/readme and compares the block with its output
// and exit status.
func TestREADMEExamples(t *testing.T) {
	readme, err := filepath.Abs("README.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join("testdata", "readme"))
	for _, args := range [][]string{
		{"shop.nomad.hcl"},
		{"-format", "json", "shop.nomad.hcl"},
		{"-format", "sarif", "cache.nomad.hcl"},
	} {
		var stdout, stderr bytes.Buffer
		code := jobvalidate.Run(args, &stdout, &stderr)
		if stderr.Len() > 0 {
			t.Errorf("%v: stderr %s", args, stderr.String())
		}
		prompt := "$ orbit job validate " + strings.Join(args, " ")
		want := fmt.Sprintf("%s\n%s$ echo $?\n%d\n", prompt, stdout.String(), code)
		reporttest.CheckExample(t, readme, prompt, want, *update)
		if slices.Contains(args, "sarif") {
			if err := reporttest.CheckSARIF(stdout.Bytes()); err != nil {
				t.Errorf("SARIF example: %v", err)
			}
		}
	}
}

// TestREADMEPolicyFile loads the README's policy file example.
func TestREADMEPolicyFile(t *testing.T) {
	src := readmeBlockAfter(t, "<!-- checked: policy file -->")
	cfg, err := policy.LoadConfig("orbit-policy.hcl", []byte(src))
	if err != nil {
		t.Fatalf("the README's policy file does not load: %v", err)
	}
	if cfg.MinCount != 3 || !slices.Equal(cfg.AllowedPorts, []int{53, 80, 443, 853}) ||
		!slices.Equal(cfg.PlainEntryPoints, []string{"web"}) || !cfg.Rules[policy.RuleHardcodedAddress].Disabled ||
		cfg.Rules[policy.RuleHACount].Severity != policy.SeverityError {
		t.Errorf("the README's policy file reads as %+v", cfg)
	}
}

// TestREADMERuleTables keeps the rule tables complete and their default
// severities true, for job files and for the audit.
func TestREADMERuleTables(t *testing.T) {
	want := map[string]string{"parse": "error"}
	for _, r := range policy.Rules() {
		want[r.ID] = string(r.Severity)
	}
	checkTable(t, "## Rules for job files", want)
	want = map[string]string{}
	for _, r := range audit.Rules() {
		want[r.ID] = string(r.Severity)
	}
	checkTable(t, "## Rules for a running cluster", want)
	if want[audit.RuleACL] != string(report.Warning) {
		t.Errorf("acl severity %q", want[audit.RuleACL])
	}
}

func checkTable(t *testing.T, heading string, want map[string]string) {
	t.Helper()
	row := regexp.MustCompile("^\\| `([a-z-]+)` \\| (error|warning) \\|")
	got := map[string]string{}
	for _, line := range strings.Split(readmeSection(t, heading), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			got[m[1]] = m[2]
		}
	}
	for id, sev := range want {
		if got[id] != sev {
			t.Errorf("%s: rule %q is listed with severity %q, want %q", heading, id, got[id], sev)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: rule %q is not a rule", heading, id)
		}
	}
}

func readREADME(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// readmeSection returns the README from heading to the next "## ".
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	s := readREADME(t)
	_, rest, ok := strings.Cut(s, heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// readmeBlockAfter returns the fenced block that follows marker.
func readmeBlockAfter(t *testing.T, marker string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readREADME(t), marker+"\n")
	if !ok || !strings.HasPrefix(rest, "```") {
		t.Fatalf("README has no fenced block after %q", marker)
	}
	_, body, _ := strings.Cut(rest, "\n")
	body, _, ok = strings.Cut(body, "\n```")
	if !ok {
		t.Fatalf("unterminated block after %q", marker)
	}
	return body + "\n"
}
