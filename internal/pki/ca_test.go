package pki_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/pki"
	"github.com/orbit/orbit/internal/store"
)

var _ pki.Storage = (*store.Store)(nil)

// TestRootPersistsInEtcd: two CAs over the same store (two agents) share
// one root, and a certificate issued by one verifies against the other's.
func TestRootPersistsInEtcd(t *testing.T) {
	st := orbittest.NewStore(t)
	ctx := context.Background()
	var cas [4]*pki.CA
	var wg sync.WaitGroup
	errs := make([]error, len(cas))
	for i := range cas {
		wg.Go(func() { cas[i], errs[i] = pki.New(ctx, pki.Config{}, st) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("ca %d: %v", i, err)
		}
	}
	for i := 1; i < len(cas); i++ {
		if !cas[i].Root().Equal(cas[0].Root()) {
			t.Fatalf("ca %d has a different root: racing creators must converge on one", i)
		}
	}
	cert, err := cas[1].ServerCertificate("app.example.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "app.example.test", Roots: cas[0].RootPool()}); err != nil {
		t.Fatalf("verify against the shared root: %v", err)
	}
}

func TestServerCertificateCacheAndRenewal(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ca, err := pki.New(context.Background(), pki.Config{Now: func() time.Time { return now }, LeafTTL: 3 * time.Hour}, &pki.MemStorage{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.ServerCertificate("App.Example.test.")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Leaf.DNSNames; len(got) != 1 || got[0] != "app.example.test" {
		t.Fatalf("DNS names %v, want [app.example.test]", got)
	}
	if a.Leaf.PublicKeyAlgorithm != x509.ECDSA || a.Leaf.NotAfter.Sub(now) != 3*time.Hour {
		t.Fatalf("leaf: alg %v, lifetime %v", a.Leaf.PublicKeyAlgorithm, a.Leaf.NotAfter.Sub(now))
	}
	b, _ := ca.ServerCertificate("app.example.test")
	if a != b {
		t.Fatal("second call issued a new certificate instead of using the cache")
	}
	now = now.Add(2*time.Hour + time.Minute) // past two thirds of (3h + 5m backdating)
	c, _ := ca.ServerCertificate("app.example.test")
	if c == a {
		t.Fatal("certificate past two thirds of its life was not renewed")
	}
	if _, err := ca.ServerCertificate("bad name!"); err == nil {
		t.Fatal("issued a certificate for an invalid name")
	}
	ip, err := ca.IssueServer("127.0.0.1")
	if err != nil || len(ip.Leaf.IPAddresses) != 1 {
		t.Fatalf("IP certificate: %v %v", err, ip)
	}
}

// TestTLSHandshake: a real TLS server with an issued certificate and a Go
// client trusting only the root.
func TestTLSHandshake(t *testing.T) {
	ca, err := pki.New(context.Background(), pki.Config{}, &pki.MemStorage{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return ca.ServerCertificate(h.ServerName)
	}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-done }()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "svc.orbit.test", RootCAs: ca.RootPool()})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	c.Close()
	if _, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "svc.orbit.test"}); err == nil {
		t.Fatal("a client not trusting the internal root accepted the certificate")
	}
}
