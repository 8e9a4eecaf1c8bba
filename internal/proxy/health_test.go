package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
)

// spread sends n requests and counts the answering backends.
func spread(t *testing.T, c *http.Client, url string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		resp, ec := get(t, c, url)
		if resp.StatusCode != 200 {
			got[http.StatusText(resp.StatusCode)]++
			continue
		}
		got[ec.Backend]++
	}
	return got
}

func TestCriticalInstanceNeverReceivesTraffic(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	e.register("web", "web-a", a.port, catalog.Passing)
	e.register("web", "web-b", b.port, catalog.Critical) // checks start critical
	c := e.client()
	e.waitFor(c, "http://web/", 200)
	if got := spread(t, c, "http://web/", 100); got["a"] != 100 {
		t.Fatalf("with b critical: %v, want all 100 on a", got)
	}
	if b.hits.Load() != 0 {
		t.Fatalf("the critical instance received %d requests", b.hits.Load())
	}

	e.setStatus("web-b", catalog.Passing)
	orbittest.Eventually(t, 5*time.Second, "b to receive traffic once passing", func() bool {
		return spread(t, c, "http://web/", 20)["b"] > 0
	})

	e.setStatus("web-a", catalog.Warning) // warning is not a backend by default
	orbittest.Eventually(t, 5*time.Second, "a in warning to leave the pool", func() bool {
		return spread(t, c, "http://web/", 20)["b"] == 20
	})

	e.setStatus("web-b", catalog.Critical)
	e.waitFor(c, "http://web/", http.StatusServiceUnavailable)
}

func TestPanicThresholdRoutesToAll(t *testing.T) {
	e := startEdge(t, Config{PanicThreshold: 0.5}, nil)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	e.register("web", "web-a", a.port, catalog.Critical)
	e.register("web", "web-b", b.port, catalog.Critical)
	c := e.client()
	e.waitFor(c, "http://web/", 200)
	e.waitServers("web", 2)
	got := spread(t, c, "http://web/", 60)
	if got["a"] == 0 || got["b"] == 0 {
		t.Fatalf("panic mode should spread over every instance: %v", got)
	}
}

// TestFlapDamping: an instance that was passing and turns critical keeps
// its traffic for FlapDamping (by the proxy's clock), then leaves; one
// that never passed gets nothing.
func TestFlapDamping(t *testing.T) {
	clock := newFakeClock()
	e := startEdgeWith(t, Config{}, true, 30*time.Second, clock)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	e.register("web", "web-a", a.port, catalog.Passing)
	e.register("web", "web-b", b.port, catalog.Critical)
	c := e.client()
	e.waitFor(c, "http://web/", 200)
	rebuilds := func() float64 { return counterValue(t, e.reg, "orbit_proxy_table_rebuilds_total", nil) }
	before := rebuilds()
	e.setStatus("web-a", catalog.Critical)
	orbittest.Eventually(t, 5*time.Second, "the table to be rebuilt after the check change", func() bool { return rebuilds() > before })
	if got := spread(t, c, "http://web/", 20); got["a"] != 20 {
		t.Fatalf("within the damping period: %v, want a to keep serving", got)
	}
	clock.Advance(29 * time.Second)
	if got := spread(t, c, "http://web/", 5); got["a"] != 5 {
		t.Fatalf("after 29s of 30s: %v", got)
	}
	clock.Advance(time.Second)
	e.waitFor(c, "http://web/", http.StatusServiceUnavailable)
	if b.hits.Load() != 0 {
		t.Fatal("the instance that never passed received traffic")
	}
	// A flap that recovers within the period never interrupts traffic.
	e.setStatus("web-a", catalog.Passing)
	e.waitFor(c, "http://web/", 200)
	e.setStatus("web-a", catalog.Critical)
	e.setStatus("web-a", catalog.Passing)
	if got := spread(t, c, "http://web/", 20); got["a"] != 20 {
		t.Fatalf("across a short flap: %v", got)
	}
	// Deregistration is never damped.
	e.deregister("web-a")
	e.waitFor(c, "http://web/", http.StatusServiceUnavailable)
}

func TestPassiveEjection(t *testing.T) {
	clock := newFakeClock()
	e := startEdge(t, Config{EjectAfter: 3, EjectBase: 10 * time.Second}, clock)
	good := newBackend(t, "good")
	bad := newBackend(t, "bad")
	bad.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad.hits.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	e.register("web", "web-good", good.port, catalog.Passing)
	e.register("web", "web-bad", bad.port, catalog.Passing) // its check has not noticed
	c := e.client()
	e.waitFor(c, "http://web/", 200)
	e.waitServers("web", 2)
	for range 40 {
		get(t, c, "http://web/")
	}
	if n := bad.hits.Load(); n != 3 {
		t.Fatalf("bad backend got %d requests, want exactly 3 before ejection", n)
	}
	if got := spread(t, c, "http://web/", 30); got["good"] != 30 {
		t.Fatalf("after ejection: %v", got)
	}
	if n := counterValue(t, e.reg, "orbit_proxy_backend_ejections_total", nil); n != 1 {
		t.Fatalf("ejections metric = %v", n)
	}
	clock.Advance(10 * time.Second) // back-off over: bad is tried again
	for range 40 {
		get(t, c, "http://web/")
	}
	if n := bad.hits.Load(); n != 6 {
		t.Fatalf("after the back-off bad got %d requests in all, want 6 (ejected again after 3)", n)
	}
	clock.Advance(10 * time.Second) // second ejection lasts 20s
	if got := spread(t, c, "http://web/", 10); got["good"] != 10 {
		t.Fatalf("second ejection should last twice as long: %v", got)
	}
}

// TestRetryOnConnectionFailure: an instance whose port refuses
// connections, still passing in the catalog, costs the client nothing.
func TestRetryOnConnectionFailure(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	good := newBackend(t, "good")
	dead := newBackend(t, "dead")
	dead.Close()
	e.register("web", "web-good", good.port, catalog.Passing)
	e.register("web", "web-dead", dead.port, catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://web/", 200)
	e.waitServers("web", 2)
	for i := range 50 {
		if resp, ec := get(t, c, "http://web/"); resp.StatusCode != 200 || ec.Backend != "good" {
			t.Fatalf("request %d: %d from %q", i, resp.StatusCode, ec.Backend)
		}
	}
	if n := counterValue(t, e.reg, "orbit_proxy_retries_total", nil); n < 1 {
		t.Fatalf("retries metric = %v", n)
	}
}
