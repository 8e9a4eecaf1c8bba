package proxy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/pki"
	"github.com/orbit/orbit/internal/routefeed"
	"github.com/orbit/orbit/internal/routing"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// edge is a proxy over a real embedded store and view, with the internal
// CA, serving on loopback ports chosen by the OS.
type edge struct {
	t   testing.TB
	st  *store.Store
	v   *view.View
	srv *Server
	ca  *pki.CA
	reg *prometheus.Registry
}

const testNode = "node1"

func startEdge(t testing.TB, cfg Config, clock clockwork.Clock) *edge {
	t.Helper()
	return startEdgeWith(t, cfg, true, -1, clock) // tests of damping set it explicitly
}

// startEdgeWith is startEdge with a route feeder that routes every service
// when exposed (else only those with traefik.enable=true) and damps flaps
// for damping (negative: off).
func startEdgeWith(t testing.TB, cfg Config, exposed bool, damping time.Duration, clock clockwork.Clock) *edge {
	t.Helper()
	return startEdgeDeps(t, cfg, exposed, damping, clock, nil)
}

// startEdgeDeps is startEdgeWith with the proxy's Deps adjusted by deps
// (when not nil) before it is created.
func startEdgeDeps(t testing.TB, cfg Config, exposed bool, damping time.Duration, clock clockwork.Clock, deps func(*Deps)) *edge {
	t.Helper()
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ca, err := pki.New(context.Background(), pki.Config{}, st)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EntryPoints == nil {
		cfg.EntryPoints = []EntryPoint{{Name: "web", Addr: "127.0.0.1:0"}, {Name: "websecure", Addr: "127.0.0.1:0", TLS: true}}
	}
	reg := prometheus.NewRegistry()
	d := Deps{CA: ca, Logger: orbittest.Logger(t), Registry: reg, Clock: clock}
	if deps != nil {
		deps(&d)
	}
	srv, err := New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := routefeed.New(routefeed.Config{
		Routing:     routing.Config{EntryPoints: cfg.RoutingEntryPoints(), ExposedByDefault: exposed},
		FlapDamping: damping,
	}, routefeed.Deps{Catalog: v, Sinks: []routefeed.Sink{srv}, Logger: orbittest.Logger(t), Registry: reg, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- srv.Run(ctx) }()
	go func() { done <- feed.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Run did not return 30s after cancellation")
				return
			}
		}
	})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if _, err := st.RegisterNode(ctx2, &catalog.Node{Name: testNode, Address: "127.0.0.1"}, 0); err != nil {
		t.Fatal(err)
	}
	return &edge{t: t, st: st, v: v, srv: srv, ca: ca, reg: reg}
}

func (e *edge) addr(ep string) string { return e.srv.Addrs()[ep].String() }

func (e *edge) port(ep string) string {
	_, p, _ := net.SplitHostPort(e.addr(ep))
	return p
}

// client sends every request to the entry point, whatever the URL's host,
// so Host-based routing is exercised with real names. https URLs go to
// websecure and trust only the internal CA.
func (e *edge) client() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, _ := net.SplitHostPort(addr)
			if port == "443" || port == e.port("websecure") {
				return d.DialContext(ctx, network, e.addr("websecure"))
			}
			return d.DialContext(ctx, network, e.addr("web"))
		},
		TLSClientConfig:     &tls.Config{RootCAs: e.ca.RootPool()},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 64,
	}
	e.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// register writes an instance of svc backed by b with one check in status.
func (e *edge) register(svc, id string, port int, status catalog.Status, tags ...string) {
	e.t.Helper()
	e.registerWeight(svc, id, port, 1, status, tags...)
}

