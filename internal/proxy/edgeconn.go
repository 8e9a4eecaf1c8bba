package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The edge server serves plain HTTP/1.1 and HTTP/1.0 requests on the
// entry points without net/http's server: one goroutine per connection
// reads requests from a pooled bufio.Reader, and a request the lean path
// (h1.go) can forward — no body, no upgrade, no Expect, a route whose
// handler is the forwarder and whose backends all speak plain HTTP/1.1 —
// is parsed, forwarded and answered on that goroutine, with no header
// clone, no per-request background read and no response copy.
//
// Anything else is handed off, with the bytes already read, to the
// entry point's net/http server through a handoffListener: bodies,
// upgrades, Expect, middlewares, unmatched hosts, heads larger than the
// read buffer and any input the strict parser here does not accept, so
// those keep net/http's exact behaviour (its error answers included). A
// connection is handed off before a byte of its current request is
// consumed, so a keep-alive connection may be served here first and by
// net/http after. TLS entry points are served by net/http alone.
//
// A client that goes away while its request is forwarded cancels the
// request, as with net/http, but the read that notices it starts only
// once the request has taken watchAfter: fast requests cost no
// background read (net/http does one per request).

// edgeConns tracks the edge server's connections for shutdown.
type edgeConns struct {
	closing atomic.Bool
	mu      sync.Mutex // guards set
	set     map[*edgeConn]struct{}
	gone    chan struct{} // a connection ended (capacity 1, never blocks)
	wg      sync.WaitGroup
	// handoffs counts connections handed to net/http, for tests.
	handoffs atomic.Int64
	readers  sync.Pool // *bufio.Reader
	writers  sync.Pool // *bufio.Writer
}

func newEdgeConns() *edgeConns {
	return &edgeConns{set: map[*edgeConn]struct{}{}, gone: make(chan struct{}, 1)}
}

// edgeConn is one client connection of the edge server.
type edgeConn struct {
	s      *Server
	ep     *EntryPoint
	nc     net.Conn
	hand   *handoffListener
	gauge  interface{ Dec() }
	idle   atomic.Bool
	br     *bufio.Reader
	bw     *bufio.Writer
	ip     netip.Addr
	ipText string // ip as text, once per connection
	remote string
	ctx    context.Context
	cancel context.CancelFunc
	tmpl   *http.Request // carries ctx; copied into req for each request
	req    http.Request
	url    url.URL
	w      edgeWriter
	reqH   http.Header // the request's header map, cleared per request
	vals   []string    // backing array of the header map's values
	// watch is the timer that starts watching for the client going away
	// while a slow request is forwarded; armed orders the timer's
	// goroutine after the request's reads, watched reports its end.
	watch   *time.Timer
	armed   atomic.Bool
	watched chan struct{}
}

// watchAfter is how long a request runs before the edge server watches
// its client for going away.
const watchAfter = 50 * time.Millisecond

// watchClient runs on the watch timer's goroutine: a read that fails
// (not by the deadline serveRequest sets to stop it) means the client
// went away, which cancels its request.
func (c *edgeConn) watchClient() {
	defer func() { c.watched <- struct{}{} }()
	if !c.armed.Load() || c.br.Buffered() > 0 {
		return
	}
	if _, err := c.br.Peek(1); err != nil && !isTimeout(err) {
		c.cancel()
	}
}

