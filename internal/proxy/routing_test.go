package proxy

import (
	"net/http"
	"testing"

	"github.com/orbit/orbit/internal/catalog"
)

func TestHostRouting(t *testing.T) {
	e := startEdgeWith(t, Config{}, false, -1, nil)
	app, api := newBackend(t, "app"), newBackend(t, "api")
	e.register("app", "app-1", app.port, catalog.Passing, "traefik.enable=true", "traefik.http.routers.app.rule=Host(`app.example.test`)")
	e.register("api", "api-1", api.port, catalog.Passing, "traefik.enable=true") // default rule: Host(`api`)
	e.register("hidden", "hidden-1", app.port, catalog.Passing)                  // not exposed by default
	c := e.client()
	e.waitFor(c, "http://app.example.test/", 200)
	e.waitFor(c, "http://api/", 200)

	resp, ec := get(t, c, "http://app.example.test/some/path?q=1")
	if ec.Backend != "app" || ec.Path != "/some/path" {
		t.Fatalf("app.example.test went to %q path %q", ec.Backend, ec.Path)
	}
	if ec.Host != "app.example.test" {
		t.Errorf("backend saw Host %q: passHostHeader defaults to true", ec.Host)
	}
	if got := ec.Header.Get("X-Forwarded-For"); got != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want the client's address", got)
	}
	if ec.Header.Get("X-Forwarded-Host") != "app.example.test" || ec.Header.Get("X-Forwarded-Proto") != "http" || ec.Header.Get("X-Forwarded-Port") != e.port("web") {
		t.Errorf("forwarded headers: %v", ec.Header)
	}
	if resp.Header.Get("X-Backend") != "app" {
		t.Errorf("response headers not passed back: %v", resp.Header)
	}
	if _, ec := get(t, c, "http://API:80/", "X-Forwarded-For", "6.6.6.6"); ec.Backend != "api" || ec.Header.Get("X-Forwarded-For") != "127.0.0.1" {
		t.Errorf("api: backend %q, X-Forwarded-For %q (a client's own value must not be trusted)", ec.Backend, ec.Header.Get("X-Forwarded-For"))
	}
	for _, host := range []string{"hidden", "nowhere.test"} {
		if resp, _ := get(t, c, "http://"+host+"/"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", host, resp.StatusCode)
		}
	}
	if got := e.srv.table.Load().hosts; !got["app.example.test"] || !got["api"] || len(got) != 2 {
		t.Errorf("router hosts = %v", got)
	}
	if n := counterValue(t, e.reg, "orbit_proxy_requests_total", map[string]string{"router": "app", "code": "2xx"}); n < 1 {
		t.Errorf("orbit_proxy_requests_total for app 2xx = %v", n)
	}
}

func TestPathPrefixStripPrefix(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	b := newBackend(t, "shop")
	e.register("shop", "shop-1", b.port, catalog.Passing,
		"traefik.http.routers.shop.rule=Host(`example.test`) && PathPrefix(`/shop`)",
		"traefik.http.routers.shop.middlewares=strip",
		"traefik.http.middlewares.strip.stripprefix.prefixes=/shop")
	c := e.client()
	e.waitFor(c, "http://example.test/shop", 200)
	cases := map[string]string{"/shop": "/", "/shop/": "/", "/shop/cart/1": "/cart/1"}
	for in, want := range cases {
		_, ec := get(t, c, "http://example.test"+in)
		if ec.Path != want || ec.Header.Get("X-Forwarded-Prefix") != "/shop" {
			t.Errorf("%s reached the backend as %q with prefix %q, want %q", in, ec.Path, ec.Header.Get("X-Forwarded-Prefix"), want)
		}
	}
	if resp, _ := get(t, c, "http://example.test/other"); resp.StatusCode != 404 {
		t.Errorf("/other: %d, want 404", resp.StatusCode)
	}
}
