package proxy

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/orbit/orbit/internal/catalog"
)

func TestBasicAuth(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	b := newBackend(t, "admin")
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	e.register("admin", "admin-1", b.port, catalog.Passing,
		"traefik.http.routers.admin.middlewares=auth",
		"traefik.http.middlewares.auth.basicauth.users=alice:"+string(hash),
		"traefik.http.middlewares.auth.basicauth.removeheader=true",
		"traefik.http.middlewares.auth.basicauth.headerfield=X-WebAuth-User")
	c := e.client()
	e.waitFor(c, "http://admin/", http.StatusUnauthorized)
	resp, _ := get(t, c, "http://admin/")
	if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="traefik"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	for _, cred := range [][2]string{{"alice", "wrong"}, {"bob", "s3cret"}} {
		req, _ := http.NewRequest("GET", "http://admin/", nil)
		req.SetBasicAuth(cred[0], cred[1])
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s/%s: %d, want 401", cred[0], cred[1], resp.StatusCode)
		}
	}
	for range 2 { // the second time from the verified-pair cache
		req, _ := http.NewRequest("GET", "http://admin/", nil)
		req.SetBasicAuth("alice", "s3cret")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("alice: %d", resp.StatusCode)
		}
		b.mu.Lock()
		last := b.last
		b.mu.Unlock()
		if last.Header.Get("Authorization") != "" || last.Header.Get("X-WebAuth-User") != "alice" {
			t.Fatalf("backend headers: %v", last.Header)
		}
	}
	if b.hits.Load() != 2 {
		t.Errorf("backend saw %d requests, want only the 2 authenticated ones", b.hits.Load())
	}
}

func TestIPAllowList(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	b := newBackend(t, "b")
	e.register("inside", "in-1", b.port, catalog.Passing,
		"traefik.http.routers.inside.middlewares=lan",
		"traefik.http.middlewares.lan.ipallowlist.sourcerange=127.0.0.1/32, 10.0.0.0/8")
	e.register("outside", "out-1", b.port, catalog.Passing,
		"traefik.http.routers.outside.middlewares=corp",
		"traefik.http.middlewares.corp.ipallowlist.sourcerange=192.168.7.0/24")
	c := e.client()
	e.waitFor(c, "http://inside/", 200)
	e.waitFor(c, "http://outside/", http.StatusForbidden)
}

func TestRateLimit(t *testing.T) {
	clock := newFakeClock()
	e := startEdge(t, Config{}, clock)
	b := newBackend(t, "b")
	e.register("api", "api-1", b.port, catalog.Passing,
		"traefik.http.routers.api.middlewares=rl",
		"traefik.http.middlewares.rl.ratelimit.average=2",
		"traefik.http.middlewares.rl.ratelimit.period=1m",
		"traefik.http.middlewares.rl.ratelimit.burst=3")
	c := e.client()
	e.waitFor(c, "http://api/", 200) // the first of the burst
	codes := []int{}
	for range 4 {
		resp, _ := get(t, c, "http://api/")
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{200, 200, 429, 429}; !equalInts(codes, want) {
		t.Fatalf("burst of 3 then limit: %v, want %v", codes, want)
	}
	clock.Advance(30 * time.Second) // average 2/min: one more allowed
	codes = codes[:0]
	for range 2 {
		resp, _ := get(t, c, "http://api/")
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{200, 429}; !equalInts(codes, want) {
		t.Fatalf("after 30s: %v, want %v", codes, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHeadersAddPrefixCompress(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	b := newBackend(t, "b")
	e.register("app", "app-1", b.port, catalog.Passing,
		"traefik.http.routers.app.middlewares=hdr,pre,gz",
		"traefik.http.middlewares.hdr.headers.customrequestheaders.X-Env=prod",
		"traefik.http.middlewares.hdr.headers.customrequestheaders.X-Drop=",
		"traefik.http.middlewares.hdr.headers.customresponseheaders.X-Backend=hidden",
		"traefik.http.middlewares.hdr.headers.customresponseheaders.X-Frame-Options=DENY",
		"traefik.http.middlewares.pre.addprefix.prefix=/v2",
		"traefik.http.middlewares.gz.compress=true",
		"traefik.http.middlewares.gz.compress.minresponsebodybytes=10")
	c := e.client()
	e.waitFor(c, "http://app/", 200)
	req, _ := http.NewRequest("GET", "http://app/items", nil)
	req.Header.Set("X-Drop", "client value")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Backend") != "hidden" {
		t.Errorf("response headers: %v", resp.Header)
	}
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !strings.Contains(string(body), `"path":"/v2/items"`) {
		t.Errorf("body %s: want the backend to see /v2/items", body)
	}
	b.mu.Lock()
	h := b.last.Header
	b.mu.Unlock()
	if h.Get("X-Env") != "prod" || h.Get("X-Drop") != "" {
		t.Errorf("request headers at the backend: %v", h)
	}
}

func TestBodyLimit(t *testing.T) {
	e := startEdge(t, Config{MaxBodyBytes: 1024}, nil)
	b := newBackend(t, "b")
	e.register("up", "up-1", b.port, catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://up/", 200)
	post := func(n int, chunked bool) int {
		var body io.Reader = strings.NewReader(strings.Repeat("x", n))
		if chunked {
			body = io.MultiReader(body) // hides the length
		}
		req, _ := http.NewRequest("POST", "http://up/", body)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(1000, false); got != 200 {
		t.Errorf("1000 bytes: %d", got)
	}
	if got := post(5000, false); got != http.StatusRequestEntityTooLarge {
		t.Errorf("5000 bytes with Content-Length: %d, want 413", got)
	}
	if got := post(5000, true); got != http.StatusRequestEntityTooLarge {
		t.Errorf("5000 bytes chunked: %d, want 413", got)
	}
}
