package policy

import (
	"strings"
	"testing"
)

func TestExceptions(t *testing.T) {
	tests := []struct {
		name, jobMeta, group string
		want, msg            string
	}{
		{"job-level exception", "meta {\n orbit-exception-dynamic-ports = \"legacy: the appliance speaks 8443\"\n }", "", "dynamic-ports/info", "excepted: legacy: the appliance speaks 8443"},
		{"dotted key in a meta map", "meta = {\n \"orbit.exception.dynamic-ports\" = \"compliance: audited port\"\n }", "", "dynamic-ports/info", "excepted: compliance"},
		{"long key form", "meta = {\n \"orbit.policy.exception.dynamic-ports\" = \"legacy: old\"\n }", "", "dynamic-ports/info", "excepted: legacy: old"},
		{"group-level exception", "", "meta {\n orbit_exception_dynamic_ports = \"external: fixed by the vendor\"\n }", "dynamic-ports/info", "excepted: external"},
		{"no reason", "meta {\n orbit-exception-dynamic-ports = \"legacy\"\n }", "", "exception/warning dynamic-ports/error", "does not count"},
		{"unknown category", "meta {\n orbit-exception-dynamic-ports = \"lazy: reasons\"\n }", "", "exception/warning dynamic-ports/error", ""},
		{"unknown rule", "meta {\n orbit-exception-dynamic-port = \"legacy: typo\"\n }", "", "exception/warning dynamic-ports/error", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := render(map[string]string{"PORT": "static = 8443", "JOBMETA": tt.jobMeta, "GROUP": tt.group})
			fs := check(t, src, DefaultConfig())
			if got := summary(fs); got != tt.want {
				t.Fatalf("findings %q, want %q: %v", got, tt.want, fs)
			}
			if tt.msg != "" && !strings.Contains(fs[0].Message+fs[len(fs)-1].Message, tt.msg) {
				t.Errorf("messages %q / %q do not contain %q", fs[0].Message, fs[len(fs)-1].Message, tt.msg)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	cfg, err := LoadConfig("policy.hcl", []byte(`
rule "ha-count" {
  severity  = "error"
  min_count = 3
}
rule "dynamic-ports" {
  allowed_ports = [53, 80, 443, 8443]
}
rule "pinned-image" {
  enabled = false
}
rule "traefik-tags" {
  plain_entrypoints = ["insecure"]
}
`))
	if err != nil {
		t.Fatal(err)
	}
	src := render(map[string]string{"PORT": "static = 8443", "IMAGE": `"app:latest"`})
	src = strings.Replace(src, "count = 2", "count = 2", 1)
	fs := check(t, src, cfg)
	if got := summary(fs); got != "ha-count/error" {
		t.Fatalf("findings %q, want only ha-count/error (count 2 < 3; 8443 allowed; images off)", got)
	}
	if !strings.Contains(fs[0].Message, "count = 3") {
		t.Errorf("message %q", fs[0].Message)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{`rule "nope" {}`, `p.hcl:1:6: unknown rule "nope"`},
		{`rule "ha-count" { severity = "fatal" }`, `p.hcl:1:30: severity: severity "fatal"`},
		{`rule "ha-count" { allowed_ports = [1] }`, `p.hcl:1:19: allowed_ports is a setting of rule "dynamic-ports"`},
		{`rule "ha-count" { colour = 1 }`, `p.hcl:1:19: unsupported attribute "colour"`},
		{`enforce = "strict"`, `p.hcl:1:1: unsupported attribute "enforce"`},
		{"rule \"ha-count\" {\n", `p.hcl:1:17: Unclosed configuration block`},
		{"rule \"ha-count\" {}\nrule \"ha-count\" {}\n", `p.hcl:2:1: rule "ha-count" is configured twice`},
	}
	for _, tt := range tests {
		_, err := LoadConfig("p.hcl", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadConfig(%q) = %v, want %q", tt.src, err, tt.want)
		}
	}
}

func TestRulesTable(t *testing.T) {
	want := []string{"dynamic-ports", "health-check", "check-timing", "service-identity", "pinned-image",
		"resources", "literal-secret", "hardcoded-address", "traefik-tags", "ha-count", "exception"}
	got := ruleIDs()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("rules %v, want %v", got, want)
	}
	for _, r := range Rules() {
		if !r.Severity.Valid() || r.Summary == "" {
			t.Errorf("rule %+v lacks a severity or summary", r)
		}
	}
}
