package pki_test

import (
	"context"
	"crypto/x509"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/pki"
)

func TestServiceCertificates(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ca, err := pki.New(context.Background(), pki.Config{Now: func() time.Time { return now }}, &pki.MemStorage{})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.consul$`).MatchString(ca.TrustDomain()) {
		t.Fatalf("trust domain %q is not <uuid>.consul", ca.TrustDomain())
	}
	certs := ca.ServiceCerts("dc1")
	a, err := certs.Leaf("web", 3*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := "spiffe://" + ca.TrustDomain() + "/ns/default/dc/dc1/svc/web"
	if len(a.Leaf.URIs) != 1 || a.Leaf.URIs[0].String() != want {
		t.Fatalf("URIs %v, want [%s]", a.Leaf.URIs, want)
	}
	if _, err := a.Leaf.Verify(x509.VerifyOptions{Roots: ca.RootPool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Fatalf("leaf does not chain to the root: %v", err)
	}
	if b, _ := certs.Leaf("web", 3*time.Hour); b != a {
		t.Fatal("a fresh certificate was replaced before its renewal time")
	}
	if err := certs.Verify(a.Certificate, "web"); err != nil {
		t.Fatalf("verify own certificate: %v", err)
	}
	if err := certs.Verify(a.Certificate, "api"); !errors.Is(err, pki.ErrWrongIdentity) {
		t.Fatalf("verify as another service: %v, want ErrWrongIdentity", err)
	}
	if err := ca.VerifyService(a.Certificate, "dc2", "web"); !errors.Is(err, pki.ErrWrongIdentity) {
		t.Fatalf("verify in another datacenter: %v, want ErrWrongIdentity", err)
	}
	other, err := pki.New(context.Background(), pki.Config{Now: func() time.Time { return now }}, &pki.MemStorage{})
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.ServiceCerts("dc1").Leaf("web", 0)
	if err := certs.Verify(foreign.Certificate, "web"); err == nil || errors.Is(err, pki.ErrWrongIdentity) {
		t.Fatalf("a certificate from another CA: %v, want a chain error", err)
	}
	now = certs.RenewAt(a.Leaf)
	c, err := certs.Leaf("web", 3*time.Hour)
	if err != nil || c == a || c.Leaf.NotBefore.Equal(a.Leaf.NotBefore) {
		t.Fatalf("certificate at its renewal time was not renewed: %v", err)
	}
	for _, bad := range []string{"", "we b", "web/x", "ünï"} {
		if _, err := certs.Leaf(bad, 0); !errors.Is(err, pki.ErrInvalidName) {
			t.Errorf("service %q: %v, want ErrInvalidName", bad, err)
		}
	}
}
