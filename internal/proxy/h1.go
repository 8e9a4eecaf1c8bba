package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"
)

// The lean path forwards plain requests — no body, no upgrade, to an
// http (not https, not h2c) backend — over a pooled HTTP/1.1 connection
// from the handler's own goroutine: the request is written straight from
// the inbound header map (no clone), the response head is parsed into
// the response writer's header map, the body is copied out of the read
// buffer. Everything else (bodies, WebSocket and other upgrades, TLS and
// h2c backends) takes httputil.ReverseProxy. Both paths send and answer
// the same: hop-by-hop headers removed, X-Forwarded-* set by
// Server.rewrite's rules, 1xx relayed, trailers, flushing of streams,
// passive ejection, retries, and errors through Server.proxyError.

// leanEligible reports whether r may take the lean path to b.
func leanEligible(r *http.Request, b *backend) bool {
	if b.conns == nil || r.Method == http.MethodConnect || (r.Body != nil && r.Body != http.NoBody) {
		return false
	}
	h := r.Header
	if _, ok := h["Upgrade"]; ok {
		return false
	}
	for _, v := range h["Connection"] {
		if hasToken(v, "upgrade") {
			return false
		}
	}
	for i := 0; i < len(r.Host); i++ {
		if c := r.Host[i]; c < ' ' || c >= 0x7f { // the Transport would punycode it
			return false
		}
	}
	return true
}

// forwardLean serves r on the lean path, retrying on other backends as
// transport.RoundTrip does.
func (s *Server) forwardLean(w http.ResponseWriter, r *http.Request, ex *exchange) {
	ctx := r.Context()
	for attempt := 1; ; attempt++ {
		if ex.backend.conns == nil { // a retry moved to a backend only ReverseProxy speaks
			s.rp.ServeHTTP(w, withExchange(r, ex))
			return
		}
		pc, hd, stop, err := s.leanHead(ctx, w, r, ex)
		if err == nil {
			s.relay(w, r, ex, pc, hd, stop)
			return
		}
		if ctx.Err() != nil || !s.retryAfter(ctx, ex, err, attempt) {
			s.proxyError(w, r, err)
			return
		}
	}
}

// respHead is what the relay needs from a response's head.
type respHead struct {
	status    int
	keepAlive bool
	length    int64 // body bytes; -1: chunked or until close
	chunked   bool
	noBody    bool
	stream    bool     // flush after every write
	trailers  []string // announced trailer names
}

// leanHead sends r on a pooled connection and reads the response head,
// relaying 1xx answers. A reused connection that fails before any byte
// of the answer is replaced by a new one when the request may be sent
// twice, as the Transport does.
//
// Until stop is called, a cancelled request context interrupts the
// connection's reads and writes; stop reports whether it did.
func (s *Server) leanHead(ctx context.Context, w http.ResponseWriter, r *http.Request, ex *exchange) (pc *h1Conn, hd respHead, stop func() bool, err error) {
	hc := ex.backend.conns
	for {
		pc, err := hc.get(ctx, time.Now().UnixNano())
		if err != nil {
			return nil, respHead{}, nil, err
		}
		pc.canceled = false
		stop := context.AfterFunc(ctx, pc.cancelFn)
		hd, stage, err := s.exchangeHead(w, pc, r, ex)
		if err == nil {
			return pc, hd, stop, nil
		}
		if !stop() {
			err = errors.Join(err, ctx.Err())
		}
		pc.conn.Close()
		// The backend may have closed the idle connection as it was
		// taken: send again on another when nothing was answered.
		again := stage == sendFailed || (stage == nothingRead && replayable(r))
		if !pc.reused || !again || ctx.Err() != nil {
			return nil, respHead{}, nil, err
		}
	}
}

func replayable(r *http.Request) bool {
	switch r.Method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	_, a := r.Header["Idempotency-Key"]
	_, b := r.Header["X-Idempotency-Key"]
	return a || b
}

