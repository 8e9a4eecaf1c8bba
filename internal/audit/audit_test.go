package audit_test

import (
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/audit"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/policy"
	"github.com/orbit/orbit/internal/report"
	"github.com/orbit/orbit/internal/view"
)

// entry builds an instance that breaks no rule: a dynamic port, a passing
// check of its own and an identity; opts change it.
func entry(svc, id, node string, opts ...func(*audit.Entry)) audit.Entry {
	in := &catalog.Instance{Node: node, ID: id, Name: svc, Port: 24000,
		Meta: map[string]string{audit.IdentityAudMeta: "consul.io"}}
	e := audit.Entry{
		Node:     &catalog.Node{Name: node, Address: "127.0.0.1"},
		Instance: in,
		Checks: []*catalog.Check{
			{Node: node, CheckID: catalog.SerfCheckID, Name: catalog.SerfCheckName, Status: catalog.Passing},
			{Node: node, CheckID: "service:" + id, Name: "http", Status: catalog.Passing, ServiceID: id},
		},
		Status: catalog.Passing,
	}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func port(p int) func(*audit.Entry) { return func(e *audit.Entry) { e.Instance.Port = p } }

func tags(ts ...string) func(*audit.Entry) { return func(e *audit.Entry) { e.Instance.Tags = ts } }

func meta(k, v string) func(*audit.Entry) { return func(e *audit.Entry) { e.Instance.Meta[k] = v } }

func noMeta(k string) func(*audit.Entry) { return func(e *audit.Entry) { delete(e.Instance.Meta, k) } }

// checks replaces the instance's own check by one per status (none when
// no status is given); the node's serfHealth check stays.
func checks(statuses ...catalog.Status) func(*audit.Entry) {
	return func(e *audit.Entry) {
		e.Checks = e.Checks[:1]
		e.Status = catalog.Passing
		for i, s := range statuses {
			e.Checks = append(e.Checks, &catalog.Check{Node: e.Instance.Node, CheckID: "c" + string(rune('0'+i)),
				Name: "c", Status: s, ServiceID: e.Instance.ID})
			e.Status = catalog.Worse(e.Status, s)
		}
	}
}

// summary lists findings as "rule/severity" in order.
func summary(fs []report.Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.Rule+"/"+string(f.Severity))
	}
	return strings.Join(s, " ")
}

