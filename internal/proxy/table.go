package proxy

import (
	"net/http"
	"strings"

	"github.com/orbit/orbit/internal/routing"
)

// table is what the hot path reads: the routing table plus, per router, a
// ready handler chain. It is immutable once stored.
type table struct {
	rt     *routing.Table
	routes map[*routing.Router]*route
	// tlsHosts are the names a certificate may be issued for on the fly:
	// hosts of enabled TLS routers and their tls.domains.
	tlsHosts map[string]bool
	// tlsWild are the parents of "*.parent" tls.domains.
	tlsWild map[string]bool
	// resolvers maps a TLS router's host, or the parent of a "*.parent"
	// tls.domain, to its tls.certresolver.
	resolvers, wildResolvers map[string]string
	hosts                    map[string]bool
}

// route is one enabled router ready to serve.
type route struct {
	r       *routing.Router
	pool    *pool
	handler http.Handler // the middlewares, then the forwarder
	m       *routeMetrics
}

// compile turns a routing table into the proxy's table. It runs on the
// rebuild goroutine and reuses per-backend state, middleware state and
// metric children from earlier tables.
func (s *Server) compile(rt *routing.Table) *table {
	u := s.up
	t := &table{rt: rt, routes: map[*routing.Router]*route{}, tlsHosts: map[string]bool{}, tlsWild: map[string]bool{},
		resolvers: map[string]string{}, wildResolvers: map[string]string{}, hosts: rt.Hosts()}
	pools := map[*routing.Service]*pool{}
	liveStates := map[string]*backendState{}
	state := func(srv *routing.Server) *backendState {
		key := srv.Node + "/" + srv.InstanceID
		st := u.states[key]
		if st == nil {
			st = &backendState{}
		}
		liveStates[key] = st
		return st
	}
	liveHosts := map[string]bool{}
	liveMWs := map[string]*mwInstance{}
	liveMetrics := map[string]*routeMetrics{}
	tlsEP := map[string]bool{}
	for _, ep := range s.cfg.EntryPoints {
		tlsEP[ep.Name] = ep.TLS
	}
	for _, r := range rt.Routers() {
		if r.Status == routing.ElementDisabled || r.Rule == nil || r.Service == nil {
			continue
		}
		p := pools[r.Service]
		if p == nil {
			servers, panicking := s.eligible(r.Service)
			p = newPool(r.Service, servers, panicking, s.cfg.Strategy, state)
			pools[r.Service] = p
			for _, b := range p.backends {
				if b.scheme == "http" && !b.h2c {
					b.conns = s.h1.host(b.host)
					liveHosts[b.host] = true
				}
			}
		}
		rte := &route{r: r, pool: p}
		var h http.Handler = &forwarder{s: s, pool: p}
		for i := len(r.Middlewares) - 1; i >= 0; i-- {
			mi := s.middlewareInstance(r.Middlewares[i], liveMWs)
			h = mi.wrap(h)
		}
		rte.handler = h
		mkey := r.Name + "\x00" + r.ServiceName
		if rte.m = u.metrics[mkey]; rte.m == nil {
			rte.m = s.metrics.forRoute(r.Name, r.ServiceName)
		}
		liveMetrics[mkey] = rte.m
		t.routes[r] = rte
		if r.TLS != nil || anyTLS(r.EntryPoints, tlsEP) {
			t.addTLSNames(r)
		}
	}
	for key, m := range u.metrics {
		if liveMetrics[key] == nil {
			s.metrics.dropRoute(m)
		}
	}
	s.h1.retain(liveHosts)
	u.states, u.mws, u.metrics = liveStates, liveMWs, liveMetrics
	return t
}

// addTLSNames records the names TLS router r serves: its rule's hosts and
// its tls.domains, with its certificate resolver.
func (t *table) addTLSNames(r *routing.Router) {
	res := ""
	if r.TLS != nil {
		res = r.TLS.CertResolver
	}
	for _, h := range r.Rule.Hosts() {
		t.tlsHosts[h] = true
		if res != "" {
			t.resolvers[h] = res
		}
	}
	if r.TLS == nil {
		return
	}
	for _, d := range r.TLS.Domains {
		for _, n := range append([]string{d.Main}, d.SANs...) {
			n = strings.ToLower(n)
			if parent, ok := strings.CutPrefix(n, "*."); ok {
				t.tlsWild[parent] = true
				if res != "" {
					t.wildResolvers[parent] = res
				}
			} else if n != "" {
				t.tlsHosts[n] = true
				if res != "" {
					t.resolvers[n] = res
				}
			}
		}
	}
}

// resolverOf returns the certificate resolver of name: its router's, or
// that of a wildcard tls.domain covering it; "" when none.
func (t *table) resolverOf(name string) string {
	if res := t.resolvers[name]; res != "" {
		return res
	}
	if _, parent, ok := strings.Cut(name, "."); ok {
		return t.wildResolvers[parent]
	}
	return ""
}

func anyTLS(eps []string, tlsEP map[string]bool) bool {
	for _, ep := range eps {
		if tlsEP[ep] {
			return true
		}
	}
	return false
}

// eligible returns the servers that receive traffic: the service's
// backends, or all its servers when the healthy fraction is below the
// panic threshold.
func (s *Server) eligible(svc *routing.Service) ([]*routing.Server, bool) {
	th := s.cfg.PanicThreshold
	if th > 0 && len(svc.Servers) > 0 && float64(len(svc.Backends)) < th*float64(len(svc.Servers)) {
		return svc.Servers, true
	}
	return svc.Backends, false
}

// tlsAllowed reports whether a certificate may be issued for name.
func (t *table) tlsAllowed(name string) bool {
	if t.tlsHosts[name] {
		return true
	}
	if _, parent, ok := strings.Cut(name, "."); ok && t.tlsWild[parent] {
		return true
	}
	return false
}
