package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// Service certificates carry a SPIFFE ID as their only URI SAN, the one
// Consul Connect gives a service:
//
//	spiffe://<trust-domain>/ns/default/dc/<dc>/svc/<name>
//
// The trust domain is "<cluster-id>.consul" as in Consul; orbit's cluster
// id is derived from the root certificate, so it is stable for the life of
// the root and the same on every agent without storing anything more.

// ErrWrongIdentity is returned when a peer's certificate does not name the
// expected service.
var ErrWrongIdentity = errors.New("certificate names another identity")

// ClusterID is the cluster's id in UUID form, derived from the root.
func (ca *CA) ClusterID() string {
	s := sha256.Sum256(ca.root.Raw)
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// TrustDomain is the SPIFFE trust domain of service certificates,
// "<cluster-id>.consul".
func (ca *CA) TrustDomain() string { return ca.ClusterID() + ".consul" }

// ServiceURI is a service's SPIFFE ID in trust domain td and datacenter dc.
func ServiceURI(td, dc, service string) *url.URL {
	return &url.URL{Scheme: "spiffe", Host: td, Path: "/ns/default/dc/" + dc + "/svc/" + service}
}

// checkServiceName accepts the names Consul accepts for Connect services:
// letters, digits, '-', '_' and '.', at most 253 of them.
func checkServiceName(s string) error {
	if s == "" || len(s) > 253 {
		return fmt.Errorf("%w: service name %q must have 1 to 253 characters", ErrInvalidName, s)
	}
	for _, r := range s {
		ok := r == '-' || r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("%w: service name %q contains %q", ErrInvalidName, s, r)
		}
	}
	return nil
}

// IssueService issues a new client-and-server certificate for service in
// datacenter dc, valid for ttl (0: the CA's LeafTTL), uncached.
func (ca *CA) IssueService(dc, service string, ttl time.Duration) (*tls.Certificate, error) {
	if err := checkServiceName(service); err != nil {
		return nil, err
	}
	if err := checkDNSName(dc); err != nil {
		return nil, fmt.Errorf("datacenter: %w", err)
	}
	if ttl <= 0 {
		ttl = ca.cfg.LeafTTL
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate service key: %w", err)
	}
	now := ca.cfg.Now()
	tpl := &x509.Certificate{
		SerialNumber:   randomSerial(),
		Subject:        pkix.Name{CommonName: service},
		URIs:           []*url.URL{ServiceURI(ca.TrustDomain(), dc, service)},
		NotBefore:      now.Add(-time.Minute),
		NotAfter:       now.Add(ttl),
		KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		SubjectKeyId:   keyID(&key.PublicKey),
		AuthorityKeyId: ca.root.SubjectKeyId,
	}
	if tpl.NotAfter.After(ca.root.NotAfter) {
		tpl.NotAfter = ca.root.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.root, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate for service %q: %w", service, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse issued certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der, ca.root.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// VerifyService checks a peer's certificate chain (leaf first, DER, as
// tls.Config.VerifyPeerCertificate receives it): it must chain to the root
// and carry service's SPIFFE ID in datacenter dc.
func (ca *CA) VerifyService(rawCerts [][]byte, dc, service string) error {
	if len(rawCerts) == 0 {
		return errors.New("peer presented no certificate")
	}
	certs := make([]*x509.Certificate, len(rawCerts))
	for i, raw := range rawCerts {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return fmt.Errorf("parse peer certificate: %w", err)
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: ca.pool, Intermediates: inter, CurrentTime: ca.cfg.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if _, err := certs[0].Verify(opts); err != nil {
		return fmt.Errorf("verify peer certificate: %w", err)
	}
	want := ServiceURI(ca.TrustDomain(), dc, service).String()
	for _, u := range certs[0].URIs {
		if u.String() == want {
			return nil
		}
	}
	return fmt.Errorf("%w: want %s, got %v", ErrWrongIdentity, want, certs[0].URIs)
}

// ServiceCerts are the service certificates of one agent in one
// datacenter: each service's is issued on first use, kept and handed out
// again until two thirds of its life have passed, then renewed. Service
// keys are never stored, as Consul's agents keep theirs in memory.
type ServiceCerts struct {
	ca *CA
	dc string

	// mu guards m.
	mu sync.Mutex
	m  map[string]*tls.Certificate
}

// ServiceCerts returns a cache of service certificates for datacenter dc.
func (ca *CA) ServiceCerts(dc string) *ServiceCerts {
	return &ServiceCerts{ca: ca, dc: dc, m: map[string]*tls.Certificate{}}
}

// Root is the root certificate.
func (s *ServiceCerts) Root() *x509.Certificate { return s.ca.Root() }

// TrustDomain is the SPIFFE trust domain.
func (s *ServiceCerts) TrustDomain() string { return s.ca.TrustDomain() }

// Datacenter is the datacenter the certificates name.
func (s *ServiceCerts) Datacenter() string { return s.dc }

// RenewAt is when a certificate is due for renewal: two thirds into its
// life.
func (s *ServiceCerts) RenewAt(leaf *x509.Certificate) time.Time { return renewAt(leaf) }

// Leaf returns service's current certificate, issuing one valid for ttl
// (0: the CA's LeafTTL) when none is kept or the kept one is due for
// renewal.
func (s *ServiceCerts) Leaf(service string, ttl time.Duration) (*tls.Certificate, error) {
	now := s.ca.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.m[service]; c != nil && now.Before(renewAt(c.Leaf)) {
		return c, nil
	}
	c, err := s.ca.IssueService(s.dc, service, ttl)
	if err != nil {
		return nil, err
	}
	if len(s.m) >= s.ca.cfg.MaxCached {
		for k, old := range s.m {
			if !now.Before(renewAt(old.Leaf)) || len(s.m) >= s.ca.cfg.MaxCached {
				delete(s.m, k)
			}
		}
	}
	s.m[service] = c
	s.ca.log.Debug("issued service certificate", "service", service, "not_after", c.Leaf.NotAfter)
	return c, nil
}

// Verify checks a peer's chain against the root and service's SPIFFE ID
// in this datacenter (CA.VerifyService).
func (s *ServiceCerts) Verify(rawCerts [][]byte, service string) error {
	return s.ca.VerifyService(rawCerts, s.dc, service)
}
