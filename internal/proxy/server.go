package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"sync"
	"sync/atomic"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/routing"
)

// CertIssuer issues server certificates for router host names; the
// internal CA (*pki.CA) satisfies it.
type CertIssuer interface {
	ServerCertificate(name string) (*tls.Certificate, error)
}

// CertResolver serves certificates of named resolvers (the ACME engine,
// internal/acme): resolver is a router's tls.certresolver. It answers a
// TLS-ALPN-01 challenge hello (ALPN acme-tls/1) whatever the resolver,
// and returns nil without error when it has no certificate for the name,
// so the proxy falls back to the internal CA.
type CertResolver interface {
	Certificate(resolver string, hello *tls.ClientHelloInfo) (*tls.Certificate, error)
}

// ChallengeHandler answers ACME HTTP-01 validation requests
// (/.well-known/acme-challenge/) on the plain entry points, before any
// router or redirect; it reports whether it answered.
type ChallengeHandler interface {
	HandleHTTPChallenge(w http.ResponseWriter, r *http.Request) bool
}

// Deps are the proxy's collaborators. The route table comes in through
// SetRoutes.
type Deps struct {
	// CA issues certificates for TLS routers' hosts; nil serves only
	// Config.Certificates.
	CA CertIssuer
	// Resolvers serves the certificates of routers whose tls.certresolver
	// it knows; nil leaves every router to CA.
	Resolvers CertResolver
	// Challenges answers ACME HTTP-01 challenges; nil answers none.
	Challenges ChallengeHandler
	// Certs lists the resolvers' certificates for the edge API; nil lists
	// only the certificate files.
	Certs CertLister
	// Connect gives the edge its Connect certificate and verifies backends
	// tagged traefik.consulcatalog.connect=true; nil fails requests to them.
	Connect ConnectCerts
	// RootCAs verify https backends; nil means the system roots.
	RootCAs *x509.CertPool
	Logger  *slog.Logger
	// Registry receives the proxy's metrics; nil registers nowhere.
	Registry prometheus.Registerer
	// AccessLog receives the JSON access log when Config.AccessLog is
	// set; nil means standard output.
	AccessLog io.Writer
	// Clock drives ejection back-off, rate limits and retry
	// waits; nil means the wall clock.
	Clock clockwork.Clock
}

// Server is the edge load balancer. Create with New, start with Run.
type Server struct {
	cfg      Config
	ca       CertIssuer
	resolv   CertResolver
	chal     ChallengeHandler
	certList CertLister
	rootPool *x509.CertPool
	log      *slog.Logger
	access   *slog.Logger
	clock    clockwork.Clock
	metrics  *metrics
	eject    ejectPolicy
	hostname string

	table     atomic.Pointer[table]
	rp        *httputil.ReverseProxy
	transport *transport
	h1        *h1Pool     // the lean path's backend connections
	bufs      *bufferPool // body copy buffers of both paths
	certs     *certStore
	listeners map[string]net.Listener
	trackers  []*connTracker
	// handlers counts requests being handled, so Run can wait for the
	// handlers of hijacked connections too.
	handlers sync.WaitGroup
	ports    map[string]string // entry point → port, for X-Forwarded-Port
	servers  []*http.Server
	edge     *edgeConns // the plain entry points' own connections (edgeconn.go)

	// upMu guards up: compile (SetRoutes) and the limiter sweep.
	upMu sync.Mutex
	up   *updater
}

// New validates cfg, loads certificate files and binds the entry points'
// listeners (so Addrs is known before Run). Run must be called to serve
// and to release the listeners.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, ca: deps.CA, resolv: deps.Resolvers, chal: deps.Challenges, certList: deps.Certs, rootPool: deps.RootCAs, log: deps.Logger, clock: deps.Clock,
		eject:     ejectPolicy{after: int32(cfg.EjectAfter), base: cfg.EjectBase, max: cfg.EjectMax},
		listeners: map[string]net.Listener{}, ports: map[string]string{}, up: newUpdater(), edge: newEdgeConns(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = clockwork.NewRealClock()
	}
	if cfg.AccessLog {
		w := deps.AccessLog
		if w == nil {
			w = os.Stdout
		}
		s.access = slog.New(slog.NewJSONHandler(w, nil))
	}
	s.hostname, _ = os.Hostname()
	var err error
	if s.certs, err = loadCertFiles(cfg.Certificates); err != nil {
		return nil, err
	}
	if s.metrics, err = newMetrics(deps.Registry); err != nil {
		return nil, err
	}
	if deps.Registry != nil {
		if err := deps.Registry.Register(&instanceCollector{s: s}); err != nil {
			return nil, fmt.Errorf("register proxy instance metrics: %w", err)
		}
	}
	s.transport = s.newTransport(deps.Connect)
	s.h1 = newH1Pool(cfg.DialTimeout)
	s.bufs = &bufferPool{}
	s.rp = s.newReverseProxy()
	s.table.Store(s.compile(routing.Build(routing.Config{EntryPoints: cfg.RoutingEntryPoints()}, nil)))
	for _, ep := range cfg.EntryPoints {
		ln, err := net.Listen("tcp", ep.Addr)
		if err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("entry point %s: listen on %s: %w", ep.Name, ep.Addr, err)
		}
		s.listeners[ep.Name] = ln
		s.ports[ep.Name] = portOf(ln.Addr())
	}
	return s, nil
}

