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

// transfer serves AXFR and IXFR over TCP to addresses the zone allows,
// signed with one of the zone's TSIG keys when it has any. IXFR is
// answered from the zone's journal when it reaches back to the client's
// serial, with the whole zone otherwise (RFC 1995).
func (s *Server) transfer(w dns.ResponseWriter, req *dns.Msg, src netip.AddrPort) {
	q := req.Question[0]
	t := s.tbl.Load()
	z := t.zones[strings.ToLower(q.Name)]
	refuse := func(rcode int, why string) {
		m := new(dns.Msg)
		m.SetRcode(req, rcode)
		if req.IsTsig() != nil {
			signReply(m, req, s.clock.Now())
		}
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
	tsig := req.IsTsig()
	if len(z.z.TSIGKeys) > 0 && (tsig == nil || !z.zoneKey(tsig.Hdr.Name, t.tsig)) {
		refuse(dns.RcodeRefused, "the zone requires a TSIG signature with one of its keys")
		return
	}
	kind := "AXFR"
	var rrs []dns.RR
	if q.Qtype == dns.TypeIXFR {
		kind = "IXFR"
		have, ok := clientSerial(req)
		incremental := false
		if ok {
			rrs, incremental = ixfrRecords(z.soa, z.records, z.journal, have)
		} else {
			rrs = axfrRecords(z.soa, z.records)
		}
		if !incremental {
			kind = "IXFR (whole zone)"
		}
	} else {
		rrs = axfrRecords(z.soa, z.records)
	}
	total := len(rrs)
	for first := true; len(rrs) > 0; first = false {
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
		if tsig != nil {
			// RFC 8945 5.3.1: later messages carry the timers only, each
			// MAC chained to the previous one (the writer keeps it).
			w.TsigTimersOnly(!first)
			signReply(m, req, s.clock.Now())
		}
		if err := w.WriteMsg(m); err != nil {
			s.m.transfers.WithLabelValues(resultFailed).Inc()
			s.log.Warn("dns: zone transfer failed", "zone", z.z.Name, "to", src.String(), "err", err)
			return
		}
	}
	s.m.transfers.WithLabelValues(resultOK).Inc()
	s.log.Info("dns: zone transferred", "kind", kind, "zone", z.z.Name, "serial", z.z.Serial, "to", src.String(), "records", total)
}

// clientSerial is the serial of the SOA in an IXFR request's authority
// section.
func clientSerial(req *dns.Msg) (uint32, bool) {
	for _, rr := range req.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial, true
		}
	}
	return 0, false
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
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second, TsigProvider: tsigProvider{s}}
	for attempt := 1; attempt <= 5; attempt++ {
		if len(z.z.TSIGKeys) > 0 {
			// Signed with the zone's first key, re-signed per attempt.
			k := z.z.TSIGKeys[0]
			m.Extra = nil
			m.SetTsig(k.Name, k.AlgorithmName(), tsigFudge, s.clock.Now().Unix())
		}
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
