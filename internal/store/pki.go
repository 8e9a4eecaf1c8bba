package store

import (
	"context"
	"errors"
	"fmt"
)

// FamilyPKI holds the internal certificate authority's material.
const FamilyPKI = "pki"

// CARootKey is the key of the internal CA's root bundle (certificate and
// private key, PEM), sealed with the servers' key (see SealKey).
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
	b, err := s.openValue(ctx, kv)
	if err != nil {
		return nil, false, fmt.Errorf("load CA root: %w", err)
	}
	return b, true, nil
}

// CreateCARoot stores bundle as the CA root unless one exists (a
// transaction that requires the key to be absent), and returns the bundle
// stored afterwards: bundle, or the one another agent stored first. A store
// without a seal key stores it clear (servers seal it when they read it);
// the agent has servers create it.
func (s *Store) CreateCARoot(ctx context.Context, bundle []byte) ([]byte, error) {
	ok, _, err := s.Txn(ctx, []Cmp{{Key: CARootKey(), ModRevision: 0}}, []Op{Put(CARootKey(), s.sealValue(CARootKey(), bundle))})
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
	b, err := s.openValue(ctx, kv)
	if err != nil {
		return nil, fmt.Errorf("read CA root after losing the race: %w", err)
	}
	return b, nil
}

// CALeafKey is the key of the shared server certificate for name
// (certificate chain and private key, PEM).
func CALeafKey(name string) string { return FamilyKey(FamilyPKI, "leaf/"+name) }

// LoadCALeaf returns the stored server certificate bundle for name and the
// revision to replace it at; rev is 0 when there is none.
func (s *Store) LoadCALeaf(ctx context.Context, name string) ([]byte, int64, error) {
	kv, err := s.Get(ctx, CALeafKey(name))
	if errors.Is(err, ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load certificate %q: %w", name, err)
	}
	return kv.Value, kv.ModRevision, nil
}

// CreateCALeaf stores bundle for name if the stored one is still the one
// at rev (0: none stored), in one transaction, and returns the bundle
// stored afterwards: bundle, or the one another agent stored first.
func (s *Store) CreateCALeaf(ctx context.Context, name string, rev int64, bundle []byte) ([]byte, error) {
	ok, _, err := s.Txn(ctx, []Cmp{{Key: CALeafKey(name), ModRevision: rev}}, []Op{Put(CALeafKey(name), bundle)})
	if err != nil {
		return nil, fmt.Errorf("store certificate %q: %w", name, err)
	}
	if ok {
		return bundle, nil
	}
	kv, err := s.Get(ctx, CALeafKey(name))
	if err != nil {
		return nil, fmt.Errorf("read certificate %q after losing the race: %w", name, err)
	}
	return kv.Value, nil
}
