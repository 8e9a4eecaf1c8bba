package routing

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
)

// ElementStatus is the state of a router, service or middleware, with
// Traefik's API names.
type ElementStatus string

const (
	// ElementEnabled: the element is in use.
	ElementEnabled ElementStatus = "enabled"
	// ElementWarning: in use, but something was ignored (see Errors).
	ElementWarning ElementStatus = "warning"
	// ElementDisabled: not in use because of Errors.
	ElementDisabled ElementStatus = "disabled"
)

// Router is one router of the table. Like everything reachable from a
// Table it is read-only: callers must not modify it.
type Router struct {
	Name string
	// EntryPoints are the entry points the router is attached to.
	EntryPoints []string
	RuleText    string
	Rule        *Rule // nil when the router is disabled before its rule parsed
	// Priority is the priority tag, or the length of the rule.
	Priority int
	// TLS holds the router's tls tags; nil when it has none. A router on a
	// TLS entry point serves TLS with the entry point's defaults even when
	// TLS is nil.
	TLS             *TLSConfig
	MiddlewareNames []string
	// Middlewares is the resolved chain, in the order of the tag.
	Middlewares []*Middleware
	ServiceName string
	Service     *Service
	// Sources are the catalog services whose instances define the router.
	Sources []string
	Status  ElementStatus
	Errors  []string
}

// Service is a load-balanced set of servers.
type Service struct {
	Name           string
	PassHostHeader bool
	Sticky         *StickyCookie
	// Strategy is "wrr" or "p2c" from loadbalancer.strategy; "" leaves the
	// choice to the proxy's default.
	Strategy string
	// Servers has one entry per instance that defines the service, whatever
	// its health, sorted by instance ID, so the proxy can apply a panic
	// threshold (route to all when too few are healthy).
	Servers []*Server
	// Backends are the servers that receive traffic: passing instances
	// (and warning ones with Config.WarningIsBackend).
	Backends []*Server
	Sources  []string
	Status   ElementStatus
	Errors   []string
}

// Server is one instance's endpoint in a service.
type Server struct {
	InstanceID string
	Node       string
	Service    string // catalog service name of the instance
	Address    string
	Port       int
	Scheme     string // http, https or h2c
	Weight     int    // at least 1
	Status     Status
	// Connect: the instance is a Connect service (traefik.consulcatalog.connect=true),
	// reached over mutual TLS with the edge's Connect certificate, its
	// own verified to name Service's SPIFFE ID.
	Connect bool
}

// URL returns scheme://address:port.
func (s *Server) URL() string {
	return s.Scheme + "://" + net.JoinHostPort(s.Address, strconv.Itoa(s.Port))
}

// Middleware is one named, typed middleware.
type Middleware struct {
	Name    string
	Type    string
	Config  MiddlewareConfig // nil when disabled before it was complete
	Sources []string
	Status  ElementStatus
	Errors  []string
}

// Table is the immutable result of Build: what the proxy routes, what DNS
// publishes and what the API lists. It is safe for concurrent use.
type Table struct {
	entryPoints map[string][]*Router // attached routers, best first
	routers     []*Router            // all routers by name
	services    []*Service           // all services by name
	middlewares []*Middleware        // all middlewares by name
	hosts       map[string]bool
	errs        []error
}

// Match returns the router of the entry point that serves req from
// clientIP: the first match in priority order (higher priority first, then
// router name). It returns nil when no router matches or the entry point
// is unknown. It only reads req.
func (t *Table) Match(entryPoint string, req *http.Request, clientIP netip.Addr) *Router {
	return t.MatchRequest(entryPoint, RequestOf(req), clientIP)
}

// MatchRequest is Match for a plain Request. A nil *Table matches nothing,
// so a proxy may hold nil before the first Build.
func (t *Table) MatchRequest(entryPoint string, req Request, clientIP netip.Addr) *Router {
	if t == nil {
		return nil
	}
	v := newView(req, clientIP)
	for _, r := range t.entryPoints[entryPoint] {
		if r.Rule.root.eval(&v) {
			return r
		}
	}
	return nil
}

// EntryPointRouters returns the routers attached to an entry point in the
// order Match tries them.
func (t *Table) EntryPointRouters(entryPoint string) []*Router {
	return slices.Clone(t.entryPoints[entryPoint])
}

// Routers lists every router, enabled or not, sorted by name.
func (t *Table) Routers() []*Router { return slices.Clone(t.routers) }

// Services lists every service, enabled or not, sorted by name.
func (t *Table) Services() []*Service { return slices.Clone(t.services) }

// Middlewares lists every middleware, enabled or not, sorted by name.
func (t *Table) Middlewares() []*Middleware { return slices.Clone(t.middlewares) }

// Hosts maps each host name of an enabled router's Host matchers to
// whether at least one backend (a passing instance) stands behind it. DNS
// publishes these names. The map is a copy.
func (t *Table) Hosts() map[string]bool {
	if t == nil {
		return map[string]bool{}
	}
	out := make(map[string]bool, len(t.hosts))
	for h, ok := range t.hosts {
		out[h] = ok
	}
	return out
}

// Errors lists every problem found while building: invalid tags, conflicts
// between instances, dangling references. Each wraps ErrInvalidTag,
// ErrConflict or ErrReference. Invalid elements are disabled; the rest of
// the table is unaffected. The order is deterministic.
func (t *Table) Errors() []error { return slices.Clone(t.errs) }
