package policy

import (
	"sort"

	"github.com/orbit/orbit/internal/job"
)

// Severity is how much a finding matters.
type Severity string

// Severities, from worst to mildest. Info is for excepted findings.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool {
	return s == SeverityError || s == SeverityWarning || s == SeverityInfo
}

// Finding is one place where a job departs from the standards.
type Finding struct {
	Rule     string
	Severity Severity
	Pos      job.Pos
	Message  string
	// Exception is the reason the job declared for this departure
	// ("legacy: ..."); when set, Severity is info.
	Exception string
}

// Rule ids.
const (
	RuleDynamicPorts     = "dynamic-ports"
	RuleHealthCheck      = "health-check"
	RuleCheckTiming      = "check-timing"
	RuleServiceIdentity  = "service-identity"
	RulePinnedImage      = "pinned-image"
	RuleResources        = "resources"
	RuleLiteralSecret    = "literal-secret"
	RuleHardcodedAddress = "hardcoded-address"
	RuleTraefikTags      = "traefik-tags"
	RuleHACount          = "ha-count"
	// RuleException reports a malformed or misdirected exception in meta.
	RuleException = "exception"
)

// RuleInfo describes a rule for documentation and SARIF output.
type RuleInfo struct {
	ID       string
	Severity Severity // the default severity
	Summary  string
}

type rule struct {
	RuleInfo
	check func(c *checker)
}

// rules returns the rule table in a fixed order.
func rules() []rule {
	return []rule{
		{RuleInfo{RuleDynamicPorts, SeverityError, "ports are dynamic; a static port only for 53, 80 or 443"}, checkDynamicPorts},
		{RuleInfo{RuleHealthCheck, SeverityError, "every service has a health check"}, checkHealthCheck},
		{RuleInfo{RuleCheckTiming, SeverityError, "every check has an interval and a timeout shorter than it"}, checkCheckTiming},
		{RuleInfo{RuleServiceIdentity, SeverityError, "every service has an identity block with an aud"}, checkServiceIdentity},
		{RuleInfo{RulePinnedImage, SeverityError, "every image is pinned to a version tag or a digest"}, checkPinnedImage},
		{RuleInfo{RuleResources, SeverityError, "every task sets cpu and memory"}, checkResources},
		{RuleInfo{RuleLiteralSecret, SeverityError, "no literal secrets in env, config or templates"}, checkLiteralSecret},
		{RuleInfo{RuleHardcodedAddress, SeverityError, "no literal addresses of other hosts; use service discovery"}, checkHardcodedAddress},
		{RuleInfo{RuleTraefikTags, SeverityError, "Traefik tags parse, and TLS routers sit on an HTTPS entry point"}, checkTraefikTags},
		{RuleInfo{RuleHACount, SeverityWarning, "a routed service runs at least two instances"}, checkHACount},
		{RuleInfo{RuleException, SeverityWarning, "exceptions in meta name a rule and give a category and a reason"}, nil},
	}
}

// Rules lists every rule with its default severity, in a fixed order.
func Rules() []RuleInfo {
	rs := rules()
	out := make([]RuleInfo, len(rs))
	for i, r := range rs {
		out[i] = r.RuleInfo
	}
	return out
}

// Check runs the enabled rules of cfg over j and returns the findings in
// source order. Findings that the job excepts have severity info.
func Check(j *job.Job, cfg Config) []Finding {
	c := &checker{job: j, cfg: cfg.withDefaults()}
	for _, r := range rules() {
		if r.check == nil || !c.cfg.enabled(r.ID) {
			continue
		}
		c.rule, c.severity = r.ID, c.cfg.severity(r.ID, r.Severity)
		r.check(c)
	}
	if c.cfg.enabled(RuleException) {
		c.rule, c.severity = RuleException, c.cfg.severity(RuleException, SeverityWarning)
		checkExceptionKeys(c)
	}
	sort.SliceStable(c.out, func(i, k int) bool {
		a, b := c.out[i].Pos, c.out[k].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return c.out
}

// checker holds one Check run: the job, the configuration, the rule being
// run and the findings so far.
type checker struct {
	job      *job.Job
	cfg      Config
	rule     string
	severity Severity
	out      []Finding
}

// scope is where a finding sits, innermost first, for exception lookup.
type scope []*job.Meta

func (c *checker) jobScope() scope { return scope{&c.job.Meta} }

func groupScope(c *checker, g *job.Group) scope { return scope{&g.Meta, &c.job.Meta} }

func taskScope(c *checker, g *job.Group, t *job.Task) scope {
	return scope{&t.Meta, &g.Meta, &c.job.Meta}
}

// report adds a finding of the current rule, excepted if the scope says so.
func (c *checker) report(sc scope, pos job.Pos, msg string) {
	f := Finding{Rule: c.rule, Severity: c.severity, Pos: pos, Message: msg}
	applyException(&f, sc)
	c.out = append(c.out, f)
}

// eachService calls fn for every service, group-level then task-level;
// t is nil for group-level services.
func (c *checker) eachService(fn func(g *job.Group, t *job.Task, s *job.Service, sc scope)) {
	for _, g := range c.job.Groups {
		for _, s := range g.Services {
			fn(g, nil, s, append(scope{&s.Meta}, groupScope(c, g)...))
		}
		for _, t := range g.Tasks {
			for _, s := range t.Services {
				fn(g, t, s, append(scope{&s.Meta}, taskScope(c, g, t)...))
			}
		}
	}
}

// eachTask calls fn for every task.
func (c *checker) eachTask(fn func(g *job.Group, t *job.Task, sc scope)) {
	for _, g := range c.job.Groups {
		for _, t := range g.Tasks {
			fn(g, t, taskScope(c, g, t))
		}
	}
}
