package api

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
)

// Service-mesh registrations (Consul's connect-proxy kind, sidecars,
// Connect.Native, gateways) are stored as catalog data: orbit runs no
// proxies, it keeps and answers what was registered.

// sidecarSuffix names a sidecar after its service, as Consul does.
const sidecarSuffix = "-sidecar-proxy"

// Consul's default sidecar port range (sidecar_min_port, sidecar_max_port).
const sidecarMinPort, sidecarMaxPort = 21000, 21255

// nullToEmpty drops a JSON null, so absent and null store alike.
func nullToEmpty(raw json.RawMessage) json.RawMessage {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return nil
	}
	return raw
}

// withoutSidecar is Connect without its SidecarService (registered as its
// own service instead), nil when nothing else is left.
func withoutSidecar(raw json.RawMessage) (json.RawMessage, error) {
	raw = nullToEmpty(raw)
	if raw == nil {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, httpkit.BadRequest("Connect must be an object: %v", err)
	}
	for k, v := range m {
		if strings.EqualFold(k, "SidecarService") || strings.EqualFold(k, "sidecar_service") || nullToEmpty(v) == nil {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil, nil
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, httpkit.BadRequest("Connect: %v", err)
	}
	return out, nil
}

// sidecarOf is the registration of parent's Connect.SidecarService (nil
// without one), with Consul's defaults: id and name with -sidecar-proxy,
// kind connect-proxy, a free port from 21000-21255, and a proxy whose
// destination is parent on 127.0.0.1 at parent's port.
func (s *Server) sidecarOf(parent *catalog.Instance, connect json.RawMessage) (*serviceIn, error) {
	connect = nullToEmpty(connect)
	if connect == nil {
		return nil, nil
	}
	var c struct {
		SidecarService *serviceIn
	}
	if err := json.Unmarshal(connect, &c); err != nil {
		return nil, httpkit.BadRequest("Connect: %v", err)
	}
	sc := c.SidecarService
	if sc == nil {
		return nil, nil
	}
	sc.Kind = catalog.KindConnectProxy
	if sc.ID == "" {
		sc.ID = parent.ID + sidecarSuffix
	}
	if sc.Name == "" && sc.Service == "" {
		sc.Name = parent.Name + sidecarSuffix
	}
	if sc.Port == 0 {
		port, err := s.freeSidecarPort(parent.Node, sc.ID)
		if err != nil {
			return nil, err
		}
		sc.Port = port
	}
	proxy := map[string]any{}
	if p := nullToEmpty(sc.Proxy); p != nil {
		if err := json.Unmarshal(p, &proxy); err != nil {
			return nil, httpkit.BadRequest("SidecarService.Proxy: %v", err)
		}
	}
	setDefault := func(k string, v any) {
		if cur, ok := proxy[k]; !ok || cur == nil || cur == "" || cur == float64(0) {
			proxy[k] = v
		}
	}
	setDefault("DestinationServiceName", parent.Name)
	setDefault("DestinationServiceID", parent.ID)
	setDefault("LocalServiceAddress", "127.0.0.1")
	if parent.Port > 0 {
		setDefault("LocalServicePort", parent.Port)
	}
	raw, err := json.Marshal(proxy)
	if err != nil {
		return nil, httpkit.BadRequest("SidecarService.Proxy: %v", err)
	}
	sc.Proxy = raw
	return sc, nil
}

// freeSidecarPort is the lowest port of Consul's sidecar range that no
// other instance on node uses.
func (s *Server) freeSidecarPort(node, id string) (int, error) {
	if in, ok := s.view.Instance(node, id); ok && in.Port != 0 {
		return in.Port, nil // a re-registration keeps its port
	}
	used := map[int]bool{}
	for _, in := range s.view.NodeInstances(node) {
		used[in.Port] = true
	}
	for p := sidecarMinPort; p <= sidecarMaxPort; p++ {
		if !used[p] {
			return p, nil
		}
	}
	return 0, httpkit.BadRequest("no free sidecar port in %d-%d", sidecarMinPort, sidecarMaxPort)
}
