package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/policy"
)

func (a *auditor) checkACL(agent string) {
	resource := "cluster"
	if agent != "" {
		resource = fmt.Sprintf("agent %q", agent)
	}
	a.report(RuleACL, resource, "ACLs are disabled: anyone who reaches the agent API can read and change services, KV and jobs; "+
		"once orbit's ACL support lands, enable it in the agent config (acl { enabled = true }), bootstrap a management token "+
		"and give every workload and operator its own token")
}

func (a *auditor) checkDynamicPort(in *catalog.Instance) {
	p := in.Port
	if p == 0 || (p >= DynamicPortMin && p <= DynamicPortMax) || slices.Contains(a.cfg.AllowedPorts, p) {
		return
	}
	a.report(policy.RuleDynamicPorts, instanceResource(in),
		fmt.Sprintf("port %d is outside the dynamic range %d-%d: run it from a job with a dynamic port (no static in its network block) and reach it through the service name; static ports are only for %s",
			p, DynamicPortMin, DynamicPortMax, joinInts(a.cfg.AllowedPorts)),
		in.Meta)
}

func (a *auditor) checkHealthCheck(e Entry) {
	in := e.Instance
	for _, c := range e.Checks {
		if c != nil && c.ServiceID == in.ID && (c.Node == "" || c.Node == in.Node) {
			return
		}
	}
	a.report(policy.RuleHealthCheck, instanceResource(in),
		"no health check of its own (node checks do not say whether the service answers): add a check block (http with a path, tcp, grpc or ttl) to the job's service so that only healthy instances get traffic",
		in.Meta)
}

func (a *auditor) checkIdentity(in *catalog.Instance) {
	if strings.TrimSpace(in.Meta[IdentityAudMeta]) != "" {
		return
	}
	a.report(policy.RuleServiceIdentity, instanceResource(in),
		"registered without a workload identity: add an identity { aud = [\"consul.io\"] } block to the job's service and redeploy it",
		in.Meta)
}

// checkHACount reports a user-facing service with fewer instances than the
// minimum, and a service whose instances are all critical.
func (a *auditor) checkHACount(svc []Entry) {
	name := svc[0].Instance.Name
	metas := make([]map[string]string, len(svc))
	critical := 0
	var reason string
	for i, e := range svc {
		metas[i] = e.Instance.Meta
		if !status(e).AtLeast(catalog.Warning) {
			critical++
		}
		if reason == "" {
			reason = userFacing(e.Instance)
		}
	}
	if reason != "" && len(svc) < a.cfg.MinCount {
		a.report(policy.RuleHACount, serviceResource(name),
			fmt.Sprintf("user-facing (%s) but runs %d instance(s): set count = %d or more in the job's group so that the edge always has a healthy instance, or declare why not with meta orbit-exception-ha-count = \"legacy: reason\"",
				reason, len(svc), a.cfg.MinCount),
			metas...)
	}
	if critical == len(svc) {
		a.report(policy.RuleHACount, serviceResource(name),
			fmt.Sprintf("all %d instance(s) are critical, so nothing can serve it: look at their checks (orbit services, /v1/health/service/%s) and fix or replace them",
				len(svc), name),
			metas...)
	}
}

// userFacing returns the tag that makes the instance's service critical for
// users, or "".
func userFacing(in *catalog.Instance) string {
	for _, tag := range in.Tags {
		key, value, ok := strings.Cut(tag, "=")
		switch {
		case ok && strings.EqualFold(strings.TrimSpace(key), "traefik.enable") && strings.EqualFold(strings.TrimSpace(value), "true"):
			return "traefik.enable=true"
		case !ok && strings.EqualFold(strings.TrimSpace(tag), UserFacingTag):
			return UserFacingTag
		}
	}
	return ""
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// status is the entry's aggregated status, computed from its checks when
// the caller left it empty.
func status(e Entry) catalog.Status {
	if e.Status != "" {
		return e.Status
	}
	return catalog.Aggregate(e.Checks)
}
