package routing

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// table merges the contributions, resolves the routers' references and
// assembles the immutable Table.
func (b *builder) table() *Table {
	t := &Table{entryPoints: map[string][]*Router{}, hosts: map[string]bool{}}
	mws := map[string]*Middleware{}
	for _, name := range b.names(kindMiddleware, slices.Collect(maps.Keys(b.middlewares))) {
		m := b.middleware(name)
		mws[name] = m
		t.middlewares = append(t.middlewares, m)
	}
	svcs := map[string]*Service{}
	for _, name := range b.names(kindService, slices.Collect(maps.Keys(b.services))) {
		s := b.service(name)
		svcs[name] = s
		t.services = append(t.services, s)
	}
	for _, name := range b.names(kindRouter, slices.Collect(maps.Keys(b.routers))) {
		r := b.router(name, mws, svcs)
		t.routers = append(t.routers, r)
		if r.Status == ElementDisabled {
			continue
		}
		for _, ep := range r.EntryPoints {
			t.entryPoints[ep] = append(t.entryPoints[ep], r)
		}
		for _, h := range r.Rule.Hosts() {
			t.hosts[h] = t.hosts[h] || len(r.Service.Backends) > 0
		}
	}
	for _, rs := range t.entryPoints {
		slices.SortFunc(rs, func(a, c *Router) int {
			return cmp.Or(cmp.Compare(c.Priority, a.Priority), cmp.Compare(a.Name, c.Name))
		})
	}
	// Element statuses are final only now: routers added reference errors.
	for _, m := range t.middlewares {
		m.Status, m.Errors = b.p.status(elemKey{kindMiddleware, m.Name})
	}
	for _, s := range t.services {
		s.Status, s.Errors = b.p.status(elemKey{kindService, s.Name})
	}
	t.errs = slices.Clone(b.p.table)
	slices.SortStableFunc(t.errs, func(a, c error) int { return cmp.Compare(a.Error(), c.Error()) })
	return t
}

// names returns the sorted names of the elements of a kind that have a
// definition or only errors (an element whose tags all failed).
func (b *builder) names(kind elemKind, defined []string) []string {
	names := defined
	for k := range b.p.errs {
		if k.kind == kind && !slices.Contains(names, k.name) {
			names = append(names, k.name)
		}
	}
	slices.Sort(names)
	return names
}

func (b *builder) middleware(name string) *Middleware {
	m := &Middleware{Name: name}
	if cs := b.middlewares[name]; len(cs) > 0 {
		got := mergeElement(b.p, elemKey{kindMiddleware, name}, cs)
		m.Type, m.Config, m.Sources = got.spec.Type, got.spec.Config, got.sources
	}
	return m
}

func (b *builder) service(name string) *Service {
	s := &Service{Name: name, PassHostHeader: true}
	if cs := b.services[name]; len(cs) > 0 {
		got := mergeElement(b.p, elemKey{kindService, name}, cs)
		s.Sources = got.sources
		if got.spec.PassHostHeader != nil {
			s.PassHostHeader = *got.spec.PassHostHeader
		}
		s.Sticky = got.spec.Sticky
		s.Strategy = got.spec.Strategy
	}
	s.Servers = slices.Clone(b.servers[name])
	slices.SortStableFunc(s.Servers, func(a, c *Server) int {
		return cmp.Or(cmp.Compare(a.InstanceID, c.InstanceID), cmp.Compare(a.Service, c.Service))
	})
	for _, srv := range s.Servers {
		if srv.Status == StatusPassing || srv.Status == StatusWarning && b.cfg.WarningIsBackend {
			s.Backends = append(s.Backends, srv)
		}
	}
	return s
}

