package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// DefaultConnectName is the Connect service name the edge presents to
// Connect backends when Config.ConnectName is empty: Traefik's default
// identity (its consulCatalog provider's serviceName).
const DefaultConnectName = "traefik"

// ConnectCerts are the internal CA's Connect service certificates
// (*pki.ServiceCerts satisfies it): the edge presents its own to a
// backend tagged traefik.consulcatalog.connect=true and checks the
// backend's.
type ConnectCerts interface {
	// Leaf is service's current certificate (renewed before expiry); ttl
	// 0 is the CA's default lifetime.
	Leaf(service string, ttl time.Duration) (*tls.Certificate, error)
	// Verify checks a peer's chain against the root and service's SPIFFE ID.
	Verify(rawCerts [][]byte, service string) error
}

// errNoConnect fails requests to a Connect backend on an edge built
// without the CA's certificates.
var errNoConnect = errors.New("service is tagged traefik.consulcatalog.connect=true but this edge has no Connect certificates")

// connectTransports are the transports to Connect backends, one per
// catalog service, since each verifies its backends' SPIFFE ID against
// its own service name (a connection verified for one service is never
// reused for another).
type connectTransports struct {
	s     *Server
	certs ConnectCerts // nil: requests to Connect backends fail
	name  string       // the edge's own Connect service name

	// mu guards m.
	mu sync.Mutex
	m  map[string]*http.Transport
}

func newConnectTransports(s *Server, certs ConnectCerts, name string) *connectTransports {
	if name == "" {
		name = DefaultConnectName
	}
	return &connectTransports{s: s, certs: certs, name: name, m: map[string]*http.Transport{}}
}

// forService is the transport to service's Connect backends.
func (c *connectTransports) forService(service string) http.RoundTripper {
	if c.certs == nil {
		return failingTransport{errNoConnect}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.m[service]; t != nil {
		return t
	}
	t := c.s.backendTransport(c.tlsConfig(service))
	t.ForceAttemptHTTP2 = true
	c.m[service] = t
	return t
}

// tlsConfig presents the edge's current certificate (fetched at each
// handshake, so renewals apply to new connections) and accepts only a
// backend whose certificate chains to the internal root and names
// service's SPIFFE ID. Host names are not checked: Connect identifies
// services by SPIFFE ID, not by DNS name.
func (c *connectTransports) tlsConfig(service string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, err := c.certs.Leaf(c.name, 0)
			if err != nil {
				return nil, fmt.Errorf("edge Connect certificate %q: %w", c.name, err)
			}
			return cert, nil
		},
		InsecureSkipVerify: true, // replaced by VerifyPeerCertificate below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			return c.certs.Verify(raw, service)
		},
	}
}

// closeIdle closes the idle connections of every Connect transport.
func (c *connectTransports) closeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.m {
		t.CloseIdleConnections()
	}
}

// failingTransport answers every request with its error.
type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }
