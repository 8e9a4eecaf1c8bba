package dns

import (
	"context"
	"maps"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

var _ Catalog = (*view.View)(nil)

type env struct {
	st   *store.Store
	v    *view.View
	srv  *Server
	addr string // host:port, UDP and TCP
	reg  *prometheus.Registry
}

// start runs a server over a fresh store and view on 127.0.0.1:0, with
// hosts (may be nil) as its router host names.
func start(t *testing.T, cfg Config, hosts map[string]bool) *env {
	t.Helper()
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	return startOn(t, st, v, cfg, hosts)
}

func startOn(t *testing.T, st *store.Store, v *view.View, cfg Config, hosts map[string]bool) *env {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Upstreams == nil && !cfg.NoForward {
		cfg.NoForward = true
	}
	reg := prometheus.NewRegistry()
	srv, err := New(cfg, Deps{Catalog: v, Logger: orbittest.Logger(t), Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if hosts != nil {
		srv.setHosts(hosts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return 10s after cancel")
		}
	})
	udp, _ := srv.Addr()
	return &env{st: st, v: v, srv: srv, addr: udp.String(), reg: reg}
}

// sync waits until the DNS table has caught up with rev.
func (e *env) sync(t *testing.T, rev int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.waitTable(ctx, rev); err != nil {
		t.Fatalf("table did not reach revision %d: %v", rev, err)
	}
}

func (e *env) query(t *testing.T, name string, qtype uint16, net string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Net: net, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, e.addr)
	if err != nil {
		t.Fatalf("query %s %s over %s: %v", name, dns.TypeToString[qtype], net, err)
	}
	return r
}

func answers(r *dns.Msg) []string {
	var out []string
	for _, rr := range r.Answer {
		switch x := rr.(type) {
		case *dns.A:
			out = append(out, x.A.String())
		case *dns.AAAA:
			out = append(out, x.AAAA.String())
		case *dns.SRV:
			out = append(out, x.Target+":"+strconv.Itoa(int(x.Port)))
		case *dns.PTR:
			out = append(out, x.Ptr)
		case *dns.CNAME:
			out = append(out, "CNAME "+x.Target)
		default:
			out = append(out, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
	}
	slices.Sort(out)
	return out
}

func mustRegister(t *testing.T, st *store.Store, node *catalog.Node, in *catalog.Instance, status catalog.Status) int64 {
	t.Helper()
	chk := &catalog.Check{CheckID: "service:" + in.ID, Name: in.Name, Status: status,
		Definition: catalog.CheckDefinition{TTL: time.Minute}}
	rev, err := st.RegisterInstance(context.Background(), node, in, []*catalog.Check{chk})
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

func TestServiceDiscovery(t *testing.T) {
	e := start(t, Config{}, nil)
	n1 := &catalog.Node{Name: "n1", Address: "127.0.0.11", Datacenter: "dc1"}
	n2 := &catalog.Node{Name: "n2", Address: "127.0.0.12", Datacenter: "dc1"}
	mustRegister(t, e.st, n1, &catalog.Instance{Node: "n1", ID: "web-1", Name: "web", Port: 20001, Tags: []string{"v1", "http"}}, catalog.Passing)
	mustRegister(t, e.st, n2, &catalog.Instance{Node: "n2", ID: "web-2", Name: "web", Port: 20002, Address: "10.0.0.9", Tags: []string{"v2", "http"}}, catalog.Passing)
	rev := mustRegister(t, e.st, n2, &catalog.Instance{Node: "n2", ID: "web-3", Name: "web", Port: 20003, Tags: []string{"v3"}}, catalog.Warning)
	e.sync(t, rev)

	tests := []struct {
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"web.service.consul.", dns.TypeA, dns.RcodeSuccess, []string{"10.0.0.9", "127.0.0.11"}},
		{"WEB.Service.Consul.", dns.TypeA, dns.RcodeSuccess, []string{"10.0.0.9", "127.0.0.11"}},
		{"web.service.dc1.consul.", dns.TypeA, dns.RcodeSuccess, []string{"10.0.0.9", "127.0.0.11"}},
		{"v1.web.service.consul.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.11"}},
		{"web.service.consul.", dns.TypeSRV, dns.RcodeSuccess, []string{"0a000009.addr.dc1.consul.:20002", "n1.node.dc1.consul.:20001"}},
		{"_web._tcp.service.consul.", dns.TypeSRV, dns.RcodeSuccess, []string{"0a000009.addr.dc1.consul.:20002", "n1.node.dc1.consul.:20001"}},
		{"_web._v2.service.consul.", dns.TypeSRV, dns.RcodeSuccess, []string{"0a000009.addr.dc1.consul.:20002"}},
		{"http.web.service.consul.", dns.TypeSRV, dns.RcodeSuccess, []string{"0a000009.addr.dc1.consul.:20002", "n1.node.dc1.consul.:20001"}},
		{"n1.node.consul.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.11"}},
		{"n2.node.dc1.consul.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.12"}},
		{"0a000009.addr.dc1.consul.", dns.TypeA, dns.RcodeSuccess, []string{"10.0.0.9"}},
		{"11.0.0.127.in-addr.arpa.", dns.TypePTR, dns.RcodeSuccess, []string{"n1.node.dc1.consul."}},
		// warning instances are left out unless configured
		{"v3.web.service.consul.", dns.TypeA, dns.RcodeNameError, nil},
		{"nope.service.consul.", dns.TypeA, dns.RcodeNameError, nil},
		{"web.service.dc2.consul.", dns.TypeA, dns.RcodeNameError, nil},
		{"a.b.web.service.consul.", dns.TypeA, dns.RcodeNameError, nil},
		{"nope.node.consul.", dns.TypeA, dns.RcodeNameError, nil},
		// NODATA: the name exists, the type does not
		{"web.service.consul.", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"web.service.consul.", dns.TypeTXT, dns.RcodeSuccess, nil},
	}
	for _, tt := range tests {
		for _, proto := range []string{"udp", "tcp"} {
			r := e.query(t, tt.name, tt.qtype, proto)
			if r.Rcode != tt.rcode || !slices.Equal(answers(r), tt.want) {
				t.Errorf("%s %s over %s: rcode %s answers %v, want %s %v", tt.name, dns.TypeToString[tt.qtype], proto,
					dns.RcodeToString[r.Rcode], answers(r), dns.RcodeToString[tt.rcode], tt.want)
				continue
			}
			if !r.Authoritative {
				t.Errorf("%s: not authoritative", tt.name)
			}
			if len(r.Answer) == 0 && (len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA) {
				t.Errorf("%s %s: negative answer without SOA: %v", tt.name, dns.TypeToString[tt.qtype], r.Ns)
			}
		}
	}
	// SRV answers carry the targets' addresses in the additional section.
	r := e.query(t, "web.service.consul.", dns.TypeSRV, "udp")
	extra := map[string]string{}
	for _, rr := range r.Extra {
		if a, ok := rr.(*dns.A); ok {
			extra[a.Hdr.Name] = a.A.String()
		}
	}
	if extra["n1.node.dc1.consul."] != "127.0.0.11" || extra["0a000009.addr.dc1.consul."] != "10.0.0.9" {
		t.Errorf("SRV additional = %v", r.Extra)
	}

	// Health drives DNS: critical leaves the answers, passing returns.
	crev, _, err := e.st.SetCheckStatus(context.Background(), "n1", "service:web-1", catalog.Critical, "down")
	if err != nil {
		t.Fatal(err)
	}
	e.sync(t, crev)
	if got := answers(e.query(t, "web.service.consul.", dns.TypeA, "udp")); !slices.Equal(got, []string{"10.0.0.9"}) {
		t.Fatalf("after web-1 critical: %v", got)
	}
	if r := e.query(t, "v1.web.service.consul.", dns.TypeA, "udp"); r.Rcode != dns.RcodeNameError {
		t.Fatalf("v1 after critical: %s", dns.RcodeToString[r.Rcode])
	}
}

