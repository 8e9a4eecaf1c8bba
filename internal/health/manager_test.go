package health

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/catalog"
)

func TestDeregisterCriticalServiceAfter(t *testing.T) {
	web, webCode := flipServer(t)
	api, apiCode := flipServer(t)
	h := newHarness(t, Config{})
	def := func(url string) catalog.CheckDefinition {
		return catalog.CheckDefinition{HTTP: url, Interval: 10 * time.Second, DeregisterCriticalServiceAfter: 35 * time.Second}
	}
	h.src.put(catalog.Check{CheckID: "web", ServiceID: "web-1", Status: catalog.Passing, Definition: def(web.URL)})
	h.src.put(catalog.Check{CheckID: "api", ServiceID: "api-1", Status: catalog.Passing, Definition: def(api.URL)})
	h.start()
	h.waitScheduled(2)
	h.tick(10*time.Second, 2) // t=10: passing

	webCode.Store(500)
	apiCode.Store(500)
	h.tick(10*time.Second, 2) // t=20: both critical since 20
	h.wantStatus("web", catalog.Critical, "500")
	h.tick(10*time.Second, 2) // t=30
	h.tick(10*time.Second, 2) // t=40
	apiCode.Store(200)
	h.tick(10*time.Second, 2) // t=50: api recovers 30s into its 35s
	h.wantStatus("api", catalog.Passing, "200 OK")
	if d := h.deregistered(); len(d) != 0 {
		t.Fatalf("deregistered %v after 30s of 35s critical", d)
	}
	h.clock.Advance(5 * time.Second) // t=55: web critical for 35s
	eventually(t, 10*time.Second, "web-1 deregistered", func() bool { return slices.Contains(h.deregistered(), "web-1") })
	if _, ok := h.src.get("web"); ok {
		t.Fatal("web's check still registered after its service was deregistered")
	}
	eventually(t, 10*time.Second, "runner of web stopped", func() bool {
		h.m.mu.Lock()
		defer h.m.mu.Unlock()
		return h.m.runners["web"] == nil
	})
	h.tick(10*time.Second, 1) // t=65: only api runs
	if d := h.deregistered(); len(d) != 1 {
		t.Fatalf("deregistered %v, want only web-1", d)
	}
}

func (h *harness) deregistered() []string {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	return slices.Clone(h.w.deregistered)
}

func TestDeregisterAfterRegisteredCritical(t *testing.T) {
	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "app", ServiceID: "app-1",
		Definition: catalog.CheckDefinition{TTL: time.Hour, DeregisterCriticalServiceAfter: 2 * time.Second}})
	h.start()
	h.waitScheduled(2)
	h.clock.Advance(time.Second)
	time.Sleep(20 * time.Millisecond)
	if d := h.deregistered(); len(d) != 0 {
		t.Fatalf("deregistered %v early", d)
	}
	h.clock.Advance(time.Second)
	eventually(t, 10*time.Second, "app-1 deregistered", func() bool { return slices.Contains(h.deregistered(), "app-1") })
}

func TestReconcile(t *testing.T) {
	srv, _ := flipServer(t)
	h := newHarness(t, Config{})
	def := catalog.CheckDefinition{HTTP: srv.URL, Interval: 10 * time.Second}
	h.src.put(catalog.Check{CheckID: "web", Definition: def})
	h.start()
	h.waitScheduled(1)
	h.tick(10*time.Second, 1)
	h.wantStatus("web", catalog.Passing, "200 OK")
	runner := func(id string) *runner {
		h.m.mu.Lock()
		defer h.m.mu.Unlock()
		return h.m.runners[id]
	}
	first := runner("web")

	// A change elsewhere keeps the runner and its state.
	h.src.put(catalog.Check{CheckID: "other", Definition: catalog.CheckDefinition{TTL: time.Hour}})
	h.waitScheduled(2)
	if runner("web") != first {
		t.Fatal("unchanged definition got a new runner")
	}

	// Someone else writes the status (a re-registration): the runner adopts
	// it, so the next passing run writes passing again.
	h.src.put(catalog.Check{CheckID: "web", Definition: def, Status: catalog.Critical})
	eventually(t, 10*time.Second, "runner to adopt the new status", func() bool {
		first.mu.Lock()
		defer first.mu.Unlock()
		return first.wStatus == catalog.Critical
	})
	h.tick(10*time.Second, 1)
	h.wantStatus("web", catalog.Passing, "200 OK")

	// A changed definition replaces the runner.
	def2 := def
	def2.HTTP = srv.URL + "/v2"
	h.src.put(catalog.Check{CheckID: "web", Definition: def2, Status: catalog.Passing})
	eventually(t, 10*time.Second, "runner replaced", func() bool { r := runner("web"); return r != nil && r != first })
	if !first.stopped.Load() {
		t.Fatal("replaced runner not stopped")
	}

	// A removed check stops.
	h.src.mu.Lock()
	delete(h.src.checks, "web")
	h.src.notifyLocked()
	h.src.mu.Unlock()
	eventually(t, 10*time.Second, "runner removed", func() bool { return runner("web") == nil })
	if n := h.scheduled(); n != 1 {
		t.Fatalf("%d items scheduled, want the TTL check's only", n)
	}
}

