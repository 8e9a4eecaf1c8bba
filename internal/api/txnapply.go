package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/store"
)

// txnReader reads the keys a transaction needs: one key (nil when absent)
// or every key under a prefix. The etcd implementation (txnstore.go)
// remembers what it read so the commit is conditioned on it; tests use a
// map.
type txnReader interface {
	get(ctx context.Context, key string) (*store.KV, error)
	list(ctx context.Context, prefix string) ([]*store.KV, error)
}

// pendingRev stands for the revision the transaction will commit at, in
// the records it writes; results carry pendingIndex until commit.
const (
	pendingRev   int64  = -1
	pendingIndex uint64 = math.MaxUint64
)

// txnApply applies operations in order over what rd reads, the way
// Consul's state store does inside one transaction: each operation sees
// the writes of those before it, and every failed operation is reported.
// It writes nothing: writes() lists what to commit.
type txnApply struct {
	rd  txnReader
	now time.Time
	// over holds the keys written so far; a nil value is a deletion.
	over  map[string]*store.KV
	order []string // keys of over, first write first
}

func newTxnApply(rd txnReader, now time.Time) *txnApply {
	return &txnApply{rd: rd, now: now, over: map[string]*store.KV{}}
}

// run applies ops and returns their results, or the failed operations.
// err is a failure to read (the transaction did not run).
func (t *txnApply) run(ctx context.Context, ops []*txnOp) ([]*txnResultJSON, []*txnErrorJSON, error) {
	var results []*txnResultJSON
	var errs []*txnErrorJSON
	for i, op := range ops {
		res, what, err := t.apply(ctx, op)
		if err != nil {
			return nil, nil, err
		}
		if what != "" {
			errs = append(errs, &txnErrorJSON{OpIndex: i, What: what})
			continue
		}
		results = append(results, res...)
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	return results, nil, nil
}

// writes is what the transaction commits, in the order first written.
func (t *txnApply) writes() []store.Op {
	ops := make([]store.Op, 0, len(t.order))
	for _, k := range t.order {
		if kv := t.over[k]; kv == nil {
			ops = append(ops, store.Del(k))
		} else {
			ops = append(ops, store.Put(k, kv.Value))
		}
	}
	return ops
}

func (t *txnApply) apply(ctx context.Context, op *txnOp) ([]*txnResultJSON, string, error) {
	switch {
	case op.kv != nil:
		return t.applyKV(ctx, op)
	case op.node != nil:
		return t.applyNode(ctx, op)
	case op.svc != nil:
		return t.applyService(ctx, op)
	case op.check != nil:
		return t.applyCheck(ctx, op)
	}
	return nil, "no operation specified", nil
}

// get reads key as the transaction sees it so far.
func (t *txnApply) get(ctx context.Context, key string) (*store.KV, error) {
	if kv, ok := t.over[key]; ok {
		return kv, nil
	}
	return t.rd.get(ctx, key)
}

// list reads every key under prefix as the transaction sees it so far,
// ordered by key.
func (t *txnApply) list(ctx context.Context, prefix string) ([]*store.KV, error) {
	read, err := t.rd.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*store.KV{}
	for _, kv := range read {
		byKey[kv.Key] = kv
	}
	for k, kv := range t.over {
		if strings.HasPrefix(k, prefix) {
			byKey[k] = kv
		}
	}
	keys := make([]string, 0, len(byKey))
	for k, kv := range byKey {
		if kv != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]*store.KV, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out, nil
}

// put writes value at key, keeping the key's create revision.
func (t *txnApply) put(ctx context.Context, key string, value []byte) (*store.KV, error) {
	cur, err := t.get(ctx, key)
	if err != nil {
		return nil, err
	}
	kv := &store.KV{Key: key, Value: value, CreateRevision: pendingRev, ModRevision: pendingRev}
	if cur != nil {
		kv.CreateRevision = cur.CreateRevision
	}
	t.set(key, kv)
	return kv, nil
}

func (t *txnApply) del(key string) { t.set(key, nil) }

func (t *txnApply) set(key string, kv *store.KV) {
	if _, ok := t.over[key]; !ok {
		t.order = append(t.order, key)
	}
	t.over[key] = kv
}

// index is a record's revision as a Consul index (pendingIndex for this
// transaction's).
func index(rev int64) uint64 {
	if rev == pendingRev {
		return pendingIndex
	}
	return uint64(rev)
}

// applyKV is one KV operation, with Consul's verbs and error texts.
func (t *txnApply) applyKV(ctx context.Context, op *txnOp) ([]*txnResultJSON, string, error) {
	in := op.kv
	key := store.KVKey(in.Key)
	if in.Verb == "get-tree" || in.Verb == "delete-tree" {
		kvs, err := t.list(ctx, key)
		if err != nil {
			return nil, "", err
		}
		var out []*txnResultJSON
		for _, kv := range kvs {
			if in.Verb == "delete-tree" {
				t.del(kv.Key)
				continue
			}
			e, err := decodeKVEntry(kv, strings.TrimPrefix(kv.Key, store.KVKey("")))
			if err != nil {
				return nil, "", err
			}
			out = append(out, &txnResultJSON{KV: e})
		}
		return out, "", nil
	}
	cur, err := t.get(ctx, key)
	if err != nil {
		return nil, "", err
	}
	var e *kvJSON
	if cur != nil {
		if e, err = decodeKVEntry(cur, in.Key); err != nil {
			return nil, "", err
		}
	}
	write := func(lock catalog.KVLock) ([]*txnResultJSON, string, error) {
		kv, err := t.put(ctx, key, catalog.EncodeKVLock(in.Flags, lock, in.Value))
		if err != nil {
			return nil, "", err
		}
		return []*txnResultJSON{{KV: &kvJSON{Key: in.Key, Flags: in.Flags, LockIndex: lock.LockIndex, Session: lock.Session,
			CreateIndex: index(kv.CreateRevision), ModifyIndex: index(kv.ModRevision)}}}, "", nil
	}
	held := func() catalog.KVLock {
		if e == nil {
			return catalog.KVLock{}
		}
		return catalog.KVLock{LockIndex: e.LockIndex, Session: e.Session}
	}
	blank := func() []*txnResultJSON {
		c := *e
		c.Value = nil
		return []*txnResultJSON{{KV: &c}}
	}
	switch in.Verb {
	case "set":
		return write(held())
	case "cas":
		if (in.Index == 0 && e != nil) || (in.Index != 0 && (e == nil || e.ModifyIndex != in.Index)) {
			return nil, fmt.Sprintf("failed to set key %q, index is stale", in.Key), nil
		}
		return write(held())
	case "delete":
		t.del(key)
		return nil, "", nil
	case "delete-cas":
		if e != nil && e.ModifyIndex != in.Index {
			return nil, fmt.Sprintf("failed to delete key %q, index is stale", in.Key), nil
		}
		t.del(key)
		return nil, "", nil
	case "lock":
		return t.lock(ctx, in, e, write)
	case "unlock":
		if in.Session == "" {
			return nil, "missing session", nil
		}
		if e == nil || e.Session != in.Session {
			return nil, fmt.Sprintf("failed to unlock key %q, lock isn't held, or is held by another session", in.Key), nil
		}
		t.del(store.HeldKey(in.Session, in.Key))
		return write(catalog.KVLock{LockIndex: e.LockIndex})
	case "get":
		if e == nil {
			return nil, fmt.Sprintf("key %q doesn't exist", in.Key), nil
		}
		return []*txnResultJSON{{KV: e}}, "", nil
	case "get-or-empty":
		if e == nil {
			return []*txnResultJSON{{KV: &kvJSON{Key: in.Key, Flags: in.Flags, Session: in.Session}}}, "", nil
		}
		return []*txnResultJSON{{KV: e}}, "", nil
	case "check-session":
		if e == nil {
			return nil, fmt.Sprintf("failed to check session, key %q doesn't exist", in.Key), nil
		}
		if e.Session != in.Session {
			return nil, fmt.Sprintf("failed session check for key %q, current session %q != %q", in.Key, e.Session, in.Session), nil
		}
		return blank(), "", nil
	case "check-index":
		if e == nil {
			return nil, fmt.Sprintf("failed to check index, key %q doesn't exist", in.Key), nil
		}
		if e.ModifyIndex != in.Index {
			return nil, fmt.Sprintf("failed index check for key %q, current modify index %d != %d", in.Key, e.ModifyIndex, in.Index), nil
		}
		return blank(), "", nil
	case "check-not-exists":
		if e != nil {
			return nil, fmt.Sprintf("key %q exists", in.Key), nil
		}
		return nil, "", nil
	}
	return nil, fmt.Sprintf("unknown KV verb %q", in.Verb), nil
}

// lock acquires in.Key for in.Session as KVAcquire does: the session must
// exist, no lock delay may run, and no other session may hold the key; a
// new holder increments LockIndex and is recorded for the session reaper.
func (t *txnApply) lock(ctx context.Context, in *txnKVIn, e *kvJSON, write func(catalog.KVLock) ([]*txnResultJSON, string, error)) ([]*txnResultJSON, string, error) {
	if in.Session == "" {
		return nil, "missing session", nil
	}
	skv, err := t.get(ctx, store.SessionKey(in.Session))
	if err != nil {
		return nil, "", err
	}
	var se catalog.Session
	if skv == nil || strings.Contains(in.Session, "/") || json.Unmarshal(skv.Value, &se) != nil {
		return nil, fmt.Sprintf("invalid session %q", in.Session), nil
	}
	delay, err := t.get(ctx, store.LockDelayKey(in.Key))
	if err != nil {
		return nil, "", err
	}
	if delay != nil {
		if t.now.Before(store.LockDelayUntil(delay.Value)) {
			return nil, fmt.Sprintf("failed to lock key %q due to lock delay", in.Key), nil
		}
		t.del(delay.Key) // a passed lock delay is dropped
	}
	lock := catalog.KVLock{LockIndex: 1, Session: in.Session}
	if e != nil {
		switch e.Session {
		case in.Session:
			lock.LockIndex = e.LockIndex
		case "":
			lock.LockIndex = e.LockIndex + 1
		default:
			return nil, fmt.Sprintf("failed to lock key %q, lock is already held", in.Key), nil
		}
	}
	if _, err := t.put(ctx, store.HeldKey(in.Session, in.Key), store.HeldRecord(se.Behavior, se.LockDelay)); err != nil {
		return nil, "", err
	}
	return write(lock)
}

// decodeKVEntry is a stored KV entry as Consul shows it.
func decodeKVEntry(kv *store.KV, key string) (*kvJSON, error) {
	flags, lock, val, err := catalog.DecodeKVLock(kv.Value)
	if err != nil {
		return nil, fmt.Errorf("decode key %q: %w", key, err)
	}
	return &kvJSON{Key: key, Flags: flags, Value: nilIfEmpty(val), LockIndex: lock.LockIndex, Session: lock.Session,
		CreateIndex: index(kv.CreateRevision), ModifyIndex: index(kv.ModRevision)}, nil
}

// fixIndexes replaces pendingIndex in results by the commit revision.
func fixIndexes(results []*txnResultJSON, rev int64) {
	fix := func(create, mod *uint64) {
		for _, p := range []*uint64{create, mod} {
			if *p == pendingIndex {
				*p = uint64(rev)
			}
		}
	}
	for _, r := range results {
		switch {
		case r.KV != nil:
			fix(&r.KV.CreateIndex, &r.KV.ModifyIndex)
		case r.Node != nil:
			fix(&r.Node.CreateIndex, &r.Node.ModifyIndex)
		case r.Service != nil:
			fix(&r.Service.CreateIndex, &r.Service.ModifyIndex)
		case r.Check != nil:
			fix(&r.Check.CreateIndex, &r.Check.ModifyIndex)
		}
	}
}
