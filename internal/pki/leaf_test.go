package pki_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/pki"
	"github.com/orbit/orbit/internal/store"
)

var _ pki.LeafStorage = (*store.Store)(nil)

// TestSharedServerCertificates: several edge agents over one store ask for
// the same name at once; every one presents the same certificate, written
// to the store once. Past two thirds of its life they all move to one
// renewed certificate.
func TestSharedServerCertificates(t *testing.T) {
	st := orbittest.NewStore(t)
	ctx := context.Background()
	var now atomic.Pointer[time.Time]
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now.Store(&t0)
	cfg := pki.Config{Now: func() time.Time { return *now.Load() }, LeafTTL: 3 * time.Hour, Logger: orbittest.Logger(t)}
	cas := make([]*pki.CA, 4)
	for i := range cas {
		ca, err := pki.New(ctx, cfg, st)
		if err != nil {
			t.Fatal(err)
		}
		cas[i] = ca
	}
	serials := func() []string {
		out := make([]string, 2*len(cas))
		var wg sync.WaitGroup
		for i := range out {
			wg.Go(func() {
				c, err := cas[i%len(cas)].ServerCertificate("Web.Example.test")
				if err != nil {
					t.Error(err)
					return
				}
				out[i] = c.Leaf.SerialNumber.String()
			})
		}
		wg.Wait()
		for i, s := range out {
			if s != out[0] {
				t.Fatalf("agent %d presents certificate %s, agent 0 %s: want one shared certificate", i%len(cas), s, out[0])
			}
		}
		return out
	}
	first := serials()
	kv, err := st.Get(ctx, store.CALeafKey("web.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if kv.CreateRevision != kv.ModRevision {
		t.Fatalf("the certificate was written more than once (created at %d, modified at %d)", kv.CreateRevision, kv.ModRevision)
	}

	later := t0.Add(2*time.Hour + time.Minute) // past two thirds of its life
	now.Store(&later)
	renewed := serials()
	if renewed[0] == first[0] {
		t.Fatal("no agent renewed the certificate past two thirds of its life")
	}
	kv2, err := st.Get(ctx, store.CALeafKey("web.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if kv2.ModRevision == kv.ModRevision {
		t.Fatal("the renewed certificate was not shared through the store")
	}
	// A new agent (or a restarted one) presents the stored certificate.
	ca, err := pki.New(ctx, cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.ServerCertificate("web.example.test")
	if err != nil || c.Leaf.SerialNumber.String() != renewed[0] {
		t.Fatalf("new agent: %v, want the stored certificate %s", err, renewed[0])
	}
}

// TestSharedCertificateNameChecked: a bad name reaches neither the
// issuer nor the store.
func TestSharedCertificateNameChecked(t *testing.T) {
	st := orbittest.NewStore(t)
	ca, err := pki.New(context.Background(), pki.Config{}, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.ServerCertificate("../root"); err == nil {
		t.Fatal("issued a certificate for ../root")
	}
}
