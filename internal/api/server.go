package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// Server is the HTTP API.
type Server struct {
	cfg     Config
	view    Reader
	store   Writer
	ttl     TTLUpdater
	kit     *httpkit.Kit
	mounts  []mount
	log     *slog.Logger
	mux     *httpkit.Mux
	metrics *metrics
	ln      net.Listener
	started time.Time
	clock   clockwork.Clock

	leaderMu sync.Mutex // serialises refreshes of leader
	leader   atomic.Pointer[leaderCache]

	tokens agentTokens // set through /v1/agent/token/:type
}

// New builds the server and binds its listener (so Addr is known at once).
func New(cfg Config, view Reader, st Writer, ttl TTLUpdater) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, view: view, store: st, ttl: ttl, log: cfg.Logger, started: time.Now()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.clock = cfg.Clock
	if s.clock == nil {
		s.clock = clockwork.NewRealClock()
	}
	s.kit = httpkit.New(s.log, cfg.Authorizer, cfg.Clock)
	for _, m := range cfg.Mounts {
		h := m.Handler
		if !m.Public {
			h = s.kit.Guard(m.Resource, h)
		}
		s.mounts = append(s.mounts, mount{prefix: m.Prefix, handler: h, inner: m.Handler})
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
	s.mux = httpkit.NewMux()
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

// mount is a Mount, behind the authorizer unless public.
type mount struct {
	prefix  string
	handler http.Handler
	inner   http.Handler // the handler as mounted, before the guard
}

// Routes is every route the listener serves, as "METHOD /path" patterns
// (httpkit.Routes): the mounts' first, as they are matched first, then
// the API's own that no mount shadows. A mount whose handler cannot list
// its patterns is one "* /prefix" route.
func (s *Server) Routes() []string {
	var out []string
	for _, m := range s.mounts {
		out = append(out, httpkit.Routes(m.prefix, m.inner)...)
	}
own:
	for _, r := range httpkit.Routes("/", s.mux) {
		_, path, _ := strings.Cut(r, " ")
		for _, m := range s.mounts {
			if strings.HasPrefix(path, m.prefix) {
				continue own
			}
		}
		out = append(out, r)
	}
	return out
}

// Handler is the API's HTTP handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s }

// Run serves until ctx ends, then drains in-flight requests (httpkit.Serve).
// On a server, beside it run the session reaper, which frees the keys of
// sessions that expired (store.ReapSessions), and the invalidation of
// sessions whose checks failed (invalidateBroken); they stop with ctx too.
func (s *Server) Run(ctx context.Context) error {
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if s.cfg.Server {
		wg.Add(2)
		go func() { defer wg.Done(); s.reap(rctx) }()
		go func() { defer wg.Done(); s.invalidateBroken(rctx) }()
	}
	err := httpkit.Serve(ctx, "api", s.ln, s, s.log, s.cfg.Audit)
	cancel()
	wg.Wait()
	return err
}

// reap runs the session reaper until ctx ends, starting it again a second
// after it fails (the store unreachable).
func (s *Server) reap(ctx context.Context) {
	for {
		err := s.store.ReapSessions(ctx, s.clock.Now)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("session reaper stopped; restarting it", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(time.Second):
		}
	}
}

// handle routes pattern to h. Every route refuses another datacenter
// (?dc=other) with Consul's "No path to datacenter" before h runs.
func (s *Server) handle(pattern string, h httpkit.HandlerFunc) {
	inDC := func(w http.ResponseWriter, r *http.Request) error {
		if err := s.checkDC(r); err != nil {
			return err
		}
		return h(w, r)
	}
	s.mux.Handle(pattern, s.metrics.instrument(pattern, s.kit.Handle(inDC)))
}

// ServeHTTP routes the request, answering 405 for a wrong method as Consul.
// A mount is served after the authorizer allowed its resource.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.withDefaultToken(r)
	for _, m := range s.mounts {
		if strings.HasPrefix(r.URL.Path, m.prefix) {
			m.handler.ServeHTTP(w, r)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// authorize asks the authorizer with the request's token.
func (s *Server) authorize(r *http.Request, rule acl.Rule) error {
	return s.kit.Authorize(r, rule)
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
