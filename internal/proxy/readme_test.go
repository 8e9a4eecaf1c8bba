package proxy

import (
	"os"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/routing"
	"time"
)

// TestREADMETags registers the README's tag example on a real proxy and
// checks that everything it defines is enabled, without errors.
func TestREADMETags(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(raw), "```tags\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README has no ```tags block")
	}
	tags := strings.Split(strings.TrimSpace(block), "\n")
	for _, tag := range tags {
		if err := routing.CheckTag(tag); err != nil {
			t.Errorf("README tag: %v", err)
		}
	}
	e := startEdgeWith(t, Config{}, false, -1, nil)
	b := newBackend(t, "shop")
	e.register("shop", "shop-1", b.port, catalog.Passing, tags...)
	orbittest.Eventually(t, 10*time.Second, "the README's routers", func() bool { return len(e.srv.table.Load().routes) == 2 })
	rt := e.srv.table.Load().rt
	for _, r := range rt.Routers() {
		if r.Status != routing.ElementEnabled {
			t.Errorf("router %s: %s %v", r.Name, r.Status, r.Errors)
		}
	}
	for _, m := range rt.Middlewares() {
		if m.Status != routing.ElementEnabled {
			t.Errorf("middleware %s: %s %v", m.Name, m.Status, m.Errors)
		}
	}
	if len(rt.Middlewares()) != 8 {
		t.Errorf("%d middlewares, want 8", len(rt.Middlewares()))
	}
	if errs := rt.Errors(); len(errs) > 0 {
		t.Errorf("table errors: %v", errs)
	}
}
