package pki_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/pki"
)

// handshake dials an mTLS listener that requires a client certificate from
// root, presenting the client's node certificate, and returns the serial
// numbers each side saw.
func handshake(t *testing.T, now func() time.Time, root *x509.CertPool, srv, cli *pki.NodeCert) (srvSerial, cliSerial string) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: srv.GetCertificate,
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: root, Time: now})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- "accept: " + err.Error()
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			got <- "handshake: " + err.Error()
			return
		}
		got <- tc.ConnectionState().PeerCertificates[0].SerialNumber.Text(16)
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: root, ServerName: pki.NodeDNSName,
		GetClientCertificate: cli.GetClientCertificate, Time: now})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srvSerial = c.ConnectionState().PeerCertificates[0].SerialNumber.Text(16)
	return srvSerial, <-got
}

// A node gets a certificate for its own key and name, usable for mutual
// TLS both ways; Run renews it before expiry and new handshakes present
// the renewed one without a restart; a restart reuses the stored one.
func TestNodeCertIssueAndRotate(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	ca, err := pki.New(context.Background(), pki.Config{Now: clock.Now, LeafTTL: 3 * time.Hour}, &pki.MemStorage{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mk := func(dir, node string) *pki.NodeCert {
		n, err := pki.NewNodeCert(ctx, pki.NodeCertConfig{Dir: dir, Node: node, IPs: []net.IP{net.ParseIP("10.0.0.7")}, Clock: clock},
			ca.LocalSigner(node))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	srvDir, cliDir := t.TempDir(), t.TempDir()
	srv, cli := mk(srvDir, "s1"), mk(cliDir, "c1")
	leaf := cli.Current().Leaf
	if leaf.Subject.CommonName != "c1" {
		t.Fatalf("common name %q, want the node name", leaf.Subject.CommonName)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.RootPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		CurrentTime: clock.Now()}); err != nil {
		t.Fatalf("not a client certificate of the root: %v", err)
	}
	if err := leaf.VerifyHostname("10.0.0.7"); err != nil {
		t.Fatalf("the node's IP is not in its certificate: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(cliDir, pki.NodeKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	s0, c0 := handshake(t, clock.Now, ca.RootPool(), srv, cli)
	if s0 != srv.Current().Leaf.SerialNumber.Text(16) || c0 != leaf.SerialNumber.Text(16) {
		t.Fatalf("handshake saw %s/%s", s0, c0)
	}

	// A restart reuses the stored certificate (same serial).
	if again := mk(cliDir, "c1"); again.Current().Leaf.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Fatal("a restart asked for a new certificate while the stored one was fresh")
	}

	done := make(chan error, 2)
	go func() { done <- srv.Run(ctx) }()
	go func() { done <- cli.Run(ctx) }()
	if err := clock.BlockUntilContext(ctx, 2); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2*time.Hour + time.Minute) // past two thirds of 3h
	for _, n := range []*pki.NodeCert{srv, cli} {
		select {
		case <-n.Renewed():
		case <-time.After(30 * time.Second):
			t.Fatal("no renewal after two thirds of the lifetime")
		}
	}
	s1, c1 := handshake(t, clock.Now, ca.RootPool(), srv, cli)
	if s1 == s0 || c1 == c0 {
		t.Fatalf("handshakes after renewal present the old certificates (%s %s)", s1, c1)
	}
	if _, err := cli.Current().Leaf.Verify(x509.VerifyOptions{Roots: ca.RootPool(), CurrentTime: clock.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("the renewed certificate is not valid now: %v", err)
	}
	cancel()
	<-done
	<-done
}

// The CA signs only a well-formed request naming the node asked for.
func TestSignNodeRefusesBadRequests(t *testing.T) {
	ca, err := pki.New(context.Background(), pki.Config{}, &pki.MemStorage{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csr := func(cn string) []byte {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	}
	good := csr("n1")
	if _, err := ca.SignNode(good, "n1"); err != nil {
		t.Fatalf("good request: %v", err)
	}
	tampered := append([]byte(nil), good...)
	b, _ := pem.Decode(tampered)
	b.Bytes[len(b.Bytes)-3] ^= 0xff
	for name, tc := range map[string]struct {
		csr  []byte
		node string
	}{
		"another node":  {csr("n2"), "n1"},
		"no node":       {csr(""), ""},
		"not pem":       {[]byte("hello"), "n1"},
		"bad signature": {pem.EncodeToMemory(b), "n1"},
	} {
		if _, err := ca.SignNode(tc.csr, tc.node); !errors.Is(err, pki.ErrInvalidCSR) {
			t.Errorf("%s: %v, want ErrInvalidCSR", name, err)
		}
	}
}
