package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/jonboulle/clockwork"
	"github.com/mholt/acmez/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/routing"
)

// Deps are the engine's collaborators. Files is required; Zones is
// required by dns-01 resolvers.
type Deps struct {
	Files    Files
	Zones    Zones
	Logger   *slog.Logger
	Registry prometheus.Registerer
	Clock    clockwork.Clock
}

// Manager obtains, renews and serves the certificates of the configured
// resolvers. Create with New, start with Run.
type Manager struct {
	cfg       Config
	files     Files
	log       *slog.Logger
	clock     clockwork.Clock
	resolvers map[string]*resolver
	names     map[string]bool // resolver names, for Wanted
	wanted    atomic.Pointer[map[string][]string]
	wake      chan struct{} // capacity 1: SetRoutes never blocks
	metrics   *metrics

	mu     sync.Mutex         // guards status
	status map[string]*Status // by resolver + "\x00" + name
}

// resolver is one configured resolver's certmagic state.
type resolver struct {
	Resolver
	cache  *certmagic.Cache
	cm     *certmagic.Config
	issuer *certmagic.ACMEIssuer
	// managed are the names handed to certmagic; only Run touches it.
	managed map[string]bool
}

// New validates cfg and prepares one certmagic configuration per
// resolver. Run must be called: it stops their maintenance.
func New(cfg Config, deps Deps) (*Manager, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Files == nil {
		return nil, errors.New("acme: no storage")
	}
	m := &Manager{cfg: cfg, files: deps.Files, log: deps.Logger, clock: deps.Clock, resolvers: map[string]*resolver{},
		names: map[string]bool{}, wake: make(chan struct{}, 1), status: map[string]*Status{}}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.clock == nil {
		m.clock = clockwork.NewRealClock()
	}
	var err error
	if m.metrics, err = newMetrics(deps.Registry, m); err != nil {
		return nil, err
	}
	st := storage{files: deps.Files, clock: m.clock}
	for _, rc := range cfg.Resolvers {
		r, err := m.newResolver(rc, st, deps.Zones)
		if err != nil {
			for _, r := range m.resolvers {
				r.cache.Stop()
			}
			return nil, err
		}
		m.resolvers[rc.Name] = r
		m.names[rc.Name] = true
	}
	empty := map[string][]string{}
	m.wanted.Store(&empty)
	return m, nil
}

func (m *Manager) newResolver(rc Resolver, st certmagic.Storage, zones Zones) (*resolver, error) {
	log := m.log.With("resolver", rc.Name)
	zl := zapLogger(log)
	r := &resolver{Resolver: rc, managed: map[string]bool{}}
	r.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return r.cm, nil },
		RenewCheckInterval: m.cfg.RenewCheckInterval,
		Logger:             zl,
	})
	r.cm = certmagic.New(r.cache, certmagic.Config{
		Storage:   st,
		KeySource: certmagic.StandardKeyGenerator{KeyType: keyTypes[rc.KeyType]},
		Logger:    zl,
		OnEvent: func(_ context.Context, event string, data map[string]any) error {
			m.event(rc.Name, event, data)
			return nil
		},
		ShouldEmitFunc: func(event string) bool { return event != "tls_get_certificate" },
	})
	tmpl := certmagic.ACMEIssuer{
		CA: rc.CAServer, Email: rc.Email, Agreed: true, Logger: zl,
		DisableHTTPChallenge:    rc.Challenge != ChallengeHTTP01,
		DisableTLSALPNChallenge: rc.Challenge != ChallengeTLSALPN01,
	}
	if rc.CAServer != certmagic.LetsEncryptProductionCA {
		tmpl.TestCA = rc.CAServer // no rehearsal against Let's Encrypt's staging for another CA
	}
	if len(rc.CARoot) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(rc.CARoot) {
			r.cache.Stop()
			return nil, fmt.Errorf("certificate resolver %q: ca_root holds no PEM certificate", rc.Name)
		}
		tmpl.TrustedRoots = pool
	}
	var err error
	switch rc.Challenge {
	case ChallengeHTTP01:
		tmpl.ListenHost, tmpl.AltHTTPPort, err = hostPort(m.cfg.HTTPAddr)
	case ChallengeTLSALPN01:
		tmpl.ListenHost, tmpl.AltTLSALPNPort, err = hostPort(m.cfg.TLSAddr)
	case ChallengeDNS01:
		if zones == nil {
			err = errors.New("dns-01 needs orbit's zones")
			break
		}
		tmpl.DNS01Solver = &certmagic.DNS01Solver{DNSManager: certmagic.DNSManager{
			DNSProvider:        zoneProvider{zones: zones, clock: m.clock},
			TTL:                challengeTTL * time.Second,
			Resolvers:          m.cfg.DNSServers,
			PropagationTimeout: m.cfg.DNSPropagationTimeout,
			Logger:             zl,
		}}
	}
	if err != nil {
		r.cache.Stop()
		return nil, fmt.Errorf("certificate resolver %q: %w", rc.Name, err)
	}
	r.issuer = certmagic.NewACMEIssuer(r.cm, tmpl)
	r.cm.Issuers = []certmagic.Issuer{r.issuer}
	return r, nil
}

