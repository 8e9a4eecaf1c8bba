package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/orbittest"
)

// TestLifecycleStopsStagesInReverse: every component of a later stage has
// returned before an earlier stage is told to stop (the hook runs before a
// stage is cancelled, so each "stop" must follow the previous stage's
// "returned" events).
func TestLifecycleStopsStagesInReverse(t *testing.T) {
	var mu sync.Mutex // guards events
	var events []string
	record := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	life := newLifecycle(context.Background(), slog.New(slog.DiscardHandler), func(name string) { record("stop " + name) })
	for _, name := range []string{"view", "workers", "listeners"} {
		s := life.stage(name)
		for _, c := range []string{"1", "2"} {
			life.run(s, name+c, func(ctx context.Context) error {
				<-ctx.Done()
				record("returned " + name)
				return nil
			})
		}
	}
	life.stop()
	want := []string{"stop listeners", "returned listeners", "returned listeners", "stop workers", "returned workers",
		"returned workers", "stop view", "returned view", "returned view"}
	if !slices.Equal(events, want) {
		t.Fatalf("stop order:\n got %q\nwant %q", events, want)
	}
}

// TestLifecycleReportsFailures: a component failing while its stage runs
// is reported; one failing as it is stopped is not.
func TestLifecycleReportsFailures(t *testing.T) {
	life := newLifecycle(context.Background(), slog.New(slog.DiscardHandler), nil)
	s := life.stage("workers")
	life.run(s, "broken", func(context.Context) error { return errors.New("disk full") })
	select {
	case err := <-life.errc:
		if err.Error() != "broken: disk full" {
			t.Fatalf("failure = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("failure not reported")
	}
	life.run(s, "late", func(ctx context.Context) error { <-ctx.Done(); return errors.New("closed") })
	life.stop()
	select {
	case err := <-life.errc:
		t.Fatalf("error at stop reported as a failure: %v", err)
	default:
	}
}

// TestAgentStopsInReverseOrder runs a whole dev agent (API, Nomad API,
// scheduler, client, health, edge, DNS) and checks its shutdown: the
// listeners stop first (the API refuses connections before any worker is
// told to stop), then the workers, the node's lease, the view and the
// store.
func TestAgentStopsInReverseOrder(t *testing.T) {
	cfg := &Config{Dev: true, DataDir: t.TempDir(), NodeName: "node1", HTTPAddr: "127.0.0.1:0", DNSAddr: "127.0.0.1:0",
		LeaseTTL: "2s", EntryPoints: map[string]string{"web": "127.0.0.1:0"}}
	a, err := New(cfg, orbittest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	apiOpenAtWorkers := true
	a.stopping = func(stage string) { // called from Run's goroutine, in order
		stages = append(stages, stage)
		if stage == "workers" {
			c, err := net.DialTimeout("tcp", a.httpAddr, 5*time.Second)
			if err == nil {
				c.Close()
			}
			apiOpenAtWorkers = err == nil
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-a.Started():
	case err := <-done:
		t.Fatalf("agent stopped during start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("agent did not start in 60s")
	}
	if c, err := net.DialTimeout("tcp", a.httpAddr, 5*time.Second); err != nil {
		t.Fatalf("API not accepting while running: %v", err)
	} else {
		c.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("agent stopped with error: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("agent did not stop in 60s")
	}
	if want := []string{"listeners", "workers", "node", "view", "store"}; !slices.Equal(stages, want) {
		t.Fatalf("stages stopped %q, want %q", stages, want)
	}
	if apiOpenAtWorkers {
		t.Fatal("the API still accepted connections when the workers were told to stop")
	}
}

// TestAgentOneClock: the components tell time by the agent's one clock. With
// a fake clock, a TTL check passed over the API turns critical only when
// that clock, not the wall clock, moves past its TTL.
func TestAgentOneClock(t *testing.T) {
	cfg := &Config{Dev: true, DataDir: t.TempDir(), NodeName: "node1", HTTPAddr: "127.0.0.1:0", DNSAddr: "off",
		LeaseTTL: "2s", EntryPoints: map[string]string{"web": "127.0.0.1:0"}}
	a, err := New(cfg, orbittest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	clock := clockwork.NewFakeClock()
	a.clock = clock
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Error("agent did not stop in 60s")
		}
	})
	select {
	case <-a.Started():
	case err := <-done:
		t.Fatalf("agent stopped during start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("agent did not start in 60s")
	}
	base := "http://" + a.httpAddr
	put := func(path, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, base+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT %s: %s", path, resp.Status)
		}
	}
	status := func() string {
		resp, err := http.Get(base + "/v1/health/checks/web")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		var checks []struct{ CheckID, Status string }
		json.NewDecoder(resp.Body).Decode(&checks)
		for _, c := range checks {
			if c.CheckID == "web-ttl" {
				return c.Status
			}
		}
		return "missing"
	}
	put("/v1/agent/service/register", `{"ID":"web-1","Name":"web","Port":8080,"Check":{"CheckID":"web-ttl","TTL":"1h"}}`)
	put("/v1/agent/check/pass/web-ttl", "")
	orbittest.Eventually(t, 30*time.Second, "check passing", func() bool { return status() == "passing" })
	clock.Advance(61 * time.Minute)
	orbittest.Eventually(t, 30*time.Second, "check critical once the agent's clock passed its TTL", func() bool {
		return status() == "critical"
	})
}
