package proxy

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/routing"
)

// BenchmarkRouteUpdate1000 measures, with 1,000 routed services, the time
// from a health change written to etcd to the proxy's table serving it:
// from the start of the write ("write→route", which includes etcd's
// commit) and from the write's return ("commit→route"). Each iteration
// flips one service's check between passing and critical. Run it with
// bench/edge/run.sh or:
//
//	go test -run '^$' -bench RouteUpdate -benchtime 300x ./internal/proxy/
func BenchmarkRouteUpdate1000(b *testing.B) {
	const n = 1000
	e := startEdge(b, Config{}, nil)
	be := newBackend(b, "b")
	for i := range n {
		e.register(fmt.Sprintf("svc-%d", i), fmt.Sprintf("svc-%d-1", i), be.port, catalog.Passing,
			fmt.Sprintf("traefik.http.routers.svc-%d.rule=Host(`svc-%d.bench`)", i, i))
	}
	ip := netip.MustParseAddr("127.0.0.1")
	backends := func(i int) int {
		t := e.srv.table.Load()
		r := t.rt.MatchRequest("web", routing.Request{Host: fmt.Sprintf("svc-%d.bench", i), Method: "GET", Path: "/"}, ip)
		if r == nil || t.routes[r] == nil {
			return -1
		}
		return len(t.routes[r].pool.backends)
	}
	deadline := time.Now().Add(time.Minute)
	for backends(n-1) != 1 {
		if time.Now().After(deadline) {
			b.Fatal("the 1,000 services were never all routed")
		}
		time.Sleep(time.Millisecond)
	}
	var fromWrite, fromCommit []time.Duration
	passing := make([]bool, n)
	for i := range passing {
		passing[i] = true
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := (i * 7919) % n
		status, want := catalog.Critical, 0
		if !passing[k] {
			status, want = catalog.Passing, 1
		}
		passing[k] = !passing[k]
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, _, err := e.st.SetCheckStatus(ctx, testNode, fmt.Sprintf("chk-svc-%d-1", k), status, ""); err != nil {
			b.Fatal(err)
		}
		cancel()
		committed := time.Now()
		for backends(k) != want {
			if time.Since(start) > 10*time.Second {
				b.Fatalf("service %d never reached %d backends", k, want)
			}
			time.Sleep(20 * time.Microsecond)
		}
		done := time.Now()
		fromWrite = append(fromWrite, done.Sub(start))
		fromCommit = append(fromCommit, done.Sub(committed))
	}
	b.StopTimer()
	report := func(name string, ds []time.Duration) {
		slices.Sort(ds)
		q := func(p float64) float64 { return float64(ds[min(int(p*float64(len(ds))), len(ds)-1)]) / 1e6 }
		b.ReportMetric(q(0.5), name+"-p50-ms")
		b.ReportMetric(q(0.99), name+"-p99-ms")
	}
	report("write→route", fromWrite)
	report("commit→route", fromCommit)
	b.ReportMetric(counterValue(b, e.reg, "orbit_proxy_table_rebuilds_total", nil), "rebuilds")
}
