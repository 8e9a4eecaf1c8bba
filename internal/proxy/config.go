package proxy

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/routing"
)

// EntryPoint is one listener of the proxy.
type EntryPoint struct {
	Name string
	// Addr is host:port; port 0 picks a free port (see Server.Addrs).
	Addr string
	// TLS makes the entry point terminate TLS; every router attached to
	// it then serves HTTPS.
	TLS bool
	// RedirectTo, on a plain entry point, names a TLS entry point: every
	// request is answered with a permanent redirect to https on that entry
	// point's port (301 for GET and HEAD, 308 otherwise), as Traefik's
	// entry point redirection, ACME HTTP-01 challenges excepted.
	RedirectTo string
	// HSTS, on a TLS entry point, adds Strict-Transport-Security with this
	// max-age to every answer; 0 adds none.
	HSTS time.Duration
}

// ParseEntryPoint reads the -entrypoint flag's value, NAME=ADDR[,tls].
// An entry point named "websecure" terminates TLS even without ",tls",
// following Traefik's conventional names.
func ParseEntryPoint(s string) (EntryPoint, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" || rest == "" {
		return EntryPoint{}, fmt.Errorf("entry point %q: want NAME=ADDR[,tls]", s)
	}
	ep := EntryPoint{Name: name, TLS: name == "websecure"}
	addr, opts, _ := strings.Cut(rest, ",")
	ep.Addr = addr
	for _, o := range strings.Split(opts, ",") {
		switch strings.TrimSpace(o) {
		case "":
		case "tls":
			ep.TLS = true
		default:
			return EntryPoint{}, fmt.Errorf("entry point %q: unknown option %q (want tls)", s, o)
		}
	}
	if _, _, err := net.SplitHostPort(ep.Addr); err != nil {
		return EntryPoint{}, fmt.Errorf("entry point %q: address: %w", s, err)
	}
	return ep, nil
}

// DefaultEntryPoints are the production listeners: web on :80, websecure
// (TLS) on :443.
func DefaultEntryPoints() []EntryPoint {
	return []EntryPoint{{Name: "web", Addr: ":80"}, {Name: "websecure", Addr: ":443", TLS: true}}
}

// DevEntryPoints are the listeners of `orbit agent -dev`: loopback only,
// high ports.
func DevEntryPoints() []EntryPoint {
	return []EntryPoint{{Name: "web", Addr: "127.0.0.1:8080"}, {Name: "websecure", Addr: "127.0.0.1:8443", TLS: true}}
}

// CertFile is a certificate and key pair in PEM files, served by SNI for
// the names it covers.
type CertFile struct {
	CertFile string
	KeyFile  string
}

// Balancing strategies.
const (
	StrategyP2C = "p2c" // power of two choices over least outstanding requests
	StrategyWRR = "wrr" // smooth weighted round robin
)

// Config is the proxy's configuration. Zero values select the documented
// defaults. Which services are routed, and how (exposed by default,
// default rule, flap damping), is the route feeder's configuration: the
// proxy serves the tables it is given.
type Config struct {
	// EntryPoints are the listeners; empty means DefaultEntryPoints.
	EntryPoints []EntryPoint
	// Certificates are served by SNI before any issued certificate.
	Certificates []CertFile
	// Strategy is StrategyP2C (the default) or StrategyWRR. It applies to
	// every service; weights come from the instances' passing weights.
	Strategy string
	// PanicThreshold, when in (0, 1], routes to every instance of a
	// service, healthy or not, while the healthy fraction is below it (as
	// Envoy's panic threshold). 0 (the default) never does: a service
	// without a healthy instance answers 503.
	PanicThreshold float64
	// EjectAfter consecutive 5xx answers or connection errors eject an
	// instance; 0 means 5.
	EjectAfter int
	// EjectBase is the first ejection's length, doubled on each further
	// ejection without a success in between, up to EjectMax. 0 means 5s
	// and 60s.
	EjectBase, EjectMax time.Duration
	// ReadHeaderTimeout bounds reading a request's headers; 0 means 10s.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes idle client keep-alive connections; 0 means 180s.
	IdleTimeout time.Duration
	// DialTimeout bounds connecting to a backend; 0 means 5s.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds waiting for a backend's response
	// headers; 0 means 60s.
	ResponseHeaderTimeout time.Duration
	// DrainTimeout bounds the graceful drain on shutdown; 0 means 10s.
	DrainTimeout time.Duration
	// MaxBodyBytes limits request bodies (413 beyond); 0 means no limit.
	MaxBodyBytes int64
	// AccessLog writes one JSON line per request to Deps.AccessLog.
	AccessLog bool
	// BackendInsecureSkipVerify skips verifying https backends'
	// certificates. By default they must chain to the system roots or the
	// internal CA.
	BackendInsecureSkipVerify bool
	// ConnectName is the Connect service the edge presents itself as to
	// backends tagged traefik.consulcatalog.connect=true; "" means
	// DefaultConnectName ("traefik", as Traefik's own default).
	ConnectName string
}

