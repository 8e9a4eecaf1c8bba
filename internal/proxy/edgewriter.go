package proxy

import (
	"bufio"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// edgeWriter is the http.ResponseWriter of a request the edge server
// (edgeconn.go) serves itself. It frames the response as net/http's
// server does, so a client cannot tell the two apart: the same status
// line, headers written in sorted order followed by Date,
// Content-Length, Content-Type (sniffed), Connection and
// Transfer-Encoding as net/http adds them; bodies of up to 2 KiB held
// back so a finished response gets a Content-Length; chunking when the
// length is unknown on HTTP/1.1, closing on HTTP/1.0; trailers.
//
// Unlike net/http it does not clone the header map: the head is written
// from the handler's map when it is sent. One edgeWriter serves every
// request of a connection in turn (reset clears it).
type edgeWriter struct {
	bw  *bufio.Writer
	req *http.Request
	h   http.Header

	status      int   // the final status, once WriteHeader chose it
	clen        int64 // the handler's Content-Length; -1 unknown
	written     int64 // body bytes the handler wrote
	held        []byte
	headSent    bool
	chunking    bool
	done        bool // the handler returned
	closeAfter  bool // close the connection after this response
	wants10KA   bool // HTTP/1.0 request asking for keep-alive
	wantsClose  bool // HTTP/1.1 request with Connection: close
	noKeepAlive bool // the server is shutting down
	trailers    []string
	keys        []string // scratch for sorting header keys
	scratch     []byte   // scratch for numbers and the date
}

// maxHeld is net/http's bufferBeforeChunkingSize.
const maxHeld = 2048

func (w *edgeWriter) reset(r *http.Request, noKeepAlive bool) {
	clear(w.h)
	w.req = r
	w.status, w.clen, w.written = 0, -1, 0
	w.held = w.held[:0]
	w.headSent, w.chunking, w.done, w.closeAfter = false, false, false, false
	w.wants10KA = r.ProtoMinor == 0 && hasToken(first(r.Header["Connection"]), "keep-alive")
	w.wantsClose = r.Close || hasToken(first(r.Header["Connection"]), "close")
	w.noKeepAlive = noKeepAlive
	w.trailers = w.trailers[:0]
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (w *edgeWriter) Header() http.Header { return w.h }

func (w *edgeWriter) WriteHeader(code int) {
	if w.status != 0 {
		return // superfluous, as net/http ignores it
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.writeStatusLine(code)
		w.writeSorted(func(k string) bool { return k == "Content-Length" || k == "Transfer-Encoding" })
		w.bw.WriteString("\r\n")
		w.bw.Flush()
		return
	}
	w.status = code
	if cl := w.h.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.clen = v
		} else {
			w.h.Del("Content-Length")
		}
	}
}

func (w *edgeWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.clen != -1 && w.written > w.clen {
		return 0, http.ErrContentLength
	}
	if !w.headSent {
		if len(w.held)+len(p) <= maxHeld {
			w.held = append(w.held, p...)
			return len(p), nil
		}
		if len(w.held) > 0 {
			w.sendHead(w.held)
			w.body(w.held)
			w.held = w.held[:0]
		} else {
			w.sendHead(p)
		}
	}
	return w.body(p)
}

// body writes p as the response body, chunked if need be.
func (w *edgeWriter) body(p []byte) (int, error) {
	if w.req.Method == http.MethodHead {
		return len(p), nil
	}
	if w.chunking {
		w.scratch = strconv.AppendInt(w.scratch[:0], int64(len(p)), 16)
		w.scratch = append(w.scratch, '\r', '\n')
		w.bw.Write(w.scratch)
		n, err := w.bw.Write(p)
		if err != nil {
			return n, err
		}
		_, err = w.bw.WriteString("\r\n")
		return n, err
	}
	return w.bw.Write(p)
}

// FlushError sends what is held and flushes the connection.
func (w *edgeWriter) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headSent {
		w.sendHead(w.held)
		if len(w.held) > 0 {
			w.body(w.held)
			w.held = w.held[:0]
		}
	}
	return w.bw.Flush()
}

// Flush is FlushError without the error, for http.Flusher.
func (w *edgeWriter) Flush() { w.FlushError() }

// finish completes the response after the handler returned; the
// connection is flushed by the caller.
func (w *edgeWriter) finish() {
	w.done = true
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headSent {
		w.sendHead(w.held)
		if len(w.held) > 0 {
			w.body(w.held)
		}
	}
	if w.chunking {
		w.bw.WriteString("0\r\n")
		w.writeTrailers()
		w.bw.WriteString("\r\n")
	}
	if w.req.Method != http.MethodHead && w.clen != -1 && bodyAllowed(w.status) && w.clen != w.written {
		w.closeAfter = true
	}
}

