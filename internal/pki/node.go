package pki

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"time"
)

// Node certificates identify agents to each other and to the store: the
// subject's common name is the node name (etcd takes it as the user name
// of a client certificate), usable both as a TLS server and a TLS client.
// The agent makes its key and sends a certificate request; the key never
// leaves the node.

// ErrInvalidCSR is returned for a certificate request that cannot be
// signed: unparsable, badly signed, or naming another node.
var ErrInvalidCSR = errors.New("invalid certificate request")

// NodeDNSName is the DNS name every node certificate carries besides the
// node's own: what agents verify a server's certificate against when they
// dial it by IP address. The node name itself is added when it is a valid
// DNS name.
const NodeDNSName = "server.orbit.internal"

// SignNode signs a PEM certificate request for node and returns the PEM
// chain (the node certificate, then the root). The request's common name
// must be node; its IP addresses are kept (they let the node serve TLS on
// them); DNS names are replaced with node (when valid), localhost and
// NodeDNSName.
func (ca *CA) SignNode(csrPEM []byte, node string) ([]byte, error) {
	b, _ := pem.Decode(csrPEM)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("%w: not a PEM CERTIFICATE REQUEST", ErrInvalidCSR)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrInvalidCSR, err)
	}
	if node == "" || csr.Subject.CommonName != node {
		return nil, fmt.Errorf("%w: common name %q is not the node %q", ErrInvalidCSR, csr.Subject.CommonName, node)
	}
	if len(csr.IPAddresses) > 16 {
		return nil, fmt.Errorf("%w: %d IP addresses, at most 16", ErrInvalidCSR, len(csr.IPAddresses))
	}
	now := ca.cfg.Now()
	tpl := &x509.Certificate{
		SerialNumber:   randomSerial(),
		Subject:        pkix.Name{CommonName: node, Organization: []string{"orbit"}, OrganizationalUnit: []string{"node"}},
		NotBefore:      now.Add(-5 * time.Minute),
		NotAfter:       now.Add(ca.cfg.LeafTTL),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		AuthorityKeyId: ca.root.SubjectKeyId,
		IPAddresses:    append([]net.IP{net.IPv4(127, 0, 0, 1)}, csr.IPAddresses...),
		DNSNames:       []string{"localhost", NodeDNSName},
	}
	if checkDNSName(node) == nil {
		tpl.DNSNames = append(tpl.DNSNames, node)
	}
	if tpl.NotAfter.After(ca.root.NotAfter) {
		tpl.NotAfter = ca.root.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.root, csr.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("sign node certificate for %q: %w", node, err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	ca.log.Info("signed node certificate", "node", node, "not_after", tpl.NotAfter)
	return append(out, ca.rootPEM...), nil
}

// LocalSigner signs node's requests with this CA (a server's own node
// certificate).
func (ca *CA) LocalSigner(node string) NodeSigner { return localSigner{ca: ca, node: node} }

type localSigner struct {
	ca   *CA
	node string
}

var _ NodeSigner = localSigner{}

func (s localSigner) SignNode(_ context.Context, csrPEM []byte) ([]byte, error) {
	return s.ca.SignNode(csrPEM, s.node)
}