func TestAllowWarningAndAltDomain(t *testing.T) {
	e := start(t, Config{AllowWarning: true, AltDomains: []string{"orbit"}, ServiceTTL: 30 * time.Second}, nil)
	n := &catalog.Node{Name: "n1", Address: "::1"}
	rev := mustRegister(t, e.st, n, &catalog.Instance{Node: "n1", ID: "db-1", Name: "db", Port: 5432}, catalog.Warning)
	e.sync(t, rev)
	r := e.query(t, "db.service.orbit.", dns.TypeAAAA, "udp")
	if got := answers(r); !slices.Equal(got, []string{"::1"}) || r.Answer[0].Header().Ttl != 30 {
		t.Fatalf("db AAAA = %v", r.Answer)
	}
}

func TestHealthDrivesDNSWithinInterval(t *testing.T) {
	e := start(t, Config{}, nil)
	rev := mustRegister(t, e.st, &catalog.Node{Name: "n1", Address: "127.0.0.21"},
		&catalog.Instance{Node: "n1", ID: "api-1", Name: "api", Port: 9000}, catalog.Passing)
	e.sync(t, rev)
	if r := e.query(t, "api.service.consul.", dns.TypeA, "udp"); len(r.Answer) != 1 {
		t.Fatalf("api not answered: %v", r)
	}
	// The change must reach DNS through the watch alone, with no
	// read-your-writes help; on a quiet machine that takes milliseconds,
	// well within a 1s check interval (logged below). The bound is loose so
	// a loaded machine does not fail it; the bench measures the latency.
	start := time.Now()
	if _, _, err := e.st.SetCheckStatus(context.Background(), "n1", "service:api-1", catalog.Critical, "refused"); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 5*time.Second, "api gone from DNS", func() bool {
		return e.query(t, "api.service.consul.", dns.TypeA, "udp").Rcode == dns.RcodeNameError
	})
	t.Logf("critical → out of DNS in %v", time.Since(start))
}

