package orbittest

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// Logger returns a logger writing to the test log at debug level when
// ORBIT_TEST_LOG is set, and discarding otherwise.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("ORBIT_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// NewStore starts an embedded etcd member in a temporary directory.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), Logger: Logger(t)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// NewView starts a view over s and waits until it has loaded.
func NewView(t testing.TB, s view.Source) *view.View {
	t.Helper()
	v := view.New(s, Logger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-v.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("view did not load in 30s")
	}
	return v
}

// Eventually polls cond every 10ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
