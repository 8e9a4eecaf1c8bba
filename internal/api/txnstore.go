package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/orbit/orbit/internal/store"
)

// txnAttempts bounds the retries of a transaction whose reads were
// overtaken by another write before it committed.
const txnAttempts = 16

// storeReader reads etcd for a transaction and remembers what it read:
// the commit is conditioned on every key keeping the revision read, and
// on no key under a listed prefix being written after the list.
type storeReader struct {
	st       Writer
	keys     map[string]*store.KV // nil: read absent
	prefixes map[string]prefixRead
}

type prefixRead struct {
	kvs []*store.KV
	rev int64
}

var _ txnReader = (*storeReader)(nil)

func newStoreReader(st Writer) *storeReader {
	return &storeReader{st: st, keys: map[string]*store.KV{}, prefixes: map[string]prefixRead{}}
}

func (r *storeReader) get(ctx context.Context, key string) (*store.KV, error) {
	if kv, ok := r.keys[key]; ok {
		return kv, nil
	}
	kv, err := r.st.Get(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		r.keys[key] = nil
		return nil, nil
	case err != nil:
		return nil, err
	}
	r.keys[key] = &kv
	return &kv, nil
}

func (r *storeReader) list(ctx context.Context, prefix string) ([]*store.KV, error) {
	if p, ok := r.prefixes[prefix]; ok {
		return p.kvs, nil
	}
	kvs, rev, err := r.st.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]*store.KV, len(kvs))
	for i := range kvs {
		out[i] = &kvs[i]
	}
	r.prefixes[prefix] = prefixRead{kvs: out, rev: rev}
	return out, nil
}

// cmps are the conditions the commit needs for what was read.
func (r *storeReader) cmps() []store.Cmp {
	var out []store.Cmp
	for k, kv := range r.keys {
		c := store.Cmp{Key: k}
		if kv != nil {
			c.ModRevision = kv.ModRevision
		}
		out = append(out, c)
	}
	for p, read := range r.prefixes {
		out = append(out, store.Cmp{Key: p, ModRevision: read.rev, Prefix: true})
		for _, kv := range read.kvs {
			out = append(out, store.Cmp{Key: kv.Key, ModRevision: kv.ModRevision})
		}
	}
	return out
}

// runTxn applies ops and commits their writes in one etcd transaction,
// starting again from fresh reads when another write overtook them. A
// read-only transaction commits no write but is checked the same way, so
// its results are one consistent snapshot.
func (s *Server) runTxn(ctx context.Context, ops []*txnOp) ([]*txnResultJSON, []*txnErrorJSON, error) {
	for range txnAttempts {
		rd := newStoreReader(s.store)
		t := newTxnApply(rd, s.clock.Now())
		results, errs, err := t.run(ctx, ops)
		if err != nil {
			return nil, nil, fmt.Errorf("txn: %w", err)
		}
		if len(errs) > 0 {
			return nil, errs, nil
		}
		writes := t.writes()
		ok, rev, err := s.store.Txn(ctx, rd.cmps(), writes)
		if err != nil {
			return nil, nil, fmt.Errorf("txn: %w", err)
		}
		if !ok {
			continue
		}
		if len(writes) > 0 {
			fixIndexes(results, rev)
			if err := s.waitWrite(ctx, rev); err != nil {
				return nil, nil, err
			}
		}
		return results, nil, nil
	}
	return nil, nil, fmt.Errorf("txn: %w", store.ErrConflict)
}