func TestTruncationAndTCPRetry(t *testing.T) {
	e := start(t, Config{}, nil)
	var rev int64
	for i := 0; i < 60; i++ {
		node := "n" + strconv.Itoa(i)
		addr := "10.1.0." + strconv.Itoa(i+1)
		rev = mustRegister(t, e.st, &catalog.Node{Name: node, Address: addr},
			&catalog.Instance{Node: node, ID: "big-" + strconv.Itoa(i), Name: "big", Port: 20000 + i}, catalog.Passing)
	}
	e.sync(t, rev)
	r := e.query(t, "big.service.consul.", dns.TypeA, "udp")
	if !r.Truncated || len(r.Answer) == 0 || len(r.Answer) >= 60 {
		t.Fatalf("UDP: truncated %v with %d answers", r.Truncated, len(r.Answer))
	}
	r.Compress = true
	if l := r.Len(); l > 512 {
		t.Fatalf("UDP answer of %d bytes to a client without EDNS0", l)
	}
	r = e.query(t, "big.service.consul.", dns.TypeSRV, "tcp")
	if r.Truncated || len(r.Answer) != 60 || len(r.Extra) != 60 {
		t.Fatalf("TCP: truncated %v, %d answers, %d extra", r.Truncated, len(r.Answer), len(r.Extra))
	}
	// The resolver's usual dance: UDP, see TC, retry over TCP.
	m := new(dns.Msg)
	m.SetQuestion("big.service.consul.", dns.TypeA)
	c := &dns.Client{Net: "udp"}
	r, _, err := c.Exchange(m, e.addr)
	if err != nil || !r.Truncated {
		t.Fatalf("udp: %v %v", err, r)
	}
	c.Net = "tcp"
	if r, _, err = c.Exchange(m, e.addr); err != nil || len(r.Answer) != 60 {
		t.Fatalf("tcp retry: %v, %d answers", err, len(r.Answer))
	}
	// An EDNS0 client with a large buffer gets more in one UDP answer.
	m.SetEdns0(4096, false)
	c.Net = "udp"
	if r, _, err = c.Exchange(m, e.addr); err != nil || len(r.Answer) <= 28 || r.IsEdns0() == nil {
		t.Fatalf("edns udp: %v, %d answers", err, len(r.Answer))
	}
}

func TestDig(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig not installed (Debian package dnsutils)")
	}
	e := start(t, Config{}, nil)
	n := &catalog.Node{Name: "n1", Address: "127.0.0.31"}
	rev := mustRegister(t, e.st, n, &catalog.Instance{Node: "n1", ID: "web-1", Name: "web", Port: 24567, Tags: []string{"blue"}}, catalog.Passing)
	e.sync(t, rev)
	host, port, _ := net.SplitHostPort(e.addr)
	run := func(args ...string) string {
		out, err := exec.Command(dig, append([]string{"@" + host, "-p", port, "+time=2", "+tries=1"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("+short", "web.service.consul"); strings.TrimSpace(out) != "127.0.0.31" {
		t.Errorf("dig A: %q", out)
	}
	if out := run("+short", "blue.web.service.consul"); strings.TrimSpace(out) != "127.0.0.31" {
		t.Errorf("dig tag A: %q", out)
	}
	if out := run("+short", "SRV", "_web._tcp.service.consul"); strings.TrimSpace(out) != "1 1 24567 n1.node.dc1.consul." {
		t.Errorf("dig SRV: %q", out)
	}
	if out := run("+short", "n1.node.consul"); strings.TrimSpace(out) != "127.0.0.31" {
		t.Errorf("dig node: %q", out)
	}
	out := run("missing.service.consul")
	if !strings.Contains(out, "status: NXDOMAIN") || !strings.Contains(out, "AUTHORITY: 1") || !strings.Contains(out, "SOA") {
		t.Errorf("dig NXDOMAIN:\n%s", out)
	}
	if out := run("+tcp", "+short", "SRV", "web.service.consul"); !strings.Contains(out, "24567") {
		t.Errorf("dig +tcp SRV: %q", out)
	}
}

func orbittestEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	orbittest.Eventually(t, 5*time.Second, what, cond)
}

func TestReverseNames(t *testing.T) {
	ptr := map[string]string{"1.0.0.127.in-addr.arpa.": "a", "2.0.0.127.in-addr.arpa.": "b", "3.0.0.127.in-addr.arpa.": "c"}
	nodes := map[string]*nodeRec{"a": {}, "c": {}}
	zone := func(name string) bool { return name == "3.0.0.127.in-addr.arpa." }
	for _, tc := range []struct {
		name   string
		filter bool
		want   []string
	}{
		{"no ACLs: every node, zones win", false, []string{"1.0.0.127.in-addr.arpa.", "2.0.0.127.in-addr.arpa."}},
		{"ACLs: only readable nodes", true, []string{"1.0.0.127.in-addr.arpa."}},
	} {
		got := reverseNames(ptr, nodes, zone, tc.filter)
		keys := slices.Sorted(maps.Keys(got))
		if !slices.Equal(keys, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, keys, tc.want)
		}
	}
}