// TestManyHTTPChecks runs 2,000 http checks against one server: every check
// runs once per interval, and the writes equal the status changes.
func TestManyHTTPChecks(t *testing.T) {
	const n = 2000
	var hits [n]atomic.Int32
	var failEven atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/c/"))
		if err != nil || i < 0 || i >= n {
			http.NotFound(w, r)
			return
		}
		hits[i].Add(1)
		if failEven.Load() && i%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	h := newHarness(t, Config{Workers: 64, Registerer: reg})
	for i := range n {
		h.src.put(catalog.Check{CheckID: fmt.Sprintf("c%d", i), ServiceID: fmt.Sprintf("s%d", i),
			Definition: catalog.CheckDefinition{HTTP: fmt.Sprintf("%s/c/%d", srv.URL, i), Interval: 10 * time.Second}})
	}
	h.start()
	h.waitScheduled(n)

	round := func(r int, wantWrites int) {
		t.Helper()
		h.tick(10*time.Second, n)
		for i := range hits {
			if got := hits[i].Load(); got != int32(r) {
				t.Fatalf("round %d: check %d ran %d times, want %d", r, i, got, r)
			}
		}
		calls, changes := h.w.counts()
		if calls != changes || calls != wantWrites {
			t.Fatalf("round %d: %d writes for %d status changes, want %d of each", r, calls, changes, wantWrites)
		}
	}
	round(1, n) // critical → passing
	round(2, n) // unchanged: no writes
	failEven.Store(true)
	round(3, n+n/2) // half go critical
	failEven.Store(false)
	round(4, 2*n) // and come back
	if got := metricValue(t, reg, "orbit_health_status_changes_written_total", "status", "critical"); got != n/2 {
		t.Errorf("written{critical} = %v, want %d", got, n/2)
	}
	if got := metricValue(t, reg, "orbit_health_checks_running", "type", "http"); got != n {
		t.Errorf("checks_running{http} = %v, want %d", got, n)
	}
	if got := metricValue(t, reg, "orbit_health_check_runs_total", "result", "passing"); got != 4*n-n/2 {
		t.Errorf("runs{passing} = %v, want %d", got, 4*n-n/2)
	}
	if got := metricValue(t, reg, "orbit_health_check_run_duration_seconds", "type", "http"); got != 4*n {
		t.Errorf("run duration samples = %v, want %d", got, 4*n)
	}
}

func TestRunStopsEverything(t *testing.T) {
	srv, _ := flipServer(t)
	before := runtime.NumGoroutine()
	h := newHarness(t, Config{Workers: 16})
	for i := range 50 {
		h.src.put(catalog.Check{CheckID: fmt.Sprintf("c%d", i),
			Definition: catalog.CheckDefinition{HTTP: srv.URL, Interval: 10 * time.Second}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	h.waitScheduled(50)
	h.clock.Advance(10 * time.Second)
	eventually(t, 10*time.Second, "runs", func() bool { return h.m.runs.Load() == 50 })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	srv.CloseClientConnections()
	eventually(t, 10*time.Second, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before+2 })
}

// metricValue reads the value (a histogram's sample count) of the series of
// name whose label has value.
func metricValue(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() != label || lp.GetValue() != value {
					continue
				}
				switch {
				case m.Counter != nil:
					return m.GetCounter().GetValue()
				case m.Gauge != nil:
					return m.GetGauge().GetValue()
				case m.Histogram != nil:
					return float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	t.Fatalf("no series %s{%s=%q}", name, label, value)
	return 0
}
