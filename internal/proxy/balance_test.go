package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/routing"
)

func TestWeightedRoundRobin(t *testing.T) {
	e := startEdge(t, Config{Strategy: StrategyWRR}, nil)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	e.registerWeight("web", "web-a", a.port, 3, catalog.Passing)
	e.registerWeight("web", "web-b", b.port, 1, catalog.Passing)
	c := e.client()
	orbittest.Eventually(t, 10*time.Second, "both instances serving", func() bool {
		got := spread(t, c, "http://web/", 8)
		return got["a"]+got["b"] == 8 && got["b"] > 0
	})
	if got := spread(t, c, "http://web/", 400); got["a"] != 300 || got["b"] != 100 {
		t.Fatalf("weights 3:1 over 400 requests: %v, want 300/100", got)
	}
}

// TestP2CPrefersLessLoaded: with one backend stalled on slow requests, the
// power-of-two-choices balancer sends new requests to the other.
func TestP2CPrefersLessLoaded(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	release := make(chan struct{})
	var held atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			held.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		io.WriteString(w, `{"backend":"slow"}`)
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	fast := newBackend(t, "fast")
	e.register("web", "web-slow", portOfURL(slow.URL), catalog.Passing)
	e.register("web", "web-fast", fast.port, catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://web/", 200)
	e.waitFor(c, "http://web/", 200)
	// Park requests one at a time until the slow backend holds one. Each is
	// either held there or answered by the fast backend before the next, so
	// none is still on its way when the spread below starts (a sleep here
	// let a late one land on the idle slow backend in the middle of it).
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	orbittest.Eventually(t, 10*time.Second, "a request held by the slow backend", func() bool {
		answered := make(chan struct{})
		wg.Go(func() {
			defer close(answered)
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://web/?hold=1", nil)
			if resp, err := c.Do(req); err == nil {
				resp.Body.Close()
			}
		})
		for held.Load() == 0 {
			select {
			case <-answered:
				return false
			case <-time.After(5 * time.Millisecond):
			}
		}
		return true
	})
	got := spread(t, c, "http://web/", 50)
	if got["fast"] != 50 {
		t.Fatalf("with the slow backend holding requests: %v, want all on fast", got)
	}
}

func portOfURL(u string) int {
	i := strings.LastIndex(u, ":")
	p := 0
	for _, ch := range u[i+1:] {
		p = p*10 + int(ch-'0')
	}
	return p
}

func TestStickyCookie(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	tags := []string{"traefik.http.services.web.loadbalancer.sticky.cookie.name=pin", "traefik.http.services.web.loadbalancer.sticky.cookie.httponly=true"}
	e.register("web", "web-a", a.port, catalog.Passing, tags...)
	e.register("web", "web-b", b.port, catalog.Passing, tags...)
	c := e.client()
	e.waitFor(c, "http://web/", 200)
	e.waitServers("web", 2)
	resp, first := get(t, c, "http://web/")
	var pin *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "pin" {
			pin = ck
		}
	}
	if pin == nil || !pin.HttpOnly {
		t.Fatalf("no httponly sticky cookie in %v", resp.Header["Set-Cookie"])
	}
	for range 30 {
		req, _ := http.NewRequest("GET", "http://web/", nil)
		req.AddCookie(pin)
		r2, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ec echo
		json.NewDecoder(r2.Body).Decode(&ec)
		r2.Body.Close()
		if ec.Backend != first.Backend || r2.Header.Get("Set-Cookie") != "" {
			t.Fatalf("sticky request went to %q (first %q), Set-Cookie %q", ec.Backend, first.Backend, r2.Header.Get("Set-Cookie"))
		}
	}
}

// TestPickSkipsEjectedAndTried exercises the pure choice on its own.
func TestPickSkipsEjectedAndTried(t *testing.T) {
	svc := &routing.Service{Name: "s"}
	var servers []*routing.Server
	for _, id := range []string{"a", "b", "c"} {
		servers = append(servers, &routing.Server{InstanceID: id, Node: "n", Address: "127.0.0.1", Port: 1, Scheme: "http", Weight: 1})
	}
	for _, strategy := range []string{StrategyP2C, StrategyWRR} {
		p := newPool(svc, servers, false, strategy, func(*routing.Server) *backendState { return &backendState{} })
		now := time.Now()
		p.backends[0].st.ejectedUntil.Store(now.Add(time.Minute).UnixNano())
		for range 100 {
			if b := p.pick(now.UnixNano(), []*backend{p.backends[1]}); b != p.backends[2] {
				t.Fatalf("%s: picked %s, want c (a ejected, b tried)", strategy, b.key)
			}
		}
		// Every candidate ejected: ejection is ignored rather than failing.
		p.backends[1].st.ejectedUntil.Store(now.Add(time.Minute).UnixNano())
		p.backends[2].st.ejectedUntil.Store(now.Add(time.Minute).UnixNano())
		if b := p.pick(now.UnixNano(), nil); b == nil {
			t.Fatalf("%s: nil with every backend ejected", strategy)
		}
		if b := p.pick(now.UnixNano(), p.backends); b != nil {
			t.Fatalf("%s: picked %s with every backend tried", strategy, b.key)
		}
	}
}

// TestServiceStrategyTag: a service's loadbalancer.strategy tag overrides
// the proxy's default balancing (p2c here) for that service.
func TestServiceStrategyTag(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	tag := "traefik.http.services.web.loadbalancer.strategy=wrr"
	e.registerWeight("web", "web-a", a.port, 3, catalog.Passing, tag)
	e.registerWeight("web", "web-b", b.port, 1, catalog.Passing, tag)
	c := e.client()
	deadline := time.Now().Add(10 * time.Second)
	for got := spread(t, c, "http://web/", 8); got["a"]+got["b"] != 8 || got["b"] == 0; got = spread(t, c, "http://web/", 8) {
		if time.Now().After(deadline) {
			t.Fatal("both instances never served")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := spread(t, c, "http://web/", 400); got["a"] != 300 || got["b"] != 100 {
		t.Fatalf("wrr by tag, weights 3:1 over 400 requests: %v, want 300/100", got)
	}
}
