package routing

import (
	"fmt"
	"strconv"
	"strings"
)

// elemKind is the kind of a configuration element named by tags.
type elemKind int

const (
	kindRouter elemKind = iota
	kindService
	kindMiddleware
)

func (k elemKind) String() string {
	switch k {
	case kindRouter:
		return "router"
	case kindService:
		return "service"
	}
	return "middleware"
}

// elemKey names one element: a router, a service or a middleware.
type elemKey struct {
	kind elemKind
	name string
}

func (k elemKey) String() string { return fmt.Sprintf("%s %q", k.kind, k.name) }

// TLSDomain is one certificate request: a main name and alternative names.
type TLSDomain struct {
	Main string
	SANs []string
}

// TLSConfig is a router's TLS settings. A router has TLS when any tls tag
// is present or it is attached to a TLS entry point.
type TLSConfig struct {
	CertResolver string
	Options      string
	Domains      []TLSDomain
}

// StickyCookie makes a client stick to one backend with a cookie. An empty
// Name lets the proxy choose one.
type StickyCookie struct {
	Name     string
	Secure   bool
	HTTPOnly bool
	SameSite string // "", "none", "lax" or "strict"
}

// routerSpec is a router as defined by one instance's tags.
type routerSpec struct {
	Rule        string
	EntryPoints []string
	Middlewares []string
	Service     string
	Priority    int // 0: the rule's length
	TLS         *TLSConfig
}

// serviceSpec is a service's load balancer settings from one instance's
// tags. Port and Scheme are per server, not compared when merging.
type serviceSpec struct {
	Port           int    // 0: the instance's port
	Scheme         string // "": http
	PassHostHeader *bool  // nil: true
	Sticky         *StickyCookie
	Strategy       string // "": the proxy's default
}

// middlewareSpec is a middleware from one instance's tags. A middleware has
// exactly one type.
type middlewareSpec struct {
	Type   string
	Config MiddlewareConfig
}

// tagSet is what one instance's tags define.
type tagSet struct {
	enable      *bool
	connect     *bool // traefik.consulcatalog.connect: reach the servers over Connect mTLS
	routers     map[string]*routerSpec
	services    map[string]*serviceSpec
	middlewares map[string]*middlewareSpec
	errs        map[elemKey][]string // tag errors per element
	loose       []string             // tag errors that concern no element
}

func newTagSet() *tagSet {
	return &tagSet{
		routers:     map[string]*routerSpec{},
		services:    map[string]*serviceSpec{},
		middlewares: map[string]*middlewareSpec{},
		errs:        map[elemKey][]string{},
	}
}

// parseTags reads every tag of one instance. Tags that do not start with
// "traefik." are ignored. A bad tag marks its element in error; other
// elements are unaffected.
func parseTags(tags []string) *tagSet {
	ts := newTagSet()
	for _, tag := range tags {
		key, hasKey, err := ts.apply(tag)
		switch {
		case err == nil:
		case hasKey:
			ts.errs[key] = append(ts.errs[key], fmt.Sprintf("tag %q: %v", tag, err))
		default:
			ts.loose = append(ts.loose, fmt.Sprintf("tag %q: %v", tag, err))
		}
	}
	return ts
}

// CheckTag reports whether a single tag is acceptable: nil for a tag that
// does not start with "traefik." and for a valid traefik tag; otherwise an
// error wrapping ErrInvalidTag that says what is wrong (a rule that does
// not parse, an unknown option, a bad value, an unknown middleware type).
// Checks that need other tags (a middleware's required options, references
// between routers, services and middlewares) are left to Build.
func CheckTag(tag string) error {
	if _, _, err := newTagSet().apply(tag); err != nil {
		return fmt.Errorf("tag %q: %w: %w", tag, ErrInvalidTag, err)
	}
	return nil
}

