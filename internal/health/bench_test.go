package health

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// BenchmarkManager10kChecks runs 10,000 http checks (10 s interval) against
// one local server; one op is one interval, in which every check runs once.
// The fake clock makes all of them due at once, so an op measures how long
// the pool takes to get through a whole interval's work (the server's share
// included); in production the runs are spread over the interval.
func BenchmarkManager10kChecks(b *testing.B) {
	const n = 10_000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h := newHarness(b, Config{Workers: DefaultWorkers})
	for i := range n {
		h.src.put(catalog.Check{CheckID: fmt.Sprintf("c%d", i), ServiceID: fmt.Sprintf("s%d", i),
			Definition: catalog.CheckDefinition{HTTP: fmt.Sprintf("%s/c/%d", srv.URL, i), Interval: 10 * time.Second}})
	}
	h.start()
	h.waitScheduled(n)
	h.tick(10*time.Second, n) // first round: every check goes passing
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heapPerCheck := float64(after.HeapAlloc-before.HeapAlloc) / n
	goroutines := runtime.NumGoroutine()
	calls, _ := h.w.counts()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.tick(10*time.Second, n)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/check")
	b.ReportMetric(heapPerCheck, "heapB/check")
	b.ReportMetric(float64(goroutines), "goroutines")
	if c, _ := h.w.counts(); c != calls {
		b.Fatalf("%d writes while nothing changed", c-calls)
	}
}

// BenchmarkReconcile10k measures one reconcile of 10,000 unchanged checks,
// the work done after every change the view reports.
func BenchmarkReconcile10k(b *testing.B) {
	h := newHarness(b, Config{})
	for i := range 10_000 {
		h.src.put(catalog.Check{CheckID: fmt.Sprintf("c%d", i), ServiceID: fmt.Sprintf("s%d", i),
			Definition: catalog.CheckDefinition{HTTP: fmt.Sprintf("http://127.0.0.1:1/c/%d", i), Interval: 10 * time.Second,
				Header: map[string][]string{"X-A": {"b"}}}})
	}
	h.m.reconcile()
	b.ReportAllocs()
	for b.Loop() {
		h.m.reconcile()
	}
}
