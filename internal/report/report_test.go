package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/report"
	"github.com/orbit/orbit/internal/report/reporttest"
)

var rules = []report.Rule{
	{ID: "dynamic-ports", Severity: report.Error, Summary: "ports are dynamic"},
	{ID: "ha-count", Severity: report.Warning, Summary: "two instances"},
}

const src = "job \"a\" {\n\tgroup \"g\" {\n\t\tport \"web\" { static = 8080 }\n\t}\n}\n"

// sample has a file finding with a source line, a file finding without a
// line, a resource finding and an excepted resource finding.
func sample() *report.Report {
	return &report.Report{
		Rules: rules,
		Findings: []report.Finding{
			{Rule: "dynamic-ports", Severity: report.Error, File: "a.nomad.hcl", Line: 3, Column: 16, Message: "port is static"},
			{Rule: "ha-count", Severity: report.Warning, File: "b.nomad.hcl", Message: "one instance"},
			{Rule: "ha-count", Severity: report.Warning, Resource: `service "web"`, Message: "one instance"},
			{Rule: "dynamic-ports", Severity: report.Info, Resource: `service "dns" instance "dns-1" on node "n1"`,
				Message: "port 5353 (excepted: legacy: appliance)", Exception: "legacy: appliance"},
		},
		Checked: 2, Unit: "file",
		Sources: map[string][]byte{"a.nomad.hcl": []byte(src)},
	}
}