// serveEdge accepts ln's connections until it is closed, serving each on
// its own goroutine (owned by s.edge.wg) and handing off to hand.
func (s *Server) serveEdge(ln net.Listener, ep *EntryPoint, hand *handoffListener) error {
	gauge := s.metrics.openConns.WithLabelValues(ep.Name)
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.edge.closing.Load() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed, retrying", "entrypoint", ep.Name, "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		backoff = 0
		gauge.Inc()
		c := &edgeConn{s: s, ep: ep, nc: nc, hand: hand, gauge: gauge}
		// Before c joins the set: shutdown may cancel it at once.
		c.ctx, c.cancel = context.WithCancel(context.Background())
		s.edge.mu.Lock()
		s.edge.set[c] = struct{}{}
		s.edge.mu.Unlock()
		s.edge.wg.Go(c.serve)
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// closeIdle marks the edge server closing and closes its idle
// connections; busy ones close after their current response.
func (e *edgeConns) closeIdle() {
	e.closing.Store(true)
	e.mu.Lock()
	defer e.mu.Unlock()
	for c := range e.set {
		if c.idle.Load() {
			c.nc.Close()
		}
	}
}

// wait waits until every connection ended or ctx ends.
func (e *edgeConns) wait(ctx context.Context) error {
	for {
		e.mu.Lock()
		n := len(e.set)
		e.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-e.gone:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// stop cancels the requests of every connection still open.
func (e *edgeConns) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for c := range e.set {
		c.cancel()
	}
}

func (c *edgeConn) forget() {
	e := c.s.edge
	e.mu.Lock()
	delete(e.set, c)
	e.mu.Unlock()
	select {
	case e.gone <- struct{}{}:
	default:
	}
}

func (c *edgeConn) serve() {
	e := c.s.edge
	defer c.cancel()
	c.remote = c.nc.RemoteAddr().String()
	c.ip = clientIP(c.remote)
	c.ipText = c.ip.String()
	c.br, _ = e.readers.Get().(*bufio.Reader)
	if c.br == nil {
		c.br = bufio.NewReaderSize(c.nc, 4096)
	} else {
		c.br.Reset(c.nc)
	}
	c.bw, _ = e.writers.Get().(*bufio.Writer)
	if c.bw == nil {
		c.bw = bufio.NewWriterSize(c.nc, 4096)
	} else {
		c.bw.Reset(c.nc)
	}
	c.tmpl, _ = http.NewRequestWithContext(c.ctx, http.MethodGet, "/", nil)
	c.watched = make(chan struct{}, 1)
	c.watch = time.AfterFunc(time.Hour, c.watchClient)
	c.watch.Stop()
	c.w.bw = c.bw
	c.w.h = http.Header{}
	c.reqH = http.Header{}
	handedOff := c.loop()
	c.forget()
	if !handedOff {
		c.gauge.Dec()
		c.nc.Close()
	}
	c.br.Reset(nil)
	c.bw.Reset(nil)
	e.readers.Put(c.br)
	e.writers.Put(c.bw)
}

// loop serves requests until the connection closes or is handed off
// (then it reports true).
func (c *edgeConn) loop() bool {
	cfg := &c.s.cfg
	for n := 0; ; n++ {
		if c.br.Buffered() == 0 {
			c.idle.Store(true)
			if c.s.edge.closing.Load() {
				return false
			}
			if n > 0 {
				c.nc.SetReadDeadline(time.Now().Add(cfg.IdleTimeout))
			} else {
				c.nc.SetReadDeadline(time.Now().Add(cfg.ReadHeaderTimeout))
			}
			_, err := c.br.Peek(1)
			c.idle.Store(false)
			if err != nil {
				return false
			}
		}
		if n > 0 {
			c.nc.SetReadDeadline(time.Now().Add(cfg.ReadHeaderTimeout))
		}
		head, err := c.peekHead()
		if err != nil {
			return false
		}
		var f *forwarder
		var rte *route
		if head != nil {
			f, rte = c.parse(head)
		}
		if f == nil {
			return c.handOff()
		}
		c.br.Discard(len(head))
		if !c.serveRequest(f, rte) {
			return false
		}
		if c.w.closeAfter {
			return false
		}
	}
}

// peekHead returns the buffered request head up to and including its
// blank line without consuming it; nil when the head does not fit the
// buffer or uses bare line feeds, so net/http should read it.
func (c *edgeConn) peekHead() ([]byte, error) {
	for {
		b, _ := c.br.Peek(c.br.Buffered())
		if i := bytes.Index(b, crlf2); i >= 0 {
			return b[:i+4], nil
		}
		if len(b) >= c.br.Size() || bytes.Contains(b, lf2) {
			return nil, nil
		}
		if _, err := c.br.Peek(len(b) + 1); err != nil {
			if len(b) > 0 && !errors.Is(err, net.ErrClosed) && !isTimeout(err) {
				return nil, nil // let net/http answer a request cut short
			}
			return nil, err
		}
	}
}

var crlf2, lf2 = []byte("\r\n\r\n"), []byte("\n\n")

// parse parses head into c.req and resolves its route; it returns the
// forwarder to serve it with, or nil to hand the connection off.
func (c *edgeConn) parse(head []byte) (*forwarder, *route) {
	s := string(head[:len(head)-4])
	line, rest, _ := strings.Cut(s, "\r\n")
	method, line, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(line, " ")
	if !ok1 || !ok2 || !validFieldName(method) || method == http.MethodConnect || method == "PRI" {
		return nil, nil
	}
	minor := 1
	switch proto {
	case "HTTP/1.1":
	case "HTTP/1.0":
		minor = 0
	default:
		return nil, nil
	}
	if c.ep.RedirectTo != "" || !c.parseTarget(target) || c.s.chal != nil && strings.HasPrefix(c.url.Path, acmeChallengePath) {
		return nil, nil // redirects and ACME challenges are net/http's
	}
	r := &c.req
	*r = *c.tmpl
	r.Method, r.URL, r.RequestURI = method, &c.url, target
	r.Proto, r.ProtoMajor, r.ProtoMinor = proto, 1, minor
	r.Body, r.ContentLength, r.RemoteAddr = http.NoBody, 0, c.remote
	h := c.reqH
	clear(h)
	r.Header = h
	if !c.parseFields(rest, r) {
		return nil, nil
	}
	if minor == 1 && r.Host == "" {
		return nil, nil // net/http answers a missing Host
	}
	conn := first(h["Connection"])
	r.Close = hasToken(conn, "close") || (minor == 0 && !hasToken(conn, "keep-alive"))
	for _, v := range h["Connection"] {
		if hasToken(v, "upgrade") {
			return nil, nil
		}
	}
	t := c.s.table.Load()
	router := t.rt.Match(c.ep.Name, r, c.ip)
	if router == nil {
		return nil, nil
	}
	rte := t.routes[router]
	if rte == nil {
		return nil, nil
	}
	f, ok := rte.handler.(*forwarder)
	if !ok {
		return nil, nil
	}
	for _, b := range f.pool.backends {
		if b.conns == nil {
			return nil, nil
		}
	}
	return f, rte
}

// parseTarget sets c.url from an origin-form request target, as
// url.ParseRequestURI would; false hands the request off.
func (c *edgeConn) parseTarget(target string) bool {
	if target == "" || target[0] != '/' {
		return false
	}
	simple := true
	for i := 0; i < len(target); i++ {
		ch := target[i]
		if ch <= ' ' || ch >= 0x7f || ch == '#' {
			return false
		}
		if ch == '?' {
			break
		}
		if !pathSafe(ch) {
			simple = false
		}
	}
	if !simple {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return false
		}
		c.url = *u
		return true
	}
	c.url = url.URL{}
	path, query, hasQuery := strings.Cut(target, "?")
	c.url.Path = path
	if hasQuery {
		if query == "" && strings.Count(target, "?") == 1 {
			c.url.ForceQuery = true
		}
		c.url.RawQuery = query
	}
	return true
}

// pathSafe reports whether ch stands for itself in a URL path, so the
// path needs no unescaping and no RawPath.
func pathSafe(ch byte) bool {
	switch {
	case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9':
		return true
	}
	return strings.IndexByte("-_.~/$&+,:;=@", ch) >= 0
}

// parseFields fills r.Header and r.Host from the header lines; false
// hands the request off.
func (c *edgeConn) parseFields(lines string, r *http.Request) bool {
	h := r.Header
	c.vals = c.vals[:0]
	hosts := 0
	for lines != "" {
		var line string
		line, lines, _ = strings.Cut(lines, "\r\n")
		if line == "" || line[0] == ' ' || line[0] == '\t' || strings.ContainsAny(line, "\r\n") {
			return false
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || !validFieldName(k) {
			return false
		}
		v = strings.Trim(v, " \t")
		for i := 0; i < len(v); i++ {
			if ch := v[i]; (ch < ' ' && ch != '\t') || ch == 0x7f {
				return false
			}
		}
		k = http.CanonicalHeaderKey(k)
		switch k {
		case "Host":
			if hosts++; hosts > 1 || !validHost(v) {
				return false
			}
			r.Host = v
			continue
		case "Content-Length":
			if v != "0" || len(h[k]) > 0 {
				return false
			}
		case "Transfer-Encoding", "Upgrade", "Expect", "Pragma", "Http2-Settings":
			return false
		}
		if vv, ok := h[k]; ok {
			h[k] = append(vv, v)
			continue
		}
		if len(c.vals) == cap(c.vals) {
			c.vals = make([]string, 0, max(16, 2*cap(c.vals)))
		}
		c.vals = append(c.vals, v)
		n := len(c.vals)
		h[k] = c.vals[n-1 : n : n]
	}
	return true
}

// validHost accepts the host names and addresses the edge server serves
// itself; net/http judges anything else.
func validHost(v string) bool {
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("-._:[]", ch) >= 0) {
			return false
		}
	}
	return true
}