func TestRules(t *testing.T) {
	routed := tags("traefik.enable=true", "traefik.http.routers.web.rule=Host(`web.lab`)")
	tests := []struct {
		name    string
		entries []audit.Entry
		acls    bool
		cfg     policy.Config
		want    string
		msg     string // a substring of the first finding's message
	}{
		{name: "clean", entries: []audit.Entry{entry("api", "api-1", "n1")}, acls: true},
		{name: "no services, ACLs on", acls: true},
		{name: "acl disabled", want: "acl/warning", msg: "ACLs are disabled"},

		{name: "no checks", entries: []audit.Entry{entry("api", "a1", "n1", checks())}, acls: true, want: "health-check/error", msg: "add a check block"},
		{name: "only node checks", entries: []audit.Entry{entry("api", "a1", "n1", func(e *audit.Entry) { e.Checks[1].ServiceID = "" })}, acls: true, want: "health-check/error"},
		{name: "check of another instance", entries: []audit.Entry{entry("api", "a1", "n1", func(e *audit.Entry) { e.Checks[1].ServiceID = "a2" })}, acls: true, want: "health-check/error"},
		{name: "same id on another node", entries: []audit.Entry{entry("api", "a1", "n1", func(e *audit.Entry) { e.Checks[1].Node = "n2" })}, acls: true, want: "health-check/error"},
		{name: "a warning check is a check", entries: []audit.Entry{entry("api", "a1", "n1", checks(catalog.Warning))}, acls: true},

		{name: "static port", entries: []audit.Entry{entry("api", "a1", "n1", port(8080))}, acls: true, want: "dynamic-ports/error", msg: "port 8080 is outside the dynamic range 20000-32000"},
		{name: "just below the range", entries: []audit.Entry{entry("api", "a1", "n1", port(19999))}, acls: true, want: "dynamic-ports/error"},
		{name: "just above the range", entries: []audit.Entry{entry("api", "a1", "n1", port(32001))}, acls: true, want: "dynamic-ports/error"},
		{name: "range bounds", entries: []audit.Entry{entry("api", "a1", "n1", port(20000)), entry("api", "a2", "n1", port(32000))}, acls: true},
		{name: "standard's static exceptions", entries: []audit.Entry{entry("dns", "d1", "n1", port(53)), entry("web", "w1", "n1", port(80)), entry("tls", "t1", "n1", port(443))}, acls: true},
		{name: "no port", entries: []audit.Entry{entry("api", "a1", "n1", port(0))}, acls: true},
		{name: "allowed_ports from the policy", entries: []audit.Entry{entry("api", "a1", "n1", port(8443)), entry("web", "w1", "n1", port(80))},
			acls: true, cfg: policy.Config{AllowedPorts: []int{8443}}, want: "dynamic-ports/error", msg: "static ports are only for 8443"},
		{name: "excepted static port", entries: []audit.Entry{entry("api", "a1", "n1", port(8443), meta("orbit-exception-dynamic-ports", "legacy: the appliance speaks 8443"))},
			acls: true, want: "dynamic-ports/info", msg: "(excepted: legacy: the appliance speaks 8443)"},
		{name: "excepted with the long dotted key", entries: []audit.Entry{entry("api", "a1", "n1", port(8443), meta("orbit.policy.exception.dynamic_ports", "compliance: audited"))},
			acls: true, want: "dynamic-ports/info"},
		{name: "exception without a reason", entries: []audit.Entry{entry("api", "a1", "n1", port(8443), meta("orbit-exception-dynamic-ports", "legacy"))},
			acls: true, want: "dynamic-ports/error", msg: "does not count"},
		{name: "exception of another rule", entries: []audit.Entry{entry("api", "a1", "n1", port(8443), meta("orbit-exception-health-check", "legacy: old"))},
			acls: true, want: "dynamic-ports/error"},

		{name: "no identity", entries: []audit.Entry{entry("api", "a1", "n1", noMeta(audit.IdentityAudMeta))}, acls: true, want: "service-identity/error", msg: "identity { aud = [\"consul.io\"] }"},
		{name: "empty identity", entries: []audit.Entry{entry("api", "a1", "n1", meta(audit.IdentityAudMeta, " "))}, acls: true, want: "service-identity/error"},

		{name: "routed single instance", entries: []audit.Entry{entry("web", "w1", "n1", routed)}, acls: true, want: "ha-count/warning", msg: "user-facing (traefik.enable=true) but runs 1 instance(s): set count = 2"},
		{name: "routed pair", entries: []audit.Entry{entry("web", "w1", "n1", routed), entry("web", "w2", "n2", routed)}, acls: true},
		{name: "tagged user-facing single instance", entries: []audit.Entry{entry("web", "w1", "n1", tags("user-facing"))}, acls: true, want: "ha-count/warning", msg: "user-facing (user-facing)"},
		{name: "traefik.enable=false", entries: []audit.Entry{entry("web", "w1", "n1", tags("traefik.enable=false"))}, acls: true},
		{name: "internal single instance", entries: []audit.Entry{entry("db", "d1", "n1")}, acls: true},
		{name: "min_count from the policy", entries: []audit.Entry{entry("web", "w1", "n1", routed), entry("web", "w2", "n2", routed)},
			acls: true, cfg: policy.Config{MinCount: 3}, want: "ha-count/warning", msg: "set count = 3"},
		{name: "all instances critical", entries: []audit.Entry{entry("db", "d1", "n1", checks(catalog.Critical)), entry("db", "d2", "n2", checks(catalog.Passing, catalog.Maintenance))},
			acls: true, want: "ha-count/warning", msg: "all 2 instance(s) are critical"},
		{name: "one instance passing", entries: []audit.Entry{entry("db", "d1", "n1", checks(catalog.Critical)), entry("db", "d2", "n2", checks(catalog.Warning))}, acls: true},
		{name: "critical node", entries: []audit.Entry{entry("db", "d1", "n1", func(e *audit.Entry) { e.Checks[0].Status = catalog.Critical; e.Status = "" })},
			acls: true, want: "ha-count/warning"},
		{name: "routed, single and critical", entries: []audit.Entry{entry("web", "w1", "n1", routed, checks(catalog.Critical))}, acls: true, want: "ha-count/warning ha-count/warning"},
		{name: "ha exception on every instance", entries: []audit.Entry{entry("web", "w1", "n1", routed, meta("orbit-exception-ha-count", "legacy: singleton license"))},
			acls: true, want: "ha-count/info"},
		{name: "ha exception on one instance of two", entries: []audit.Entry{entry("db", "d1", "n1", checks(catalog.Critical), meta("orbit-exception-ha-count", "legacy: x")), entry("db", "d2", "n2", checks(catalog.Critical))},
			acls: true, want: "ha-count/warning"},

		{name: "rule disabled", entries: []audit.Entry{entry("api", "a1", "n1", port(8080))}, acls: false,
			cfg: policy.Config{Rules: map[string]policy.RuleConfig{policy.RuleDynamicPorts: {Disabled: true}, audit.RuleACL: {Disabled: true}}}},
		{name: "severity raised", entries: []audit.Entry{entry("web", "w1", "n1", routed)}, acls: true,
			cfg: policy.Config{Rules: map[string]policy.RuleConfig{policy.RuleHACount: {Severity: policy.SeverityError}}}, want: "ha-count/error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := audit.Check(audit.Cluster{Entries: tt.entries, ACLsEnabled: tt.acls, Agent: "n1"}, tt.cfg)
			if got := summary(fs); got != tt.want {
				t.Fatalf("findings %q, want %q: %+v", got, tt.want, fs)
			}
			if tt.msg != "" && !strings.Contains(fs[0].Message, tt.msg) {
				t.Errorf("message %q does not contain %q", fs[0].Message, tt.msg)
			}
			for _, f := range fs {
				if f.Resource == "" || f.File != "" {
					t.Errorf("finding %+v does not name a resource", f)
				}
				if (f.Severity == report.Info) != (f.Exception != "") {
					t.Errorf("finding %+v: info severity and exception disagree", f)
				}
			}
		})
	}
}