func (s *Server) closeListeners() {
	for _, ln := range s.listeners {
		ln.Close()
	}
}

// Addrs maps each entry point's name to its bound address.
func (s *Server) Addrs() map[string]net.Addr {
	out := make(map[string]net.Addr, len(s.listeners))
	for name, ln := range s.listeners {
		out[name] = ln.Addr()
	}
	return out
}

// Run serves every entry point with the latest table given to SetRoutes
// until ctx ends; then it stops accepting, drains in-flight requests for
// up to DrainTimeout and returns once every goroutine it started has
// exited. A listener that fails stops the proxy with an error.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(s.listeners)) // net/http's and the edge server's
	for _, ep := range s.cfg.EntryPoints {
		srv := s.httpServer(ep)
		s.servers = append(s.servers, srv)
		ln := trackConns(s.listeners[ep.Name])
		s.trackers = append(s.trackers, ln)
		var hand *handoffListener
		if !ep.TLS {
			hand = newHandoffListener(ln.Addr())
			wg.Go(func() {
				if err := s.serveEdge(ln, &ep, hand); err != nil {
					errs <- fmt.Errorf("entry point %s: %w", ep.Name, err)
					cancel()
				}
			})
		}
		wg.Go(func() {
			var err error
			if ep.TLS {
				err = srv.ServeTLS(ln, "", "")
			} else {
				err = srv.Serve(hand)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("entry point %s: %w", ep.Name, err)
				cancel()
			}
		})
	}
	wg.Go(func() { s.sweepLoop(ctx) })
	s.log.Info("edge proxy serving", "entrypoints", s.Addrs())
	<-ctx.Done()
	s.shutdown()
	wg.Wait()
	s.edge.wg.Wait()
	s.handlers.Wait()
	close(errs)
	return errors.Join(func() []error {
		var out []error
		for err := range errs {
			out = append(out, err)
		}
		return out
	}()...)
}

// shutdown stops accepting and drains in-flight requests, then closes
// what remains (WebSocket and other hijacked connections included).
func (s *Server) shutdown() {
	dctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	for i, ep := range s.cfg.EntryPoints {
		if !ep.TLS {
			s.trackers[i].Listener.Close() // the edge server stops accepting
		}
	}
	s.edge.closeIdle()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.edge.wait(dctx); err != nil {
			s.log.Warn("edge drain incomplete, closing connections", "err", err)
			s.edge.stop()
		}
	})
	for _, srv := range s.servers {
		wg.Go(func() {
			if err := srv.Shutdown(dctx); err != nil {
				s.log.Warn("drain incomplete, closing connections", "addr", srv.Addr, "err", err)
				srv.Close()
			}
		})
	}
	wg.Wait()
	for _, t := range s.trackers {
		t.closeAll()
	}
	s.transport.h1.(*http.Transport).CloseIdleConnections()
	s.transport.h2c.(*http.Transport).CloseIdleConnections()
	s.transport.connect.closeIdle()
	s.h1.sweep(0, true)
}

func (s *Server) httpServer(ep EntryPoint) *http.Server {
	gauge := s.metrics.openConns.WithLabelValues(ep.Name)
	srv := &http.Server{
		Handler:           &entryHandler{s: s, ep: ep},
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				gauge.Inc()
			case http.StateClosed, http.StateHijacked:
				gauge.Dec()
			}
		},
	}
	if ep.TLS {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.getCertificate, NextProtos: []string{"h2", "http/1.1"}}
		if s.resolv != nil {
			// TLS-ALPN-01 validation negotiates this protocol and stops.
			srv.TLSConfig.NextProtos = append(srv.TLSConfig.NextProtos, acmeTLSProtocol)
		}
	}
	return srv
}