func (e *edge) registerWeight(svc, id string, port, weight int, status catalog.Status, tags ...string) int64 {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in := &catalog.Instance{Node: testNode, ID: id, Name: svc, Address: "127.0.0.1", Port: port, Tags: tags,
		Weights: catalog.Weights{Passing: weight, Warning: 1}}
	chk := &catalog.Check{CheckID: "chk-" + id, Name: "probe", Status: status}
	rev, err := e.st.RegisterInstance(ctx, nil, in, []*catalog.Check{chk})
	if err != nil {
		e.t.Fatalf("register %s: %v", id, err)
	}
	return rev
}

func (e *edge) setStatus(id string, status catalog.Status) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := e.st.SetCheckStatus(ctx, testNode, "chk-"+id, status, ""); err != nil {
		e.t.Fatalf("set status of %s: %v", id, err)
	}
}

func (e *edge) deregister(id string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := e.st.DeregisterInstance(ctx, testNode, id); err != nil {
		e.t.Fatalf("deregister %s: %v", id, err)
	}
}

// waitFor polls url until it answers want.
func (e *edge) waitFor(c *http.Client, url string, want int) {
	e.t.Helper()
	last := 0
	orbittest.Eventually(e.t, 10*time.Second, fmt.Sprintf("%s to answer %d (last %d)", url, want, last), func() bool {
		resp, err := c.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		last = resp.StatusCode
		return resp.StatusCode == want
	})
}

// testBackend is a real HTTP server that reports what it received.
type testBackend struct {
	*httptest.Server
	name string
	hits atomic.Int64
	port int
	mu   sync.Mutex    // guards last
	last *http.Request // last request received
}

// echo is what a backend answers, as JSON.
type echo struct {
	Backend string      `json:"backend"`
	Host    string      `json:"host"`
	Path    string      `json:"path"`
	Proto   int         `json:"proto"`
	Header  http.Header `json:"header"`
}

func newBackend(t testing.TB, name string) *testBackend {
	b := &testBackend{name: name}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		b.mu.Lock()
		b.last = r
		b.mu.Unlock()
		if code, err := strconv.Atoi(r.URL.Query().Get("status")); err == nil {
			w.WriteHeader(code)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", name)
		json.NewEncoder(w).Encode(echo{Backend: name, Host: r.Host, Path: r.URL.Path, Proto: r.ProtoMajor, Header: r.Header})
	}))
	t.Cleanup(b.Close)
	b.port = b.Listener.Addr().(*net.TCPAddr).Port
	return b
}

// get fetches url and decodes the backend's echo.
func get(t testing.TB, c *http.Client, url string, hdr ...string) (*http.Response, echo) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var ec echo
	json.NewDecoder(resp.Body).Decode(&ec)
	return resp, ec
}

// newFakeClock is the clock the edge tests move by hand.
func newFakeClock() *clockwork.FakeClock {
	return clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

// counterValue reads a counter of the registry by name and labels.
func counterValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue metric
				}
			}
			switch {
			case m.Counter != nil:
				total += m.GetCounter().GetValue()
			case m.Histogram != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			case m.Gauge != nil:
				total += m.GetGauge().GetValue()
			}
		}
	}
	return total
}

// routed waits until the edge has a router for url: it answers anything
// but its own 404, or the connection ends (a backend the test makes fail).
func routed(t *testing.T, c *http.Client, url string) {
	t.Helper()
	orbittest.Eventually(t, 10*time.Second, url+" to be routed", func() bool {
		resp, err := c.Get(url)
		if err != nil {
			return true
		}
		resp.Body.Close()
		return resp.StatusCode != http.StatusNotFound
	})
}

// waitServers waits until the edge's table holds n instances of svc:
// registrations reach the table one by one, so a test that needs all of
// them must not take the first answer as proof.
func (e *edge) waitServers(svc string, n int) {
	e.t.Helper()
	orbittest.Eventually(e.t, 10*time.Second, fmt.Sprintf("%d instances of %s in the table", n, svc), func() bool {
		for _, s := range e.srv.table.Load().rt.Services() {
			if s.Name == svc {
				return len(s.Servers) == n
			}
		}
		return false
	})
}
