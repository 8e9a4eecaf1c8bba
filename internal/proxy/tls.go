package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
)

// certStore holds the certificates loaded from files, by the names they
// cover. It is immutable after loading.
type certStore struct {
	exact map[string]*tls.Certificate
	wild  map[string]*tls.Certificate // "*.example.com" under "example.com"
	first *tls.Certificate
	all   []*tls.Certificate // in file order
}

func loadCertFiles(files []CertFile) (*certStore, error) {
	cs := &certStore{exact: map[string]*tls.Certificate{}, wild: map[string]*tls.Certificate{}}
	for _, f := range files {
		c, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load certificate %s: %w", f.CertFile, err)
		}
		leaf := c.Leaf
		names := append([]string{leaf.Subject.CommonName}, leaf.DNSNames...)
		for _, ip := range leaf.IPAddresses {
			names = append(names, ip.String())
		}
		for _, n := range names {
			n = strings.ToLower(n)
			if parent, ok := strings.CutPrefix(n, "*."); ok {
				cs.wild[parent] = &c
			} else if n != "" {
				cs.exact[n] = &c
			}
		}
		if cs.first == nil {
			cs.first = &c
		}
		cs.all = append(cs.all, &c)
	}
	return cs, nil
}

func (cs *certStore) lookup(name string) *tls.Certificate {
	if c := cs.exact[name]; c != nil {
		return c
	}
	if _, parent, ok := strings.Cut(name, "."); ok {
		return cs.wild[parent]
	}
	return nil
}

// errNoCertificate ends a handshake for a name the proxy has no
// certificate for and may not issue one for.
var errNoCertificate = errors.New("no certificate for this server name")

// defaultCertName is the name of the certificate served when the client
// sends no usable server name, like Traefik's "TRAEFIK DEFAULT CERT".
const defaultCertName = "orbit-default.invalid"

// acmeTLSProtocol is the ALPN protocol of ACME's TLS-ALPN-01 challenge
// (RFC 8737).
const acmeTLSProtocol = "acme-tls/1"

// acmeChallengePath is where ACME's HTTP-01 challenge is fetched.
const acmeChallengePath = "/.well-known/acme-challenge/"

// getCertificate chooses a certificate by SNI: a TLS-ALPN-01 challenge's
// answer; a file certificate covering the name; for a host of a router
// with a tls.certresolver, the resolver's certificate once it has one;
// else, for a host of a TLS router, one issued by the internal CA; else
// the first file certificate or a default issued one.
func (s *Server) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if s.resolv != nil && len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == acmeTLSProtocol {
		return s.resolv.Certificate("", hello)
	}
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if c := s.certs.lookup(name); c != nil {
		return c, nil
	}
	t := s.table.Load()
	if res := t.resolverOf(name); res != "" && s.resolv != nil {
		c, err := s.resolv.Certificate(res, hello)
		if err != nil {
			s.log.Warn("certificate from resolver", "name", name, "resolver", res, "err", err)
		}
		if c != nil {
			return c, nil
		}
	}
	if s.ca != nil && name != "" && t.tlsAllowed(name) {
		c, err := s.ca.ServerCertificate(name)
		if err != nil {
			s.log.Warn("issue certificate", "name", name, "err", err)
			return nil, fmt.Errorf("issue certificate for %q: %w", name, err)
		}
		return c, nil
	}
	if s.certs.first != nil {
		return s.certs.first, nil
	}
	if s.ca != nil {
		return s.ca.ServerCertificate(defaultCertName)
	}
	return nil, errNoCertificate
}
