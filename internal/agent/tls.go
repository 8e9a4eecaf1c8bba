package agent

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/store"
)

// TLSConfig is the agent config's `tls { ... }` block, the subset of
// Consul's (1.12+) shape orbit uses:
//
//	tls {
//	  defaults {
//	    ca_file         = "ca.pem"
//	    cert_file       = "node.pem"
//	    key_file        = "node-key.pem"
//	    verify_incoming = false
//	    verify_outgoing = true
//	  }
//	  internal_rpc { verify_server_hostname = false }
//	}
//
// With cert_file, the API (and -nomad-addr) is served over HTTPS and a
// server's embedded store serves its client and peer URLs over TLS,
// always asking for a client certificate signed by ca_file. With ca_file,
// the agent's own connections (to the servers' API and to the store) use
// TLS, verified against ca_file, and present cert_file when it is set.
type TLSConfig struct {
	Defaults    *TLSDefaults    `hcl:"defaults,block"`
	InternalRPC *TLSInternalRPC `hcl:"internal_rpc,block"`
}

// TLSDefaults is `tls { defaults { ... } }`.
type TLSDefaults struct {
	// CAFile is the PEM CA that agents' and clients' certificates are
	// checked against.
	CAFile string `hcl:"ca_file,optional"`
	// CertFile and KeyFile are this agent's PEM certificate (chain) and key.
	CertFile string `hcl:"cert_file,optional"`
	KeyFile  string `hcl:"key_file,optional"`
	// VerifyIncoming makes the HTTPS API require a client certificate
	// signed by CAFile (the store always requires one).
	VerifyIncoming bool `hcl:"verify_incoming,optional"`
	// VerifyOutgoing makes the agent's connections to the servers use
	// TLS verified against CAFile (implied by CAFile in orbit).
	VerifyOutgoing bool `hcl:"verify_outgoing,optional"`
}

// TLSInternalRPC is `tls { internal_rpc { ... } }`.
type TLSInternalRPC struct {
	// VerifyServerHostname checks that a server's certificate names the
	// host dialled (its IP or name); without it only the chain is checked.
	VerifyServerHostname bool `hcl:"verify_server_hostname,optional"`
}

// tlsSettings is the resolved tls block.
type tlsSettings struct {
	caFile, certFile, keyFile string
	verifyIncoming            bool
	verifyServerHostname      bool
}

// on reports whether the agent speaks TLS to other agents.
func (s tlsSettings) on() bool { return s.caFile != "" }

// serves reports whether the agent serves its API and store over TLS.
func (s tlsSettings) serves() bool { return s.certFile != "" }

// tlsDefaults checks the tls block (and the -ca-file, -cert-file,
// -key-file flags merged into it) and resolves it.
func (c *Config) tlsDefaults() error {
	c.tls = tlsSettings{}
	if c.TLS == nil {
		return nil
	}
	var d TLSDefaults
	if c.TLS.Defaults != nil {
		d = *c.TLS.Defaults
	}
	s := tlsSettings{caFile: d.CAFile, certFile: d.CertFile, keyFile: d.KeyFile, verifyIncoming: d.VerifyIncoming}
	if c.TLS.InternalRPC != nil {
		s.verifyServerHostname = c.TLS.InternalRPC.VerifyServerHostname
	}
	switch {
	case (d.CertFile == "") != (d.KeyFile == ""):
		return errors.New("tls defaults: cert_file and key_file go together: give both or neither")
	case d.CAFile == "" && (d.CertFile != "" || d.VerifyIncoming || d.VerifyOutgoing || s.verifyServerHostname):
		return errors.New("tls defaults: ca_file is required with cert_file, verify_incoming, verify_outgoing or verify_server_hostname")
	case c.Server && d.CAFile != "" && d.CertFile == "":
		return errors.New("tls defaults: a server serves its store over TLS: give cert_file and key_file")
	}
	for name, f := range map[string]string{"ca_file": d.CAFile, "cert_file": d.CertFile, "key_file": d.KeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("tls defaults: %s: %w", name, err)
		}
	}
	if s.on() {
		if _, err := s.pool(); err != nil {
			return err
		}
	}
	if s.serves() {
		if _, err := tls.LoadX509KeyPair(s.certFile, s.keyFile); err != nil {
			return fmt.Errorf("tls defaults: cert_file and key_file: %w", err)
		}
	}
	c.tls = s
	return nil
}

