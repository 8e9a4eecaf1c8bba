// Package testagent starts whole orbit agents in process for tests, on
// OS-chosen ports with a temporary data directory, and stops them with
// t.Cleanup. Only tests import it.
package testagent

import (
	"context"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
)

// Agent is a running test agent.
type Agent struct {
	*agent.Agent
	// Addr is the API's host:port; URL is http://Addr.
	Addr, URL string
	DataDir   string
	cancel    context.CancelFunc
	done      chan error
}

// Option changes the configuration before start.
type Option func(*agent.Config)

// Start runs a dev-mode agent on free loopback ports in a temporary data dir
// (or the one an Option sets) and waits until it serves.
func Start(t testing.TB, opts ...Option) *Agent {
	t.Helper()
	cfg := &agent.Config{Dev: true, DataDir: t.TempDir(), NodeName: "node1", HTTPAddr: "127.0.0.1:0",
		DNSAddr: "127.0.0.1:0", LeaseTTL: "2s", LogLevel: "debug",
		EntryPoints: map[string]string{"web": "127.0.0.1:0", "websecure": "127.0.0.1:0"}}
	for _, o := range opts {
		o(cfg)
	}
	return StartConfig(t, cfg)
}

// StartConfig runs an agent with exactly cfg.
func StartConfig(t testing.TB, cfg *agent.Config) *Agent {
	t.Helper()
	a, err := agent.New(cfg, orbittest.Logger(t))
	if err != nil {
		t.Fatalf("agent config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Agent{Agent: a, DataDir: cfg.DataDir, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- a.Run(ctx) }()
	select {
	case <-a.Started():
	case err := <-h.done:
		cancel()
		t.Fatalf("agent stopped during start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("agent did not start in 60s")
	}
	h.Addr = a.HTTPAddr().String()
	h.URL = "http://" + h.Addr
	t.Cleanup(func() { h.Stop(t) })
	return h
}

// Stop shuts the agent down gracefully and waits for it (idempotent).
func (h *Agent) Stop(t testing.TB) {
	t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("agent stopped with error: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("agent did not stop in 30s")
	}
}
