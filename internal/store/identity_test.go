package store_test

import (
	"context"
	"testing"

	"github.com/orbit/orbit/internal/orbittest"
)

// TestSigningKeysCreateOnce: a signing key record is created once; a second
// create of the same name loses and keeps the first record.
func TestSigningKeysCreateOnce(t *testing.T) {
	ctx := context.Background()
	s := orbittest.NewStore(t)
	if created, err := s.CreateSigningKey(ctx, "00000001", []byte("first")); err != nil || !created {
		t.Fatalf("first create = %v, %v", created, err)
	}
	if created, err := s.CreateSigningKey(ctx, "00000001", []byte("second")); err != nil || created {
		t.Fatalf("second create = %v, %v; want lost", created, err)
	}
	if _, err := s.CreateSigningKey(ctx, "a/b", nil); err == nil {
		t.Error("a name with a slash was accepted")
	}
	recs, err := s.LoadSigningKeys(ctx)
	if err != nil || len(recs) != 1 || string(recs["00000001"]) != "first" {
		t.Fatalf("load = %q, %v", recs, err)
	}
	if err := s.DeleteSigningKey(ctx, "00000001"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSigningKey(ctx, "00000001"); err != nil {
		t.Fatalf("deleting an absent key: %v", err)
	}
	if recs, err := s.LoadSigningKeys(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("after delete: %q, %v", recs, err)
	}
}
