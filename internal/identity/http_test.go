package identity

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

type jwksAnswer struct {
	set   JWKS
	index uint64
	err   error
}

func fetchJWKS(url string) jwksAnswer {
	resp, err := http.Get(url)
	if err != nil {
		return jwksAnswer{err: err}
	}
	defer resp.Body.Close()
	var a jwksAnswer
	a.err = json.NewDecoder(resp.Body).Decode(&a.set)
	a.index, _ = strconv.ParseUint(resp.Header.Get("X-Nomad-Index"), 10, 64)
	return a
}

// TestJWKSBlockingQuery: a JWKS read with ?index= waits until the published
// set changes (another server created the next key), or until ?wait ends.
func TestJWKSBlockingQuery(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(start)
	st := &MemStorage{}
	s := newSigner(t, st, clock)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	first := fetchJWKS(srv.URL + JWKSPath)
	if first.err != nil || len(first.set.Keys) != 1 || first.index == 0 {
		t.Fatalf("first read: %+v", first)
	}

	// Unchanged: the read ends when its wait does, with the same index.
	got := make(chan jwksAnswer, 1)
	go func() {
		got <- fetchJWKS(srv.URL + JWKSPath + "?index=" + strconv.FormatUint(first.index, 10) + "&wait=30s")
	}()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if a := <-got; a.err != nil || a.index != first.index || len(a.set.Keys) != 1 {
		t.Fatalf("read after the wait: %+v, want index %d and one key", a, first.index)
	}

	// Another server, later, creates the next key; this one's sync
	// publishes it and the blocked read answers with it.
	go func() {
		got <- fetchJWKS(srv.URL + JWKSPath + "?index=" + strconv.FormatUint(first.index, 10) + "&wait=30s")
	}()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	later := clockwork.NewFakeClockAt(start.Add(testPolicy.RotationPeriod - testPolicy.PublishAhead))
	newSigner(t, st, later)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if a := <-got; a.err != nil || a.index <= first.index || len(a.set.Keys) != 2 {
		t.Fatalf("read after the change: %+v, want a higher index than %d and two keys", a, first.index)
	}
}

func TestDiscoveryDocument(t *testing.T) {
	s := newSigner(t, &MemStorage{}, clockwork.NewFakeClock())
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + DiscoveryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d Discovery
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.Issuer != "http://orbit.test" || d.JWKSURI != "http://orbit.test/.well-known/jwks.json" ||
		len(d.IDTokenSigningAlgValuesSupported) != 1 || d.IDTokenSigningAlgValuesSupported[0] != "RS256" {
		t.Errorf("discovery = %+v", d)
	}
	resp2, err := http.Post(srv.URL+JWKSPath, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST jwks = %s, want 405", resp2.Status)
	}
}
