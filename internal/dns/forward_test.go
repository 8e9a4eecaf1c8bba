package dns

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/orbittest"
)

// upstream runs a real DNS server on 127.0.0.1:0 with handler h.
func upstream(t *testing.T, h dns.HandlerFunc) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: h}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown(); <-done })
	return pc.LocalAddr().String()
}

func TestForwardingCache(t *testing.T) {
	var asked atomic.Int32
	var lastName atomic.Value
	up := upstream(t, func(w dns.ResponseWriter, r *dns.Msg) {
		asked.Add(1)
		lastName.Store(r.Question[0].Name)
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		switch strings.ToLower(r.Question[0].Name) {
		case "www.example.org.":
			m.Answer = []dns.RR{&dns.A{Hdr: hdr(r.Question[0].Name, dns.TypeA, 300), A: net.ParseIP("203.0.113.5")}}
		default:
			m.Rcode = dns.RcodeNameError
			m.Ns = []dns.RR{&dns.SOA{Hdr: hdr("example.org.", dns.TypeSOA, 3600), Ns: "ns.example.org.",
				Mbox: "h.example.org.", Serial: 1, Minttl: 20}}
		}
		_ = w.WriteMsg(m)
	})
	clock := clockwork.NewFakeClockAt(time.Unix(1_700_000_000, 0))
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	reg := prometheus.NewRegistry()
	srv, err := New(Config{Addr: "127.0.0.1:0", Upstreams: []string{up}}, Deps{Catalog: v, Clock: clock, Registry: reg, Logger: orbittest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runServer(t, srv)
	udp, _ := srv.Addr()
	e := &env{srv: srv, addr: udp.String()}

	r := e.query(t, "www.example.org.", dns.TypeA, "udp")
	if !slices.Equal(answers(r), []string{"203.0.113.5"}) || !r.RecursionAvailable || r.Authoritative {
		t.Fatalf("forwarded answer = %v", r)
	}
	if n, _ := lastName.Load().(string); strings.ToLower(n) != "www.example.org." || n == "www.example.org." {
		t.Fatalf("upstream saw %q; want the name with randomised case", n)
	}
	clock.Advance(100 * time.Second)
	r = e.query(t, "WWW.example.org.", dns.TypeA, "udp")
	if asked.Load() != 1 || r.Answer[0].Header().Ttl != 200 || r.Question[0].Name != "WWW.example.org." {
		t.Fatalf("cached answer: upstream asked %d times, TTL %d, question %q", asked.Load(), r.Answer[0].Header().Ttl, r.Question[0].Name)
	}
	clock.Advance(201 * time.Second)
	e.query(t, "www.example.org.", dns.TypeA, "udp")
	if asked.Load() != 2 {
		t.Fatalf("expired entry served from cache (upstream asked %d times)", asked.Load())
	}
	// Negative answers are cached for min(SOA TTL, SOA minimum) = 20s.
	for i := 0; i < 3; i++ {
		if r := e.query(t, "nx.example.org.", dns.TypeA, "udp"); r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
			t.Fatalf("negative answer = %v", r)
		}
	}
	if asked.Load() != 3 {
		t.Fatalf("negative answer not cached (upstream asked %d times)", asked.Load())
	}
	clock.Advance(21 * time.Second)
	e.query(t, "nx.example.org.", dns.TypeA, "udp")
	if asked.Load() != 4 {
		t.Fatalf("negative entry outlived the SOA minimum (upstream asked %d times)", asked.Load())
	}
	// Without recursion desired, nothing is forwarded.
	m := new(dns.Msg)
	m.SetQuestion("other.example.org.", dns.TypeA)
	m.RecursionDesired = false
	if r, _, err := new(dns.Client).Exchange(m, e.addr); err != nil || r.Rcode != dns.RcodeRefused {
		t.Fatalf("RD=0: %v %v", r, err)
	}
	if got := counterValue(t, reg, "orbit_dns_cache_lookups_total", "hit"); got != 3 {
		t.Errorf("cache hits = %v, want 3", got)
	}
}

func runServer(t *testing.T, srv *Server) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label || label == "" {
					sum += m.GetCounter().GetValue()
				}
			}
			if len(m.GetLabel()) == 0 {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func TestForwardingLoop(t *testing.T) {
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	var logs orbittest.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	// The upstream is a forwarding resolver pointed back at orbit: it asks
	// orbit the same question with a new ID and without our EDNS0 option,
	// as dnsmasq or systemd-resolved would.
	var orbitAddr atomic.Value
	var asked atomic.Int32
	up := upstream(t, func(w dns.ResponseWriter, r *dns.Msg) {
		asked.Add(1)
		fwd := new(dns.Msg)
		fwd.SetQuestion(r.Question[0].Name, r.Question[0].Qtype)
		resp, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(fwd, orbitAddr.Load().(string))
		m := new(dns.Msg)
		m.SetReply(r)
		if err != nil {
			m.Rcode = dns.RcodeServerFailure
		} else {
			m.Rcode, m.Answer = resp.Rcode, resp.Answer
		}
		_ = w.WriteMsg(m)
	})
	reg := prometheus.NewRegistry()
	// Long, so a machine under load still answers well before it; a
	// loop that went undetected would only end there.
	const forwardTimeout = 10 * time.Second
	srv, err := New(Config{Addr: "127.0.0.1:0", Upstreams: []string{up}, ForwardTimeout: forwardTimeout},
		Deps{Catalog: v, Registry: reg, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	udp, _ := srv.Addr()
	orbitAddr.Store(udp.String())
	runServer(t, srv)
	e := &env{srv: srv, addr: udp.String()}

	begin := time.Now()
	r := e.query(t, "loop.example.net.", dns.TypeA, "udp")
	took := time.Since(begin)
	if r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("looping query: %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	if took >= forwardTimeout/2 {
		t.Fatalf("loop answered after %v; want well under the %v forward timeout", took, forwardTimeout)
	}
	if !strings.Contains(logs.String(), "dns forwarding loop") || !strings.Contains(logs.String(), "upstream="+up) {
		t.Fatalf("loop not logged with the upstream:\n%s", logs.String())
	}
	if got := counterValue(t, reg, "orbit_dns_forward_loops_total", ""); got < 1 {
		t.Fatalf("loops metric = %v", got)
	}
	// The looping upstream is held off: the next query fails without
	// being forwarded. (The upstream answered the first query before orbit
	// did, so its count is final.)
	before := asked.Load()
	if r := e.query(t, "again.example.net.", dns.TypeA, "udp"); r.Rcode != dns.RcodeServerFailure || asked.Load() != before {
		t.Fatalf("second query: %s, upstream asked %d times, was %d", dns.RcodeToString[r.Rcode], asked.Load(), before)
	}
	t.Logf("loop detected and answered SERVFAIL in %v", took)
}

func TestNeverForwardsToItself(t *testing.T) {
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	port := freePort(t)
	addr := "127.0.0.1:" + itoa(port)
	var logs orbittest.SyncBuffer
	srv, err := New(Config{Addr: addr, Upstreams: []string{addr}}, Deps{Catalog: v, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	runServer(t, srv)
	if len(srv.fwd.upstreams) != 0 || !strings.Contains(logs.String(), "own address") {
		t.Fatalf("upstreams %v, log:\n%s", srv.fwd.upstreams, logs.String())
	}
	e := &env{srv: srv, addr: addr}
	if r := e.query(t, "x.example.net.", dns.TypeA, "udp"); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("no upstream: %s", dns.RcodeToString[r.Rcode])
	}
}

func TestTaggedQueryIsALoop(t *testing.T) {
	// A transparent forwarder passes our EDNS0 option through unchanged.
	// The tagged query must not be forwarded again.
	var asked atomic.Int32
	up := upstream(t, func(w dns.ResponseWriter, r *dns.Msg) {
		asked.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		_ = w.WriteMsg(m)
	})
	e := start(t, Config{Upstreams: []string{up}}, nil)
	m := new(dns.Msg)
	m.SetQuestion("tagged.example.net.", dns.TypeA)
	m.SetEdns0(1232, false)
	opt := m.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: loopOption, Data: e.srv.fwd.nonce})
	r, _, err := new(dns.Client).Exchange(m, e.addr)
	if err != nil || r.Rcode != dns.RcodeServerFailure || asked.Load() != 0 {
		t.Fatalf("tagged query: %v %v, forwarded %d times", r, err, asked.Load())
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
