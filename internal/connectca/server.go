package connectca

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// Prefixes are where the agent mounts the handler.
var Prefixes = []string{"/v1/agent/connect/", "/v1/connect/"}

// Handler serves the Connect CA endpoints.
type Handler struct {
	cfg   Config
	ca    Authority
	store Store
	kit   *httpkit.Kit
	mux   *httpkit.Mux

	// rootIndex caches the root's create and modify revisions once read
	// (the root never changes while the agent runs).
	rootIndex atomic.Pointer[[2]uint64]
}

// New builds the handler.
func New(cfg Config, deps Deps) (*Handler, error) {
	if err := cfg.Validate(deps); err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, ca: deps.CA, store: deps.Store, mux: httpkit.NewMux(),
		kit: httpkit.New(deps.Logger, deps.Authorizer, deps.Clock)}
	h.handle("GET /v1/agent/connect/ca/roots", h.roots)
	h.handle("GET /v1/connect/ca/roots", h.roots)
	h.handle("GET /v1/agent/connect/ca/leaf/{service}", h.leaf)
	h.handle("GET /v1/connect/ca/configuration", h.getConfig)
	h.handle("PUT /v1/connect/ca/configuration", h.putConfig)
	h.handle("POST /v1/agent/connect/authorize", h.authorize)
	h.handle("PUT /v1/agent/connect/authorize", h.authorize)
	h.handle("GET /v1/connect/intentions", h.intentions)
	h.handle("GET /v1/connect/intentions/check", h.intentionCheck)
	return h, nil
}

func (h *Handler) handle(pattern string, f httpkit.HandlerFunc) {
	h.mux.Handle(pattern, h.kit.Handle(f))
}

// ServeHTTP routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Patterns lists the routes served (httpkit.Router).
func (h *Handler) Patterns() []string { return h.mux.Patterns() }

// may asks the authorizer whether the request's token holds access on
// resource segment.
func (h *Handler) may(r *http.Request, resource, segment string, access acl.Access) error {
	return h.kit.Authorize(r, acl.Rule{Resource: resource, Segment: segment, Access: access})
}

// rootIndexes are the root's CreateIndex and ModifyIndex (at least 1).
func (h *Handler) rootIndexes(ctx context.Context) ([2]uint64, error) {
	if p := h.rootIndex.Load(); p != nil {
		return *p, nil
	}
	c, m, err := h.store.CARootIndex(ctx)
	if err != nil {
		return [2]uint64{}, err
	}
	idx := [2]uint64{uint64(max(c, 1)), uint64(max(m, 1))}
	h.rootIndex.Store(&idx)
	return idx, nil
}

// unchanging is the waiter of a blocking query on state that does not
// change while the agent runs: it returns at once for an older index,
// else when the wait ends.
func unchanging(current uint64) httpkit.Waiter {
	return func(ctx context.Context, index uint64) {
		if index < current {
			return
		}
		<-ctx.Done()
	}
}

// decode reads a JSON body of at most 1 MiB into v.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		return httpkit.BadRequest("request decode failed: %v", err)
	}
	return nil
}

// answer sets the Consul query headers and writes v.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, index uint64, v any) error {
	httpkit.SetMeta(w, httpkit.Consul, httpkit.Meta{Index: index, KnownLeader: true})
	return httpkit.WriteJSON(w, r, http.StatusOK, v)
}

// checkServiceName accepts what a SPIFFE ID's service segment may hold:
// letters, digits, '-', '_' and '.'.
func checkServiceName(s string) error {
	if s == "" || len(s) > 253 {
		return httpkit.BadRequest("invalid service name %q: must have 1 to 253 characters", s)
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return httpkit.BadRequest("invalid service name %q: %s is not allowed (letters, digits, '-', '_', '.')", s, fmt.Sprintf("%q", r))
		}
	}
	return nil
}
