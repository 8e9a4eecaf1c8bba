package proxy

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/orbit/orbit/internal/catalog"
)

// TestRedirectToHTTPSWithIssuedCertificate: plain HTTP is redirected to
// HTTPS by the redirectscheme middleware; the HTTPS answer carries a
// certificate issued on the fly by the internal CA, verified by a Go
// client trusting only that CA's root, over HTTP/2.
func TestRedirectToHTTPSWithIssuedCertificate(t *testing.T) {
	e := startEdgeWith(t, Config{}, false, -1, nil)
	b := newBackend(t, "secure")
	e.register("shop", "shop-1", b.port, catalog.Passing,
		"traefik.enable=true",
		"traefik.http.routers.shop-http.rule=Host(`shop.example.test`)",
		"traefik.http.routers.shop-http.entrypoints=web",
		"traefik.http.routers.shop-http.middlewares=to-https",
		"traefik.http.routers.shop-http.service=shop",
		"traefik.http.middlewares.to-https.redirectscheme.scheme=https",
		"traefik.http.middlewares.to-https.redirectscheme.port="+e.port("websecure"),
		"traefik.http.middlewares.to-https.redirectscheme.permanent=true",
		"traefik.http.routers.shop-https.rule=Host(`shop.example.test`)",
		"traefik.http.routers.shop-https.entrypoints=websecure",
		"traefik.http.routers.shop-https.tls=true",
		"traefik.http.routers.shop-https.tls.certresolver=orbit",
		"traefik.http.routers.shop-https.service=shop",
	)
	c := e.client()
	e.waitFor(c, "http://shop.example.test/cart?id=7", http.StatusMovedPermanently)
	resp, _ := get(t, c, "http://shop.example.test/cart?id=7")
	want := "https://shop.example.test:" + e.port("websecure") + "/cart?id=7"
	if loc := resp.Header.Get("Location"); loc != want {
		t.Fatalf("Location = %q, want %q", loc, want)
	}
	resp, ec := get(t, c, want)
	if resp.StatusCode != 200 || ec.Backend != "secure" || ec.Path != "/cart" {
		t.Fatalf("https: %d from %q path %q", resp.StatusCode, ec.Backend, ec.Path)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("client got HTTP/%d.%d through TLS, want HTTP/2", resp.ProtoMajor, resp.ProtoMinor)
	}
	if ec.Header.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("X-Forwarded-Proto = %q", ec.Header.Get("X-Forwarded-Proto"))
	}
	leaf := resp.TLS.PeerCertificates[0]
	if leaf.Issuer.CommonName != e.ca.Root().Subject.CommonName || leaf.DNSNames[0] != "shop.example.test" {
		t.Errorf("certificate for %v issued by %q", leaf.DNSNames, leaf.Issuer.CommonName)
	}
	if resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("TLS version %x", resp.TLS.Version)
	}
	// TLS 1.1 is refused.
	conn, err := tls.Dial("tcp", e.addr("websecure"), &tls.Config{ServerName: "shop.example.test", RootCAs: e.ca.RootPool(), MaxVersion: tls.VersionTLS11})
	if err == nil {
		conn.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}
	// No certificate is issued for a name no TLS router serves: the client
	// gets the default certificate, which does not verify for that name.
	conn, err = tls.Dial("tcp", e.addr("websecure"), &tls.Config{ServerName: "other.example.test", RootCAs: e.ca.RootPool()})
	if err == nil {
		conn.Close()
		t.Error("a certificate valid for an unrouted name was served")
	}
}

