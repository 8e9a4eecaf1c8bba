package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/orbit/orbit/internal/dns"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/routing"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/zone"
)

// testZone is the orbit zone the tests' names live in; every name in it
// resolves to loopback, where the test's edge listens.
const testZone = "lab.test."

// env is a store with orbit's DNS serving testZone, an edge stand-in (a
// plain and a TLS listener on loopback) and pebble validating against
// both, resolving through orbit's DNS.
type env struct {
	st       *store.Store
	dnsAddr  string
	web, tls net.Listener
	pebble   *orbittest.Pebble
	// renewCheck is the managers' RenewCheckInterval (0: the default).
	renewCheck time.Duration
}

func newEnv(t *testing.T) *env { return newEnvValidity(t, 0) }

// newEnvValidity is newEnv with pebble issuing certificates valid for
// validity (0: its default, 90 days).
func newEnvValidity(t *testing.T, validity time.Duration) *env {
	t.Helper()
	e := &env{st: orbittest.NewStore(t)}
	now := time.Now()
	if _, _, err := e.st.ChangeZone(context.Background(), testZone, zone.Change{Create: true,
		Put: []zone.RRSet{{Name: "*." + testZone, Type: "A", TTL: 5, Records: []string{"127.0.0.1"}},
			{Name: testZone, Type: "A", TTL: 5, Records: []string{"127.0.0.1"}}}}, now); err != nil {
		t.Fatal(err)
	}
	srv, err := dns.New(dns.Config{Addr: "127.0.0.1:0", NoForward: true, NegativeTTL: time.Second},
		dns.Deps{Catalog: orbittest.NewView(t, e.st), Logger: orbittest.Logger(t), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	runUntilCleanup(t, srv.Run)
	udp, _ := srv.Addr()
	e.dnsAddr = udp.String()
	var err2 error
	if e.web, err2 = net.Listen("tcp", "127.0.0.1:0"); err2 != nil {
		t.Fatal(err2)
	}
	if e.tls, err2 = net.Listen("tcp", "127.0.0.1:0"); err2 != nil {
		t.Fatal(err2)
	}
	e.pebble = orbittest.StartPebble(t, orbittest.PebbleConfig{
		HTTPPort: orbittest.PortOf(t, e.web.Addr().String()), TLSPort: orbittest.PortOf(t, e.tls.Addr().String()), DNSServer: e.dnsAddr, Validity: validity})
	return e
}

// runUntilCleanup runs fn until the test ends and waits for it.
func runUntilCleanup(t *testing.T, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("run: %v", err)
		}
	})
}

// resolver is the test CA's resolver "le" with challenge ch.
func (e *env) resolver(ch string) Resolver {
	return Resolver{Name: "le", Email: "ops@lab.test", CAServer: e.pebble.Directory, CARoot: e.pebble.CARoot, Challenge: ch}
}

// manager starts a Manager on files with resolver r and serves its
// challenges and certificates on the env's listeners (which one edge
// node at a time serves: serve starts that node's servers).
func (e *env) manager(t *testing.T, files Files, r Resolver) *Manager {
	t.Helper()
	m, err := New(Config{Resolvers: []Resolver{r}, HTTPAddr: e.web.Addr().String(), TLSAddr: e.tls.Addr().String(),
		DNSServers: []string{e.dnsAddr}, DNSPropagationTimeout: 30 * time.Second, RenewCheckInterval: e.renewCheck},
		Deps{Files: files, Zones: e.st, Logger: orbittest.Logger(t), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	runUntilCleanup(t, m.Run)
	return m
}

// serve answers on the env's listeners from m: HTTP-01 on web,
// certificates and TLS-ALPN-01 on tls (a page saying "served" behind it).
func (e *env) serve(t *testing.T, m *Manager) {
	t.Helper()
	web := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.HandleHTTPChallenge(w, r) {
			http.NotFound(w, r)
		}
	})}
	tlsSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("served")) }),
		TLSConfig: &tls.Config{NextProtos: []string{"http/1.1", "acme-tls/1"}, GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			c, err := m.Certificate("le", h)
			if c == nil && err == nil {
				err = errors.New("no certificate yet")
			}
			return c, err
		}}}
	var wg sync.WaitGroup
	wg.Go(func() { web.Serve(e.web) })
	wg.Go(func() { tlsSrv.ServeTLS(e.tls, "", "") })
	t.Cleanup(func() { web.Close(); tlsSrv.Close(); wg.Wait() })
}

