package proxy

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/routing"
)

// API serves what is live, shaped like Traefik's API so its users and
// dashboards read it easily:
//
//	GET /v1/edge/routers[/NAME]
//	GET /v1/edge/services[/NAME]
//	GET /v1/edge/middlewares[/NAME]
//	GET /v1/edge/certs (orbit's own: the certificates served by name)
//
// Disabled elements are listed with status "disabled" and their errors.
// The agent mounts it on the API listener, behind the authorizer.
func (s *Server) API() http.Handler {
	kit := &httpkit.Kit{Log: s.log}
	mux := httpkit.NewMux()
	all := func(list func() []map[string]any) http.Handler {
		return kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
			return httpkit.WriteJSON(w, r, http.StatusOK, list())
		})
	}
	one := func(kind string, list func() []map[string]any) http.Handler {
		return kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
			name := r.PathValue("name")
			for _, e := range list() {
				if e["name"] == name {
					return httpkit.WriteJSON(w, r, http.StatusOK, e)
				}
			}
			return fmt.Errorf("%w: no %s named %q", httpkit.ErrNotFound, kind, name)
		})
	}
	mux.Handle("GET /v1/edge/routers", all(s.routersJSON))
	mux.Handle("GET /v1/edge/services", all(s.servicesJSON))
	mux.Handle("GET /v1/edge/middlewares", all(s.middlewaresJSON))
	mux.Handle("GET /v1/edge/certs", kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return httpkit.WriteJSON(w, r, http.StatusOK, s.Certificates())
	}))
	mux.Handle("GET /v1/edge/routers/{name}", one("router", s.routersJSON))
	mux.Handle("GET /v1/edge/services/{name}", one("service", s.servicesJSON))
	mux.Handle("GET /v1/edge/middlewares/{name}", one("middleware", s.middlewaresJSON))
	return mux
}

const provider = "orbit"

func (s *Server) routersJSON() []map[string]any {
	t := s.table.Load()
	out := []map[string]any{}
	for _, r := range t.rt.Routers() {
		e := map[string]any{
			"name": r.Name, "provider": provider, "entryPoints": nonNil(r.EntryPoints), "rule": r.RuleText,
			"priority": r.Priority, "service": r.ServiceName, "status": string(r.Status),
		}
		if len(r.MiddlewareNames) > 0 {
			e["middlewares"] = r.MiddlewareNames
		}
		if r.TLS != nil {
			tls := map[string]any{}
			if r.TLS.CertResolver != "" {
				tls["certResolver"] = r.TLS.CertResolver
			}
			if len(r.TLS.Domains) > 0 {
				tls["domains"] = r.TLS.Domains
			}
			e["tls"] = tls
		}
		if r.Status != routing.ElementDisabled {
			e["using"] = nonNil(r.EntryPoints)
		}
		if len(r.Errors) > 0 {
			e["error"] = r.Errors
		}
		out = append(out, e)
	}
	return out
}

func (s *Server) servicesJSON() []map[string]any {
	t := s.table.Load()
	usedBy := map[string][]string{}
	for _, r := range t.rt.Routers() {
		usedBy[r.ServiceName] = append(usedBy[r.ServiceName], r.Name)
	}
	pools := map[string]*pool{}
	for _, rte := range t.routes {
		pools[rte.pool.name] = rte.pool
	}
	now := s.clock.Now().UnixNano()
	out := []map[string]any{}
	for _, svc := range t.rt.Services() {
		servers := []map[string]any{}
		status := map[string]string{}
		for _, srv := range svc.Servers {
			servers = append(servers, map[string]any{"url": srv.URL(), "weight": srv.Weight, "instance": srv.InstanceID, "node": srv.Node})
			status[srv.URL()] = "DOWN"
		}
		if p := pools[svc.Name]; p != nil {
			for _, b := range p.backends {
				if b.st.ejected(now) {
					status[b.srv.URL()] = "EJECTED"
				} else {
					status[b.srv.URL()] = "UP"
				}
			}
		}
		strategy := s.cfg.Strategy
		if svc.Strategy != "" {
			strategy = svc.Strategy
		}
		lb := map[string]any{"servers": servers, "passHostHeader": svc.PassHostHeader, "strategy": strategy}
		if svc.Sticky != nil {
			lb["sticky"] = map[string]any{"cookie": svc.Sticky}
		}
		e := map[string]any{
			"name": svc.Name, "provider": provider, "type": "loadbalancer", "status": string(svc.Status),
			"loadBalancer": lb, "serverStatus": status, "usedBy": nonNil(usedBy[svc.Name]),
		}
		if len(svc.Errors) > 0 {
			e["error"] = svc.Errors
		}
		out = append(out, e)
	}
	return out
}

