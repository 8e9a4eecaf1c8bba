package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/orbit/orbit/internal/job"
)

// exceptionPrefixes start a meta key that excepts a rule, once "." and "_"
// are read as "-": orbit-exception-dynamic-ports, or the longer
// orbit.policy.exception.dynamic-ports.
func exceptionPrefixes() []string {
	return []string{"orbit-exception-", "orbit-policy-exception-"}
}

// categories lists the standard's named exception cases.
const categories = "legacy, external, compliance"

func isCategory(c string) bool {
	return c == "legacy" || c == "external" || c == "compliance"
}

// exceptionRule returns the rule id a meta key excepts, if it is an
// exception key.
func exceptionRule(key string) (string, bool) {
	norm := strings.NewReplacer(".", "-", "_", "-").Replace(strings.ToLower(key))
	for _, p := range exceptionPrefixes() {
		if strings.HasPrefix(norm, p) {
			return strings.TrimPrefix(norm, p), true
		}
	}
	return "", false
}

// parseException checks a declared exception "category: reason".
func parseException(value string) error {
	cat, reason, ok := strings.Cut(value, ":")
	cat, reason = strings.ToLower(strings.TrimSpace(cat)), strings.TrimSpace(reason)
	if !ok || !isCategory(cat) || reason == "" {
		return fmt.Errorf("write %q with a category (%s) and a reason", "category: reason", categories)
	}
	return nil
}

// applyException marks f excepted when the innermost meta of its scope
// that mentions its rule declares a valid exception.
func applyException(f *Finding, sc scope) {
	for _, m := range sc {
		for _, key := range sortedKeys(m.Values) {
			id, ok := exceptionRule(key)
			if !ok || id != f.Rule {
				continue
			}
			value := m.Values[key]
			if err := parseException(value); err != nil {
				f.Message += fmt.Sprintf(" (the exception %s = %q does not count: %v)", key, value, err)
				return
			}
			f.Severity = SeverityInfo
			f.Exception = strings.TrimSpace(value)
			f.Message += " (excepted: " + f.Exception + ")"
			return
		}
	}
}

// checkExceptionKeys reports exception keys that name no rule or have no
// valid category and reason, wherever meta is written.
func checkExceptionKeys(c *checker) {
	ids := map[string]bool{}
	for _, r := range Rules() {
		ids[r.ID] = true
	}
	check := func(m *job.Meta) {
		for _, key := range sortedKeys(m.Values) {
			id, ok := exceptionRule(key)
			if !ok {
				continue
			}
			pos := m.KeyPos[key]
			if !ids[id] || id == RuleException {
				c.out = append(c.out, Finding{Rule: c.rule, Severity: c.severity, Pos: pos,
					Message: fmt.Sprintf("meta %s excepts rule %q, which does not exist; rules: %s", key, id, strings.Join(ruleIDs(), ", "))})
				continue
			}
			if err := parseException(m.Values[key]); err != nil {
				c.out = append(c.out, Finding{Rule: c.rule, Severity: c.severity, Pos: pos,
					Message: fmt.Sprintf("meta %s: %v, e.g. \"legacy: the appliance cannot move\"", key, err)})
			}
		}
	}
	check(&c.job.Meta)
	for _, g := range c.job.Groups {
		check(&g.Meta)
		for _, s := range g.Services {
			check(&s.Meta)
		}
		for _, t := range g.Tasks {
			check(&t.Meta)
			for _, s := range t.Services {
				check(&s.Meta)
			}
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