// serveRequest forwards c.req as the entry point's handler would and
// writes the answer; false means the connection must close.
func (c *edgeConn) serveRequest(f *forwarder, rte *route) (ok bool) {
	s, r := c.s, &c.req
	s.handlers.Add(1)
	defer s.handlers.Done()
	c.w.reset(r, s.edge.closing.Load())
	ex := &exchange{s: s, ep: c.ep, route: rte, pool: rte.pool, clientIP: c.ip, ipText: c.ipText, start: time.Now()}
	ex.tried = ex.triedBuf[:0]
	ex.rec = recorder{ResponseWriter: &c.w}
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				s.log.Error("edge request panicked", "url", r.URL.String(), "panic", v)
			}
			if c.w.headSent {
				c.bw.Flush()
			}
			ok = false
		}
	}()
	func() {
		defer s.finish(ex, r)
		defer c.unwatch()
		c.armed.Store(true)
		c.watch.Reset(watchAfter)
		f.serve(&ex.rec, r, ex)
	}()
	c.w.finish()
	return c.bw.Flush() == nil && c.ctx.Err() == nil
}

// unwatch stops watching the client, waiting for a watch under way.
func (c *edgeConn) unwatch() {
	c.armed.Store(false)
	if !c.watch.Stop() {
		c.nc.SetReadDeadline(aLongTimeAgo)
		<-c.watched
	}
}

// handOff passes the connection, with what was read of it, to the entry
// point's net/http server.
func (c *edgeConn) handOff() bool {
	var buf []byte
	if n := c.br.Buffered(); n > 0 {
		b, _ := c.br.Peek(n)
		buf = append(buf, b...)
	}
	c.s.edge.handoffs.Add(1)
	c.gauge.Dec() // net/http counts it again as new
	if !c.hand.give(&handoffConn{Conn: c.nc, buf: buf}) {
		c.nc.Close()
	}
	return true
}

// handoffListener yields the connections the edge server hands off to
// the entry point's net/http server.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// give passes c to Accept; false when the listener is closed.
func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// handoffConn is a connection whose Read returns buf before reading on.
type handoffConn struct {
	net.Conn
	buf []byte
}

func (c *handoffConn) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