func write(t *testing.T, f report.Format, r *report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.Write(&b, f, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestText(t *testing.T) {
	got := write(t, report.Text, sample())
	want := "a.nomad.hcl:3:16: error: [dynamic-ports] port is static\n" +
		"    \t\tport \"web\" { static = 8080 }\n" +
		"    \t\t             ^\n" +
		"b.nomad.hcl: warning: [ha-count] one instance\n" +
		"service \"web\": warning: [ha-count] one instance\n" +
		"service \"dns\" instance \"dns-1\" on node \"n1\": info: [dynamic-ports] port 5353 (excepted: legacy: appliance)\n" +
		"2 files checked: 1 error, 2 warnings, 1 excepted\n"
	if got != want {
		t.Errorf("text output:\n%s\nwant:\n%s", got, want)
	}
	line := strings.Split(got, "\n")[1]
	caret := strings.Split(got, "\n")[2]
	if strings.Index(caret, "^") != strings.Index(line, "static") {
		t.Errorf("caret %q is not under column 16 of %q", caret, line)
	}
	clean := write(t, report.Text, &report.Report{Checked: 1, Unit: "instance"})
	if clean != "1 instance checked: no findings\n" {
		t.Errorf("clean output %q", clean)
	}
}

func TestJSON(t *testing.T) {
	var out []map[string]any
	if err := json.Unmarshal([]byte(write(t, report.JSON, sample())), &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 {
		t.Fatalf("%d findings", len(out))
	}
	keys := func(m map[string]any) string {
		var ks []string
		for _, k := range []string{"rule", "severity", "file", "line", "column", "resource", "message"} {
			if _, ok := m[k]; ok {
				ks = append(ks, k)
			}
		}
		if len(ks) != len(m) {
			t.Errorf("unexpected keys in %v", m)
		}
		return strings.Join(ks, ",")
	}
	if k := keys(out[0]); k != "rule,severity,file,line,column,message" {
		t.Errorf("file finding keys %s", k)
	}
	if out[0]["line"] != 3.0 || out[0]["column"] != 16.0 || out[0]["file"] != "a.nomad.hcl" {
		t.Errorf("file finding %v", out[0])
	}
	if k := keys(out[2]); k != "rule,severity,resource,message" {
		t.Errorf("resource finding keys %s", k)
	}
	if out[3]["resource"] != `service "dns" instance "dns-1" on node "n1"` || out[3]["severity"] != "info" {
		t.Errorf("resource finding %v", out[3])
	}
	if got := write(t, report.JSON, &report.Report{}); got != "[]\n" {
		t.Errorf("empty JSON %q", got)
	}
}

func TestSARIF(t *testing.T) {
	data := write(t, report.SARIF, sample())
	if err := reporttest.CheckSARIF([]byte(data)); err != nil {
		t.Fatalf("SARIF: %v\n%s", err, data)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleIndex *int `json:"ruleIndex"`
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           *struct{ StartLine, StartColumn int }
					} `json:"physicalLocation"`
					LogicalLocations []struct{ FullyQualifiedName, Kind string } `json:"logicalLocations"`
				} `json:"locations"`
				Suppressions []struct{ Kind, Justification string } `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatal(err)
	}
	res := doc.Runs[0].Results
	if p := res[0].Locations[0].PhysicalLocation; p == nil || p.ArtifactLocation.URI != "a.nomad.hcl" || p.Region.StartLine != 3 || p.Region.StartColumn != 16 {
		t.Errorf("file finding location %+v", res[0].Locations)
	}
	if p := res[1].Locations[0].PhysicalLocation; p == nil || p.Region != nil {
		t.Errorf("finding without a line: %+v", res[1].Locations)
	}
	for _, r := range res[2:] {
		loc := r.Locations[0]
		if loc.PhysicalLocation != nil || len(loc.LogicalLocations) != 1 || loc.LogicalLocations[0].Kind != "resource" {
			t.Errorf("resource finding location %+v", loc)
		}
	}
	if ll := res[3].Locations[0].LogicalLocations[0]; ll.FullyQualifiedName != `service "dns" instance "dns-1" on node "n1"` {
		t.Errorf("fullyQualifiedName %q", ll.FullyQualifiedName)
	}
	if s := res[3].Suppressions; len(s) != 1 || s[0].Kind != "inSource" || s[0].Justification != "legacy: appliance" {
		t.Errorf("suppressions %+v", s)
	}
	if *res[2].RuleIndex != 1 || *res[3].RuleIndex != 0 {
		t.Errorf("rule indexes %d %d", *res[2].RuleIndex, *res[3].RuleIndex)
	}
}

// TestSARIFUnknownRule: a finding of a rule missing from the list has no
// ruleIndex rather than one pointing at another rule.
func TestSARIFUnknownRule(t *testing.T) {
	r := &report.Report{Rules: rules, Findings: []report.Finding{{Rule: "other", Severity: report.Error, Resource: "agent", Message: "m"}}}
	data := write(t, report.SARIF, r)
	if err := reporttest.CheckSARIF([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(data, "ruleIndex") {
		t.Errorf("ruleIndex for an unknown rule:\n%s", data)
	}
}

func TestCheckSARIFCatchesMissingFields(t *testing.T) {
	bad := map[string]string{
		"version":     `{"version":"2.0.0","runs":[]}`,
		"runs":        `{"version":"2.1.0"}`,
		"driver name": `{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[]}]}`,
		"rule id":     `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":[{}]}}}]}`,
		"message":     `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"a"}]}]}`,
		"level":       `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}`,
		"rule index":  `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":[{"id":"a"}]}},"results":[{"ruleId":"b","ruleIndex":0,"message":{"text":"m"}}]}]}`,
		"start line":  `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"f"},"region":{"startLine":0}}}]}]}]}`,
		"empty loc":   `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{}]}]}]}`,
		"logical":     `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"logicalLocations":[{"kind":"resource"}]}]}]}]}`,
		"suppression": `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"suppressions":[{"kind":"later"}]}]}]}`,
	}
	for name, doc := range bad {
		if err := reporttest.CheckSARIF([]byte(doc)); err == nil {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"text", "json", "sarif"} {
		if f, err := report.ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	if _, err := report.ParseFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
	if err := report.Write(&bytes.Buffer{}, "xml", &report.Report{}); err == nil {
		t.Error("Write accepted format xml")
	}
}

func TestHasErrors(t *testing.T) {
	fs := sample().Findings
	if !report.HasErrors(fs) || report.HasErrors(fs[1:]) || report.HasErrors(nil) {
		t.Error("HasErrors")
	}
}