func TestResourcesAndOrder(t *testing.T) {
	c := audit.Cluster{Agent: "n1", Entries: []audit.Entry{
		entry("web", "w2", "n2", port(8080), tags("traefik.enable=true")),
		entry("api", "a1", "n1", checks(), noMeta(audit.IdentityAudMeta)),
		{Node: &catalog.Node{Name: "n3"}}, // no instance: ignored
	}}
	fs := audit.Check(c, policy.DefaultConfig())
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" @ "+f.Resource)
	}
	want := []string{
		`acl @ agent "n1"`,
		`health-check @ service "api" instance "a1" on node "n1"`,
		`service-identity @ service "api" instance "a1" on node "n1"`,
		`dynamic-ports @ service "web" instance "w2" on node "n2"`,
		`ha-count @ service "web"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fs := audit.Check(audit.Cluster{}, policy.Config{}); len(fs) != 1 || fs[0].Resource != "cluster" {
		t.Errorf("ACL finding without an agent name: %+v", fs)
	}
}

// TestRulesTable: the rules share ids with policy (so a policy file
// configures both), except acl, and every rule has a summary.
func TestRulesTable(t *testing.T) {
	known := map[string]bool{}
	for _, r := range policy.Rules() {
		known[r.ID] = true
	}
	for _, r := range audit.Rules() {
		if r.Summary == "" || (r.Severity != report.Error && r.Severity != report.Warning) {
			t.Errorf("rule %+v", r)
		}
		if !known[r.ID] && r.ID != audit.RuleACL {
			t.Errorf("rule %q is not a policy rule", r.ID)
		}
	}
}

// TestViewEntryConverts keeps audit.Entry convertible from view.Entry, so
// an agent-side caller can audit its view without copying.
func TestViewEntryConverts(t *testing.T) {
	in := &catalog.Instance{Name: "x", ID: "x1", Node: "n1", Port: 8080}
	e := audit.Entry(view.Entry{Instance: in, Status: catalog.Passing})
	if fs := audit.Check(audit.Cluster{Entries: []audit.Entry{e}, ACLsEnabled: true}, policy.Config{}); summary(fs) != "dynamic-ports/error health-check/error service-identity/error" {
		t.Errorf("findings %s", summary(fs))
	}
}