// Where an exchange failed, for leanHead's decision to send again.
const (
	badRequest  = iota // the request cannot be written: never again
	sendFailed         // writing to the connection failed
	nothingRead        // written, but no byte of an answer arrived
	answered           // the answer broke off or is malformed
)

// exchangeHead writes the request and reads the response head; on error
// stage says how far it got.
func (s *Server) exchangeHead(w http.ResponseWriter, pc *h1Conn, r *http.Request, ex *exchange) (hd respHead, stage int, err error) {
	if err := s.writeRequest(pc.bw, r, ex); err != nil {
		return hd, badRequest, err
	}
	pc.setReadDeadline(time.Now().Add(s.cfg.ResponseHeaderTimeout))
	if err := pc.bw.Flush(); err != nil {
		return hd, sendFailed, err
	}
	if _, err := pc.br.Peek(1); err != nil {
		return hd, nothingRead, err
	}
	for n1xx := 0; ; n1xx++ {
		if hd, err = pc.readHead(r.Method == http.MethodHead); err != nil {
			return hd, answered, err
		}
		if hd.status < 100 || hd.status > 199 || hd.status == http.StatusSwitchingProtocols {
			return hd, answered, nil
		}
		if n1xx == 5 {
			return hd, answered, errors.New("net/http: too many 1xx informational responses")
		}
		// Relay informational answers as ReverseProxy does.
		h := w.Header()
		for _, f := range pc.hdr {
			h[f.k] = append(h[f.k], f.v)
		}
		w.WriteHeader(hd.status)
		clear(h)
	}
}

var aLongTimeAgo = time.Unix(1, 0)

// cancel interrupts the connection's pending and later I/O; it runs when
// the request's context ends.
func (pc *h1Conn) cancel() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.canceled = true
	pc.conn.SetDeadline(aLongTimeAgo)
}

// setReadDeadline sets the read deadline unless the request was
// cancelled, which must keep the connection interrupted.
func (pc *h1Conn) setReadDeadline(t time.Time) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if !pc.canceled {
		pc.conn.SetReadDeadline(t)
	}
}

// skipRequest are the inbound headers the lean path never copies: hop by
// hop, the ones Request.write writes itself, and the X-Forwarded-* set
// that Server.rewrite replaces.
var skipRequest = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Host": true, "User-Agent": true, "Content-Length": true,
	"Forwarded": true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
	"X-Real-Ip": true, "X-Forwarded-Server": true,
}

// writeRequest buffers r's head as the Transport would write the request
// ReverseProxy and Server.rewrite make of it.
func (s *Server) writeRequest(bw *bufio.Writer, r *http.Request, ex *exchange) error {
	host := r.Host
	if !ex.pool.svc.PassHostHeader || host == "" {
		host = ex.backend.host
	}
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(r.URL.RequestURI())
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	if ua := r.Header["User-Agent"]; len(ua) > 0 && ua[0] != "" {
		if err := writeField(bw, "User-Agent", ua[0]); err != nil {
			return err
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		bw.WriteString("Content-Length: 0\r\n")
	}
	conn := r.Header["Connection"]
	port := s.ports[ex.ep.Name]
	for k, vv := range r.Header {
		if skipRequest[k] || (k == "X-Forwarded-Port" && port != "") || (len(conn) > 0 && listedIn(conn, k)) {
			continue
		}
		if !validFieldName(k) {
			return fmt.Errorf("net/http: invalid header field name %q", k)
		}
		for _, v := range vv {
			if err := writeField(bw, k, v); err != nil {
				return err
			}
		}
	}
	for _, v := range r.Header["Te"] {
		if hasToken(v, "trailers") {
			bw.WriteString("Te: trailers\r\n")
			break
		}
	}
	ip := ex.clientIPString()
	writeField(bw, "X-Forwarded-For", ip)
	writeField(bw, "X-Real-Ip", ip)
	writeField(bw, "X-Forwarded-Host", r.Host)
	writeField(bw, "X-Forwarded-Proto", requestScheme(r))
	if port != "" {
		writeField(bw, "X-Forwarded-Port", port)
	}
	writeField(bw, "X-Forwarded-Server", s.hostname)
	_, err := bw.WriteString("\r\n")
	return err
}

func writeField(bw *bufio.Writer, k, v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return fmt.Errorf("net/http: invalid header field value for %q", k)
		}
	}
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(strings.TrimSpace(v))
	_, err := bw.WriteString("\r\n")
	return err
}

