package httpkit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/zone"
)

// StatusOf maps an error to its HTTP status. It is the one table from
// sentinel errors to statuses for every orbit API: an Error with a Code
// answers that code; otherwise the first row whose sentinel the chain
// wraps decides; anything else is a 500.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) && e.Code != 0 {
		return e.Code
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, catalog.ErrInvalid), errors.Is(err, zone.ErrInvalid), errors.Is(err, acl.ErrInvalid),
		errors.As(err, &syn), errors.As(err, &typ), errors.Is(err, store.ErrSnapshotInvalid):
		return http.StatusBadRequest
	case errors.Is(err, acl.ErrDenied), errors.Is(err, acl.ErrNotFound):
		return http.StatusForbidden
	case errors.Is(err, ErrNotFound), errors.Is(err, zone.ErrNotFound), errors.Is(err, store.ErrNotFound),
		errors.Is(err, store.ErrJobNotFound), errors.Is(err, store.ErrMemberNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict), errors.Is(err, zone.ErrExists), errors.Is(err, store.ErrConflict),
		errors.Is(err, store.ErrLastVoter):
		return http.StatusConflict
	case errors.Is(err, store.ErrSnapshotTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, store.ErrNoQuorum), errors.Is(err, store.ErrLeaderChanged),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
