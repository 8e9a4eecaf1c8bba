package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/store"
)

// Sentinel errors of the API itself.
var (
	ErrBadRequest = errors.New("bad request")
	ErrNotFound   = errors.New("not found")
	// ErrUnknownCheck and ErrNotTTL are wrapped by TTLUpdater errors.
	ErrUnknownCheck = errors.New("unknown check")
	ErrNotTTL       = errors.New("not a TTL check")
)

// badRequest builds a 400 error with a message for the user.
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// statusOf maps an error to its HTTP status: the one table from sentinel
// errors to statuses.
func statusOf(err error) int {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, catalog.ErrInvalid), errors.Is(err, ErrNotTTL),
		errors.As(err, &syn), errors.As(err, &typ):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrUnknownCheck), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, acl.ErrDenied):
		return http.StatusForbidden
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with Consul's style: a plain-text message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error: " + msg
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}