// table is a route table with one router for host on resolver "le",
// with tls.domains when domains are given.
func table(t *testing.T, host string, domains ...string) *routing.Table {
	t.Helper()
	tags := []string{"traefik.enable=true", "traefik.http.routers.app.rule=Host(`" + host + "`)",
		"traefik.http.routers.app.tls.certresolver=le"}
	if len(domains) > 0 {
		tags = append(tags, "traefik.http.routers.app.tls.domains[0].main="+domains[0])
		if len(domains) > 1 {
			tags = append(tags, "traefik.http.routers.app.tls.domains[0].sans="+strings.Join(domains[1:], ","))
		}
	}
	rt := routing.Build(routing.Config{EntryPoints: []routing.EntryPoint{{Name: "websecure", TLS: true}}},
		[]routing.ServiceInstances{{Name: "app", Instances: []routing.Instance{{Node: "n1", ID: "app-1", Address: "127.0.0.1", Port: 1, Tags: tags, Status: routing.StatusPassing}}}})
	if errs := rt.Routers()[0].Errors; len(errs) > 0 {
		t.Fatalf("router: %v", errs)
	}
	return rt
}

// fetch connects to the env's TLS listener for name, trusting roots only,
// and returns the certificate it was served.
func (e *env) fetch(name string, roots *x509.CertPool) (*x509.Certificate, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", e.tls.Addr().String(),
		&tls.Config{ServerName: name, RootCAs: roots})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

