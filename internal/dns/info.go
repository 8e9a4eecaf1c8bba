package dns

import (
	"context"

	"github.com/orbit/orbit/internal/doctor"
)

// Info describes what the server serves: its address, domains and
// upstreams (the zone API adds the zones and serves it as /v1/dns/info).
func (s *Server) Info() doctor.Info {
	udp, _ := s.Addr()
	info := doctor.Info{Addr: udp.String(), Domain: s.cfg.Domain, AltDomains: s.cfg.AltDomains,
		Datacenter: s.cfg.Datacenter, Forwarding: s.fwd != nil, Upstreams: []string{}, Zones: []string{}}
	if s.fwd != nil {
		for _, u := range s.fwd.upstreams {
			info.Upstreams = append(info.Upstreams, u.String())
		}
	}
	return info
}

// WaitServing returns once the answers include store revision rev, or
// ctx ends (read-your-writes for the zone API).
func (s *Server) WaitServing(ctx context.Context, rev int64) error {
	return s.waitTable(ctx, rev)
}
