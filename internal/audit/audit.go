package audit

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/policy"
	"github.com/orbit/orbit/internal/report"
)

// RuleACL is the rule id of the ACL finding; the other rules share their
// ids with internal/policy.
const RuleACL = "acl"

// UserFacingTag marks a service as critical for users without routing it
// through the edge; traefik.enable=true marks it too.
const UserFacingTag = "user-facing"

// IdentityAudMeta is the instance meta key in which orbit records the
// audiences of the workload identity an instance was registered with.
const IdentityAudMeta = "orbit-identity-aud"

// The dynamic port range orbit allocates from.
const (
	DynamicPortMin = 20000
	DynamicPortMax = 32000
)

// Entry is one instance with the checks that decide its health (its own
// and its node's) and their aggregated status. Its fields are those of
// view.Entry, so that a view.Entry converts with audit.Entry(e).
type Entry struct {
	Node     *catalog.Node
	Instance *catalog.Instance
	Checks   []*catalog.Check
	Status   catalog.Status
}

// Cluster is the state that Check audits.
type Cluster struct {
	// Entries lists every instance of every service.
	Entries []Entry
	// ACLsEnabled is the agent's ACL state.
	ACLsEnabled bool
	// Agent names the agent that reported the ACL state, for the finding.
	Agent string
}

// Rules lists the audit's rules with their default severities, in the
// order Check runs them.
func Rules() []report.Rule {
	return []report.Rule{
		{ID: RuleACL, Severity: report.Warning, Summary: "ACLs are enabled"},
		{ID: policy.RuleDynamicPorts, Severity: report.Error, Summary: "instances listen on dynamic ports; a static port only for 53, 80 or 443"},
		{ID: policy.RuleHealthCheck, Severity: report.Error, Summary: "every instance has a health check of its own"},
		{ID: policy.RuleServiceIdentity, Severity: report.Error, Summary: "every instance was registered with a workload identity"},
		{ID: policy.RuleHACount, Severity: report.Warning, Summary: "a user-facing service runs at least two instances, and no service has only critical instances"},
	}
}

// Check runs the enabled rules of cfg over c and returns the findings: the
// ACL finding first, then by service name, each service's instance
// findings (by node and id) before its service finding.
func Check(c Cluster, cfg policy.Config) []report.Finding {
	a := &auditor{cfg: cfg}
	if len(a.cfg.AllowedPorts) == 0 {
		a.cfg.AllowedPorts = []int{53, 80, 443}
	}
	if a.cfg.MinCount == 0 {
		a.cfg.MinCount = 2
	}
	if !c.ACLsEnabled {
		a.checkACL(c.Agent)
	}
	for _, svc := range byService(c.Entries) {
		for _, e := range svc {
			a.checkDynamicPort(e.Instance)
			a.checkHealthCheck(e)
			a.checkIdentity(e.Instance)
		}
		a.checkHACount(svc)
	}
	return a.out
}

// byService groups entries by service name, sorted by name, each group
// sorted by node and instance id. Entries without an instance are dropped.
func byService(entries []Entry) [][]Entry {
	groups := map[string][]Entry{}
	for _, e := range entries {
		if e.Instance != nil {
			groups[e.Instance.Name] = append(groups[e.Instance.Name], e)
		}
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([][]Entry, 0, len(names))
	for _, n := range names {
		g := groups[n]
		slices.SortFunc(g, func(a, b Entry) int {
			return cmp.Or(cmp.Compare(a.Instance.Node, b.Instance.Node), cmp.Compare(a.Instance.ID, b.Instance.ID))
		})
		out = append(out, g)
	}
	return out
}

// auditor holds one Check run.
type auditor struct {
	cfg policy.Config
	out []report.Finding
}

// severity returns the rule's configured severity, or "" when disabled.
func (a *auditor) severity(rule string) report.Severity {
	rc := a.cfg.Rules[rule]
	if rc.Disabled {
		return ""
	}
	if rc.Severity != "" {
		return report.Severity(rc.Severity)
	}
	for _, r := range Rules() {
		if r.ID == rule {
			return r.Severity
		}
	}
	return report.Error
}

// report adds a finding of rule about resource, excepted when every meta
// in metas declares a valid exception for the rule.
func (a *auditor) report(rule, resource, msg string, metas ...map[string]string) {
	sev := a.severity(rule)
	if sev == "" {
		return
	}
	f := report.Finding{Rule: rule, Severity: sev, Resource: resource, Message: msg}
	applyException(&f, metas)
	a.out = append(a.out, f)
}

func instanceResource(in *catalog.Instance) string {
	return fmt.Sprintf("service %q instance %q on node %q", in.Name, in.ID, in.Node)
}

func serviceResource(name string) string { return fmt.Sprintf("service %q", name) }
