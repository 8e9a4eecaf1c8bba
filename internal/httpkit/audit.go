package httpkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"
)

// AuditRecord is what the kit knows of one audited request: a line of the
// audit log. It never holds a token's secret nor the query string (which
// may carry ?token=).
type AuditRecord struct {
	Time     time.Time `json:"time"`
	Listener string    `json:"listener"`
	// Token names who asked: the token's accessor ID, "anonymous" without
	// a token, "node:NAME" for a client certificate, or
	// "secret-sha256:PREFIX" when no TokenAccessor can name the token.
	Token      string `json:"token"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	RemoteAddr string `json:"remote_addr"`
	Status     int    `json:"status"`
	RequestID  string `json:"request_id"`
}

// Auditor receives the audited requests of a listener (package auditlog
// writes them to a file).
type Auditor interface {
	Audit(AuditRecord)
}

// TokenAccessor names a token for the audit log by its accessor ID, given
// its secret; false when the secret is unknown. The ACL resolver
// implements it.
type TokenAccessor interface {
	AccessorID(ctx context.Context, secret string) (accessor string, ok bool)
}

// Audit is what Serve records: with Sink set, every write (any method but
// GET, HEAD and OPTIONS) and every denied request (401, 403), after its
// answer. The zero value records nothing.
type Audit struct {
	Sink Auditor
	// Accessor names tokens; nil logs a hash prefix of the secret.
	Accessor TokenAccessor
	// Clock stamps the records; nil is the wall clock.
	Clock clockwork.Clock
}

// Audited is h with a's recording; h itself when a has no sink. Serve
// wraps every listener's handler with it, so no surface is missed.
func Audited(listener string, h http.Handler, a Audit) http.Handler {
	if a.Sink == nil {
		return h
	}
	clock := a.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := clock.Now()
		id := new(string)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			if !Audits(r.Method, status) {
				return
			}
			a.Sink.Audit(AuditRecord{
				Time: start.UTC(), Listener: listener, Token: a.who(r), Method: r.Method, Path: r.URL.Path,
				RemoteAddr: r.RemoteAddr, Status: status, RequestID: RequestID(r),
			})
		}()
		h.ServeHTTP(sw, r)
	})
}

// Audits reports whether a request is audited: a write, or a denial.
func Audits(method string, status int) bool {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return true
	case method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions:
		return false
	}
	return true
}

// who names the request's asker for the audit log.
func (a Audit) who(r *http.Request) string {
	secret := Token(r)
	switch {
	case secret != "" && a.Accessor != nil:
		if acc, ok := a.Accessor.AccessorID(r.Context(), secret); ok {
			return acc
		}
	case secret == "" && r.TLS != nil && len(r.TLS.PeerCertificates) > 0:
		return "node:" + r.TLS.PeerCertificates[0].Subject.CommonName
	case secret == "":
		return "anonymous"
	}
	return SecretHash(secret)
}

// SecretHash names a token by a prefix of its secret's SHA-256: enough to
// tell tokens apart in a log, useless to replay.
func SecretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "secret-sha256:" + hex.EncodeToString(sum[:6])
}

// requestIDKey holds a *string in an audited request's context: the
// request's id, made on first use, shared by Fail and the audit record.
type requestIDKey struct{}

// RequestID is r's request id: the same for its audit record and a 5xx
// answer's message. Outside Audited each call makes a new one.
func RequestID(r *http.Request) string {
	p, ok := r.Context().Value(requestIDKey{}).(*string)
	if !ok {
		return requestID()
	}
	if *p == "" {
		*p = requestID()
	}
	return *p
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes on to the connection (streamed logs, blocking answers).
func (w *statusWriter) Flush() {
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
