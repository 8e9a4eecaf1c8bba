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
	mu     sync.Mutex // guards bundle, leaves and rev
	bundle []byte
	leaves map[string]memLeaf
	rev    int64
}

type memLeaf struct {
	bundle []byte
	rev    int64
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

// LeafStorage shares issued server certificates between agents, so every
// edge node presents the same certificate for a name and each is issued
// once. CreateCALeaf must be atomic: it stores bundle only while the
// stored certificate is still the one LoadCALeaf returned at rev (0: none).
// A Storage without it keeps certificates per process.
type LeafStorage interface {
	// LoadCALeaf returns name's bundle and its revision; rev 0: none.
	LoadCALeaf(ctx context.Context, name string) (bundle []byte, rev int64, err error)
	// CreateCALeaf stores bundle unless another replaced rev first, and
	// returns the bundle stored afterwards.
	CreateCALeaf(ctx context.Context, name string, rev int64, bundle []byte) ([]byte, error)
}

var _ LeafStorage = (*MemStorage)(nil)

// LoadCALeaf implements LeafStorage.
func (m *MemStorage) LoadCALeaf(_ context.Context, name string) ([]byte, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.leaves[name]
	if !ok {
		return nil, 0, nil
	}
	return l.bundle, l.rev, nil
}

// CreateCALeaf implements LeafStorage.
func (m *MemStorage) CreateCALeaf(_ context.Context, name string, rev int64, bundle []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leaves == nil {
		m.leaves = map[string]memLeaf{}
	}
	if cur := m.leaves[name]; cur.rev != rev {
		return cur.bundle, nil
	}
	m.rev++
	m.leaves[name] = memLeaf{bundle: append([]byte(nil), bundle...), rev: m.rev}
	return bundle, nil
}
