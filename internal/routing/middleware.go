package routing

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// MiddlewareConfig is the typed configuration of one middleware. The proxy
// switches on the concrete type: *RedirectScheme, *StripPrefix, *AddPrefix,
// *Headers, *BasicAuth, *IPAllowList, *RateLimit, *Retry or *Compress.
type MiddlewareConfig interface {
	// Type is the middleware type as written in tags, e.g. "redirectscheme".
	Type() string
	// set applies one option tag; opt keeps the case of the tag.
	set(opt, value string) error
	// finish checks required options and fills defaults.
	finish() error
}

// newMiddlewareConfig returns an empty config for a type name (lower case).
func newMiddlewareConfig(typ string) (MiddlewareConfig, error) {
	switch typ {
	case "redirectscheme":
		return &RedirectScheme{}, nil
	case "stripprefix":
		return &StripPrefix{}, nil
	case "addprefix":
		return &AddPrefix{}, nil
	case "headers":
		return &Headers{}, nil
	case "basicauth":
		return &BasicAuth{}, nil
	case "ipallowlist":
		return &IPAllowList{}, nil
	case "ratelimit":
		return &RateLimit{}, nil
	case "retry":
		return &Retry{}, nil
	case "compress":
		return &Compress{}, nil
	case "ipwhitelist":
		return nil, fmt.Errorf("middleware type %q was removed in Traefik v3: use ipallowlist", typ)
	}
	return nil, fmt.Errorf("unknown middleware type %q (orbit supports redirectscheme, stripprefix, addprefix, headers, basicauth, ipallowlist, ratelimit, retry, compress)", typ)
}

func unknownOption(typ, opt string) error {
	return fmt.Errorf("unknown %s option %q", typ, opt)
}

// RedirectScheme redirects requests to another scheme (and port).
type RedirectScheme struct {
	Scheme    string // required, e.g. "https"
	Port      string // empty: keep the default port of Scheme
	Permanent bool   // 301/308 instead of 302/307
}

func (*RedirectScheme) Type() string { return "redirectscheme" }

func (c *RedirectScheme) set(opt, v string) (err error) {
	switch strings.ToLower(opt) {
	case "scheme":
		c.Scheme = strings.TrimSpace(v)
	case "port":
		_, err = parsePort(v)
		c.Port = strings.TrimSpace(v)
	case "permanent":
		c.Permanent, err = parseBool(v)
	default:
		return unknownOption(c.Type(), opt)
	}
	return err
}

func (c *RedirectScheme) finish() error {
	if c.Scheme == "" {
		return fmt.Errorf("redirectscheme needs a scheme")
	}
	return nil
}

// StripPrefix removes the first matching prefix from the request path.
type StripPrefix struct {
	Prefixes []string
}

func (*StripPrefix) Type() string { return "stripprefix" }

func (c *StripPrefix) set(opt, v string) error {
	if strings.ToLower(opt) != "prefixes" {
		return unknownOption(c.Type(), opt)
	}
	c.Prefixes = parseList(v)
	return nil
}

func (c *StripPrefix) finish() error {
	if len(c.Prefixes) == 0 {
		return fmt.Errorf("stripprefix needs prefixes")
	}
	return nil
}

// AddPrefix prepends a prefix to the request path.
type AddPrefix struct {
	Prefix string
}

func (*AddPrefix) Type() string { return "addprefix" }

func (c *AddPrefix) set(opt, v string) error {
	if strings.ToLower(opt) != "prefix" {
		return unknownOption(c.Type(), opt)
	}
	if !strings.HasPrefix(v, "/") {
		return fmt.Errorf("prefix %q does not start with \"/\"", v)
	}
	c.Prefix = v
	return nil
}

func (c *AddPrefix) finish() error {
	if c.Prefix == "" {
		return fmt.Errorf("addprefix needs a prefix")
	}
	return nil
}

// Headers sets request headers before proxying and response headers
// before answering. An empty value removes the header.
type Headers struct {
	CustomRequestHeaders  map[string]string // canonical header name → value
	CustomResponseHeaders map[string]string
}

func (*Headers) Type() string { return "headers" }

func (c *Headers) set(opt, v string) error {
	group, name, ok := strings.Cut(opt, ".")
	if !ok || name == "" || strings.ContainsAny(name, " :\t") {
		return unknownOption(c.Type(), opt)
	}
	dst := &c.CustomRequestHeaders
	switch strings.ToLower(group) {
	case "customrequestheaders":
	case "customresponseheaders":
		dst = &c.CustomResponseHeaders
	default:
		return unknownOption(c.Type(), opt)
	}
	if *dst == nil {
		*dst = map[string]string{}
	}
	(*dst)[name] = v
	return nil
}

func (c *Headers) finish() error { return nil }

// BasicAuthUser is one htpasswd entry with a bcrypt hash.
type BasicAuthUser struct {
	Name string
	Hash string
}

