package health

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/catalog"
)

const testNode = "n1"

// memSource is an in-memory Source: the checks of one node, with the
// revision bookkeeping of the store and view.
type memSource struct {
	mu     sync.Mutex
	rev    uint64
	checks map[string]*catalog.Check
	subs   map[chan struct{}]struct{}
}

func newMemSource() *memSource {
	return &memSource{checks: map[string]*catalog.Check{}, subs: map[chan struct{}]struct{}{}}
}

// put registers or replaces a check (status critical unless set).
func (s *memSource) put(c catalog.Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Status == "" {
		c.Status = catalog.Critical
	}
	if c.Node == "" {
		c.Node = testNode
	}
	if c.Name == "" {
		c.Name = c.CheckID
	}
	s.rev++
	c.ModifyIndex = s.rev
	s.checks[c.CheckID] = &c
	s.notifyLocked()
}

func (s *memSource) get(id string) (catalog.Check, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.checks[id]
	if !ok {
		return catalog.Check{}, false
	}
	return *c, true
}

func (s *memSource) notifyLocked() {
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (s *memSource) NodeChecks(node string) []*catalog.Check {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*catalog.Check
	for _, id := range slices.Sorted(maps.Keys(s.checks)) {
		if c := s.checks[id]; c.Node == node {
			d := *c
			out = append(out, &d)
		}
	}
	return out
}

func (s *memSource) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}

var errNoCheck = errors.New("check not found")

// memWriter is an in-memory Writer over a memSource, counting every call
// and every status change it sees.
type memWriter struct {
	src *memSource

	mu           sync.Mutex
	calls        int // SetCheckStatus calls
	changes      int // calls that changed the status
	deregistered []string
}

func (w *memWriter) SetCheckStatus(_ context.Context, node, id string, status catalog.Status, output string) (int64, bool, error) {
	w.mu.Lock()
	w.calls++
	w.mu.Unlock()
	s := w.src
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.checks[id]
	if !ok || c.Node != node {
		return 0, false, errNoCheck
	}
	if c.Status == status && c.Output == output {
		return int64(c.ModifyIndex), false, nil
	}
	if c.Status != status {
		w.mu.Lock()
		w.changes++
		w.mu.Unlock()
	}
	d := *c
	d.Status, d.Output = status, output
	s.rev++
	d.ModifyIndex = s.rev
	s.checks[id] = &d
	s.notifyLocked()
	return int64(s.rev), true, nil
}

func (w *memWriter) DeregisterInstance(_ context.Context, node, id string) (bool, int64, error) {
	w.mu.Lock()
	w.deregistered = append(w.deregistered, id)
	w.mu.Unlock()
	s := w.src
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for cid, c := range s.checks {
		if c.Node == node && c.ServiceID == id {
			delete(s.checks, cid)
			found = true
		}
	}
	s.rev++
	s.notifyLocked()
	return found, int64(s.rev), nil
}

func (w *memWriter) counts() (calls, changes int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls, w.changes
}

// harness runs a Manager over an in-memory source and writer with a fake
// clock.
type harness struct {
	t     testing.TB
	clock *clockwork.FakeClock
	src   *memSource
	w     *memWriter
	m     *Manager
}

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clock: clockwork.NewFakeClock(), src: newMemSource()}
	h.w = &memWriter{src: h.src}
	if cfg.Node == "" {
		cfg.Node = testNode
	}
	if cfg.Workers == 0 {
		cfg.Workers = 32
	}
	cfg.Clock, cfg.Seed = h.clock, 1
	m, err := New(cfg, h.src, h.w)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.m = m
	return h
}

// start runs the manager until the test ends, then checks that Run
// returned.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				h.t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			h.t.Error("Run did not return 10s after its context ended")
		}
	})
}

// scheduled is the number of items in the schedule.
func (h *harness) scheduled() int {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	return len(h.m.sched)
}

func (h *harness) waitScheduled(n int) {
	h.t.Helper()
	eventually(h.t, 10*time.Second, "schedule to hold the checks", func() bool { return h.scheduled() >= n })
}

// tick advances the fake clock by d and waits until n more runs finished.
func (h *harness) tick(d time.Duration, n int) {
	h.t.Helper()
	want := h.m.runs.Load() + int64(n)
	h.clock.Advance(d)
	eventually(h.t, 30*time.Second, "check runs", func() bool { return h.m.runs.Load() >= want })
}

func (h *harness) check(id string) catalog.Check {
	h.t.Helper()
	c, ok := h.src.get(id)
	if !ok {
		h.t.Fatalf("check %q is gone", id)
	}
	return c
}

func (h *harness) wantStatus(id string, want catalog.Status, outputHas string) {
	h.t.Helper()
	c := h.check(id)
	if c.Status != want || !strings.Contains(c.Output, outputHas) {
		h.t.Fatalf("check %q: status %q output %q, want %q containing %q", id, c.Status, c.Output, want, outputHas)
	}
}

// eventually polls cond every millisecond until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(time.Millisecond)
	}
}
