package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// idleLean counts the lean path's idle connections to port: above zero
// after a request proves the request took the lean path.
func (e *edge) idleLean(port int) int {
	hc := e.srv.h1.host(fmt.Sprintf("127.0.0.1:%d", port))
	hc.mu.Lock()
	defer hc.mu.Unlock()
	return len(hc.idle)
}

// TestLeanPathHeaders: a plain GET takes the lean path and reaches the
// backend with the headers ReverseProxy would send: Host passed, the
// X-Forwarded-* set replaced, hop-by-hop headers and the ones the
// Connection header names removed, "Te: trailers" kept, no User-Agent
// invented.
func TestLeanPathHeaders(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	be := newBackend(t, "a")
	e.register("web", "web-1", be.port, catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://web/", 200)
	resp, ec := get(t, c, "http://web/x?y=1", "Connection", "X-Secret", "X-Secret", "1", "Keep-Alive", "timeout=5",
		"X-Forwarded-For", "6.6.6.6", "X-Real-Ip", "6.6.6.6", "Forwarded", "for=6.6.6.6", "Te", "trailers",
		"User-Agent", "", "X-Custom", "kept", "Proxy-Authorization", "Basic eA==")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if e.idleLean(be.port) == 0 {
		t.Fatal("the request did not take the lean path")
	}
	host, _ := os.Hostname()
	want := map[string]string{
		"X-Forwarded-For": "127.0.0.1", "X-Real-Ip": "127.0.0.1", "X-Forwarded-Host": "web", "X-Forwarded-Proto": "http",
		"X-Forwarded-Port": e.port("web"), "X-Forwarded-Server": host, "Te": "trailers", "X-Custom": "kept",
	}
	for k, v := range want {
		if got := ec.Header[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want [%q]", k, got, v)
		}
	}
	for _, k := range []string{"X-Secret", "Keep-Alive", "Connection", "Forwarded", "User-Agent", "Proxy-Authorization", "Content-Length"} {
		if v, ok := ec.Header[k]; ok {
			t.Errorf("%s reached the backend: %q", k, v)
		}
	}
	if ec.Host != "web" || ec.Path != "/x" {
		t.Errorf("host %q path %q", ec.Host, ec.Path)
	}
	// A DELETE without a body says Content-Length: 0, as the Transport does.
	req, _ := http.NewRequest("DELETE", "http://web/", nil)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("DELETE: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	be.mu.Lock()
	last := be.last
	be.mu.Unlock()
	if last.Method != "DELETE" || last.Header.Get("Content-Length") != "0" {
		t.Errorf("DELETE reached the backend as %s with Content-Length %q", last.Method, last.Header.Get("Content-Length"))
	}
}

// TestLeanChunkedStreamAndTrailers: a chunked response is relayed as it
// comes, with announced and unannounced trailers, and the connection is
// kept for the next request.
func TestLeanChunkedStreamAndTrailers(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		for i := range 3 {
			fmt.Fprintf(w, "part%d;", i)
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Sum", "3")
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	}))
	t.Cleanup(be.Close)
	port := portOfURL(be.URL)
	e.register("chunk", "chunk-1", port, catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://chunk/", 200)
	for range 2 {
		resp, err := c.Get("http://chunk/")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != "part0;part1;part2;" {
			t.Fatalf("body %q, %v", body, err)
		}
		if resp.ContentLength != -1 || resp.TransferEncoding[0] != "chunked" {
			t.Errorf("framing: length %d, %v", resp.ContentLength, resp.TransferEncoding)
		}
		// One trailer was not announced, so ReverseProxy's rule sends
		// both undeclared.
		if resp.Trailer.Get("X-Sum") != "3" || resp.Trailer.Get("X-Late") != "yes" {
			t.Errorf("trailers %v", resp.Trailer)
		}
	}
	if e.idleLean(port) == 0 {
		t.Fatal("the chunked response did not keep the lean connection")
	}
}

// rawBackend serves each connection with fn, for answers net/http would
// not write.
func rawBackend(t *testing.T, fn func(c net.Conn, br *bufio.Reader)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				fn(c, bufio.NewReader(c))
			})
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// readRequestHead consumes one request head.
func readRequestHead(br *bufio.Reader) error {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\r\n" {
			return nil
		}
	}
}

