package store

import (
	"context"
	"errors"
	"fmt"
)

// FamilyPKI holds the internal certificate authority's material.
const FamilyPKI = "pki"

// CARootKey is the key of the internal CA's root bundle (certificate and
// private key, PEM).
func CARootKey() string { return FamilyKey(FamilyPKI, "root") }

// LoadCARoot returns the internal CA's root bundle; ok is false when none
// has been created yet.
func (s *Store) LoadCARoot(ctx context.Context) ([]byte, bool, error) {
	kv, err := s.Get(ctx, CARootKey())
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load CA root: %w", err)
	}
	return kv.Value, true, nil
}

// CreateCARoot stores bundle as the CA root unless one exists (a
// transaction that requires the key to be absent), and returns the bundle
// stored afterwards: bundle, or the one another agent stored first.
func (s *Store) CreateCARoot(ctx context.Context, bundle []byte) ([]byte, error) {
	ok, _, err := s.Txn(ctx, []Cmp{{Key: CARootKey(), ModRevision: 0}}, []Op{Put(CARootKey(), bundle)})
	if err != nil {
		return nil, fmt.Errorf("create CA root: %w", err)
	}
	if ok {
		return bundle, nil
	}
	kv, err := s.Get(ctx, CARootKey())
	if err != nil {
		return nil, fmt.Errorf("read CA root after losing the race: %w", err)
	}
	return kv.Value, nil
}
