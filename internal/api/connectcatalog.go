package api

import (
	"net/http"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/view"
)

// connectEntries are the instances that serve name over Connect, as
// Consul's /v1/catalog/connect and /v1/health/connect list them: the
// connect-proxies whose destination is name, and name's Connect-native
// instances.
func (s *Server) connectEntries(name string) []view.Entry {
	var out []view.Entry
	for svc := range s.view.Services() {
		for _, e := range s.view.Entries(svc) {
			if e.Instance.ProxyDestination() == name || (svc == name && e.Instance.ConnectNative()) {
				out = append(out, e)
			}
		}
	}
	return out
}

// catalogConnect is /v1/catalog/connect/:service.
func (s *Server) catalogConnect(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	return s.serveCatalogService(w, r, name, view.ServicesRes, func() []view.Entry { return s.connectEntries(name) })
}

// healthConnect is /v1/health/connect/:service.
func (s *Server) healthConnect(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	return s.serveHealthService(w, r, name, view.ServicesRes, func() []view.Entry { return s.connectEntries(name) })
}

// catalogGatewayServices is /v1/catalog/gateway-services/:gateway. The
// services a gateway fronts come from its config entry (terminating or
// ingress gateway), and orbit keeps no config entries: the list is empty.
func (s *Server) catalogGatewayServices(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("gateway")
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: name, Access: acl.Read}); err != nil {
		return err
	}
	return s.blocking(w, r, view.ServicesRes, func() (any, error) {
		return []any{}, nil
	})
}
