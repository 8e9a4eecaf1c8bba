package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/store"
)

func TestBootstrapped(t *testing.T) {
	voter := func(name string) store.Member { return store.Member{Name: name} }
	tests := []struct {
		name    string
		members []store.Member
		expect  int
		voters  int
		done    bool
	}{
		{"alone of three", []store.Member{voter("a")}, 3, 1, false},
		{"a learner does not count", []store.Member{voter("a"), voter("b"), {Name: "c", Learner: true}}, 3, 2, false},
		{"added but not started does not count", []store.Member{voter("a"), voter("b"), {PeerURL: "http://c:8300"}}, 3, 2, false},
		{"three of three", []store.Member{voter("a"), voter("b"), voter("c")}, 3, 3, true},
		{"more than expected", []store.Member{voter("a"), voter("b"), voter("c")}, 2, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, done := bootstrapped(tt.members, tt.expect)
			if v != tt.voters || done != tt.done {
				t.Fatalf("bootstrapped = %d, %v; want %d, %v", v, done, tt.voters, tt.done)
			}
		})
	}
}

// fakeMembers answers with the members set last, or err.
type fakeMembers struct {
	mu      sync.Mutex // guards the fields below
	members []store.Member
	err     error
	calls   int
}

func (f *fakeMembers) Members(context.Context) ([]store.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.members, f.err
}

func (f *fakeMembers) set(ms []store.Member, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members, f.err = ms, err
}

// The wait returns once the members reach the expected count, through an
// unanswering store and a learner on the way; it ends with ctx.
func TestAwaitBootstrap(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if err := awaitBootstrap(context.Background(), &fakeMembers{err: errors.New("unused")}, 1, time.Millisecond, log); err != nil {
		t.Fatalf("expect 1: %v, want no wait", err)
	}

	f := &fakeMembers{err: errors.New("no leader")}
	done := make(chan error, 1)
	go func() { done <- awaitBootstrap(context.Background(), f, 3, time.Millisecond, log) }()
	steps := [][]store.Member{
		{{Name: "a"}},
		{{Name: "a"}, {Name: "b"}, {Name: "c", Learner: true}},
	}
	for _, ms := range steps {
		f.set(ms, nil)
		select {
		case err := <-done:
			t.Fatalf("returned with %v members: %v", ms, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	f.set([]store.Member{{Name: "a"}, {Name: "b"}, {Name: "c"}}, nil)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("three voters: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not return with three voters")
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- awaitBootstrap(ctx, &fakeMembers{}, 3, time.Millisecond, log) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}
