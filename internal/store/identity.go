package store

import (
	"context"
	"fmt"
	"strings"
)

// FamilyIdentity holds the workload identity signing keys, one record per
// key generation (opaque bytes the identity package encodes). The records
// hold private keys, sealed with the servers' key (see SealKey).
const FamilyIdentity = "identity"

// SigningKeyPrefix holds every signing key record.
func SigningKeyPrefix() string { return FamilyKey(FamilyIdentity, "keys/") }

// SigningKeyKey is the key of the signing key record name.
func SigningKeyKey(name string) string { return SigningKeyPrefix() + name }

// LoadSigningKeys returns every signing key record by name.
func (s *Store) LoadSigningKeys(ctx context.Context) (map[string][]byte, error) {
	kvs, _, err := s.List(ctx, SigningKeyPrefix())
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	out := make(map[string][]byte, len(kvs))
	for _, kv := range kvs {
		v, err := s.openValue(ctx, kv)
		if err != nil {
			return nil, fmt.Errorf("load signing keys: %w", err)
		}
		out[strings.TrimPrefix(kv.Key, SigningKeyPrefix())] = v
	}
	return out, nil
}

// CreateSigningKey stores rec under name unless name exists (a transaction
// that requires the key to be absent); created is false when another
// server stored it first.
func (s *Store) CreateSigningKey(ctx context.Context, name string, rec []byte) (bool, error) {
	if name == "" || strings.Contains(name, "/") {
		return false, fmt.Errorf("create signing key: bad name %q", name)
	}
	key := SigningKeyKey(name)
	ok, _, err := s.Txn(ctx, []Cmp{{Key: key, ModRevision: 0}}, []Op{Put(key, s.sealValue(key, rec))})
	if err != nil {
		return false, fmt.Errorf("create signing key %s: %w", name, err)
	}
	return ok, nil
}

// DeleteSigningKey removes the record name; an absent one is not an error.
func (s *Store) DeleteSigningKey(ctx context.Context, name string) error {
	if _, err := s.DeleteKeys(ctx, []string{SigningKeyKey(name)}); err != nil {
		return fmt.Errorf("delete signing key %s: %w", name, err)
	}
	return nil
}