// hostPort splits an entry point's bound address for certmagic's
// challenge listener (which finds the port taken by the edge and leaves
// the answering to it).
func hostPort(addr string) (string, int, error) {
	if addr == "" {
		return "", 0, nil // the challenge's standard port
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("challenge address %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", 0, fmt.Errorf("challenge address %q: port: %w", addr, err)
	}
	return host, p, nil
}

// SetRoutes takes a new route table (the route feeder calls it); the
// names it asks for are managed from Run. It never blocks.
func (m *Manager) SetRoutes(rt *routing.Table) {
	w := Wanted(rt, m.names)
	m.wanted.Store(&w)
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run manages the wanted names until ctx ends: a new name's certificate
// is loaded from the store or ordered (once per cluster, under the
// name's lock), then renewed; a name no router asks for any more is
// dropped from the cache (its files stay in the store). A certificate
// another node stores for a managed name replaces this node's at once.
func (m *Manager) Run(ctx context.Context) error {
	defer func() {
		for _, r := range m.resolvers {
			r.cache.Stop()
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the watch
	written := m.files.Watch(ctx, certsDir)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
			m.apply(ctx, *m.wanted.Load())
		case p, ok := <-written:
			if !ok {
				return nil // ctx ended
			}
			m.reload(ctx, p)
		}
	}
}

// certsDir is where certmagic keeps certificates in its storage.
const certsDir = "certificates"

// reload puts the certificate whose metadata file was just written at
// path (by any node; certmagic writes it after the key and certificate)
// into the cache of the resolver managing its name, in place of the one
// held, so this node serves a certificate another node ordered or renewed
// now rather than at its next maintenance check. Handshakes in flight
// keep the certificate they have; connections stay.
func (m *Manager) reload(ctx context.Context, path string) {
	for rname, r := range m.resolvers {
		name := r.metaOwner(path)
		if name == "" {
			continue
		}
		held := r.cache.AllMatchingCertificates(name)
		c, err := r.cm.CacheManagedCertificate(ctx, name)
		if err != nil || c.Leaf == nil {
			m.log.Warn("reload certificate from the store", "resolver", rname, "name", name, "err", err)
			continue
		}
		var stale []string
		for _, h := range held {
			if h.Hash() != c.Hash() && slices.Contains(h.Names, name) &&
				(h.Leaf == nil || !h.Leaf.NotAfter.After(c.Leaf.NotAfter)) {
				stale = append(stale, h.Hash())
			}
		}
		r.cache.Remove(stale)
		if len(stale) > 0 {
			m.log.Info("certificate reloaded from the store", "resolver", rname, "name", name,
				"serial", strings.ToLower(c.Leaf.SerialNumber.Text(16)))
		}
	}
}

// metaOwner returns the managed name whose certificate metadata file is
// at path, or "".
func (r *resolver) metaOwner(path string) string {
	for n := range r.managed {
		if path == certmagic.StorageKeys.SiteMeta(r.issuer.IssuerKey(), n) {
			return n
		}
	}
	return ""
}

func (m *Manager) apply(ctx context.Context, wanted map[string][]string) {
	for name, r := range m.resolvers {
		var add []string
		keep := map[string]bool{}
		for _, n := range wanted[name] {
			keep[n] = true
			if !r.managed[n] {
				add = append(add, n)
			}
		}
		var drop []certmagic.SubjectIssuer
		for n := range r.managed {
			if !keep[n] {
				drop = append(drop, certmagic.SubjectIssuer{Subject: n})
				delete(r.managed, n)
				m.forget(name, n)
			}
		}
		if len(drop) > 0 {
			r.cache.RemoveManaged(drop)
		}
		if len(add) == 0 {
			continue
		}
		for _, n := range add {
			r.managed[n] = true
			m.touch(name, n)
		}
		if err := r.cm.ManageAsync(ctx, add); err != nil {
			m.log.Warn("manage certificates", "resolver", name, "names", add, "err", err)
			for _, n := range add {
				m.failed(name, n, err)
			}
		}
	}
}

// Certificate returns resolver's certificate for hello's server name, or
// the answer to a TLS-ALPN-01 challenge (any resolver's) when hello asks
// for one. It returns nil and no error when resolver is not configured
// here or holds no certificate for the name yet, so the caller falls back.
func (m *Manager) Certificate(resolverName string, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if slices.Equal(hello.SupportedProtos, []string{acmez.ACMETLS1Protocol}) {
		for _, r := range m.resolvers {
			if r.Challenge == ChallengeTLSALPN01 {
				if c, err := r.cm.GetCertificate(hello); err == nil {
					return c, nil
				}
			}
		}
		return nil, fmt.Errorf("no tls-alpn-01 challenge for %q", hello.ServerName)
	}
	r := m.resolvers[resolverName]
	if r == nil {
		return nil, nil
	}
	c, err := r.cm.GetCertificate(hello)
	if err != nil || c == nil || len(c.Certificate) == 0 {
		return nil, nil
	}
	return c, nil
}

// HandleHTTPChallenge answers an HTTP-01 validation request of any
// resolver, from this node's memory or the challenge data in the store
// (the order may run on another edge node). It reports whether it did.
func (m *Manager) HandleHTTPChallenge(w http.ResponseWriter, r *http.Request) bool {
	if !certmagic.LooksLikeHTTPChallenge(r) {
		return false
	}
	for _, res := range m.resolvers {
		if res.Challenge == ChallengeHTTP01 && res.issuer.HandleHTTPChallenge(w, r) {
			return true
		}
	}
	return false
}
