package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/acl"
)

// Server is the HTTP API.
type Server struct {
	cfg     Config
	view    Reader
	store   Writer
	ttl     TTLUpdater
	auth    acl.Authorizer
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	ln      net.Listener
	started time.Time

	leaderMu sync.Mutex // serialises refreshes of leader
	leader   atomic.Pointer[leaderCache]
}

// New builds the server and binds its listener (so Addr is known at once).
func New(cfg Config, view Reader, st Writer, ttl TTLUpdater) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, view: view, store: st, ttl: ttl, auth: cfg.Authorizer, log: cfg.Logger, started: time.Now()}
	if s.auth == nil {
		s.auth = acl.AllowAll{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.mux = http.NewServeMux()
	s.routes()
	s.ln = cfg.Listener
	if s.ln == nil {
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("api: listen on %s: %w (is another agent running? choose another -http-addr)", cfg.Addr, err)
		}
		s.ln = ln
	}
	return s, nil
}

// Addr is the bound listen address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Handler is the API's HTTP handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s }

// Run serves until ctx ends, then drains in-flight requests for up to 5s.
func (s *Server) Run(ctx context.Context) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(s.ln) }()
	s.log.Info("HTTP API listening", "addr", s.ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("api: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	<-errc
	return nil
}

// handlerFunc is a handler that returns its error for one place to map it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.Handle(pattern, s.metrics.instrument(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("handler panic", "path", r.URL.Path, "panic", p)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})))
}

// ServeHTTP routes the request, answering 405 for a wrong method as Consul.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, m := range s.cfg.Mounts {
		if strings.HasPrefix(r.URL.Path, m.Prefix) {
			access := acl.Write
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				access = acl.Read
			}
			if err := s.authorize(r, acl.Rule{Resource: m.Resource, Access: access}); err != nil {
				s.writeError(w, r, err)
				return
			}
			m.Handler.ServeHTTP(w, r)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// authorize asks the authorizer with the request's token.
func (s *Server) authorize(r *http.Request, rule acl.Rule) error {
	if err := s.auth.Authorize(r.Context(), token(r), rule); err != nil {
		return fmt.Errorf("%w: token lacks %s", err, rule)
	}
	return nil
}

// token reads the ACL token as Consul's clients send it.
func token(r *http.Request) string {
	if t := r.Header.Get("X-Consul-Token"); t != "" {
		return t
	}
	if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(a)
	}
	return r.URL.Query().Get("token")
}

// writeJSON answers with v as JSON (indented with ?pretty).
func writeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	if _, ok := r.URL.Query()["pretty"]; ok {
		enc.SetIndent("", "    ")
	}
	// A write error means the client went away: there is no one to answer.
	enc.Encode(v)
	return nil
}

// waitWrite makes a write visible to this agent's reads before answering.
func (s *Server) waitWrite(ctx context.Context, rev int64) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.view.WaitRevision(ctx, rev); err != nil {
		return fmt.Errorf("wait for write %d to be visible: %w", rev, err)
	}
	return nil
}
