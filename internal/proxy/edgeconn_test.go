package proxy

import (
	"bufio"
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

// echoBackend answers a request with a body with that body and any
// other with "path=" and the request's path.
func echoBackend(t *testing.T) int {
	t.Helper()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			io.Copy(w, r.Body)
			return
		}
		io.WriteString(w, "path="+r.URL.Path)
	}))
	t.Cleanup(be.Close)
	return be.Listener.Addr().(*net.TCPAddr).Port
}

// rawConn is a client connection to the web entry point spoken by hand.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, e *edge) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", e.addr("web"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatal(err)
	}
}

// read reads one response to a request of method and its body.
func (rc *rawConn) read(method string) (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	if err != nil {
		rc.t.Fatalf("reading a response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("reading a body: %v", err)
	}
	return resp, string(b)
}

// closed asserts the server closes the connection with nothing more sent.
func (rc *rawConn) closed() {
	rc.t.Helper()
	if b, err := rc.br.ReadByte(); err == nil {
		rc.t.Fatalf("the connection stayed open: read %q", b)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		rc.t.Fatal("the connection stayed open")
	}
}

func startEchoEdge(t *testing.T, cfg Config) *edge {
	e := startEdge(t, cfg, nil)
	e.register("echo", "echo-1", echoBackend(t), catalog.Passing)
	e.waitFor(e.client(), "http://echo/", 200)
	return e
}

func TestEdgeKeepAliveAndPipelining(t *testing.T) {
	e := startEchoEdge(t, Config{})
	base := e.srv.edge.handoffs.Load() // waitFor's 404s before the route was in
	rc := dialRaw(t, e)
	rc.send("GET /a HTTP/1.1\r\nHost: echo\r\n\r\nHEAD /b HTTP/1.1\r\nHost: echo\r\n\r\nGET /c?x=1 HTTP/1.1\r\nHost: echo\r\n\r\n")
	for _, want := range []struct{ method, body string }{{"GET", "path=/a"}, {"HEAD", ""}, {"GET", "path=/c"}} {
		resp, body := rc.read(want.method)
		if resp.StatusCode != 200 || body != want.body || resp.Close {
			t.Fatalf("%s: %d %q close=%v, want 200 %q kept alive", want.method, resp.StatusCode, body, resp.Close, want.body)
		}
		if resp.Header.Get("Date") == "" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: headers %v", want.method, resp.Header)
		}
	}
	rc.send("GET /d HTTP/1.1\r\nHost: echo\r\n\r\n")
	if resp, body := rc.read("GET"); resp.StatusCode != 200 || body != "path=/d" {
		t.Fatalf("keep-alive request: %d %q", resp.StatusCode, body)
	}
	if n := e.srv.edge.handoffs.Load() - base; n != 0 {
		t.Errorf("%d connections handed off, want plain requests served by the edge server", n)
	}
}

func TestEdgeConnectionClose(t *testing.T) {
	e := startEchoEdge(t, Config{})
	rc := dialRaw(t, e)
	rc.send("GET /a HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n\r\n")
	resp, body := rc.read("GET")
	if resp.StatusCode != 200 || body != "path=/a" || !resp.Close {
		t.Fatalf("got %d %q close=%v, want 200 path=/a with Connection: close", resp.StatusCode, body, resp.Close)
	}
	rc.closed()
}

func TestEdgeHTTP10(t *testing.T) {
	e := startEchoEdge(t, Config{})
	rc := dialRaw(t, e)
	rc.send("GET /a HTTP/1.0\r\nHost: echo\r\nConnection: keep-alive\r\n\r\n")
	resp, body := rc.read("GET")
	if resp.StatusCode != 200 || body != "path=/a" || resp.ProtoMinor != 0 || resp.Header.Get("Connection") != "keep-alive" {
		t.Fatalf("keep-alive HTTP/1.0: %s %d %q %v", resp.Proto, resp.StatusCode, body, resp.Header)
	}
	rc.send("GET /b HTTP/1.0\r\nHost: echo\r\n\r\n")
	resp, body = rc.read("GET")
	if resp.StatusCode != 200 || body != "path=/b" || resp.ProtoMinor != 0 {
		t.Fatalf("HTTP/1.0: %s %d %q", resp.Proto, resp.StatusCode, body)
	}
	rc.closed()
}

