package pki

import (
	"context"
	"sync"
)

// Storage persists the root bundle (PEM certificate followed by the PEM
// PKCS#8 private key). Implementations must make CreateCARoot atomic: of two
// agents racing to create the root, one wins and both get its bundle.
type Storage interface {
	// LoadCARoot returns the stored bundle; ok is false when there is none.
	LoadCARoot(ctx context.Context) (bundle []byte, ok bool, err error)
	// CreateCARoot stores bundle unless a root already exists, and returns
	// the bundle stored afterwards (bundle itself, or the earlier one).
	CreateCARoot(ctx context.Context, bundle []byte) ([]byte, error)
}

// MemStorage is an in-memory Storage for tests and single-process use.
type MemStorage struct {
	mu     sync.Mutex // guards bundle
	bundle []byte
}

var _ Storage = (*MemStorage)(nil)

// LoadCARoot implements Storage.
func (m *MemStorage) LoadCARoot(context.Context) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bundle, m.bundle != nil, nil
}

// CreateCARoot implements Storage.
func (m *MemStorage) CreateCARoot(_ context.Context, bundle []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bundle == nil {
		m.bundle = append([]byte(nil), bundle...)
	}
	return m.bundle, nil
}
