package dns

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// xfrChunk bounds the uncompressed size of the records in one AXFR message.
const xfrChunk = 16 << 10

// transfer serves AXFR (and IXFR, answered with a full transfer as RFC
// 1995 allows) over TCP to addresses the zone allows.
func (s *Server) transfer(w dns.ResponseWriter, req *dns.Msg, src netip.AddrPort) {
	q := req.Question[0]
	t := s.tbl.Load()
	z := t.zones[strings.ToLower(q.Name)]
	refuse := func(rcode int, why string) {
		m := new(dns.Msg)
		m.SetRcode(req, rcode)
		_ = w.WriteMsg(m)
		s.m.transfers.WithLabelValues("refused").Inc()
		s.log.Warn("dns: zone transfer refused", "zone", q.Name, "from", src.String(), "reason", why)
	}
	if z == nil {
		refuse(dns.RcodeNotAuth, "not authoritative for this zone")
		return
	}
	if !z.allowed(src.Addr(), t.transfer) {
		refuse(dns.RcodeRefused, "address not in the zone's also-notify or allow-transfer lists")
		return
	}
	rrs := make([]dns.RR, 0, len(z.records)+2)
	rrs = append(append(append(rrs, z.soa), z.records...), z.soa)
	for len(rrs) > 0 {
		n, size := 0, 0
		for n < len(rrs) && (n == 0 || size+dns.Len(rrs[n]) <= xfrChunk) {
			size += dns.Len(rrs[n])
			n++
		}
		m := new(dns.Msg)
		m.SetReply(req)
		m.Authoritative, m.Compress = true, true
		m.Answer = rrs[:n]
		rrs = rrs[n:]
		if err := w.WriteMsg(m); err != nil {
			s.m.transfers.WithLabelValues(resultFailed).Inc()
			s.log.Warn("dns: zone transfer failed", "zone", z.z.Name, "to", src.String(), "err", err)
			return
		}
	}
	s.m.transfers.WithLabelValues(resultOK).Inc()
	s.log.Info("dns: zone transferred", "zone", z.z.Name, "serial", z.z.Serial, "to", src.String(), "records", len(z.records)+1)
}

type notifyJob struct {
	zone *authZone
}

// notifyLoop sends NOTIFY for changed zones to their secondaries, retrying
// each target a few times until it acknowledges.
func (s *Server) notifyLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.notifyq:
			for _, target := range j.zone.notify {
				s.notify(ctx, j.zone, target)
			}
		}
	}
}

func (s *Server) notify(ctx context.Context, z *authZone, target netip.AddrPort) {
	m := new(dns.Msg)
	m.SetNotify(z.z.Name)
	m.Authoritative = true
	m.Answer = []dns.RR{z.soa}
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	for attempt := 1; attempt <= 5; attempt++ {
		r, _, err := c.ExchangeContext(ctx, m, target.String())
		if err == nil && r.Rcode == dns.RcodeSuccess {
			s.m.notifies.WithLabelValues(resultOK).Inc()
			s.log.Info("dns: secondary notified", "zone", z.z.Name, "serial", z.z.Serial, "target", target.String())
			return
		}
		if ctx.Err() != nil {
			return
		}
		rcode := ""
		if r != nil {
			rcode = dns.RcodeToString[r.Rcode]
		}
		s.log.Debug("dns: notify not acknowledged", "zone", z.z.Name, "target", target.String(), "attempt", attempt, "rcode", rcode, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(time.Duration(attempt) * time.Second):
		}
	}
	s.m.notifies.WithLabelValues(resultFailed).Inc()
	s.log.Warn("dns: secondary did not acknowledge NOTIFY; it will catch up at its refresh interval", "zone", z.z.Name, "target", target.String())
}
