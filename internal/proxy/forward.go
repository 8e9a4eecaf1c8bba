package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orbit/orbit/internal/routing"
)

// exchange is one request's journey through the proxy. It lives in the
// request's context from the entry point to the backend and back.
type exchange struct {
	s        *Server
	ep       *EntryPoint
	route    *route
	pool     *pool
	backend  *backend
	tried    []*backend
	triedBuf [4]*backend
	clientIP netip.Addr
	ipText   string         // clientIP as text when the connection knows it
	retry    *routing.Retry // set by the retry middleware
	body     *countingBody
	rec      recorder
	start    time.Time
}

// clientIPString is the client's address as text.
func (ex *exchange) clientIPString() string {
	if ex.ipText != "" {
		return ex.ipText
	}
	return ex.clientIP.String()
}

type exchangeKey struct{}

func exchangeOf(ctx context.Context) *exchange {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	return ex
}

// use makes b the exchange's backend, moving the outstanding count.
func (ex *exchange) use(b *backend) {
	if ex.backend != nil {
		ex.backend.st.inflight.Add(-1)
	}
	ex.backend = b
	ex.tried = append(ex.tried, b)
	b.st.inflight.Add(1)
}

func (ex *exchange) release() {
	if ex.backend != nil {
		ex.backend.st.inflight.Add(-1)
		ex.backend = nil
	}
}

// entryHandler is an entry point's http.Handler: match, then serve.
type entryHandler struct {
	s  *Server
	ep EntryPoint
}

func (h *entryHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.s.handlers.Add(1)
	defer h.s.handlers.Done()
	if h.s.chal != nil && !h.ep.TLS && strings.HasPrefix(r.URL.Path, acmeChallengePath) && h.s.chal.HandleHTTPChallenge(w, r) {
		return
	}
	if h.ep.RedirectTo != "" {
		h.s.redirectEntryPoint(w, r, h.ep.RedirectTo)
		return
	}
	if h.ep.HSTS > 0 {
		w.Header().Set("Strict-Transport-Security", "max-age="+strconv.FormatInt(int64(h.ep.HSTS/time.Second), 10))
	}
	t := h.s.table.Load()
	ip := clientIP(r.RemoteAddr)
	router := t.rt.Match(h.ep.Name, r, ip)
	if router == nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	rte := t.routes[router]
	if rte == nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	ex := &exchange{s: h.s, ep: &h.ep, route: rte, pool: rte.pool, clientIP: ip, start: time.Now()}
	ex.tried = ex.triedBuf[:0]
	ex.rec = recorder{ResponseWriter: w}
	if f, ok := rte.handler.(*forwarder); ok && (r.Body == nil || r.Body == http.NoBody) {
		// No middleware will look for the exchange in the context: the
		// forwarder gets it directly and puts it there only for
		// ReverseProxy, sparing plain requests a request copy.
		defer h.s.finish(ex, r)
		f.serve(&ex.rec, r, ex)
		return
	}
	r = withExchange(r, ex)
	if max := h.s.cfg.MaxBodyBytes; max > 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > max {
			http.Error(&ex.rec, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
			h.s.finish(ex, r)
			return
		}
		r.Body = http.MaxBytesReader(&ex.rec, r.Body, max)
	}
	defer h.s.finish(ex, r)
	rte.handler.ServeHTTP(&ex.rec, r)
}

// redirectEntryPoint answers r with a permanent redirect to https on
// entry point to's port (left out when 443).
func (s *Server) redirectEntryPoint(w http.ResponseWriter, r *http.Request, to string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if p := s.ports[to]; p != "" && p != "443" {
		host = net.JoinHostPort(host, p)
	}
	code := http.StatusPermanentRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		code = http.StatusMovedPermanently
	}
	http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), code)
}