// waitServed waits until name is served with a certificate chaining to
// roots, and returns it.
func (e *env) waitServed(t *testing.T, name string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	var leaf *x509.Certificate
	var last error
	deadline := time.Now().Add(90 * time.Second)
	for leaf == nil {
		if time.Now().After(deadline) {
			t.Fatalf("%s not served with a certificate from pebble in 90s; last: %v", name, last)
		}
		if leaf, last = e.fetch(name, roots); leaf == nil {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return leaf
}

func TestObtainEachChallenge(t *testing.T) {
	for _, tc := range []struct {
		challenge, host string
		domains         []string
		want            []string // names of the certificate served for host
	}{
		{challenge: ChallengeHTTP01, host: "www.lab.test", want: []string{"www.lab.test"}},
		{challenge: ChallengeTLSALPN01, host: "alpn.lab.test", want: []string{"alpn.lab.test"}},
		{challenge: ChallengeDNS01, host: "dns.lab.test", want: []string{"dns.lab.test"}},
		{challenge: ChallengeDNS01, host: "app.lab.test", domains: []string{"*.lab.test"}, want: []string{"*.lab.test"}},
	} {
		t.Run(tc.challenge+"/"+tc.host, func(t *testing.T) {
			e := newEnv(t)
			m := e.manager(t, e.st.CertFiles(2*time.Second), e.resolver(tc.challenge))
			e.serve(t, m)
			m.SetRoutes(table(t, tc.host, tc.domains...))
			leaf := e.waitServed(t, tc.host, e.pebble.IssuedRoots(t))
			if strings.Join(leaf.DNSNames, ",") != strings.Join(tc.want, ",") {
				t.Errorf("served certificate for %v, want %v", leaf.DNSNames, tc.want)
			}
			st := m.Certificates()
			if len(st) != 1 || st[0].Name != tc.want[0] || st[0].NotAfter.IsZero() || st[0].LastError != "" {
				t.Errorf("status %+v, want one valid certificate for %s", st, tc.want[0])
			}
			if tc.challenge == ChallengeDNS01 {
				// The challenge record is gone from the zone once validated.
				_, sets, _, err := e.st.ReadZone(context.Background(), testZone)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range sets {
					if s.Type == "TXT" {
						t.Errorf("challenge record left in the zone: %+v", s)
					}
				}
			}
		})
	}
}

// orders is how many certificates m ordered successfully.
func orders(m *Manager) float64 {
	return testutil.ToFloat64(m.metrics.orders.WithLabelValues("le", "obtain_ok"))
}

func TestTwoNodesOneOrder(t *testing.T) {
	e := newEnv(t)
	a := e.manager(t, e.st.CertFiles(2*time.Second), e.resolver(ChallengeHTTP01))
	b := e.manager(t, e.st.CertFiles(2*time.Second), e.resolver(ChallengeHTTP01))
	// Only a answers on the edge's ports: when b holds the order, the
	// validation request still reaches a, which answers from the store.
	e.serve(t, a)
	a.SetRoutes(table(t, "www.lab.test"))
	b.SetRoutes(table(t, "www.lab.test"))
	roots := e.pebble.IssuedRoots(t)
	leaf := e.waitServed(t, "www.lab.test", roots)
	serial := strings.ToLower(leaf.SerialNumber.Text(16))
	orbittest.Eventually(t, 30*time.Second, "both nodes serving the certificate", func() bool {
		sa, sb := a.Certificates(), b.Certificates()
		return len(sa) == 1 && len(sb) == 1 && sa[0].Serial == serial && sb[0].Serial == serial
	})
	if n := orders(a) + orders(b); n != 1 {
		t.Errorf("%v orders for one name on two nodes, want 1", n)
	}
}

// stallingFiles holds an order's lock and then hangs, as a node that died
// mid-order: locked is closed once it holds it.
type stallingFiles struct {
	Files
	locked  chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *stallingFiles) Lock(ctx context.Context, name string) error {
	if err := s.Files.Lock(ctx, name); err != nil {
		return err
	}
	if !strings.HasPrefix(name, "issue_cert_") {
		return nil
	}
	s.once.Do(func() { close(s.locked) })
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	return errors.New("this node is dead")
}

func TestLockHolderDiesMidOrder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Node a has its own store client, so it can die alone.
	sa, err := store.Open(ctx, store.Config{Endpoints: []string{e.st.ClientURL()}, Logger: orbittest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sa.Close() })
	fa := &stallingFiles{Files: sa.CertFiles(2 * time.Second), locked: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() { close(fa.release) })
	a := e.manager(t, fa, e.resolver(ChallengeHTTP01))
	a.SetRoutes(table(t, "www.lab.test"))
	select {
	case <-fa.locked:
	case <-time.After(30 * time.Second):
		t.Fatal("node a never took the order's lock")
	}
	b := e.manager(t, e.st.CertFiles(2*time.Second), e.resolver(ChallengeHTTP01))
	e.serve(t, b)
	b.SetRoutes(table(t, "www.lab.test"))
	// b waits for a's lock while a lives (its lease is renewed).
	time.Sleep(3 * time.Second)
	if got := b.Certificates(); len(got) != 1 || got[0].Serial != "" {
		t.Fatalf("b has a certificate while a holds the lock: %+v", got)
	}
	died := time.Now()
	sa.Close() // a dies: its lock's lease is no longer renewed
	e.waitServed(t, "www.lab.test", e.pebble.IssuedRoots(t))
	if orders(b) != 1 {
		t.Errorf("b ordered %v times, want 1", orders(b))
	}
	t.Logf("b completed the order %v after a died", time.Since(died).Round(time.Millisecond))
}

// TestRenewalOnBothNodes: a certificate is renewed when a third of its
// lifetime is left, once for the two nodes; the node that did not renew
// (its own check is 10 minutes away) serves the new one within seconds,
// from the store's watch, and a connection opened to it before the
// renewal keeps working.
func TestRenewalOnBothNodes(t *testing.T) {
	e := newEnvValidity(t, 30*time.Second)
	e.renewCheck = time.Second
	a := e.manager(t, e.st.CertFiles(2*time.Second), e.resolver(ChallengeHTTP01))
	e.renewCheck = 0 // b checks every 10 minutes: only the watch brings it a's renewal
	b := e.manager(t, e.st.CertFiles(2*time.Second), e.resolver(ChallengeHTTP01))
	e.serve(t, b)
	a.SetRoutes(table(t, "www.lab.test"))
	b.SetRoutes(table(t, "www.lab.test"))
	roots := e.pebble.IssuedRoots(t)
	first := e.waitServed(t, "www.lab.test", roots)
	old := strings.ToLower(first.SerialNumber.Text(16))

	// A keep-alive connection to b from before the renewal.
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, MaxConnsPerHost: 1,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, e.tls.Addr().String())
		}}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var conns int
	get := func() *tls.ConnectionState {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://www.lab.test/", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			ConnectDone: func(string, string, error) { conns++ }}))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("request on the kept connection: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.TLS
	}
	get()

	var renewed string
	orbittest.Eventually(t, 60*time.Second, "a serving a renewed certificate", func() bool {
		sa := a.Certificates()
		if len(sa) == 1 && sa[0].Serial != "" && sa[0].Serial != old {
			renewed = sa[0].Serial
		}
		return renewed != ""
	})
	at := time.Now()
	orbittest.Eventually(t, 3*time.Second, "b serving a's renewed certificate", func() bool {
		sb := b.Certificates()
		return len(sb) == 1 && sb[0].Serial == renewed
	})
	t.Logf("b served the renewed certificate %v after a did", time.Since(at).Round(time.Millisecond))
	if leaf, err := e.fetch("www.lab.test", roots); err != nil || strings.ToLower(leaf.SerialNumber.Text(16)) != renewed {
		t.Errorf("a new connection to b did not get the renewed certificate (%v)", err)
	}
	renewals := testutil.ToFloat64(a.metrics.orders.WithLabelValues("le", "renew_ok"))
	if renewals < 1 || orders(a)+orders(b) != 1 || testutil.ToFloat64(b.metrics.orders.WithLabelValues("le", "renew_ok")) != 0 {
		t.Errorf("a renewed %v times, b %v times; %v first orders", renewals,
			testutil.ToFloat64(b.metrics.orders.WithLabelValues("le", "renew_ok")), orders(a)+orders(b))
	}
	if st := get(); conns != 1 || strings.ToLower(st.PeerCertificates[0].SerialNumber.Text(16)) != old {
		t.Errorf("the connection from before the renewal was replaced (%d connections)", conns)
	}
}