func (c *Config) setDefaults() {
	if len(c.EntryPoints) == 0 {
		c.EntryPoints = DefaultEntryPoints()
	}
	if c.Strategy == "" {
		c.Strategy = StrategyP2C
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.EjectBase, 5*time.Second)
	def(&c.EjectMax, 60*time.Second)
	def(&c.ReadHeaderTimeout, 10*time.Second)
	def(&c.IdleTimeout, 180*time.Second)
	def(&c.DialTimeout, 5*time.Second)
	def(&c.ResponseHeaderTimeout, 60*time.Second)
	def(&c.DrainTimeout, 10*time.Second)
	if c.EjectAfter == 0 {
		c.EjectAfter = 5
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, ep := range c.EntryPoints {
		if ep.Name == "" || strings.ContainsAny(ep.Name, ", @=") {
			errs = append(errs, fmt.Errorf("entry point name %q: must be non-empty, without spaces, commas, \"=\" or \"@\"", ep.Name))
		}
		if seen[ep.Name] {
			errs = append(errs, fmt.Errorf("entry point %q defined twice", ep.Name))
		}
		seen[ep.Name] = true
		if _, _, err := net.SplitHostPort(ep.Addr); err != nil {
			errs = append(errs, fmt.Errorf("entry point %q: address %q: %w", ep.Name, ep.Addr, err))
		}
		if ep.HSTS < 0 || ep.HSTS > 0 && !ep.TLS {
			errs = append(errs, fmt.Errorf("entry point %q: HSTS needs a TLS entry point and a positive max-age", ep.Name))
		}
	}
	for _, ep := range c.EntryPoints {
		if ep.RedirectTo == "" {
			continue
		}
		if ep.TLS || !slices.ContainsFunc(c.EntryPoints, func(to EntryPoint) bool { return to.Name == ep.RedirectTo && to.TLS }) {
			errs = append(errs, fmt.Errorf("entry point %q: redirect to %q: want a plain entry point redirecting to a TLS one", ep.Name, ep.RedirectTo))
		}
	}
	switch c.Strategy {
	case "", StrategyP2C, StrategyWRR:
	default:
		errs = append(errs, fmt.Errorf("strategy %q: want %s or %s", c.Strategy, StrategyP2C, StrategyWRR))
	}
	if c.PanicThreshold < 0 || c.PanicThreshold > 1 {
		errs = append(errs, fmt.Errorf("panic threshold %v: want a fraction in [0, 1]", c.PanicThreshold))
	}
	if c.EjectAfter < 0 || c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("eject-after and max body bytes must not be negative"))
	}
	for _, cf := range c.Certificates {
		if cf.CertFile == "" || cf.KeyFile == "" {
			errs = append(errs, fmt.Errorf("certificate %+v: both a certificate and a key file are required", cf))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("proxy config: %w", err)
	}
	return nil
}

// RoutingEntryPoints are the entry points as routing knows them (name and
// TLS), for the route feeder's routing.Config; empty EntryPoints mean
// DefaultEntryPoints.
func (c Config) RoutingEntryPoints() []routing.EntryPoint {
	eps := c.EntryPoints
	if len(eps) == 0 {
		eps = DefaultEntryPoints()
	}
	out := make([]routing.EntryPoint, 0, len(eps))
	for _, ep := range eps {
		out = append(out, routing.EntryPoint{Name: ep.Name, TLS: ep.TLS})
	}
	return out
}