// BasicAuth asks for a user name and password checked against bcrypt hashes.
type BasicAuth struct {
	Users        []BasicAuthUser
	Realm        string // default "traefik", as in Traefik
	RemoveHeader bool   // drop the Authorization header before proxying
	HeaderField  string // if set, the authenticated user is passed in this header
}

func (*BasicAuth) Type() string { return "basicauth" }

func (c *BasicAuth) set(opt, v string) (err error) {
	switch strings.ToLower(opt) {
	case "users":
		c.Users, err = parseUsers(v)
	case "realm":
		c.Realm = v
	case "removeheader":
		c.RemoveHeader, err = parseBool(v)
	case "headerfield":
		c.HeaderField = strings.TrimSpace(v)
	case "usersfile":
		return fmt.Errorf("basicauth usersfile is not supported: list the users in the users option")
	default:
		return unknownOption(c.Type(), opt)
	}
	return err
}

// parseUsers reads "name:hash,name:hash" where every hash is bcrypt.
func parseUsers(v string) ([]BasicAuthUser, error) {
	var users []BasicAuthUser
	for _, entry := range parseList(v) {
		name, hash, ok := strings.Cut(entry, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("user entry %q is not name:hash", entry)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("user %q: hash is not bcrypt (generate it with htpasswd -nB): %v", name, err)
		}
		users = append(users, BasicAuthUser{Name: name, Hash: hash})
	}
	return users, nil
}

func (c *BasicAuth) finish() error {
	if len(c.Users) == 0 {
		return fmt.Errorf("basicauth needs users")
	}
	if c.Realm == "" {
		c.Realm = "traefik"
	}
	return nil
}

// IPAllowList answers 403 to clients outside the source ranges.
type IPAllowList struct {
	SourceRange []netip.Prefix // single addresses become /32 or /128
}

func (*IPAllowList) Type() string { return "ipallowlist" }

func (c *IPAllowList) set(opt, v string) error {
	if strings.ToLower(opt) != "sourcerange" {
		return unknownOption(c.Type(), opt)
	}
	c.SourceRange = nil
	for _, item := range parseList(v) {
		p, err := parseIPOrPrefix(item)
		if err != nil {
			return err
		}
		c.SourceRange = append(c.SourceRange, p)
	}
	return nil
}

func (c *IPAllowList) finish() error {
	if len(c.SourceRange) == 0 {
		return fmt.Errorf("ipallowlist needs a sourcerange")
	}
	return nil
}

// Allows reports whether ip is inside one of the source ranges.
func (c *IPAllowList) Allows(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, p := range c.SourceRange {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// RateLimit allows Average requests per Period on average, with bursts of
// up to Burst requests, per client IP.
type RateLimit struct {
	Average int64         // 0 means no limit, as in Traefik
	Burst   int64         // default 1
	Period  time.Duration // default 1s
}

func (*RateLimit) Type() string { return "ratelimit" }

func (c *RateLimit) set(opt, v string) (err error) {
	switch strings.ToLower(opt) {
	case "average":
		c.Average, err = parseNonNegative(v)
	case "burst":
		c.Burst, err = parseNonNegative(v)
	case "period":
		c.Period, err = parseDuration(v)
	default:
		return unknownOption(c.Type(), opt)
	}
	return err
}

func (c *RateLimit) finish() error {
	if c.Burst == 0 {
		c.Burst = 1
	}
	if c.Period == 0 {
		c.Period = time.Second
	}
	return nil
}

// Retry re-sends a request that failed at the network level.
type Retry struct {
	Attempts        int
	InitialInterval time.Duration // exponential back-off start; 0 retries at once
}

func (*Retry) Type() string { return "retry" }

func (c *Retry) set(opt, v string) error {
	switch strings.ToLower(opt) {
	case "attempts":
		n, err := parseNonNegative(v)
		if err == nil && n > 100 {
			err = fmt.Errorf("%d attempts is more than 100", n)
		}
		c.Attempts = int(n)
		return err
	case "initialinterval":
		d, err := parseDuration(v)
		c.InitialInterval = d
		return err
	}
	return unknownOption(c.Type(), opt)
}

func (c *Retry) finish() error {
	if c.Attempts < 1 {
		return fmt.Errorf("retry needs attempts of at least 1")
	}
	return nil
}

// Compress compresses responses the client accepts compressed.
type Compress struct {
	ExcludedContentTypes []string
	MinResponseBodyBytes int64 // default 1024, as in Traefik
}

func (*Compress) Type() string { return "compress" }

func (c *Compress) set(opt, v string) (err error) {
	switch strings.ToLower(opt) {
	case "excludedcontenttypes":
		c.ExcludedContentTypes = parseList(v)
	case "minresponsebodybytes":
		c.MinResponseBodyBytes, err = parseNonNegative(v)
	default:
		return unknownOption(c.Type(), opt)
	}
	return err
}

func (c *Compress) finish() error {
	if c.MinResponseBodyBytes == 0 {
		c.MinResponseBodyBytes = 1024
	}
	return nil
}