func TestWebSocketThroughProxy(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	ws := httptest.NewServer(websocket.Handler(func(c *websocket.Conn) { io.Copy(c, c) }))
	t.Cleanup(ws.Close)
	e.register("chat", "chat-1", ws.Listener.Addr().(*net.TCPAddr).Port, catalog.Passing)
	e.waitFor(e.client(), "http://chat/", http.StatusBadRequest) // a plain GET to a websocket handler
	cfg, err := websocket.NewConfig("ws://chat/echo", "http://chat/")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Dial("tcp", e.addr("web"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := websocket.NewClient(cfg, tcp)
	if err != nil {
		t.Fatalf("websocket handshake through the proxy: %v", err)
	}
	defer conn.Close()
	for _, msg := range []string{"hello", "orbit", "streaming works"} {
		if err := websocket.Message.Send(conn, msg); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		var got string
		if err := websocket.Message.Receive(conn, &got); err != nil || got != msg {
			t.Fatalf("echo of %q: %q, %v", msg, got, err)
		}
	}
}

// TestH2CBackend: a service whose scheme is h2c is reached over cleartext
// HTTP/2.
func TestH2CBackend(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	b := newBackend(t, "grpcish")
	b.Close()
	srv := httptest.NewUnstartedServer(b.Config.Handler)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	e.register("grpcish", "g-1", srv.Listener.Addr().(*net.TCPAddr).Port, catalog.Passing,
		"traefik.http.services.grpcish.loadbalancer.server.scheme=h2c")
	c := e.client()
	e.waitFor(c, "http://grpcish/", 200)
	if _, ec := get(t, c, "http://grpcish/"); ec.Proto != 2 {
		t.Fatalf("backend saw HTTP/%d, want 2 (h2c)", ec.Proto)
	}
}

// TestStreamingFlushes: a backend that writes, flushes and waits is seen
// by the client before the response ends.
func TestStreamingFlushes(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		io.WriteString(w, "second\n")
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	e.register("stream", "s-1", srv.Listener.Addr().(*net.TCPAddr).Port, catalog.Passing)
	c := e.client()
	var resp *http.Response
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := c.Get("http://stream/")
		if err == nil && r.StatusCode == 200 {
			resp = r
			break
		}
		if err == nil {
			r.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("stream route never appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer resp.Body.Close()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first\n" {
		t.Fatalf("first chunk: %q %v (the proxy buffered a streaming response)", buf, err)
	}
}

// TestEntryPointRedirectAndHSTS: a plain entry point redirecting to a TLS
// one answers every request with a permanent redirect to https on its
// port (301 for GET, 308 for POST, a router on it or not) except ACME
// challenges; the TLS entry point's answers carry HSTS.
func TestEntryPointRedirectAndHSTS(t *testing.T) {
	f := &fakeACME{}
	e := startEdgeDeps(t, Config{EntryPoints: []EntryPoint{{Name: "web", Addr: "127.0.0.1:0", RedirectTo: "websecure"},
		{Name: "websecure", Addr: "127.0.0.1:0", TLS: true, HSTS: 365 * 24 * time.Hour}}}, false, -1, nil,
		func(d *Deps) { d.Challenges = f })
	b := newBackend(t, "app")
	e.register("app", "app-1", b.port, catalog.Passing, "traefik.enable=true",
		"traefik.http.routers.app.rule=Host(`app.example.test`)", "traefik.http.routers.app.tls=true")
	c := e.client()
	e.waitFor(c, "https://app.example.test/", http.StatusOK)
	resp, _ := get(t, c, "https://app.example.test/")
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("HSTS header %q", got)
	}
	want := "https://app.example.test:" + e.port("websecure") + "/a?b=c"
	resp, _ = get(t, c, "http://app.example.test/a?b=c")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Errorf("GET on web: %d to %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	if resp, _ := get(t, c, "http://nothing.example.test/x"); resp.StatusCode != http.StatusMovedPermanently {
		t.Errorf("GET of a host without a router: %d, want 301", resp.StatusCode)
	}
	post, err := c.Post("http://app.example.test/a?b=c", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusPermanentRedirect {
		t.Errorf("POST on web: %d, want 308", post.StatusCode)
	}
	if resp, _ := get(t, c, "http://app.example.test/.well-known/acme-challenge/tok"); resp.StatusCode != http.StatusOK {
		t.Errorf("ACME challenge on a redirecting entry point: %d, want 200", resp.StatusCode)
	}
	if _, err := New(Config{EntryPoints: []EntryPoint{{Name: "web", Addr: "127.0.0.1:0", RedirectTo: "nowhere"}}}, Deps{}); err == nil {
		t.Error("a redirect to a missing entry point was accepted")
	}
}