// router merges a router's definitions and resolves its rule, middlewares,
// service and entry points. Any failure disables it.
func (b *builder) router(name string, mws map[string]*Middleware, svcs map[string]*Service) *Router {
	k := elemKey{kindRouter, name}
	r := &Router{Name: name}
	if cs := b.routers[name]; len(cs) > 0 {
		got := mergeElement(b.p, k, cs)
		spec := got.spec
		r.Sources, r.RuleText, r.TLS = got.sources, spec.Rule, spec.TLS
		r.MiddlewareNames, r.ServiceName = spec.Middlewares, spec.Service
		r.Priority = spec.Priority
		if rule, err := ParseRule(spec.Rule); err == nil {
			r.Rule = rule
			if r.Priority == 0 {
				r.Priority = len(spec.Rule)
			}
		} else if !b.p.failed(k) {
			b.p.fail(k, ErrInvalidTag, err.Error())
		}
		b.resolveMiddlewares(k, r, mws)
		b.resolveService(k, r, svcs)
		b.resolveEntryPoints(k, r, spec.EntryPoints)
	}
	if (r.Rule == nil || r.Service == nil) && !b.p.failed(k) {
		b.p.fail(k, ErrReference, "router has no rule or no service")
	}
	r.Status, r.Errors = b.p.status(k)
	return r
}

// localName strips the "@consulcatalog" provider suffix Traefik users
// write; any other provider is an error.
func localName(ref string) (string, error) {
	name, provider, ok := strings.Cut(ref, "@")
	if ok && provider != "consulcatalog" {
		return "", fmt.Errorf("%q: provider %q does not exist in orbit (only @consulcatalog, or no suffix)", ref, provider)
	}
	return name, nil
}

func (b *builder) resolveMiddlewares(k elemKey, r *Router, mws map[string]*Middleware) {
	for _, ref := range r.MiddlewareNames {
		name, err := localName(ref)
		if err != nil {
			b.p.fail(k, ErrReference, "middleware "+err.Error())
			continue
		}
		m := mws[name]
		switch {
		case m == nil:
			b.p.fail(k, ErrReference, fmt.Sprintf("middleware %q does not exist", name))
		case b.p.failed(elemKey{kindMiddleware, name}):
			b.p.fail(k, ErrReference, fmt.Sprintf("middleware %q is disabled", name))
		default:
			r.Middlewares = append(r.Middlewares, m)
		}
	}
}

func (b *builder) resolveService(k elemKey, r *Router, svcs map[string]*Service) {
	if r.ServiceName == "" {
		return // the instance's defaults already recorded why
	}
	name, err := localName(r.ServiceName)
	if err != nil {
		b.p.fail(k, ErrReference, "service "+err.Error())
		return
	}
	s := svcs[name]
	switch {
	case s == nil:
		b.p.fail(k, ErrReference, fmt.Sprintf("service %q does not exist", name))
	case b.p.failed(elemKey{kindService, name}):
		b.p.fail(k, ErrReference, fmt.Sprintf("service %q is disabled", name))
	default:
		r.Service = s
	}
}

// resolveEntryPoints attaches the router to its entry points: those of its
// entrypoints tag, or all. A router with tls tags is attached only to TLS
// entry points; without, it serves TLS on TLS entry points with their
// defaults and plain HTTP on the others.
func (b *builder) resolveEntryPoints(k elemKey, r *Router, explicit []string) {
	names := explicit
	if len(names) == 0 {
		for _, ep := range b.cfg.EntryPoints {
			names = append(names, ep.Name)
		}
	}
	for _, name := range names {
		ep, ok := b.eps[name]
		switch {
		case !ok:
			b.p.warn(k, ErrReference, fmt.Sprintf("entry point %q does not exist", name))
		case r.TLS != nil && !ep.TLS:
			if len(explicit) > 0 {
				b.p.warn(k, ErrReference, fmt.Sprintf("entry point %q does not terminate TLS: router has tls tags, not attached there", name))
			}
		case !slices.Contains(r.EntryPoints, name):
			r.EntryPoints = append(r.EntryPoints, name)
		}
	}
	if len(r.EntryPoints) == 0 {
		b.p.fail(k, ErrReference, "no usable entry point")
	}
}