// apply applies one tag. It returns the element the tag concerns, if any.
func (ts *tagSet) apply(tag string) (elemKey, bool, error) {
	if len(tag) < len("traefik.") || !strings.EqualFold(tag[:len("traefik.")], "traefik.") {
		return elemKey{}, false, nil
	}
	key, value, ok := strings.Cut(tag, "=")
	if !ok {
		return elemKey{}, false, fmt.Errorf(`missing "=value"`)
	}
	parts := strings.Split(strings.TrimSpace(key), ".")[1:]
	lower := strings.ToLower(strings.Join(parts, "."))
	switch {
	case lower == "enable":
		b, err := parseBool(value)
		ts.enable = &b // a malformed value counts as false: never expose by mistake
		return elemKey{}, false, err
	case lower == "consulcatalog.connect":
		b, err := parseBool(value)
		if err == nil {
			ts.connect = &b
		}
		return elemKey{}, false, err
	case strings.HasPrefix(lower, "tcp.") || strings.HasPrefix(lower, "udp."):
		return elemKey{}, false, fmt.Errorf("TCP and UDP routing are not supported by orbit")
	case len(parts) < 4 || strings.ToLower(parts[0]) != "http":
		return elemKey{}, false, fmt.Errorf("unknown tag: expected traefik.enable, traefik.consulcatalog.connect or traefik.http.{routers,services,middlewares}.<name>.<option>")
	}
	name := parts[2]
	if name == "" || strings.Contains(name, "@") {
		return elemKey{}, false, fmt.Errorf("invalid name %q: must be non-empty and without \"@\"", name)
	}
	opt := parts[3:]
	switch strings.ToLower(parts[1]) {
	case "routers":
		k := elemKey{kindRouter, name}
		return k, true, ts.router(name).set(lowerAll(opt), value)
	case "services":
		k := elemKey{kindService, name}
		return k, true, ts.service(name).set(lowerAll(opt), value)
	case "middlewares":
		k := elemKey{kindMiddleware, name}
		return k, true, ts.setMiddleware(name, opt, value)
	}
	return elemKey{}, false, fmt.Errorf("unknown section %q: expected routers, services or middlewares", parts[1])
}

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(s)
	}
	return out
}

func (ts *tagSet) router(name string) *routerSpec {
	if ts.routers[name] == nil {
		ts.routers[name] = &routerSpec{}
	}
	return ts.routers[name]
}

func (ts *tagSet) service(name string) *serviceSpec {
	if ts.services[name] == nil {
		ts.services[name] = &serviceSpec{}
	}
	return ts.services[name]
}

// set applies one router option (lower-cased path after the router name).
func (r *routerSpec) set(opt []string, v string) error {
	switch strings.Join(opt, ".") {
	case "rule":
		if _, err := ParseRule(v); err != nil {
			return err
		}
		r.Rule = v
	case "rulesyntax":
		if strings.TrimSpace(v) != "v3" {
			return fmt.Errorf("rule syntax %q is not supported: orbit speaks the v3 syntax only", v)
		}
	case "entrypoints":
		r.EntryPoints = parseList(v)
	case "middlewares":
		r.Middlewares = parseList(v)
	case "service":
		r.Service = strings.TrimSpace(v)
	case "priority":
		n, err := parseNonNegative(v)
		if err != nil {
			return fmt.Errorf("priority: %w", err)
		}
		if n > 1<<31-1 {
			return fmt.Errorf("priority %d is too large", n)
		}
		r.Priority = int(n)
	case "tls":
		on, err := parseBool(v)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		if on && r.TLS == nil {
			r.TLS = &TLSConfig{}
		}
	default:
		if opt[0] == "tls" && len(opt) > 1 {
			return r.setTLS(opt[1:], v)
		}
		return fmt.Errorf("unknown router option %q", strings.Join(opt, "."))
	}
	return nil
}

func (r *routerSpec) setTLS(opt []string, v string) error {
	if r.TLS == nil {
		r.TLS = &TLSConfig{}
	}
	switch {
	case len(opt) == 1 && opt[0] == "certresolver":
		r.TLS.CertResolver = strings.TrimSpace(v)
		return nil
	case len(opt) == 1 && opt[0] == "options":
		r.TLS.Options = strings.TrimSpace(v)
		return nil
	case len(opt) == 2 && strings.HasPrefix(opt[0], "domains["):
		i, err := parseIndex(opt[0], "domains")
		if err != nil {
			return err
		}
		for len(r.TLS.Domains) <= i {
			r.TLS.Domains = append(r.TLS.Domains, TLSDomain{})
		}
		switch opt[1] {
		case "main":
			r.TLS.Domains[i].Main = strings.TrimSpace(v)
			return nil
		case "sans":
			r.TLS.Domains[i].SANs = parseList(v)
			return nil
		}
	}
	return fmt.Errorf("unknown router option %q", "tls."+strings.Join(opt, "."))
}

