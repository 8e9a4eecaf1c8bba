package dns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// batch is how many datagrams one read (recvmmsg) and one write (sendmmsg)
// move at most; slotSize bounds a query and a cached answer in a batch.
const (
	batch    = 32
	slotSize = 4096
)

// serveUDP reads queries from one UDP socket in batches and answers those
// the table can answer inline, without a goroutine per packet: answers
// replayed from the packet cache leave in one batched write, others are
// packed and written one by one. Queries that must be forwarded are
// answered by a goroutine that wg tracks. It returns when the socket is
// closed.
func (s *Server) serveUDP(ctx context.Context, pc *net.UDPConn, wg *sync.WaitGroup) {
	bc := ipv4.NewPacketConn(pc)
	in := make([]ipv4.Message, batch)
	outs := make([]ipv4.Message, batch)
	slots := make([]byte, 2*batch*slotSize) // a query and a cached answer per message
	for i := range in {
		in[i].Buffers = [][]byte{slots[2*i*slotSize : (2*i+1)*slotSize]}
		outs[i].Buffers = [][]byte{nil}
	}
	out := make([]byte, dns.MaxMsgSize)
	for {
		n, err := bc.ReadBatch(in, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			s.log.Debug("dns: udp read", "err", err)
			continue
		}
		t := s.tbl.Load()
		nout := 0
		for i := range in[:n] {
			m := &in[i]
			ua, ok := m.Addr.(*net.UDPAddr)
			if !ok || m.Flags&unix.MSG_TRUNC != 0 {
				continue // not UDP, or a query larger than any we answer
			}
			q := m.Buffers[0][:m.N]
			ans := slots[(2*i+1)*slotSize : (2*i+2)*slotSize]
			if b, ok := t.pcache.get(q, ans); ok {
				outs[nout].Buffers[0], outs[nout].Addr = b, ua
				nout++
				continue
			}
			s.answerUDP(t, pc, q, ua.AddrPort(), out, wg)
		}
		if nout > 0 {
			// Counted before they leave, so a client that has its answer
			// finds it counted.
			s.m.cached.Add(uint64(nout))
			s.writeBatch(bc, outs[:nout])
		}
	}
}

// writeBatch sends answers with as few system calls as the kernel allows.
func (s *Server) writeBatch(bc *ipv4.PacketConn, outs []ipv4.Message) {
	for len(outs) > 0 {
		n, err := bc.WriteBatch(outs, 0)
		if err != nil {
			s.log.Debug("dns: write answers", "err", err)
			n = max(n, 1) // skip the answer that failed
		}
		outs = outs[n:]
	}
}

// answerUDP answers one query the packet cache did not hold, from the
// table or by forwarding.
func (s *Server) answerUDP(t *table, pc *net.UDPConn, q []byte, from netip.AddrPort, out []byte, wg *sync.WaitGroup) {
	start := time.Now() // read the clock only where the latency is observed
	req, ok := s.parseUDP(q, pc, from)
	if !ok {
		return
	}
	if req.IsTsig() != nil {
		s.answerSignedUDP(pc, q, req, from, start)
		return
	}
	resp, source := s.answerLocal(req, from, false)
	if source == srcForward {
		wg.Go(func() {
			resp, source := s.completeForward(resp, req, from, false)
			s.writeUDP(pc, from, resp, make([]byte, dns.MaxMsgSize))
			s.observe(req, resp, source, start)
		})
		return
	}
	if b := s.writeUDP(pc, from, resp, out); b != nil && cacheable(source, resp) {
		t.pcache.put(q, b)
	}
	s.observe(req, resp, source, start)
}

