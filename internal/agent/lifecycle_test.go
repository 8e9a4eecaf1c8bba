package agent

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
)

// TestLifecycleStopsStagesInReverse: every component of a later stage has
// returned before an earlier stage is told to stop.
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
				// Give a slow component the chance to be overtaken if the
				// next stage were not waiting for it.
				time.Sleep(10 * time.Millisecond)
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