func (s *Server) middlewaresJSON() []map[string]any {
	t := s.table.Load()
	usedBy := map[string][]string{}
	for _, r := range t.rt.Routers() {
		for _, m := range r.MiddlewareNames {
			usedBy[m] = append(usedBy[m], r.Name)
		}
	}
	out := []map[string]any{}
	for _, m := range t.rt.Middlewares() {
		e := map[string]any{
			"name": m.Name, "provider": provider, "type": m.Type, "status": string(m.Status), "usedBy": nonNil(usedBy[m.Name]),
		}
		if m.Config != nil {
			e[configKey(m.Type)] = redact(m.Config)
		}
		if len(m.Errors) > 0 {
			e["error"] = m.Errors
		}
		out = append(out, e)
	}
	return out
}

// configKey is Traefik's camel-case key for a middleware's configuration.
func configKey(typ string) string {
	keys := map[string]string{
		"redirectscheme": "redirectScheme", "stripprefix": "stripPrefix", "addprefix": "addPrefix",
		"basicauth": "basicAuth", "ipallowlist": "ipAllowList", "ratelimit": "rateLimit",
	}
	if k, ok := keys[typ]; ok {
		return k
	}
	return typ
}

// redact hides password hashes from the listing.
func redact(c routing.MiddlewareConfig) any {
	if ba, ok := c.(*routing.BasicAuth); ok {
		users := make([]string, len(ba.Users))
		for i, u := range ba.Users {
			users[i] = u.Name + ":<redacted>"
		}
		return map[string]any{"users": users, "realm": ba.Realm, "removeHeader": ba.RemoveHeader, "headerField": ba.HeaderField}
	}
	return c
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// CertInfo is one certificate as GET /v1/edge/certs lists it.
type CertInfo struct {
	// Resolver is the tls.certresolver it comes from, or "file" for a
	// configured certificate file.
	Resolver string `json:"resolver"`
	// Name is the managed name (for files: the first name covered).
	Name string `json:"name"`
	// Names are the names the served certificate covers; empty while a
	// resolver has none yet.
	Names       []string  `json:"names"`
	Issuer      string    `json:"issuer,omitempty"`
	Serial      string    `json:"serial,omitempty"`
	NotAfter    time.Time `json:"notAfter,omitzero"`
	Obtaining   bool      `json:"obtaining,omitempty"`
	LastError   string    `json:"lastError,omitempty"`
	LastErrorAt time.Time `json:"lastErrorAt,omitzero"`
}

// CertLister lists the certificates of the certificate resolvers.
type CertLister interface {
	Certificates() []CertInfo
}

// Certificates lists the certificates the edge serves: the configured
// files, then the resolvers' (Deps.Certs).
func (s *Server) Certificates() []CertInfo {
	out := []CertInfo{}
	for _, c := range s.certs.all {
		leaf := c.Leaf
		names := nonNil(leaf.DNSNames)
		name := leaf.Subject.CommonName
		if name == "" && len(names) > 0 {
			name = names[0]
		}
		out = append(out, CertInfo{Resolver: "file", Name: name, Names: names, Issuer: leaf.Issuer.CommonName,
			Serial: strings.ToLower(leaf.SerialNumber.Text(16)), NotAfter: leaf.NotAfter})
	}
	if s.certList != nil {
		for _, c := range s.certList.Certificates() {
			c.Names = nonNil(c.Names)
			out = append(out, c)
		}
	}
	return out
}