// finish records metrics and the access log line of an exchange.
func (s *Server) finish(ex *exchange, r *http.Request) {
	status := ex.rec.status
	if status == 0 {
		status = http.StatusOK
	}
	d := time.Since(ex.start)
	m := ex.route.m
	class := min(max(status/100, 1), 5)
	m.codes[class].Inc()
	m.duration.Observe(d.Seconds())
	if n := len(ex.tried); n > 0 {
		// The last backend tried is the one that answered.
		st := ex.tried[n-1].st
		st.served[class].Add(1)
		st.nanos.Add(uint64(d))
	}
	if s.access != nil {
		s.accessLog(ex, r, status, d)
	}
}

func clientIP(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// forwarder is the end of every router's chain: pick a backend, proxy.
type forwarder struct {
	s    *Server
	pool *pool
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.serve(w, r, exchangeOf(r.Context()))
}

// withExchange returns r with ex in its context, unless it is there.
func withExchange(r *http.Request, ex *exchange) *http.Request {
	if exchangeOf(r.Context()) == ex {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex))
}

func (f *forwarder) serve(w http.ResponseWriter, r *http.Request, ex *exchange) {
	p := f.pool
	ex.pool = p
	now := f.s.clock.Now().UnixNano()
	b := p.stickyBackend(r, now)
	if b == nil {
		if b = p.pick(now, nil); b == nil {
			http.Error(w, "no available server", http.StatusServiceUnavailable)
			return
		}
		if p.sticky != nil {
			p.setSticky(w.Header(), b)
		}
	}
	ex.use(b)
	defer ex.release()
	if leanEligible(r, b) {
		f.s.forwardLean(w, r, ex)
		return
	}
	r = withExchange(r, ex)
	if r.Body != nil && r.Body != http.NoBody {
		ex.body = &countingBody{ReadCloser: r.Body}
		r.Body = ex.body
	}
	f.s.rp.ServeHTTP(w, r)
}

// countingBody keeps the request body open across attempts (the
// transport closes a body on error) and counts what was read, so a
// request is retried only when none of its body was sent.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// Close is a no-op: the server closes the inbound body itself.
func (b *countingBody) Close() error { return nil }

// newReverseProxy is the one ReverseProxy all routes share; the backend
// comes from the request's exchange.
func (s *Server) newReverseProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:   s.rewrite,
		Transport: s.transport,
		// 0, not -1: responses without a Content-Length (streams, SSE,
		// chunked) are still flushed after every write, as ReverseProxy
		// treats them as streaming; -1 would also flush fixed-length
		// responses' headers from a timer goroutine, one extra write per
		// request.
		FlushInterval:  0,
		ErrorHandler:   s.proxyError,
		ModifyResponse: s.observeResponse,
		BufferPool:     s.bufs,
	}
}

// bufferPool recycles ReverseProxy's copy buffers, which it would
// otherwise allocate (32 KiB, zeroed) for every response.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

func (s *Server) rewrite(pr *httputil.ProxyRequest) {
	ex := exchangeOf(pr.In.Context())
	b := ex.backend
	pr.Out.URL.Scheme, pr.Out.URL.Host = b.scheme, b.host
	if !ex.pool.svc.PassHostHeader {
		pr.Out.Host = ""
	}
	h := pr.Out.Header
	ip := ex.clientIPString()
	h["X-Forwarded-For"] = []string{ip}
	h["X-Real-Ip"] = []string{ip}
	h["X-Forwarded-Host"] = []string{pr.In.Host}
	proto := "http"
	if pr.In.TLS != nil {
		proto = "https"
	}
	h["X-Forwarded-Proto"] = []string{proto}
	if port := s.ports[ex.ep.Name]; port != "" {
		h["X-Forwarded-Port"] = []string{port}
	}
	h["X-Forwarded-Server"] = []string{s.hostname}
}

// observeResponse is ReverseProxy's hook for passive ejection.
func (s *Server) observeResponse(resp *http.Response) error {
	s.observeStatus(exchangeOf(resp.Request.Context()), resp.StatusCode)
	return nil
}

func (s *Server) backendFailed(b *backend, p *pool, now time.Time) {
	if b.st.failure(now, s.eject) {
		s.metrics.ejections.WithLabelValues(p.name).Inc()
		s.log.Warn("backend ejected", "service", p.name, "backend", b.backendURL(), "instance", b.key,
			"until", time.Unix(0, b.st.ejectedUntil.Load()))
	}
}

