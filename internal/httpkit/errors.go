package httpkit

import (
	"errors"
	"fmt"

	"github.com/orbit/orbit/internal/store"
)

// Generic sentinels for conditions no other package owns (a malformed query
// parameter, an unknown path value). Packages may wrap them in their own
// sentinels: var ErrUnknownCheck = fmt.Errorf("unknown check: %w", httpkit.ErrNotFound).
var (
	ErrBadRequest = errors.New("bad request")
	ErrNotFound   = errors.New("not found")
	ErrConflict   = errors.New("conflict")
)

// Error is an error with what a client may see kept apart from what is
// logged.
type Error struct {
	// Code is the HTTP status; 0 takes it from StatusOf(Cause).
	Code int
	// Public is the message the client sees; "" shows the cause's text
	// for a 4xx and a generic text for a 5xx.
	Public string
	// Cause is logged and matched by errors.Is and errors.As.
	Cause error
}

// Error is the full text, for logs.
func (e *Error) Error() string {
	switch {
	case e.Cause == nil:
		return e.Public
	case e.Public == "" || e.Public == e.Cause.Error():
		return e.Cause.Error()
	}
	return e.Public + ": " + e.Cause.Error()
}

// Unwrap gives the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds an error answering code with the formatted message as its
// cause (so %w wraps as in fmt.Errorf). Below 500 the message is public;
// from 500 on it is only logged.
func Errorf(code int, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: code, Cause: err}
	if code < 500 {
		e.Public = err.Error()
	}
	return e
}

// BadRequest builds a 400 error whose message names the problem.
func BadRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// Public is the message a client sees for err answered with code: an
// Error's Public text, else err's text for a 4xx, else a generic text
// (internal detail never reaches a client).
func Public(err error, code int) string {
	var e *Error
	if errors.As(err, &e) && e.Public != "" {
		return e.Public
	}
	if code < 500 {
		return err.Error()
	}
	if code == 503 {
		for _, s := range []error{store.ErrNoQuorum, store.ErrLeaderChanged} {
			if errors.Is(err, s) {
				return s.Error()
			}
		}
		return "unavailable: the request was cancelled or timed out"
	}
	return "internal error"
}
