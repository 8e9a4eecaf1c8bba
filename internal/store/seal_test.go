package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

const pemKey = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"

// TestSealedSecrets: with a seal key the CA root and signing keys are
// stored encrypted (the etcd value holds no PEM and not the record), read
// back clear, and unreadable to a store without the key or with another.
func TestSealedSecrets(t *testing.T) {
	ctx := context.Background()
	s := orbittest.NewStore(t)
	k, err := store.GenerateSealKey()
	if err != nil {
		t.Fatal(err)
	}
	s.SetSealKey(k)
	if got, err := s.CreateCARoot(ctx, []byte(pemKey)); err != nil || string(got) != pemKey {
		t.Fatalf("create root = %q, %v", got, err)
	}
	if _, err := s.CreateSigningKey(ctx, "00000001", []byte("signing secret")); err != nil {
		t.Fatal(err)
	}
	raw, err := s.Get(ctx, store.CARootKey())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw.Value, []byte("PRIVATE KEY")) || bytes.Contains(raw.Value, []byte("MIGHAgEA")) {
		t.Fatalf("the CA root is stored in the clear: %q", raw.Value)
	}
	rawSig, _ := s.Get(ctx, store.SigningKeyKey("00000001"))
	if bytes.Contains(rawSig.Value, []byte("signing secret")) {
		t.Fatalf("the signing key is stored in the clear: %q", rawSig.Value)
	}
	if b, ok, err := s.LoadCARoot(ctx); err != nil || !ok || string(b) != pemKey {
		t.Fatalf("load root = %q %v %v", b, ok, err)
	}
	if recs, err := s.LoadSigningKeys(ctx); err != nil || string(recs["00000001"]) != "signing secret" {
		t.Fatalf("load signing keys = %q, %v", recs, err)
	}

	// The same key in its text form (as another server's file) opens it.
	same, err := store.ParseSealKey(k.String())
	if err != nil {
		t.Fatal(err)
	}
	s.SetSealKey(same)
	if b, _, err := s.LoadCARoot(ctx); err != nil || string(b) != pemKey {
		t.Fatalf("load root with the key from its text form = %q, %v", b, err)
	}
	other, _ := store.GenerateSealKey()
	s.SetSealKey(other)
	if _, _, err := s.LoadCARoot(ctx); !errors.Is(err, store.ErrSealKeyMismatch) {
		t.Fatalf("load root with another key: %v, want ErrSealKeyMismatch", err)
	}
	s.SetSealKey(nil)
	if _, _, err := s.LoadCARoot(ctx); !errors.Is(err, store.ErrSealed) {
		t.Fatalf("load root without a key: %v, want ErrSealed", err)
	}
	if _, err := s.LoadSigningKeys(ctx); !errors.Is(err, store.ErrSealed) {
		t.Fatalf("load signing keys without a key: %v, want ErrSealed", err)
	}

	// A sealed value moved under another key does not open (the etcd key
	// is authenticated with it).
	s.SetSealKey(k)
	if _, _, err := s.Txn(ctx, nil, []store.Op{store.Put(store.SigningKeyKey("00000002"), raw.Value)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadSigningKeys(ctx); err == nil {
		t.Fatal("a sealed value moved to another key opened")
	}
}

// TestSealMigratesClearSecrets: secrets stored clear before the seal key
// existed are sealed in place the first time a server reads them.
func TestSealMigratesClearSecrets(t *testing.T) {
	ctx := context.Background()
	s := orbittest.NewStore(t)
	if _, err := s.CreateCARoot(ctx, []byte(pemKey)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSigningKey(ctx, "00000001", []byte("signing secret")); err != nil {
		t.Fatal(err)
	}
	if raw, _ := s.Get(ctx, store.CARootKey()); string(raw.Value) != pemKey {
		t.Fatalf("without a seal key the root is stored as given: %q", raw.Value)
	}
	k, _ := store.GenerateSealKey()
	s.SetSealKey(k)
	if b, _, err := s.LoadCARoot(ctx); err != nil || string(b) != pemKey {
		t.Fatalf("load root = %q, %v", b, err)
	}
	if recs, err := s.LoadSigningKeys(ctx); err != nil || string(recs["00000001"]) != "signing secret" {
		t.Fatalf("load signing keys = %q, %v", recs, err)
	}
	for _, key := range []string{store.CARootKey(), store.SigningKeyKey("00000001")} {
		raw, err := s.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw.Value, []byte("PRIVATE KEY")) || bytes.Contains(raw.Value, []byte("signing secret")) {
			t.Errorf("%s still clear after a server read it: %q", key, raw.Value)
		}
	}
	s.SetSealKey(nil)
	if _, _, err := s.LoadCARoot(ctx); !errors.Is(err, store.ErrSealed) {
		t.Fatalf("the migrated root opens without the key: %v", err)
	}
}

// TestSealKeyFile: the key file is written once (0600) and read back.
func TestSealKeyFile(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := store.LoadSealKey(dir); ok || err != nil {
		t.Fatalf("load from an empty dir = %v, %v", ok, err)
	}
	k, _ := store.GenerateSealKey()
	if err := store.WriteSealKey(dir, k); err != nil {
		t.Fatal(err)
	}
	other, _ := store.GenerateSealKey()
	if err := store.WriteSealKey(dir, other); err == nil {
		t.Fatal("an existing key file was replaced")
	}
	got, ok, err := store.LoadSealKey(dir)
	if err != nil || !ok || got.ID() != k.ID() {
		t.Fatalf("load = %v %v %v", got, ok, err)
	}
}