func TestEdgeOversizedHeader(t *testing.T) {
	e := startEchoEdge(t, Config{})
	rc := dialRaw(t, e)
	go io.WriteString(rc.c, "GET / HTTP/1.1\r\nHost: echo\r\nX-Big: "+strings.Repeat("a", 1<<20+8192)+"\r\n\r\n")
	// Only the head: net/http closes while the client is still sending,
	// so reading on may end in a reset.
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("got %d, want 431", resp.StatusCode)
	}
}

// TestEdgeSlowHead: a head that does not arrive within ReadHeaderTimeout
// closes the connection, on a new connection and between keep-alive
// requests.
func TestEdgeSlowHead(t *testing.T) {
	e := startEchoEdge(t, Config{ReadHeaderTimeout: 200 * time.Millisecond})
	rc := dialRaw(t, e)
	rc.send("GET / HTTP/1.1\r\nHost: echo\r\n")
	rc.closed()
	rc = dialRaw(t, e)
	rc.send("GET /a HTTP/1.1\r\nHost: echo\r\n\r\n")
	if resp, body := rc.read("GET"); resp.StatusCode != 200 || body != "path=/a" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	rc.send("GET /b HTTP/1.1\r\nHo")
	rc.closed()
}

// TestEdgeHandOff: requests the edge server does not serve itself reach
// net/http with the bytes already read, also in the middle of a
// keep-alive connection and behind pipelined plain requests.
func TestEdgeHandOff(t *testing.T) {
	e := startEchoEdge(t, Config{})
	base := e.srv.edge.handoffs.Load()
	rc := dialRaw(t, e)
	rc.send("POST /p HTTP/1.1\r\nHost: echo\r\nContent-Length: 5\r\n\r\nhello")
	if resp, body := rc.read("POST"); resp.StatusCode != 200 || body != "hello" {
		t.Fatalf("POST with a body: %d %q", resp.StatusCode, body)
	}
	if n := e.srv.edge.handoffs.Load() - base; n != 1 {
		t.Fatalf("%d hand-offs, want 1", n)
	}
	rc = dialRaw(t, e)
	rc.send("GET /a HTTP/1.1\r\nHost: echo\r\n\r\n")
	if resp, body := rc.read("GET"); resp.StatusCode != 200 || body != "path=/a" {
		t.Fatalf("plain GET: %d %q", resp.StatusCode, body)
	}
	rc.send("GET /b HTTP/1.1\r\nHost: echo\r\n\r\nPOST /p HTTP/1.1\r\nHost: echo\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /c HTTP/1.1\r\nHost: echo\r\n\r\n")
	for _, want := range []string{"path=/b", "abc", "path=/c"} {
		if resp, body := rc.read("GET"); resp.StatusCode != 200 || body != want {
			t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, want)
		}
	}
	if n := e.srv.edge.handoffs.Load() - base; n != 2 {
		t.Fatalf("%d hand-offs, want 2", n)
	}
}

// TestEdgeHandOffUpgrade: a WebSocket handshake after a plain request on
// the same connection is handed to net/http and echoes through.
func TestEdgeHandOffUpgrade(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	ws := httptest.NewServer(websocket.Handler(func(c *websocket.Conn) { io.Copy(c, c) }))
	t.Cleanup(ws.Close)
	e.register("chat", "chat-1", ws.Listener.Addr().(*net.TCPAddr).Port, catalog.Passing)
	e.waitFor(e.client(), "http://chat/", http.StatusBadRequest)
	base := e.srv.edge.handoffs.Load()
	rc := dialRaw(t, e)
	rc.send("GET /echo HTTP/1.1\r\nHost: chat\r\n\r\n")
	if resp, _ := rc.read("GET"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET to the websocket handler: %d, want 400", resp.StatusCode)
	}
	cfg, err := websocket.NewConfig("ws://chat/echo", "http://chat/")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := websocket.NewClient(cfg, rc.c)
	if err != nil {
		t.Fatalf("websocket handshake through the proxy: %v", err)
	}
	defer conn.Close()
	for _, msg := range []string{"hello", "orbit"} {
		if err := websocket.Message.Send(conn, msg); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := websocket.Message.Receive(conn, &got); err != nil || got != msg {
			t.Fatalf("echo of %q: %q, %v", msg, got, err)
		}
	}
	if n := e.srv.edge.handoffs.Load() - base; n != 1 {
		t.Fatalf("%d hand-offs, want 1", n)
	}
}