// listedIn reports whether the Connection header names field k.
func listedIn(conn []string, k string) bool {
	for _, v := range conn {
		if hasToken(v, k) {
			return true
		}
	}
	return false
}

// hasToken reports whether the comma-separated list v holds token
// (case-insensitively).
func hasToken(v, token string) bool {
	for part := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(part), token) {
			return true
		}
	}
	return false
}

func validFieldName[T string | []byte](k T) bool {
	if len(k) == 0 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 0x7f || c <= ' ' || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// relay writes the response to w: headers, status, body, trailers. It
// returns pc to the pool when the response was read to its end and the
// backend keeps the connection open. A body that breaks off aborts the
// client's connection, as ReverseProxy does.
func (s *Server) relay(w http.ResponseWriter, r *http.Request, ex *exchange, pc *h1Conn, hd respHead, stop func() bool) {
	s.observeStatus(ex, hd.status)
	if hd.status == http.StatusSwitchingProtocols {
		stop()
		pc.conn.Close()
		s.proxyError(w, r, fmt.Errorf("backend tried to switch protocol %q when %q was requested", pc.field("Upgrade"), ""))
		return
	}
	h := w.Header()
	conn := pc.connectionTokens()
	// One backing array holds the values of all fields: a new key gets
	// a one-element window of it (capacity one, so a second value of
	// the same key is appended elsewhere, not over a neighbour).
	vals := make([]string, len(pc.hdr))
	for i, f := range pc.hdr {
		if hopResponse[f.k] || (hd.chunked && f.k == "Content-Length") || (conn != nil && listedIn(conn, f.k)) {
			continue
		}
		if old, ok := h[f.k]; ok {
			h[f.k] = append(old, f.v)
			continue
		}
		vals[i] = f.v
		h[f.k] = vals[i : i+1 : i+1]
	}
	if len(hd.trailers) > 0 {
		h.Add("Trailer", strings.Join(hd.trailers, ", "))
	}
	w.WriteHeader(hd.status)
	ctx := r.Context()
	ok := false
	defer func() {
		if !stop() || !ok || !hd.keepAlive {
			pc.conn.Close()
			return
		}
		pc.host.put(pc, time.Now().UnixNano())
	}()
	if !hd.noBody && (hd.length < 0 || int64(pc.br.Buffered()) < hd.length) {
		pc.setReadDeadline(time.Time{}) // only the head has a deadline
	}
	if err := s.copyBody(w, pc, hd); err != nil {
		if ctx.Err() == nil {
			s.log.Debug("proxy body copy", "url", r.URL.String(), "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	if !hd.chunked {
		ok = true
		return
	}
	trailer, err := pc.readTrailer()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	ok = true
	if len(hd.trailers) == 0 && len(trailer) == 0 {
		return
	}
	if len(hd.trailers) > 0 {
		http.NewResponseController(w).Flush()
	}
	prefix := ""
	if unannounced(trailer, hd.trailers) {
		prefix = http.TrailerPrefix
	}
	for _, f := range trailer {
		h[prefix+f.k] = append(h[prefix+f.k], f.v)
	}
}

func unannounced(got []field, announced []string) bool {
	for _, f := range got {
		found := false
		for _, a := range announced {
			found = found || a == f.k
		}
		if !found {
			return true
		}
	}
	return false
}

// hopResponse are the response headers not passed on.
var hopResponse = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// copyBody copies the response body to w, flushing after every write for
// streams.
func (s *Server) copyBody(w http.ResponseWriter, pc *h1Conn, hd respHead) error {
	if hd.noBody {
		return nil
	}
	var flush func() error
	if hd.stream {
		flush = http.NewResponseController(w).Flush
	}
	if hd.chunked {
		return s.copyFrom(w, httputil.NewChunkedReader(pc.br), flush)
	}
	if hd.length < 0 {
		return s.copyFrom(w, pc.br, flush)
	}
	br := pc.br
	for rem := hd.length; rem > 0; {
		if br.Buffered() == 0 {
			if _, err := br.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		n := int(min(int64(br.Buffered()), rem))
		p, _ := br.Peek(n)
		if _, err := w.Write(p); err != nil {
			return err
		}
		br.Discard(n)
		rem -= int64(n)
		if flush != nil {
			flush()
		}
	}
	return nil
}

// copyFrom copies src to w until EOF through a pooled buffer.
func (s *Server) copyFrom(w http.ResponseWriter, src io.Reader, flush func() error) error {
	buf := s.bufs.Get()
	defer s.bufs.Put(buf)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if flush != nil {
				flush()
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// observeStatus feeds passive ejection: a 5xx counts as a failure of the
// backend, anything else as a success.
func (s *Server) observeStatus(ex *exchange, status int) {
	if ex == nil || ex.backend == nil {
		return
	}
	now := s.clock.Now()
	if status >= 500 {
		s.backendFailed(ex.backend, ex.pool, now)
	} else {
		ex.backend.st.success(now)
	}
}

// errBadHead is a response head the lean path cannot read.
var errBadHead = errors.New("malformed HTTP response")

// readHead parses a response head into pc.hdr and the framing into hd.
func (pc *h1Conn) readHead(head bool) (respHead, error) {
	var hd respHead
	line, err := pc.readLine()
	if err != nil {
		return hd, err
	}
	p, rest, _ := bytes.Cut(line, []byte(" "))
	var proto string
	switch string(p) {
	case "HTTP/1.1":
		proto, hd.keepAlive = "HTTP/1.1", true
	case "HTTP/1.0":
		proto = "HTTP/1.0"
	default:
		return hd, fmt.Errorf("%w: status line %q", errBadHead, line)
	}
	code, _, _ := bytes.Cut(rest, []byte(" "))
	if len(code) != 3 {
		return hd, fmt.Errorf("%w: status code %q", errBadHead, code)
	}
	hd.status = 0
	for _, c := range code {
		if c < '0' || c > '9' {
			return hd, fmt.Errorf("%w: status code %q", errBadHead, code)
		}
		hd.status = hd.status*10 + int(c-'0')
	}
	if hd.status < 100 {
		return hd, fmt.Errorf("%w: status code %q", errBadHead, code)
	}
	pc.hdr = pc.hdr[:0]
	if err := pc.readFields(); err != nil {
		return hd, err
	}
	hd.length = -1
	var te string
	for _, f := range pc.hdr {
		switch f.k {
		case "Content-Length":
			n, err := strconv.ParseInt(f.v, 10, 64)
			if err != nil || n < 0 || (hd.length >= 0 && n != hd.length) {
				return hd, fmt.Errorf("%w: Content-Length %q", errBadHead, f.v)
			}
			hd.length = n
		case "Transfer-Encoding":
			if te != "" {
				return hd, fmt.Errorf("%w: too many transfer encodings", errBadHead)
			}
			te = f.v
		case "Connection":
			if hasToken(f.v, "close") {
				hd.keepAlive = false
			} else if proto == "HTTP/1.0" && hasToken(f.v, "keep-alive") {
				hd.keepAlive = true
			}
		case "Content-Type":
			mt, _, _ := strings.Cut(f.v, ";")
			hd.stream = strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
		}
	}
	if te != "" && proto == "HTTP/1.1" {
		if !strings.EqualFold(te, "chunked") {
			return hd, fmt.Errorf("%w: unsupported transfer encoding %q", errBadHead, te)
		}
		hd.chunked, hd.length = true, -1
		for _, f := range pc.hdr {
			if f.k != "Trailer" {
				continue
			}
			for t := range strings.SplitSeq(f.v, ",") {
				if t = http.CanonicalHeaderKey(strings.TrimSpace(t)); t == "" {
					continue
				} else if t == "Transfer-Encoding" || t == "Trailer" || t == "Content-Length" {
					return hd, fmt.Errorf("%w: bad trailer key %q", errBadHead, t)
				}
				hd.trailers = append(hd.trailers, t)
			}
		}
	}
	switch {
	case head || hd.status < 200 || hd.status == http.StatusNoContent || hd.status == http.StatusNotModified:
		hd.noBody = true
	case !hd.chunked && hd.length < 0:
		hd.keepAlive = false // the body ends when the backend closes
	}
	hd.stream = hd.stream || (!hd.noBody && hd.length < 0)
	return hd, nil
}

// readFields appends header fields up to the blank line to pc.hdr. The
// values are gathered in pc.vals and become one string, cut into the
// fields' values, so a head costs one allocation, not one per field.
func (pc *h1Conn) readFields() error {
	first := len(pc.hdr)
	pc.vals, pc.vend = pc.vals[:0], pc.vend[:0]
	for {
		line, err := pc.readLine()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' { // obsolete folding
			if len(pc.hdr) == first {
				return fmt.Errorf("%w: continuation before the first field", errBadHead)
			}
			pc.vals = append(pc.vals, ' ')
			pc.vals = append(pc.vals, bytes.TrimSpace(line)...)
			pc.vend[len(pc.vend)-1] = len(pc.vals)
			continue
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok || !validFieldName(k) {
			return fmt.Errorf("%w: header line %q", errBadHead, line)
		}
		pc.vals = append(pc.vals, bytes.TrimSpace(v)...)
		pc.vend = append(pc.vend, len(pc.vals))
		pc.hdr = append(pc.hdr, field{k: canonicalKey(k)})
	}
	all, start := string(pc.vals), 0
	for i, end := range pc.vend {
		pc.hdr[first+i].v = all[start:end]
		start = end
	}
	return nil
}

// readTrailer reads the fields after a chunked body's last chunk.
func (pc *h1Conn) readTrailer() ([]field, error) {
	pc.hdr = pc.hdr[:0]
	if err := pc.readFields(); err != nil {
		return nil, err
	}
	return pc.hdr, nil
}

const maxHeadLine = 1 << 20

// readLine returns the next line without its CRLF; the bytes are valid
// until the next read.
func (pc *h1Conn) readLine() ([]byte, error) {
	b, err := pc.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), b...)
		for errors.Is(err, bufio.ErrBufferFull) && len(long) < maxHeadLine {
			b, err = pc.br.ReadSlice('\n')
			long = append(long, b...)
		}
		b = long
	}
	if err != nil {
		if err == io.EOF && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b, nil
}

// connectionTokens is the last head's Connection header values, if any.
func (pc *h1Conn) connectionTokens() []string {
	var out []string
	for _, f := range pc.hdr {
		if f.k == "Connection" {
			out = append(out, f.v)
		}
	}
	return out
}

func (pc *h1Conn) field(k string) string {
	for _, f := range pc.hdr {
		if f.k == k {
			return f.v
		}
	}
	return ""
}

// commonKeys spares canonicalising the usual response header names.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Content-Type", "Content-Length", "Date", "Server", "Connection", "Transfer-Encoding",
		"Cache-Control", "Etag", "Last-Modified", "Location", "Set-Cookie", "Vary", "Content-Encoding", "Keep-Alive",
		"Expires", "Accept-Ranges", "Trailer", "X-Content-Type-Options", "Strict-Transport-Security"} {
		m[k] = k
		m[strings.ToLower(k)] = k
	}
	return m
}()

func canonicalKey(k []byte) string {
	if c, ok := commonKeys[string(k)]; ok {
		return c
	}
	return http.CanonicalHeaderKey(string(k))
}
