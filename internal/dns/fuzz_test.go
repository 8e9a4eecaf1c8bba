package dns

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/zone"
)

// recorder is a dns.ResponseWriter that keeps what the handler wrote.
type recorder struct {
	tcp  bool
	msgs []*dns.Msg
}

func (r *recorder) LocalAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53} }
func (r *recorder) RemoteAddr() net.Addr {
	if r.tcp {
		return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	}
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (r *recorder) WriteMsg(m *dns.Msg) error { r.msgs = append(r.msgs, m.Copy()); return nil }
func (r *recorder) Write(b []byte) (int, error) {
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		return 0, err
	}
	r.msgs = append(r.msgs, m)
	return len(b), nil
}
func (r *recorder) Close() error        { return nil }
func (r *recorder) TsigStatus() error   { return nil }
func (r *recorder) TsigTimersOnly(bool) {}
func (r *recorder) Hijack()             {}
func (r *recorder) Network() string     { return "udp" }

func pack(t testing.TB, name string, qtype uint16, edit func(*dns.Msg)) []byte {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if edit != nil {
		edit(m)
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzHandle feeds arbitrary packets to the query handler: whatever the
// packet, the handler must not panic, must answer a parsable query with a
// packable message carrying its ID, and must keep UDP answers within the
// client's buffer.
func FuzzHandle(f *testing.F) {
	st := orbittest.NewStore(f)
	v := orbittest.NewView(f, st)
	ctx := context.Background()
	for i, addr := range []string{"127.0.0.1", "10.0.0.2", "::1"} {
		node := "n" + itoa(i)
		in := &catalog.Instance{Node: node, ID: "web-" + itoa(i), Name: "web", Port: 20000 + i, Tags: []string{"v1"}}
		if _, err := st.RegisterInstance(ctx, &catalog.Node{Name: node, Address: addr, Roles: []string{"edge"}}, in, nil); err != nil {
			f.Fatal(err)
		}
	}
	_, rev, err := st.ChangeZone(ctx, "lab.example.", zone.Change{Create: true, Put: []zone.RRSet{
		{Name: "www", Type: "A", Records: []string{"192.0.2.1"}},
		{Name: "alias", Type: "CNAME", Records: []string{"www"}},
		{Name: "loop1", Type: "CNAME", Records: []string{"loop2"}},
		{Name: "loop2", Type: "CNAME", Records: []string{"loop1"}},
		{Name: "*.w", Type: "TXT", Records: []string{"wild"}},
		{Name: "sub", Type: "NS", Records: []string{"ns.sub"}},
	}}, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", NoForward: true, AllowTransfer: []string{"127.0.0.0/8"}},
		Deps{Catalog: v})
	if err != nil {
		f.Fatal(err)
	}
	if err := v.WaitRevision(ctx, rev); err != nil {
		f.Fatal(err)
	}
	srv.setHosts(map[string]bool{"app.test": true})
	srv.rebuild()
	f.Cleanup(srv.closeListeners)

	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"web.service.consul.", dns.TypeA}, {"_web._tcp.service.consul.", dns.TypeSRV}, {"v1.web.service.dc1.consul.", dns.TypeANY},
		{"n1.node.consul.", dns.TypeAAAA}, {"7f000001.addr.consul.", dns.TypeA}, {"consul.", dns.TypeSOA},
		{"alias.lab.example.", dns.TypeA}, {"loop1.lab.example.", dns.TypeA}, {"x.y.w.lab.example.", dns.TypeTXT},
		{"a.sub.lab.example.", dns.TypeMX}, {"lab.example.", dns.TypeAXFR}, {"lab.example.", dns.TypeIXFR},
		{"app.test.", dns.TypeA}, {"1.0.0.127.in-addr.arpa.", dns.TypePTR}, {"elsewhere.org.", dns.TypeA},
	} {
		f.Add(pack(f, q.name, q.qtype, nil), false)
		f.Add(pack(f, q.name, q.qtype, func(m *dns.Msg) { m.SetEdns0(4096, true) }), true)
	}
	f.Add(pack(f, "web.service.consul.", dns.TypeA, func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify }), false)
	f.Add(pack(f, "web.service.consul.", dns.TypeA, func(m *dns.Msg) { m.Question = append(m.Question, m.Question[0]) }), false)
	f.Add(pack(f, "web.service.consul.", dns.TypeA, func(m *dns.Msg) {
		m.SetEdns0(100, false)
		m.IsEdns0().SetVersion(1)
	}), false)
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1}, false)
	f.Add([]byte{}, false)

	f.Fuzz(func(t *testing.T, data []byte, tcp bool) {
		req := new(dns.Msg)
		if err := req.Unpack(data); err != nil {
			return // the server drops packets that do not parse
		}
		w := &recorder{tcp: tcp}
		srv.ServeDNS(w, req)
		if len(w.msgs) == 0 {
			t.Fatalf("no answer to %v", req)
		}
		for _, m := range w.msgs {
			b, err := m.Pack()
			if err != nil {
				t.Fatalf("answer does not pack: %v\n%v", err, m)
			}
			if m.Id != req.Id || !m.Response {
				t.Fatalf("answer id %d response %v for query %d", m.Id, m.Response, req.Id)
			}
			limit := dns.MinMsgSize
			if o := req.IsEdns0(); o != nil {
				limit = max(limit, min(int(o.UDPSize()), 1232))
			}
			if !tcp && len(b) > limit {
				t.Fatalf("UDP answer of %d bytes for a %d-byte buffer", len(b), limit)
			}
		}
	})
}