// TestLeanStaleConnectionIsReplaced: a backend that closes each
// connection after answering without saying so costs a GET nothing: the
// request is sent again on a new connection.
func TestLeanStaleConnectionIsReplaced(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	port := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if readRequestHead(br) != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	e.register("stale", "stale-1", port, catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://stale/", 200)
	for i := range 20 {
		resp, err := c.Get("http://stale/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
}

// TestLeanErrors: answers the lean path cannot relay end as ReverseProxy
// ends them: a malformed head or an unasked protocol switch is a 502, a
// backend too slow with its head a 504, a body that breaks off aborts
// the client's connection.
func TestLeanErrors(t *testing.T) {
	e := startEdge(t, Config{ResponseHeaderTimeout: 300 * time.Millisecond}, nil)
	answers := map[string]string{
		"malformed": "HTTP/1.1 2x0 OK\r\n\r\n",
		"switch":    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
		"short":     "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
		"badlength": "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
	}
	for name, answer := range answers {
		port := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
			if readRequestHead(br) == nil {
				io.WriteString(c, answer)
			}
		})
		e.register(name, name+"-1", port, catalog.Passing)
	}
	slow := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		readRequestHead(br)
		br.ReadByte() // until the proxy gives up and closes
	})
	e.register("slow", "slow-1", slow, catalog.Passing)
	c := e.client()
	// Each router reaches the edge on its own; wait for every one to be
	// routed (not 404) before asking for the status it must end with.
	for _, name := range []string{"malformed", "switch", "badlength", "slow", "short"} {
		routed(t, c, "http://"+name+"/")
	}
	for name, want := range map[string]int{"malformed": 502, "switch": 502, "badlength": 502, "slow": 504} {
		resp, err := c.Get("http://" + name + "/")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, want)
		}
	}
	// The handler aborts before its buffered head was sent, as
	// ReverseProxy's does: the client sees the connection end.
	if resp, err := c.Get("http://short/"); err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Errorf("a body broken off reached the client whole: %d", resp.StatusCode)
		}
	}
}

// TestLeanHeadAndClientGone: a HEAD answer keeps its Content-Length and
// no body; a client that leaves while the backend has not answered
// closes the backend's request.
func TestLeanHeadAndClientGone(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	held, gone := make(chan struct{}), make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wait" {
			close(held)
			<-r.Context().Done()
			close(gone)
			return
		}
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	}))
	t.Cleanup(be.Close)
	e.register("h", "h-1", portOfURL(be.URL), catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://h/", 200)
	resp, err := c.Head("http://h/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != 5 {
		t.Fatalf("HEAD: %d, length %d", resp.StatusCode, resp.ContentLength)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://h/wait", nil)
	errc := make(chan error, 1)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-held
	cancel()
	<-errc
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the backend's request was not closed after the client left")
	}
}

// TestBodiesTakeReverseProxy: a request with a chunked body still goes
// through ReverseProxy and arrives whole.
func TestBodiesTakeReverseProxy(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %d %v", r.Method, len(b), r.TransferEncoding)
	}))
	t.Cleanup(be.Close)
	e.register("up", "up-1", portOfURL(be.URL), catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://up/", 200)
	pr, pw := io.Pipe()
	go func() {
		for range 10 {
			pw.Write([]byte(strings.Repeat("x", 1000)))
		}
		pw.Close()
	}()
	resp, err := c.Post("http://up/", "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "POST 10000 [chunked]" {
		t.Fatalf("backend saw %q", body)
	}
}
