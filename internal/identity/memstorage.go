package identity

import (
	"context"
	"maps"
	"sync"
)

// MemStorage is an in-memory Storage for tests and single-process use.
type MemStorage struct {
	mu   sync.Mutex // guards recs
	recs map[string][]byte
}

var _ Storage = (*MemStorage)(nil)

// LoadSigningKeys implements Storage.
func (m *MemStorage) LoadSigningKeys(context.Context) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.recs), nil
}

// CreateSigningKey implements Storage.
func (m *MemStorage) CreateSigningKey(_ context.Context, name string, rec []byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.recs[name]; ok {
		return false, nil
	}
	if m.recs == nil {
		m.recs = map[string][]byte{}
	}
	m.recs[name] = append([]byte(nil), rec...)
	return true, nil
}

// DeleteSigningKey implements Storage.
func (m *MemStorage) DeleteSigningKey(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.recs, name)
	return nil
}
