package proxy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
)

func TestAPIListsRoutersServicesMiddlewares(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	b := newBackend(t, "b")
	e.register("app", "app-1", b.port, catalog.Passing,
		"traefik.http.routers.app.rule=Host(`app.test`)",
		"traefik.http.routers.app.middlewares=strip",
		"traefik.http.middlewares.strip.stripprefix.prefixes=/x")
	e.register("broken", "broken-1", b.port, catalog.Passing, "traefik.http.routers.broken.rule=Host(`unclosed)")
	e.register("app", "app-2", b.port+0, catalog.Critical,
		"traefik.http.routers.app.rule=Host(`app.test`)",
		"traefik.http.routers.app.middlewares=strip",
		"traefik.http.middlewares.strip.stripprefix.prefixes=/x")
	c := e.client()
	e.waitFor(c, "http://app.test/", 200)
	api := httptest.NewServer(e.srv.API())
	t.Cleanup(api.Close)
	list := func(path string) []map[string]any {
		resp, err := http.Get(api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return out
	}
	byName := func(items []map[string]any) map[string]map[string]any {
		m := map[string]map[string]any{}
		for _, it := range items {
			m[it["name"].(string)] = it
		}
		return m
	}
	var routers map[string]map[string]any
	orbittest.Eventually(t, 10*time.Second, "all three registrations in the table", func() bool {
		routers = byName(list("/v1/edge/routers"))
		st, _ := byName(list("/v1/edge/services"))["app"]["serverStatus"].(map[string]any)
		return routers["broken"] != nil && len(st) == 1 && len(e.srv.table.Load().rt.Services()[0].Servers) == 2
	})
	if r := routers["app"]; r == nil || r["status"] != "enabled" || r["rule"] != "Host(`app.test`)" || r["service"] != "app" {
		t.Errorf("router app: %v", r)
	}
	br := routers["broken"]
	if br == nil || br["status"] != "disabled" || br["error"] == nil || !strings.Contains(strings.ToLower(jsonString(br["error"])), "rule") {
		t.Errorf("router broken should be disabled with its rule error: %v", br)
	}
	svcs := byName(list("/v1/edge/services"))
	st, _ := svcs["app"]["serverStatus"].(map[string]any)
	if len(st) != 1 {
		t.Errorf("service app serverStatus %v (two instances on one address: one entry)", st)
	}
	mws := byName(list("/v1/edge/middlewares"))
	if m := mws["strip"]; m == nil || m["type"] != "stripprefix" || jsonString(m["usedBy"]) != `["app"]` {
		t.Errorf("middleware strip: %v", m)
	}
	resp, err := http.Get(api.URL + "/v1/edge/routers/app")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("one router: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, _ = http.Get(api.URL + "/v1/edge/routers/nope")
	if resp.StatusCode != 404 {
		t.Errorf("unknown router: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestGracefulDrain: a request in flight when the proxy is stopped
// completes; new connections are refused.
func TestGracefulDrain(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	started := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			time.Sleep(300 * time.Millisecond)
		}
		w.Write([]byte("done"))
	}))
	t.Cleanup(slow.Close)
	e.register("slow", "slow-1", portOfURL(slow.URL), catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://slow/", 200)

	// A second proxy over the same view, which this test stops itself.
	cfg := Config{EntryPoints: []EntryPoint{{Name: "web", Addr: "127.0.0.1:0"}}}
	srv, err := New(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetRoutes(e.srv.table.Load().rt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	addr := "http://" + srv.Addrs()["web"].String()
	result := make(chan string, 1)
	go func() {
		for {
			req, _ := http.NewRequest("GET", addr+"/slow", nil)
			req.Host = "slow"
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				result <- "error: " + err.Error()
				return
			}
			buf := make([]byte, 16)
			n, _ := resp.Body.Read(buf)
			resp.Body.Close()
			if resp.StatusCode == 404 { // the first table may not be built yet
				time.Sleep(10 * time.Millisecond)
				continue
			}
			result <- string(buf[:n])
			return
		}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("slow request never reached the backend")
	}
	cancel()
	if got := <-result; got != "done" {
		t.Fatalf("in-flight request during shutdown: %s", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := http.Get(addr + "/"); err == nil {
		t.Fatal("the stopped proxy still accepts connections")
	}
}