func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	status := http.StatusBadGateway
	switch {
	case errors.As(err, &mbe):
		status = http.StatusRequestEntityTooLarge
	case r.Context().Err() != nil:
		status = 499 // the client went away, as nginx and Traefik log it
	case isTimeout(err):
		status = http.StatusGatewayTimeout
	}
	if status != 499 {
		s.log.Debug("proxy error", "url", r.URL.String(), "err", err)
	}
	w.WriteHeader(status)
	if status != 499 {
		io.WriteString(w, http.StatusText(status))
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isDialError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// transport sends to the exchange's backend and, on a connection failure,
// retries on another backend of the pool: always when the dial failed
// (nothing was sent), and for other errors when the retry middleware asks
// and no body was read yet.
type transport struct {
	s       *Server
	h1, h2c http.RoundTripper
	connect *connectTransports
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := exchangeOf(req.Context())
	for attempt := 1; ; attempt++ {
		rt := t.h1
		switch {
		case ex.backend.srv.Connect:
			rt = t.connect.forService(ex.backend.srv.Service)
		case ex.backend.h2c:
			rt = t.h2c
		}
		resp, err := rt.RoundTrip(req)
		if err == nil || req.Context().Err() != nil {
			return resp, err
		}
		if !t.s.retryAfter(req.Context(), ex, err, attempt) {
			return nil, err
		}
		req.URL.Scheme, req.URL.Host = ex.backend.scheme, ex.backend.host
	}
}

// retryAfter records that attempt failed with err on the exchange's
// backend and decides whether to try again: when it may and another
// backend is left, it waits the retry middleware's interval and makes
// that backend the exchange's.
func (s *Server) retryAfter(ctx context.Context, ex *exchange, err error, attempt int) bool {
	now := s.clock.Now()
	s.backendFailed(ex.backend, ex.pool, now)
	if !retryable(ex, err, attempt) {
		return false
	}
	next := ex.pool.pick(now.UnixNano(), ex.tried)
	if next == nil {
		return false
	}
	s.metrics.retries.WithLabelValues(ex.pool.name).Inc()
	if ex.retry != nil && ex.retry.InitialInterval > 0 {
		select {
		case <-s.clock.After(ex.retry.InitialInterval << min(attempt-1, 10)):
		case <-ctx.Done():
			return false
		}
	}
	ex.use(next)
	return true
}

func retryable(ex *exchange, err error, attempt int) bool {
	if ex.body != nil && ex.body.n > 0 {
		return false
	}
	if ex.retry != nil {
		return attempt < ex.retry.Attempts
	}
	return isDialError(err) && attempt < min(len(ex.pool.backends), 3)
}

// newTransport builds the transports to backends: HTTP/1.1 (and HTTP/2
// to https backends that offer it), h2c, and mutual TLS to Connect
// backends.
func (s *Server) newTransport(connect ConnectCerts) *transport {
	h1 := s.backendTransport(s.backendTLS())
	h1.ForceAttemptHTTP2 = true
	h2c := s.backendTransport(s.backendTLS())
	h2c.Protocols = new(http.Protocols)
	h2c.Protocols.SetUnencryptedHTTP2(true)
	return &transport{s: s, h1: h1, h2c: h2c, connect: newConnectTransports(s, connect, s.cfg.ConnectName)}
}

// backendTransport is a transport to backends with TLS settings tc.
func (s *Server) backendTransport(tc *tls.Config) *http.Transport {
	dialer := &net.Dialer{Timeout: s.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: s.cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		TLSClientConfig:       tc,
	}
}

func (s *Server) backendTLS() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.cfg.BackendInsecureSkipVerify}
	if s.rootPool != nil {
		c.RootCAs = s.rootPool
	}
	return c
}

// recorder notes the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 || r.status < 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func portOf(addr net.Addr) string {
	if ta, ok := addr.(*net.TCPAddr); ok {
		return strconv.Itoa(ta.Port)
	}
	return ""
}