// parseIndex reads "domains[3]" into 3; indexes are small by design.
func parseIndex(s, field string) (int, error) {
	inner, ok := strings.CutPrefix(s, field+"[")
	inner, ok2 := strings.CutSuffix(inner, "]")
	n, err := strconv.Atoi(inner)
	if !ok || !ok2 || err != nil || n < 0 || n > 99 {
		return 0, fmt.Errorf("invalid index in %q: expected %s[0] to %s[99]", s, field, field)
	}
	return n, nil
}

// set applies one service option (lower-cased path after the service name).
func (s *serviceSpec) set(opt []string, v string) (err error) {
	path := strings.Join(opt, ".")
	switch path {
	case "loadbalancer.server.port":
		s.Port, err = parsePort(v)
	case "loadbalancer.server.scheme":
		switch sc := strings.ToLower(strings.TrimSpace(v)); sc {
		case "http", "https", "h2c":
			s.Scheme = sc
		default:
			err = fmt.Errorf("scheme %q: expected http, https or h2c", v)
		}
	case "loadbalancer.strategy":
		switch st := strings.ToLower(strings.TrimSpace(v)); st {
		case "wrr", "p2c":
			s.Strategy = st
		default:
			err = fmt.Errorf("strategy %q: expected wrr or p2c", v)
		}
	case "loadbalancer.passhostheader":
		var b bool
		b, err = parseBool(v)
		s.PassHostHeader = &b
	case "loadbalancer.sticky.cookie":
		var on bool
		if on, err = parseBool(v); on && s.Sticky == nil {
			s.Sticky = &StickyCookie{}
		}
	case "loadbalancer.sticky.cookie.name", "loadbalancer.sticky.cookie.secure",
		"loadbalancer.sticky.cookie.httponly", "loadbalancer.sticky.cookie.samesite":
		if s.Sticky == nil {
			s.Sticky = &StickyCookie{}
		}
		err = s.Sticky.set(opt[len(opt)-1], v)
	default:
		err = fmt.Errorf("unknown service option %q", path)
	}
	return err
}

func (c *StickyCookie) set(opt, v string) (err error) {
	switch opt {
	case "name":
		c.Name = strings.TrimSpace(v)
	case "secure":
		c.Secure, err = parseBool(v)
	case "httponly":
		c.HTTPOnly, err = parseBool(v)
	case "samesite":
		switch ss := strings.ToLower(strings.TrimSpace(v)); ss {
		case "", "none", "lax", "strict":
			c.SameSite = ss
		default:
			err = fmt.Errorf("samesite %q: expected none, lax or strict", v)
		}
	}
	return err
}

// setMiddleware applies "<type>" or "<type>.<option...>" to middleware name.
func (ts *tagSet) setMiddleware(name string, opt []string, v string) error {
	typ := strings.ToLower(opt[0])
	m := ts.middlewares[name]
	if m == nil {
		cfg, err := newMiddlewareConfig(typ)
		if err != nil {
			return err
		}
		m = &middlewareSpec{Type: typ, Config: cfg}
		ts.middlewares[name] = m
	} else if m.Type != typ {
		return fmt.Errorf("middleware already has type %s, cannot also be %s", m.Type, typ)
	}
	if len(opt) == 1 {
		// "traefik.http.middlewares.gz.compress=true" declares the type.
		if on, err := parseBool(v); err != nil || !on {
			return fmt.Errorf("%s: expected an option such as %s.<option>=value, or %s=true", typ, typ, typ)
		}
		return nil
	}
	return m.Config.set(strings.Join(opt[1:], "."), v)
}
