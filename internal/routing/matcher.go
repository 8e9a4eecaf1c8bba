package routing

import (
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// matcherKind identifies one of the rule language's matchers.
type matcherKind int

const (
	mHost matcherKind = iota
	mHostRegexp
	mPath
	mPathPrefix
	mPathRegexp
	mMethod
	mHeader
	mHeaderRegexp
	mQuery
	mQueryRegexp
	mClientIP
)

// matcherSpec describes a matcher's canonical name and argument count.
type matcherSpec struct {
	kind    matcherKind
	name    string
	minArgs int
	maxArgs int
}

// lookupMatcher finds a matcher by name. Like Traefik it accepts the
// documented spelling and the all-lower-case one.
func lookupMatcher(name string) (matcherSpec, bool) {
	specs := [...]matcherSpec{
		{mHost, "Host", 1, 1},
		{mHostRegexp, "HostRegexp", 1, 1},
		{mPath, "Path", 1, 1},
		{mPathPrefix, "PathPrefix", 1, 1},
		{mPathRegexp, "PathRegexp", 1, 1},
		{mMethod, "Method", 1, 1},
		{mHeader, "Header", 2, 2},
		{mHeaderRegexp, "HeaderRegexp", 2, 2},
		{mQuery, "Query", 1, 2},
		{mQueryRegexp, "QueryRegexp", 2, 2},
		{mClientIP, "ClientIP", 1, 1},
	}
	for _, s := range specs {
		if name == s.name || name == strings.ToLower(s.name) {
			return s, true
		}
	}
	for _, s := range specs {
		if strings.EqualFold(name, s.name) {
			return matcherSpec{name: s.name, minArgs: -1}, false
		}
	}
	return matcherSpec{}, false
}

// matcher is a leaf of the syntax tree: one compiled matcher call.
type matcher struct {
	kind   matcherKind
	name   string
	args   []string
	re     *regexp.Regexp // *Regexp matchers
	prefix netip.Prefix   // ClientIP
}

// compileMatcher validates a matcher's name and arguments and compiles
// what can be compiled once (regexps, prefixes, lower-cased hosts).
func compileMatcher(rule string, name token, args []token) (expr, error) {
	spec, ok := lookupMatcher(name.text)
	if !ok {
		if spec.minArgs == -1 {
			return nil, errorAt(rule, name.pos, "unknown matcher %q (did you mean %q?)", name.text, spec.name)
		}
		return nil, errorAt(rule, name.pos, "unknown matcher %q", name.text)
	}
	if n := len(args); n < spec.minArgs || n > spec.maxArgs {
		return nil, errorAt(rule, name.pos, "%s takes %s, got %d", spec.name, argCount(spec), n)
	}
	m := &matcher{kind: spec.kind, name: spec.name}
	for _, a := range args {
		m.args = append(m.args, a.text)
	}
	bad := func(i int, format string, a ...any) error {
		return errorAt(rule, args[i].pos, "%s: %s", spec.name, fmt.Sprintf(format, a...))
	}
	switch spec.kind {
	case mHost:
		h := canonicalHost(m.args[0])
		if err := checkHostArg(h); err != nil {
			return nil, bad(0, "%v", err)
		}
		m.args[0] = h
	case mPath, mPathPrefix:
		if !strings.HasPrefix(m.args[0], "/") {
			return nil, bad(0, "path %q does not start with \"/\"", m.args[0])
		}
	case mMethod:
		if m.args[0] == "" || strings.ContainsAny(m.args[0], " \t/") {
			return nil, bad(0, "invalid method %q", m.args[0])
		}
	case mHeader, mHeaderRegexp, mQuery, mQueryRegexp:
		if m.args[0] == "" {
			return nil, bad(0, "empty key")
		}
	case mClientIP:
		p, err := parseIPOrPrefix(m.args[0])
		if err != nil {
			return nil, bad(0, "%v", err)
		}
		m.prefix = p
	}
	if re := regexpArg(spec.kind); re >= 0 {
		compiled, err := regexp.Compile(m.args[re])
		if err != nil {
			return nil, bad(re, "invalid regexp %q: %v", m.args[re], err)
		}
		m.re = compiled
	}
	return m, nil
}

func argCount(s matcherSpec) string {
	switch {
	case s.minArgs != s.maxArgs:
		return fmt.Sprintf("%d or %d arguments", s.minArgs, s.maxArgs)
	case s.minArgs == 1:
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", s.minArgs)
}

// regexpArg returns the index of the argument that is a regexp, or -1.
func regexpArg(k matcherKind) int {
	switch k {
	case mHostRegexp, mPathRegexp:
		return 0
	case mHeaderRegexp, mQueryRegexp:
		return 1
	}
	return -1
}

func checkHostArg(h string) error {
	if h == "" {
		return fmt.Errorf("empty host")
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 0x80 {
			return fmt.Errorf("host %q: non-ASCII characters are not allowed (use the punycode form)", h)
		}
		if c <= ' ' || strings.IndexByte("/\\?#@,`\"", c) >= 0 {
			return fmt.Errorf("host %q: invalid character %q", h, c)
		}
	}
	return nil
}

// parseIPOrPrefix accepts an IP address (v4 or v6) or a CIDR range.
func parseIPOrPrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid IP address %q", s)
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (m *matcher) eval(r *reqView) bool {
	switch m.kind {
	case mHost:
		return r.host == m.args[0]
	case mHostRegexp:
		return m.re.MatchString(r.host)
	case mPath:
		return r.path == m.args[0]
	case mPathPrefix:
		return strings.HasPrefix(r.path, m.args[0])
	case mPathRegexp:
		return m.re.MatchString(r.path)
	case mMethod:
		return strings.EqualFold(r.method, m.args[0])
	case mHeader:
		return slices.Contains(r.header[http.CanonicalHeaderKey(m.args[0])], m.args[1])
	case mHeaderRegexp:
		return slices.ContainsFunc(r.header[http.CanonicalHeaderKey(m.args[0])], m.re.MatchString)
	case mQuery:
		vals, ok := r.queryValues()[m.args[0]]
		if len(m.args) == 1 {
			return ok
		}
		return slices.Contains(vals, m.args[1])
	case mQueryRegexp:
		return slices.ContainsFunc(r.queryValues()[m.args[0]], m.re.MatchString)
	case mClientIP:
		return r.ip.IsValid() && m.prefix.Contains(r.ip)
	}
	return false
}

func (m *matcher) format(b *strings.Builder) {
	b.WriteString(m.name)
	b.WriteString("(")
	for i, a := range m.args {
		if i > 0 {
			b.WriteString(", ")
		}
		if strings.Contains(a, "`") {
			fmt.Fprintf(b, "%q", a)
		} else {
			b.WriteString("`" + a + "`")
		}
	}
	b.WriteString(")")
}

func (m *matcher) hosts(dst []string, negated bool) []string {
	if m.kind == mHost && !negated {
		dst = append(dst, m.args[0])
	}
	return dst
}
