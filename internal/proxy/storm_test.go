package proxy

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// TestUpdateStorm: while clients keep requests flowing, instances come and
// go and change health every 10ms (one of them pointing at a closed port
// while passing). One instance stays healthy throughout, so every request
// has a healthy instance and none may fail.
func TestUpdateStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("the update storm runs for several seconds; skipped with -short")
	}
	e := startEdge(t, Config{}, nil)
	var backends []*testBackend
	for i := range 4 {
		backends = append(backends, newBackend(t, fmt.Sprintf("b%d", i)))
	}
	dead := newBackend(t, "dead")
	dead.Close()
	e.register("storm", "anchor", backends[0].port, catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://storm/", 200)

	// The storm lasts until it has done enough to mean something, not for a
	// fixed time: on a loaded machine each catalog write takes longer, and a
	// three-second storm was sometimes too mild to count.
	const wantChanges, wantRebuilds, wantRequests = 150, 50, 500
	var stop atomic.Bool
	var wg sync.WaitGroup
	defer func() { stop.Store(true); wg.Wait() }()
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	for range 8 {
		wg.Go(func() {
			for !stop.Load() {
				resp, err := c.Get("http://storm/")
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, resp.Status)
					continue
				}
				ok.Add(1)
			}
		})
	}
	// The real load tool as well, when installed (Debian's hey): its
	// requests must all be answered 200 too.
	var heyOut []byte
	var heyErr error
	heyPath, heyMissing := exec.LookPath("hey")
	heyDone := make(chan struct{})
	if heyMissing == nil {
		wg.Go(func() {
			defer close(heyDone)
			heyOut, heyErr = exec.CommandContext(context.Background(), heyPath, "-z", "3s", "-c", "8",
				"-host", "storm", "http://"+e.addr("web")+"/").CombinedOutput()
		})
	} else {
		close(heyDone)
	}
	changes := 0
	rebuilds := func() float64 { return counterValue(t, e.reg, "orbit_proxy_table_rebuilds_total", nil) }
	deadline := time.Now().Add(2 * time.Minute)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	registered := map[string]bool{}
	for i := 0; changes < wantChanges || rebuilds() < wantRebuilds || ok.Load() < wantRequests; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("the storm did not reach %d changes, %d rebuilds and %d requests in 2m: %d, %.0f, %d",
				wantChanges, wantRebuilds, wantRequests, changes, rebuilds(), ok.Load())
		}
		<-tick.C
		id := fmt.Sprintf("churn-%d", i%6)
		switch {
		case i%6 == 5: // a passing instance nobody listens for
			if registered[id] {
				e.deregister(id)
			} else {
				e.register("storm", id, dead.port, catalog.Passing)
			}
		case registered[id] && i%3 == 0:
			e.setStatus(id, catalog.Critical)
		case registered[id]:
			e.deregister(id)
		default:
			status := catalog.Passing
			if i%4 == 0 {
				status = catalog.Critical
			}
			e.register("storm", id, backends[1+i%3].port, status)
		}
		if i%3 == 0 && registered[id] && i%6 != 5 {
			changes++
			continue // status change keeps it registered
		}
		registered[id] = !registered[id]
		changes++
	}
	<-heyDone
	stop.Store(true)
	wg.Wait()
	t.Logf("%d requests ok, %d failed, %d catalog changes, %.0f table rebuilds", ok.Load(), failed.Load(), changes, rebuilds())
	if failed.Load() != 0 {
		t.Fatalf("%d requests failed although a healthy instance existed throughout; first: %v", failed.Load(), firstErr.Load())
	}
	if heyMissing != nil {
		t.Logf("hey not installed (Debian package hey): the storm ran with the Go clients only")
	} else {
		checkHey(t, heyOut, heyErr)
	}
	var served int64
	for _, b := range backends[1:] {
		served += b.hits.Load()
	}
	if served == 0 {
		t.Fatal("churning instances never received traffic: the table did not follow the catalog")
	}
}

// checkHey reads hey's summary: every response 200, no errors.
func checkHey(t *testing.T, out []byte, err error) {
	t.Helper()
	text := string(out)
	if err != nil {
		t.Fatalf("hey: %v\n%s", err, text)
	}
	if strings.Contains(text, "Error distribution") {
		t.Fatalf("hey saw errors during the storm:\n%s", text)
	}
	i := strings.Index(text, "Status code distribution:")
	if i < 0 {
		t.Fatalf("hey printed no status codes:\n%s", text)
	}
	dist := strings.TrimSpace(text[i+len("Status code distribution:"):])
	if j := strings.Index(dist, "\n\n"); j >= 0 {
		dist = dist[:j]
	}
	lines := strings.Split(strings.TrimSpace(dist), "\n")
	if len(lines) != 1 || !strings.HasPrefix(strings.TrimSpace(lines[0]), "[200]") {
		t.Fatalf("hey saw other statuses than 200 during the storm: %q", dist)
	}
	t.Logf("hey: %s", strings.TrimSpace(lines[0]))
}