// answerSignedUDP answers a TSIG-signed query: NOTAUTH when the
// signature does not verify, otherwise the answer signed with the same
// key. Signed answers are never kept in the packet cache.
func (s *Server) answerSignedUDP(pc *net.UDPConn, q []byte, req *dns.Msg, from netip.AddrPort, start time.Time) {
	p := tsigProvider{s}
	var resp *dns.Msg
	var b []byte
	source := srcLocal
	if err := dns.TsigVerifyWithProvider(q, p, "", false); err != nil {
		resp = tsigRefusal(req, err, s.clock.Now())
		s.log.Warn("dns: request with a TSIG that does not verify refused", "from", from.String(), "key", req.IsTsig().Hdr.Name, "err", err)
		b, err = resp.Pack()
		if err != nil {
			return
		}
	} else {
		resp, source = s.answer(req, from, false)
		signReply(resp, req, s.clock.Now())
		if b, _, err = dns.TsigGenerateWithProvider(resp, p, req.IsTsig().MAC, false); err != nil {
			s.log.Debug("dns: sign answer", "err", err)
			return
		}
	}
	if _, err := pc.WriteToUDPAddrPort(b, from); err != nil {
		s.log.Debug("dns: write answer", "to", from.String(), "err", err)
	}
	s.observe(req, resp, source, start)
}

// parseUDP unpacks a query; malformed ones are answered FORMERR when their
// header parses and ignored otherwise, as miekg's server does.
func (s *Server) parseUDP(b []byte, pc *net.UDPConn, from netip.AddrPort) (*dns.Msg, bool) {
	var h dns.Msg
	if err := h.Unpack(b); err == nil {
		if h.Response {
			return nil, false
		}
		switch acceptMsg(headerOf(&h, b)) {
		case dns.MsgAccept:
			return &h, true
		case dns.MsgIgnore:
			return nil, false
		case dns.MsgRejectNotImplemented:
			s.reject(pc, from, &h, dns.RcodeNotImplemented)
			return nil, false
		}
		s.reject(pc, from, &h, dns.RcodeFormatError)
		return nil, false
	}
	if len(b) < 12 || b[2]&0x80 != 0 {
		return nil, false
	}
	var m dns.Msg
	m.Id = uint16(b[0])<<8 | uint16(b[1])
	m.Opcode = int(b[2]>>3) & 0xF
	s.reject(pc, from, &m, dns.RcodeFormatError)
	return nil, false
}

func headerOf(m *dns.Msg, b []byte) dns.Header {
	return dns.Header{Id: m.Id, Bits: uint16(b[2])<<8 | uint16(b[3]),
		Qdcount: uint16(len(m.Question)), Ancount: uint16(len(m.Answer)), Nscount: uint16(len(m.Ns)), Arcount: uint16(len(m.Extra))}
}

func (s *Server) reject(pc *net.UDPConn, from netip.AddrPort, req *dns.Msg, rcode int) {
	m := new(dns.Msg)
	m.SetRcode(req, rcode)
	m.Question = nil
	if b, err := m.Pack(); err == nil {
		_, _ = pc.WriteToUDPAddrPort(b, from)
	}
	s.m.count(typeName(0), rcode, srcLocal)
}

func (s *Server) writeUDP(pc *net.UDPConn, from netip.AddrPort, resp *dns.Msg, out []byte) []byte {
	b, err := resp.PackBuffer(out)
	if err != nil {
		s.log.Debug("dns: pack answer", "err", err)
		return nil
	}
	if _, err := pc.WriteToUDPAddrPort(b, from); err != nil {
		s.log.Debug("dns: write answer", "to", from.String(), "err", err)
	}
	return b
}

// cacheable reports whether an answer may be replayed for the same query
// bytes until the table changes: zone answers, and service, node and
// router answers with at most one record (larger sets are shuffled per
// query).
func cacheable(source string, resp *dns.Msg) bool {
	switch source {
	case srcZone:
		// Signatures expire: signed answers are made afresh.
		for _, rr := range resp.Answer {
			if rr.Header().Rrtype == dns.TypeRRSIG {
				return false
			}
		}
		for _, rr := range resp.Ns {
			if rr.Header().Rrtype == dns.TypeRRSIG {
				return false
			}
		}
		return true
	case srcConsul, srcRouter:
		return len(resp.Answer) <= 1
	}
	return false
}

// observe records a query's metrics.
func (s *Server) observe(req, resp *dns.Msg, source string, start time.Time) {
	qtype := "none"
	if len(req.Question) == 1 {
		qtype = typeName(req.Question[0].Qtype)
	}
	s.m.count(qtype, resp.Rcode, source)
	s.m.observe(source, time.Since(start))
}
