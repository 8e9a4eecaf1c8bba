package store

import (
	"context"
	"errors"
	"fmt"
)

// ConnectCAConfigKey is the key of the Consul Connect CA configuration
// (/v1/connect/ca/configuration), stored as the JSON the API accepted.
func ConnectCAConfigKey() string { return FamilyKey(FamilyPKI, "connect-config") }

// CARootIndex returns the create and modify revisions of the CA root, the
// root's CreateIndex and ModifyIndex in Consul's answers; 0, 0 when no
// root is stored.
func (s *Store) CARootIndex(ctx context.Context) (create, mod int64, err error) {
	kv, err := s.Get(ctx, CARootKey())
	if errors.Is(err, ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read CA root index: %w", err)
	}
	return kv.CreateRevision, kv.ModRevision, nil
}

// ConnectCAConfig returns the stored Connect CA configuration and its
// create and modify revisions; nil and 0, 0 when none was ever set.
func (s *Store) ConnectCAConfig(ctx context.Context) (value []byte, create, mod int64, err error) {
	kv, err := s.Get(ctx, ConnectCAConfigKey())
	if errors.Is(err, ErrNotFound) {
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read Connect CA configuration: %w", err)
	}
	return kv.Value, kv.CreateRevision, kv.ModRevision, nil
}

// PutConnectCAConfig stores the Connect CA configuration and returns the
// write's revision.
func (s *Store) PutConnectCAConfig(ctx context.Context, value []byte) (int64, error) {
	_, rev, err := s.Txn(ctx, nil, []Op{Put(ConnectCAConfigKey(), value)})
	if err != nil {
		return 0, fmt.Errorf("store Connect CA configuration: %w", err)
	}
	return rev, nil
}