// pool reads ca_file.
func (s tlsSettings) pool() (*x509.CertPool, error) {
	b, err := os.ReadFile(s.caFile)
	if err != nil {
		return nil, fmt.Errorf("tls ca_file: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tls ca_file %s: no PEM certificate in it", s.caFile)
	}
	return p, nil
}

// keyPair loads cert_file and key_file at each handshake, so a renewed
// certificate written over them is used without a restart.
func (s tlsSettings) keyPair() (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls cert_file and key_file: %w", err)
	}
	return &c, nil
}

// serverConfig is the TLS configuration of the agent's HTTPS listeners.
func (s tlsSettings) serverConfig() (*tls.Config, error) {
	pool, err := s.pool()
	if err != nil {
		return nil, err
	}
	auth := tls.VerifyClientCertIfGiven
	if s.verifyIncoming {
		auth = tls.RequireAndVerifyClientCert
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, ClientCAs: pool, ClientAuth: auth,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.keyPair() }}, nil
}

// clientConfig is the TLS configuration of the agent's connections to
// other agents and to the store: the chain checked against ca_file (and
// the host name with verify_server_hostname), cert_file presented.
func (s tlsSettings) clientConfig() (*tls.Config, error) {
	pool, err := s.pool()
	if err != nil {
		return nil, err
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	if s.serves() {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return s.keyPair() }
	}
	if !s.verifyServerHostname {
		// The chain alone: servers are dialled by whatever address the
		// operator gave, which their certificates need not name.
		c.InsecureSkipVerify = true
		c.VerifyConnection = func(cs tls.ConnectionState) error { return verifyChain(cs, pool) }
	}
	return c, nil
}

// verifyChain checks the peer's certificate chain against pool, without
// its host name.
func verifyChain(cs tls.ConnectionState, pool *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return fmt.Errorf("tls: the server's certificate is not signed by ca_file: %w", err)
	}
	return nil
}

// scheme is the URL scheme of other agents' APIs.
func (s tlsSettings) scheme() string {
	if s.on() {
		return "https"
	}
	return "http"
}

// baseURL turns an agent API address ("host:port" or a URL) into a URL
// with the scheme the tls block implies.
func (s tlsSettings) baseURL(addr string) string {
	addr = strings.TrimRight(strings.TrimSpace(addr), "/")
	if strings.Contains(addr, "://") {
		return addr
	}
	return s.scheme() + "://" + addr
}

// httpClient is the client of the agent's calls to other agents' APIs.
func (s tlsSettings) httpClient(timeout time.Duration) (*http.Client, error) {
	if !s.on() {
		return &http.Client{Timeout: timeout}, nil
	}
	tc, err := s.clientConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Timeout: timeout, Transport: tr}, nil
}

// listen wraps ln in TLS when the agent serves TLS.
func (s tlsSettings) listen(ln net.Listener) (net.Listener, error) {
	if !s.serves() {
		return ln, nil
	}
	tc, err := s.serverConfig()
	if err != nil {
		return nil, err
	}
	return tls.NewListener(ln, tc), nil
}

// apiScheme is the scheme this agent's own API is served with.
func (s tlsSettings) apiScheme() string {
	if s.serves() {
		return "https"
	}
	return "http"
}

// storeTLS makes the store speak TLS as the tls block says: an embedded
// member serves its client and peer URLs with cert_file, asking every
// client and peer for a certificate signed by ca_file; a client of the
// servers' store presents cert_file and checks theirs against ca_file.
func (a *Agent) storeTLS(cfg *store.Config) error {
	s := a.cfg.tls
	if len(cfg.Endpoints) == 0 {
		if s.serves() {
			cfg.TLS = &store.TLSFiles{CAFile: s.caFile, CertFile: s.certFile, KeyFile: s.keyFile}
		}
		return nil
	}
	if !s.on() {
		return nil
	}
	tc, err := s.clientConfig()
	if err != nil {
		return err
	}
	cfg.ClientTLS = tc
	return nil
}