// sendHead decides the framing and writes the head as net/http's
// chunkWriter.writeHeader does; p is the first body bytes, for
// sniffing and for the Content-Length of a finished response.
func (w *edgeWriter) sendHead(p []byte) {
	w.headSent = true
	h := w.h
	isHead := w.req.Method == http.MethodHead
	for _, v := range h["Trailer"] {
		for t := range strings.SplitSeq(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				w.trailers = append(w.trailers, http.CanonicalHeaderKey(t))
			}
		}
	}
	hasTrailers := len(w.trailers) > 0
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			hasTrailers = true
		}
	}
	te := h.Get("Transfer-Encoding")
	hasTE := te != ""
	var setLength []byte
	if w.done && !hasTrailers && !hasTE && bodyAllowed(w.status) && !has(h, "Content-Length") && (!isHead || len(p) > 0) {
		w.clen = int64(len(p))
		setLength = strconv.AppendInt(nil, int64(len(p)), 10)
	}
	if w.wants10KA && !w.noKeepAlive && h.Get("Content-Length") != "" && h.Get("Connection") == "keep-alive" {
		w.closeAfter = false
	}
	hasCL := w.clen != -1
	setConn := ""
	if w.wants10KA && (isHead || hasCL || !bodyAllowed(w.status)) {
		if _, ok := h["Connection"]; !ok {
			setConn = "keep-alive"
		}
	} else if w.req.ProtoMinor == 0 || w.wantsClose {
		w.closeAfter = true
	}
	if h.Get("Connection") == "close" || w.noKeepAlive {
		w.closeAfter = true
	}
	setType := ""
	if bodyAllowed(w.status) {
		_, haveType := h["Content-Type"]
		if h.Get("Content-Encoding") == "" && !haveType && !hasTE && len(p) > 0 {
			setType = http.DetectContentType(p)
		}
	} else {
		if w.status == http.StatusNotModified {
			delete(h, "Content-Type")
		}
		delete(h, "Content-Length")
		delete(h, "Transfer-Encoding")
	}
	_, haveDate := h["Date"]
	if hasCL && hasTE && te != "identity" {
		delete(h, "Content-Length")
		hasCL = false
	}
	setTE := ""
	switch {
	case isHead || !bodyAllowed(w.status) || w.status == http.StatusNoContent:
		delete(h, "Transfer-Encoding")
	case hasCL:
		delete(h, "Transfer-Encoding")
	case w.req.ProtoMinor == 1:
		if hasTE && te == "identity" {
			w.closeAfter = true
			delete(h, "Transfer-Encoding")
		} else {
			w.chunking, setTE = true, "chunked"
			if hasTE && te == "chunked" {
				delete(h, "Transfer-Encoding")
			}
		}
	default:
		w.closeAfter = true
		delete(h, "Transfer-Encoding")
	}
	if w.chunking {
		delete(h, "Content-Length")
	}
	if w.closeAfter && (w.noKeepAlive || !hasToken(h.Get("Connection"), "close")) {
		delete(h, "Connection")
		if w.req.ProtoMinor == 1 {
			setConn = "close"
		}
	}
	w.writeStatusLine(w.status)
	w.writeSorted(func(k string) bool { return strings.HasPrefix(k, http.TrailerPrefix) })
	bw := w.bw
	if !haveDate {
		bw.WriteString("Date: ")
		w.scratch = time.Now().UTC().AppendFormat(w.scratch[:0], http.TimeFormat)
		bw.Write(w.scratch)
		bw.WriteString("\r\n")
	}
	if setLength != nil {
		bw.WriteString("Content-Length: ")
		bw.Write(setLength)
		bw.WriteString("\r\n")
	}
	for _, kv := range [...][2]string{{"Content-Type", setType}, {"Connection", setConn}, {"Transfer-Encoding", setTE}} {
		if kv[1] != "" {
			bw.WriteString(kv[0])
			bw.WriteString(": ")
			bw.WriteString(kv[1])
			bw.WriteString("\r\n")
		}
	}
	bw.WriteString("\r\n")
}

func has(h http.Header, k string) bool {
	_, ok := h[k]
	return ok
}

func (w *edgeWriter) writeStatusLine(code int) {
	if w.req.ProtoMinor == 1 {
		w.bw.WriteString("HTTP/1.1 ")
	} else {
		w.bw.WriteString("HTTP/1.0 ")
	}
	w.scratch = strconv.AppendInt(w.scratch[:0], int64(code), 10)
	w.bw.Write(w.scratch)
	w.bw.WriteByte(' ')
	if text := http.StatusText(code); text != "" {
		w.bw.WriteString(text)
	} else {
		w.bw.WriteString("status code ")
		w.bw.Write(w.scratch)
	}
	w.bw.WriteString("\r\n")
}

// writeSorted writes the header's fields sorted by key, as
// http.Header.Write does, leaving out those skip names.
func (w *edgeWriter) writeSorted(skip func(string) bool) {
	w.keys = w.keys[:0]
	for k := range w.h {
		if !skip(k) {
			w.keys = append(w.keys, k)
		}
	}
	slices.Sort(w.keys)
	for _, k := range w.keys {
		writeHeaderField(w.bw, k, w.h[k])
	}
}

// writeHeaderField writes k's values as http.Header.Write does: invalid
// names are left out, line breaks in values become spaces.
func writeHeaderField(bw *bufio.Writer, k string, vv []string) {
	if !validFieldName(k) {
		return
	}
	for _, v := range vv {
		if strings.ContainsAny(v, "\r\n") {
			v = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(v)
		}
		bw.WriteString(k)
		bw.WriteString(": ")
		bw.WriteString(strings.Trim(v, " \t"))
		bw.WriteString("\r\n")
	}
}

// writeTrailers writes the declared trailers and those set with
// http.TrailerPrefix, after the last chunk.
func (w *edgeWriter) writeTrailers() {
	var t http.Header
	for _, k := range w.trailers {
		if vv, ok := w.h[k]; ok {
			if t == nil {
				t = http.Header{}
			}
			t[k] = vv
		}
	}
	for k, vv := range w.h {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			if t == nil {
				t = http.Header{}
			}
			t[http.CanonicalHeaderKey(name)] = vv
		}
	}
	if t != nil {
		t.Write(w.bw)
	}
}

// bodyAllowed reports whether a response with status may have a body.
func bodyAllowed(status int) bool {
	return (status < 100 || status > 199) && status != http.StatusNoContent && status != http.StatusNotModified
}
