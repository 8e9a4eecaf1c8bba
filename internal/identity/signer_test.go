package identity

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

var testPolicy = Policy{RotationPeriod: 100 * time.Hour, PublishAhead: 10 * time.Hour, MaxTokenTTL: 5 * time.Hour}

func newSigner(t *testing.T, st Storage, clock clockwork.Clock) *Signer {
	t.Helper()
	s, err := New(context.Background(), Config{Policy: testPolicy, Issuer: "http://orbit.test"}, Deps{Storage: st, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stdVerify checks a token with nothing of this package but the JWKS
// decoding: crypto/rsa over header.payload.
func stdVerify(t *testing.T, set JWKS, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", token, len(parts))
	}
	var h struct{ Alg, Kid string }
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if err := json.Unmarshal(raw, &h); err != nil || h.Alg != "RS256" {
		t.Fatalf("header %s: %v", raw, err)
	}
	keys, err := set.PublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	pub := keys[h.Kid]
	if pub == nil {
		t.Fatalf("kid %q not in the JWKS", h.Kid)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("signature: %v", err)
	}
	var claims map[string]any
	raw, _ = base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	claims["kid"] = h.Kid
	return claims
}

func TestSignCarriesNomadClaims(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newSigner(t, &MemStorage{}, clock)
	w := Workload{JobID: "web", Group: "g", AllocationID: "a1", Task: "server", Audience: []string{"consul.io"}}
	tok, err := s.Sign(w.Claims(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := stdVerify(t, s.JWKS(), tok)
	want := map[string]any{"nomad_namespace": "default", "nomad_job_id": "web", "nomad_allocation_id": "a1",
		"nomad_task": "server", "sub": "global:default:web:g:server:default", "iss": "http://orbit.test",
		"iat": float64(clock.Now().Unix()), "nbf": float64(clock.Now().Unix()), "exp": float64(clock.Now().Add(time.Hour).Unix())}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	if aud, _ := c["aud"].([]any); len(aud) != 1 || aud[0] != "consul.io" {
		t.Errorf("aud = %v", c["aud"])
	}
	if _, ok := c["nomad_service"]; ok {
		t.Error("a task identity carries nomad_service")
	}
	if c["jti"] == "" || c["jti"] == nil {
		t.Error("no jti")
	}
	if got, err := s.Verify(tok); err != nil || got.JobID != "web" {
		t.Errorf("Verify = %+v, %v", got, err)
	}
	if _, err := s.Sign(w.Claims(), testPolicy.MaxTokenTTL+time.Second); err == nil {
		t.Error("a token may outlive MaxTokenTTL")
	}
}

func TestVerifyRejects(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newSigner(t, &MemStorage{}, clock)
	tok, err := s.Sign(Workload{JobID: "web", Service: "web-http"}.Claims(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	forged, _ := json.Marshal(Workload{JobID: "other", Service: "web-http"}.Claims())
	keys := s.ring.Load().pubs
	tests := []struct {
		name  string
		token string
		keys  map[string]*rsa.PublicKey
		now   time.Time
		want  error
	}{
		{"two parts", parts[0] + "." + parts[1], keys, clock.Now(), ErrMalformed},
		{"changed claims", parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2], keys, clock.Now(), ErrSignature},
		{"unknown key", tok, map[string]*rsa.PublicKey{}, clock.Now(), ErrUnknownKey},
		{"expired", tok, keys, clock.Now().Add(time.Hour), ErrExpired},
		{"not yet", tok, keys, clock.Now().Add(-time.Second), ErrNotYet},
	}
	for _, tt := range tests {
		if _, err := Verify(tt.token, tt.keys, tt.now); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestRotation walks a keyring through a rotation on a fake clock: the next
// key is published before it signs, and the old one stays published until
// its last token expired, then leaves the store.
func TestRotation(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st := &MemStorage{}
	s := newSigner(t, st, clock)
	first := s.KeyIDs()
	if len(first) != 1 {
		t.Fatalf("keys after New = %v, want one", first)
	}
	step := func(d time.Duration) {
		t.Helper()
		clock.Advance(d)
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	signedBy := func() string {
		t.Helper()
		tok, err := s.Sign(Workload{JobID: "j", Task: "t"}.Claims(), testPolicy.MaxTokenTTL)
		if err != nil {
			t.Fatal(err)
		}
		return stdVerify(t, s.JWKS(), tok)["kid"].(string)
	}

	step(89 * time.Hour)
	if got := kids(s.JWKS()); !slices.Equal(got, first) {
		t.Fatalf("before publish time: JWKS %v, want %v", got, first)
	}
	step(time.Hour) // 90h: the next key is published, not used
	ids := s.KeyIDs()
	if len(ids) != 2 || !slices.Equal(kids(s.JWKS()), ids) {
		t.Fatalf("at publish time: keys %v, JWKS %v", ids, kids(s.JWKS()))
	}
	next := ids[1]
	if got := signedBy(); got != first[0] {
		t.Fatalf("at 90h signed by %s, want the current key %s", got, first[0])
	}
	lastOld, err := s.Sign(Workload{JobID: "j", Task: "t"}.Claims(), testPolicy.MaxTokenTTL)
	if err != nil {
		t.Fatal(err)
	}
	step(10 * time.Hour) // 100h: the next key signs; the old one still published
	if got := signedBy(); got != next {
		t.Fatalf("at 100h signed by %s, want the next key %s", got, next)
	}
	if got := kids(s.JWKS()); !slices.Equal(got, ids) {
		t.Fatalf("at 100h JWKS %v, want both %v", got, ids)
	}
	stdVerify(t, s.JWKS(), lastOld)
	step(5 * time.Hour) // 105h: every token of the old key has expired
	if got := kids(s.JWKS()); !slices.Equal(got, []string{next}) {
		t.Fatalf("at 105h JWKS %v, want only %s", got, next)
	}
	recs, _ := st.LoadSigningKeys(ctx)
	if len(recs) != 1 {
		t.Fatalf("store keeps %d keys after the drop, want 1", len(recs))
	}
}

// TestServersShareKeys: two signers over one storage use and publish the
// same keys, and one verifies the other's tokens.
func TestServersShareKeys(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st := &MemStorage{}
	a, b := newSigner(t, st, clock), newSigner(t, st, clock)
	if !slices.Equal(kids(a.JWKS()), kids(b.JWKS())) || len(a.JWKS().Keys) != 1 {
		t.Fatalf("JWKS differ: %v and %v", kids(a.JWKS()), kids(b.JWKS()))
	}
	tok, err := a.Sign(Workload{JobID: "j", Task: "t"}.Claims(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(tok); err != nil {
		t.Fatalf("b rejects a's token: %v", err)
	}
}

func TestJWKThumbprintAndExponent(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := newSigner(t, &MemStorage{}, clock)
	j := s.JWKS().Keys[0]
	if j.KeyType != "RSA" || j.Use != "sig" || j.Alg != "RS256" || j.E != "AQAB" {
		t.Errorf("jwk = %+v", j)
	}
	pub, err := j.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if Thumbprint(pub) != j.KeyID {
		t.Errorf("kid %s is not the key's thumbprint %s", j.KeyID, Thumbprint(pub))
	}
}
