package scheduler

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/job"
)

// Constraint operators, as in Nomad.
const (
	OpEqual            = "="
	OpNotEqual         = "!="
	OpRegexp           = "regexp"
	OpVersion          = "version"
	OpSemver           = "semver"
	OpSetContains      = "set_contains"
	OpSetContainsAll   = "set_contains_all"
	OpSetContainsAny   = "set_contains_any"
	OpIsSet            = "is_set"
	OpIsNotSet         = "is_not_set"
	OpDistinctHosts    = "distinct_hosts"
	OpDistinctProperty = "distinct_property"
)

// Resolve returns the value of a constraint target on node info: a
// "${attr.X}", "${meta.X}" or "${node.X}" interpolation, or the literal.
// ok is false when an interpolated attribute is not set.
func Resolve(target string, n *job.NodeInfo) (string, bool) {
	inner, isVar := strings.CutPrefix(target, "${")
	if !isVar || !strings.HasSuffix(inner, "}") {
		return target, true
	}
	inner = strings.TrimSuffix(inner, "}")
	switch {
	case strings.HasPrefix(inner, "attr."):
		v, ok := n.Attributes[strings.TrimPrefix(inner, "attr.")]
		return v, ok
	case strings.HasPrefix(inner, "meta."):
		v, ok := n.Meta[strings.TrimPrefix(inner, "meta.")]
		return v, ok
	}
	switch inner {
	case "node.unique.name":
		return n.Name, true
	case "node.unique.id":
		return n.ID, n.ID != ""
	case "node.datacenter":
		return n.Datacenter, true
	case "node.class":
		return n.NodeClass, n.NodeClass != ""
	case "node.pool":
		if n.NodePool == "" {
			return "default", true
		}
		return n.NodePool, true
	}
	return "", false
}

// normalizeOp maps Nomad's operator aliases to one spelling.
func normalizeOp(op string) string {
	switch op {
	case "", "==", "is", OpEqual:
		return OpEqual
	case "not", OpNotEqual:
		return OpNotEqual
	}
	return op
}

// matcher holds compiled regular expressions and version constraints so a
// pass over many nodes compiles each once. It is used by one goroutine.
type matcher struct {
	re  map[string]*regexp.Regexp
	ver map[string][]versionTerm
}

func newMatcher() *matcher {
	return &matcher{re: map[string]*regexp.Regexp{}, ver: map[string][]versionTerm{}}
}

// Match reports whether Attribute Operator Value holds on node info.
// distinct_hosts and distinct_property are not node-local and always hold
// here (feasibility checks them against the placements).
func (m *matcher) Match(attr, op, value string, n *job.NodeInfo) bool {
	op = normalizeOp(op)
	l, lok := Resolve(attr, n)
	switch op {
	case OpDistinctHosts, OpDistinctProperty:
		return true
	case OpIsSet:
		return lok
	case OpIsNotSet:
		return !lok
	}
	r, rok := Resolve(value, n)
	if !lok || !rok {
		return op == OpNotEqual && lok != rok
	}
	switch op {
	case OpEqual:
		return l == r
	case OpNotEqual:
		return l != r
	case "<", "<=", ">", ">=":
		return compareOrdered(l, op, r)
	case OpRegexp:
		re, ok := m.re[r]
		if !ok {
			re, _ = regexp.Compile(r) // nil: never matches
			m.re[r] = re
		}
		return re != nil && re.MatchString(l)
	case OpVersion, OpSemver:
		terms, ok := m.ver[r]
		if !ok {
			terms, _ = parseVersionConstraint(r)
			m.ver[r] = terms
		}
		return versionMatches(l, terms)
	case OpSetContains, OpSetContainsAll:
		return setContains(l, r, true)
	case OpSetContainsAny:
		return setContains(l, r, false)
	}
	return false
}

// compareOrdered compares numerically when both sides are numbers, else
// lexically, as Nomad does.
func compareOrdered(l, op, r string) bool {
	var c int
	lf, lerr := strconv.ParseFloat(l, 64)
	rf, rerr := strconv.ParseFloat(r, 64)
	switch {
	case lerr == nil && rerr == nil && lf < rf, (lerr != nil || rerr != nil) && l < r:
		c = -1
	case lerr == nil && rerr == nil && lf > rf, (lerr != nil || rerr != nil) && l > r:
		c = 1
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	default:
		return c >= 0
	}
}

func setContains(have, want string, all bool) bool {
	set := map[string]bool{}
	for _, s := range strings.Split(have, ",") {
		set[strings.TrimSpace(s)] = true
	}
	for _, w := range strings.Split(want, ",") {
		ok := set[strings.TrimSpace(w)]
		if all && !ok {
			return false
		}
		if !all && ok {
			return true
		}
	}
	return all
}

// versionTerm is one comparison of a version constraint ("< 2.0").
type versionTerm struct {
	op  string
	ver []int
	pre string
}

// parseVersionConstraint parses Nomad's (go-version's) constraint syntax:
// comma-separated terms of an operator (=, !=, >, >=, <, <=, ~>; = when
// absent) and a version.
func parseVersionConstraint(s string) ([]versionTerm, error) {
	var out []versionTerm
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		op := "="
		for _, cand := range []string{"~>", ">=", "<=", "!=", ">", "<", "="} {
			if rest, ok := strings.CutPrefix(part, cand); ok {
				op, part = cand, strings.TrimSpace(rest)
				break
			}
		}
		v, pre, err := parseVersion(part)
		if err != nil {
			return nil, err
		}
		out = append(out, versionTerm{op: op, ver: v, pre: pre})
	}
	return out, nil
}

// parseVersion reads "v1.2.3-beta+meta" into its numeric segments and the
// pre-release.
func parseVersion(s string) ([]int, string, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "+")
	s, pre, _ := strings.Cut(s, "-")
	if s == "" {
		return nil, "", fmt.Errorf("empty version")
	}
	var out []int
	for _, seg := range strings.Split(s, ".") {
		n, err := strconv.Atoi(seg)
		if err != nil {
			return nil, "", fmt.Errorf("version %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, pre, nil
}

func compareVersions(a []int, apre string, b []int, bpre string) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1 // a release sorts after its pre-releases
	case bpre == "":
		return -1
	case apre < bpre:
		return -1
	}
	return 1
}

func versionMatches(s string, terms []versionTerm) bool {
	if len(terms) == 0 {
		return false
	}
	v, pre, err := parseVersion(s)
	if err != nil {
		return false
	}
	for _, t := range terms {
		c := compareVersions(v, pre, t.ver, t.pre)
		ok := false
		switch t.op {
		case "=":
			ok = c == 0
		case "!=":
			ok = c != 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		case "~>":
			// ~> 1.2.3 means >= 1.2.3, < 1.3; ~> 1.2 means >= 1.2, < 2.
			upper := append([]int(nil), t.ver[:max(len(t.ver)-1, 1)]...)
			upper[len(upper)-1]++
			if len(t.ver) == 1 {
				upper = []int{t.ver[0] + 1}
			}
			ok = c >= 0 && compareVersions(v, pre, upper, "") < 0
		}
		if !ok {
			return false
		}
	}
	return true
}
