package dns

import (
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ServeDNS answers one query; it implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	start := time.Now()
	src, tcp := remote(w.RemoteAddr())
	signed := req.IsTsig() != nil
	if signed && w.TsigStatus() != nil {
		s.refuseTSIG(w, req, src, w.TsigStatus())
		return
	}
	if len(req.Question) == 1 && req.Opcode == dns.OpcodeQuery &&
		(req.Question[0].Qtype == dns.TypeAXFR || req.Question[0].Qtype == dns.TypeIXFR) && tcp {
		s.transfer(w, req, src)
		return
	}
	resp, source := s.answer(req, src, tcp)
	if signed {
		signReply(resp, req, s.clock.Now())
	}
	if err := w.WriteMsg(resp); err != nil {
		s.log.Debug("dns: write answer", "to", src.String(), "err", err)
	}
	s.observe(req, resp, source, start)
}

// refuseTSIG answers a request whose TSIG did not verify.
func (s *Server) refuseTSIG(w dns.ResponseWriter, req *dns.Msg, src netip.AddrPort, err error) {
	resp := tsigRefusal(req, err, s.clock.Now())
	s.log.Warn("dns: request with a TSIG that does not verify refused", "from", src.String(), "key", req.IsTsig().Hdr.Name, "err", err)
	if b, perr := resp.Pack(); perr == nil {
		_, _ = w.Write(b) // unsigned: the writer would try to sign it
	}
	s.m.count(typeName(0), resp.Rcode, srcLocal)
}

func typeName(t uint16) string {
	if n, ok := dns.TypeToString[t]; ok {
		return n
	}
	return "other"
}

func remote(a net.Addr) (netip.AddrPort, bool) {
	switch x := a.(type) {
	case *net.UDPAddr:
		return x.AddrPort(), false
	case *net.TCPAddr:
		return x.AddrPort(), true
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap, a.Network() == "tcp"
}

// answer builds the response to req and names its source, forwarding
// when the name is not orbit's.
func (s *Server) answer(req *dns.Msg, src netip.AddrPort, tcp bool) (*dns.Msg, string) {
	m, source := s.answerLocal(req, src, tcp)
	if source == srcForward {
		return s.completeForward(m, req, src, tcp)
	}
	return m, source
}

// answerLocal answers from the table; for a name to forward it returns
// the unfinished response and srcForward (see completeForward).
func (s *Server) answerLocal(req *dns.Msg, src netip.AddrPort, tcp bool) (*dns.Msg, string) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = s.fwd != nil
	if req.Opcode != dns.OpcodeQuery {
		m.Rcode = dns.RcodeNotImplemented
		if req.Opcode == dns.OpcodeNotify {
			m.Rcode = dns.RcodeRefused // we are a primary only
		}
		return m, srcLocal
	}
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m, srcLocal
	}
	if opt := req.IsEdns0(); opt != nil && opt.Version() != 0 {
		m.SetEdns0(uint16(s.cfg.UDPSize), false)
		m.Rcode = dns.RcodeBadVers
		return m, srcLocal
	}
	source := s.lookup(m, req, src)
	if source == srcForward {
		return m, source
	}
	if source == srcZone && wantsDNSSEC(req) {
		s.tbl.Load().secure(m, strings.ToLower(req.Question[0].Name), s.clock.Now())
	}
	s.finish(m, req, tcp)
	return m, source
}

// completeForward fills a response by forwarding and finishes it.
func (s *Server) completeForward(m, req *dns.Msg, src netip.AddrPort, tcp bool) (*dns.Msg, string) {
	source := srcForward
	s.forwardInto(m, req, src)
	if m.Rcode == dns.RcodeServerFailure && len(m.Answer) == 0 && len(m.Ns) == 0 {
		source = srcLocal
	}
	s.finish(m, req, tcp)
	return m, source
}

// finish adds EDNS0 when the client used it and truncates to its buffer.
func (s *Server) finish(m, req *dns.Msg, tcp bool) {
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(dns.MinMsgSize, min(int(opt.UDPSize()), s.cfg.UDPSize))
		m.SetEdns0(uint16(s.cfg.UDPSize), opt.Do()) // RFC 3225: DO is echoed
	}
	if tcp {
		size = dns.MaxMsgSize
	}
	m.Truncate(size)
}

// lookup fills m from the table, or by forwarding.
func (s *Server) lookup(m *dns.Msg, req *dns.Msg, src netip.AddrPort) string {
	q := req.Question[0]
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		m.Rcode = dns.RcodeRefused
		return srcLocal
	}
	switch q.Qtype {
	case dns.TypeAXFR, dns.TypeIXFR, dns.TypeOPT, dns.TypeNone:
		m.Rcode = dns.RcodeRefused // transfers over TCP only
		if q.Qtype == dns.TypeIXFR {
			// RFC 1995: a UDP IXFR may be answered with the SOA alone.
			if z := s.tbl.Load().zones[strings.ToLower(q.Name)]; z != nil {
				m.Rcode, m.Authoritative = dns.RcodeSuccess, true
				m.Answer = append(m.Answer, z.soa)
			}
		}
		return srcZone
	}
	name := strings.ToLower(q.Name)
	t := s.tbl.Load()
	if d, ok := t.consulDomain(name); ok {
		t.consul(m, name, d, q.Qtype)
		return srcConsul
	}
	if t.router(m, name, q.Qtype) {
		return srcRouter
	}
	if t.reverse(m, name, q.Qtype) {
		return srcConsul
	}
	if z := t.findZone(name); z != nil {
		z.lookup(t, m, name, q.Qtype, 0)
		return srcZone
	}
	if s.fwd == nil || !req.RecursionDesired {
		m.Rcode = dns.RcodeRefused
		return srcLocal
	}
	return srcForward
}

// forwardInto answers m by forwarding (or SERVFAIL for a loop).
func (s *Server) forwardInto(m, req *dns.Msg, src netip.AddrPort) {
	if s.fwd.looped(req, src) {
		m.Rcode = dns.RcodeServerFailure
		return
	}
	r := s.fwd.forward(req)
	m.Rcode, m.Answer, m.Ns, m.Extra = r.Rcode, r.Answer, r.Ns, stripOPT(r.Extra)
	m.Authoritative, m.AuthenticatedData = false, r.AuthenticatedData
}

func stripOPT(rrs []dns.RR) []dns.RR {
	out := rrs[:0:0]
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, rr)
		}
	}
	return out
}
