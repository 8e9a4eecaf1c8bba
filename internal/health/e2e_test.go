package health

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

var (
	_ Source = (*view.View)(nil)
	_ Writer = (*store.Store)(nil)
)

// TestEndToEnd registers an http check in a real embedded etcd and watches
// it go passing in etcd and in the view's health entries, then critical,
// then deregistered after deregister_critical_service_after; and updates a
// TTL check right after registering it.
func TestEndToEnd(t *testing.T) {
	var code atomic.Int32
	code.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
	}))
	defer srv.Close()

	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	node := &catalog.Node{Name: "n1", Address: "127.0.0.1"}
	web := &catalog.Instance{Node: "n1", ID: "web-1", Name: "web", Port: 8080}
	checks := []*catalog.Check{{CheckID: "service:web-1", Name: "web", Status: catalog.Critical,
		Definition: catalog.CheckDefinition{HTTP: srv.URL, Interval: 100 * time.Millisecond,
			DeregisterCriticalServiceAfter: 500 * time.Millisecond}}}
	if _, err := st.RegisterInstance(ctx, node, web, checks); err != nil {
		t.Fatal(err)
	}

	m, err := New(Config{Node: "n1", MinInterval: -1, Logger: orbittest.Logger(t), Registerer: prometheus.NewRegistry()}, v, st)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })

	status := func() catalog.Status {
		es := v.Entries("web")
		if len(es) != 1 {
			return ""
		}
		return es[0].Status
	}
	orbittest.Eventually(t, 10*time.Second, "web passing in the view", func() bool { return status() == catalog.Passing })
	kv, err := st.Get(ctx, store.CheckKey("n1", "service:web-1"))
	if err != nil {
		t.Fatal(err)
	}
	var stored catalog.Check
	if err := json.Unmarshal(kv.Value, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Status != catalog.Passing || stored.Output != "HTTP GET "+srv.URL+": 200 OK Output: " {
		t.Fatalf("etcd holds %q %q, want passing with Consul's output", stored.Status, stored.Output)
	}
	// Passing runs keep running but write nothing.
	rev := kv.ModRevision
	time.Sleep(350 * time.Millisecond)
	if kv, _ := st.Get(ctx, store.CheckKey("n1", "service:web-1")); kv.ModRevision != rev {
		t.Fatalf("check rewritten without a change (revision %d → %d)", rev, kv.ModRevision)
	}

	// A TTL check updated right after its registration.
	if _, err := st.PutCheck(ctx, &catalog.Check{Node: "n1", CheckID: "app", Name: "app", Status: catalog.Critical,
		Definition: catalog.CheckDefinition{TTL: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 10*time.Second, "app in the view", func() bool { _, ok := v.Check("n1", "app"); return ok })
	if err := m.UpdateTTL(ctx, "app", catalog.Passing, "up"); err != nil {
		t.Fatalf("UpdateTTL: %v", err)
	}
	orbittest.Eventually(t, 10*time.Second, "app passing", func() bool {
		c, ok := v.Check("n1", "app")
		return ok && c.Status == catalog.Passing && c.Output == "up"
	})

	code.Store(500)
	orbittest.Eventually(t, 10*time.Second, "web critical", func() bool { return status() == catalog.Critical })
	orbittest.Eventually(t, 10*time.Second, "web deregistered", func() bool { return len(v.Entries("web")) == 0 })
	if _, ok := v.Check("n1", "service:web-1"); ok {
		t.Fatal("web's check outlived its service")
	}
}
