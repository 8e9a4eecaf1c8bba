package httpkit

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
)

// HandlerFunc is a handler that returns its error for the kit to answer.
// It returns nil once it has written its answer.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Kit is what a feature's handlers share: the logger errors go to, the
// authorizer requests are asked against and the clock blocking queries
// wait on. The zero value logs nowhere, allows everything and uses the
// wall clock.
type Kit struct {
	Log   *slog.Logger
	Auth  acl.Authorizer
	Clock clockwork.Clock
}

// New returns a kit, filling nil fields with their defaults.
func New(log *slog.Logger, auth acl.Authorizer, clock clockwork.Clock) *Kit {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if auth == nil {
		auth = acl.AllowAll{}
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Kit{Log: log, Auth: auth, Clock: clock}
}

func (k *Kit) log() *slog.Logger {
	if k.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return k.Log
}

func (k *Kit) clock() clockwork.Clock {
	if k.Clock == nil {
		return clockwork.NewRealClock()
	}
	return k.Clock
}

// Handle adapts h to http.Handler: an error h returns, or a panic, is
// answered by Fail.
func (k *Kit) Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				k.Fail(w, r, fmt.Errorf("handler panic: %v", p))
			}
		}()
		if err := h(w, r); err != nil {
			k.Fail(w, r, err)
		}
	})
}

// Fail answers err as plain text with its status from StatusOf and the
// message from Public. A 5xx is logged with its cause under a request id
// that the answer names, so an operator can find it.
func (k *Kit) Fail(w http.ResponseWriter, r *http.Request, err error) {
	code := StatusOf(err)
	msg := Public(err, code)
	if code >= 500 {
		id := RequestID(r)
		k.log().Error("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
		msg = fmt.Sprintf("%s (request id %s)", msg, id)
	} else {
		k.log().Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
	}
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// requestID names one failed request in the answer and the log.
func requestID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather)
	return hex.EncodeToString(b[:])
}

// Token is the ACL token of a request, as Consul's and Nomad's clients send
// it: X-Consul-Token, X-Nomad-Token, Authorization: Bearer, or ?token=.
func Token(r *http.Request) string {
	if t := r.Header.Get("X-Consul-Token"); t != "" {
		return t
	}
	if t := r.Header.Get("X-Nomad-Token"); t != "" {
		return t
	}
	if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(a)
	}
	return r.URL.Query().Get("token")
}

// Authorize asks the authorizer whether the request's token holds rule.
// The error wraps acl.ErrDenied (403) and names the missing permission.
func (k *Kit) Authorize(r *http.Request, rule acl.Rule) error {
	auth := k.Auth
	if auth == nil {
		auth = acl.AllowAll{}
	}
	if err := auth.Authorize(r.Context(), Token(r), rule); err != nil {
		return denial(err, rule)
	}
	return nil
}

// denial is the answer to a refused request: a compiled authorizer's
// denial and an unknown token keep Consul's own wording ("Permission
// denied: token with AccessorID '…' lacks permission 'key:read' on …",
// "ACL not found"); a bare denial names the rule.
func denial(err error, rule acl.Rule) error {
	var d *acl.DeniedError
	switch {
	case errors.As(err, &d):
		return &Error{Code: http.StatusForbidden, Public: d.Error(), Cause: err}
	case errors.Is(err, acl.ErrNotFound):
		return &Error{Code: http.StatusForbidden, Public: acl.ErrNotFound.Error(), Cause: err}
	}
	return fmt.Errorf("%w: token lacks %s", err, rule)
}

// AccessOf is the access a request needs: read for GET and HEAD, write
// for every other method.
func AccessOf(r *http.Request) acl.Access {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return acl.Read
	}
	return acl.Write
}

// Guard serves h only to requests whose token holds resource with the
// request's access (AccessOf); others get 403.
func (k *Kit) Guard(resource string, h http.Handler) http.Handler {
	return k.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := k.Authorize(r, acl.Rule{Resource: resource, Access: AccessOf(r)}); err != nil {
			return err
		}
		h.ServeHTTP(w, r)
		return nil
	})
}
