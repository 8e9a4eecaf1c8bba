package snapshot

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
)

// Path is where the Consul-compatible snapshot endpoint is served.
const Path = "/v1/snapshot"

// State is the store's durable state: read whole, replaced whole.
type State interface {
	Dump(ctx context.Context) (store.Dump, error)
	Restore(ctx context.Context, d store.Dump) (int64, error)
}

var _ State = (*store.Store)(nil)

// Handler serves GET (save) and PUT (restore) on Path, both requiring
// operator:write: a snapshot holds every secret the store does.
type Handler struct {
	state State
	kit   *httpkit.Kit
	serve http.Handler
	clock clockwork.Clock
	log   *slog.Logger
}

// NewHandler builds the handler; auth nil allows everything, clock nil is
// the wall clock.
func NewHandler(state State, auth acl.Authorizer, clock clockwork.Clock, log *slog.Logger) *Handler {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{state: state, kit: httpkit.New(log, auth, clock), clock: clock, log: log}
	h.serve = h.kit.Handle(h.handle)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.serve.ServeHTTP(w, r) }

func (h *Handler) handle(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Path != Path {
		return httpkit.Errorf(http.StatusNotFound, "no such path %s", r.URL.Path)
	}
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Write}); err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		return h.save(w, r)
	case http.MethodPut, http.MethodPost:
		return h.restore(w, r)
	}
	return httpkit.Errorf(http.StatusMethodNotAllowed, "%s %s: use GET to save or PUT to restore", r.Method, Path)
}

func (h *Handler) save(w http.ResponseWriter, r *http.Request) error {
	d, err := h.state.Dump(r.Context())
	if err != nil {
		return err
	}
	// Built whole before the first byte, so a failure still answers an
	// error status rather than a truncated archive.
	var buf bytes.Buffer
	if err := Write(&buf, d, h.clock.Now()); err != nil {
		return err
	}
	httpkit.SetMeta(w, httpkit.Consul, httpkit.Meta{Index: uint64(d.Revision), KnownLeader: true})
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	if err != nil {
		h.log.Warn("send snapshot", "err", err)
	}
	return nil
}

func (h *Handler) restore(w http.ResponseWriter, r *http.Request) error {
	meta, d, err := Read(http.MaxBytesReader(w, r.Body, MaxArchiveBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return httpkit.Errorf(http.StatusRequestEntityTooLarge, "snapshot larger than %d MiB", MaxArchiveBytes>>20)
		}
		return httpkit.BadRequest("restore: %v", err)
	}
	rev, err := h.state.Restore(r.Context(), d)
	if err != nil {
		return err
	}
	h.log.Info("snapshot restored", "keys", meta.Keys, "taken", meta.Created, "source_index", meta.Index, "revision", rev)
	httpkit.SetMeta(w, httpkit.Consul, httpkit.Meta{Index: uint64(rev), KnownLeader: true})
	w.WriteHeader(http.StatusOK)
	return nil
}
