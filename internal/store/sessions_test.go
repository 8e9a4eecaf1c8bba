package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

func holder(t *testing.T, s *store.Store, key string) (catalog.KVLock, bool) {
	t.Helper()
	kv, err := s.Get(context.Background(), store.KVKey(key))
	if errors.Is(err, store.ErrNotFound) {
		return catalog.KVLock{}, false
	} else if err != nil {
		t.Fatal(err)
	}
	_, lock, _, err := catalog.DecodeKVLock(kv.Value)
	if err != nil {
		t.Fatal(err)
	}
	return lock, true
}

// TestReaperFreesKeysOfSessionsThatExpiredUnwatched: a TTL session expires
// while no reaper runs; a reaper started later releases its key, and the
// lock delay then refuses another session.
func TestReaperFreesKeysOfSessionsThatExpiredUnwatched(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx := context.Background()
	now := time.Now()
	short := &catalog.Session{ID: "short", Node: "n1", Behavior: catalog.BehaviorRelease, LockDelay: time.Minute, TTL: "2s"}
	long := &catalog.Session{ID: "long", Node: "n1", Behavior: catalog.BehaviorRelease, TTL: "60s"}
	for _, se := range []*catalog.Session{short, long} {
		if _, err := s.CreateSession(ctx, se, 0); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _, err := s.KVAcquire(ctx, "leader", 0, []byte("a"), "short", now); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if ok, _, err := s.KVAcquire(ctx, "leader", 0, []byte("b"), "long", now); err != nil || ok {
		t.Fatalf("acquire of a held key: %v %v", ok, err)
	}
	orbittest.Eventually(t, time.Minute, "the short session's lease to expire", func() bool {
		_, err := s.Session(ctx, "short")
		return errors.Is(err, store.ErrSessionNotFound)
	})
	if lock, _ := holder(t, s, "leader"); lock.Session != "short" {
		t.Fatalf("without a reaper the key changed: %+v", lock)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.ReapSessions(rctx, time.Now) }()
	orbittest.Eventually(t, time.Minute, "the reaper to free the key", func() bool {
		lock, _ := holder(t, s, "leader")
		return lock.Session == "" && lock.LockIndex == 1
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("reaper: %v", err)
	}
	if ok, _, err := s.KVAcquire(ctx, "leader", 0, nil, "long", time.Now()); err != nil || ok {
		t.Fatalf("acquire within the lock delay: %v %v", ok, err)
	}
	if ok, _, err := s.KVAcquire(ctx, "leader", 0, nil, "long", time.Now().Add(2*time.Minute)); err != nil || !ok {
		t.Fatalf("acquire after the lock delay: %v %v", ok, err)
	}
	if lock, _ := holder(t, s, "leader"); lock.Session != "long" || lock.LockIndex != 2 {
		t.Fatalf("after the second acquire: %+v", lock)
	}
	if _, _, err := s.KVAcquire(ctx, "other", 0, nil, "short", time.Now()); !errors.Is(err, store.ErrInvalidSession) {
		t.Fatalf("acquire by an ended session: %v", err)
	}
}

// TestKVPutKeepsLocks: a plain write, with or without cas, keeps the lock
// of an entry that has one and writes an entry without one whole.
func TestKVPutKeepsLocks(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx := context.Background()
	u64 := func(v int64) *uint64 { u := uint64(v); return &u }
	put := func(key, val string, cas *uint64) (bool, int64) {
		t.Helper()
		ok, rev, err := s.KVPut(ctx, key, 0, []byte(val), cas)
		if err != nil {
			t.Fatal(err)
		}
		return ok, rev
	}
	if ok, _ := put("free", "1", u64(0)); !ok {
		t.Fatal("cas 0 on an absent key refused")
	}
	if ok, _ := put("free", "2", u64(0)); ok {
		t.Fatal("cas 0 on a present key accepted")
	}
	_, rev := put("free", "3", nil)
	if ok, _ := put("free", "4", u64(rev-1)); ok {
		t.Fatal("a stale cas accepted")
	}
	if ok, _ := put("free", "5", u64(rev)); !ok {
		t.Fatal("a current cas refused")
	}
	if lock, _ := holder(t, s, "free"); lock != (catalog.KVLock{}) {
		t.Fatalf("an unlocked key got a lock: %+v", lock)
	}

	se := &catalog.Session{ID: "s1", Node: "n1", Behavior: catalog.BehaviorRelease, TTL: "60s"}
	if _, err := s.CreateSession(ctx, se, 0); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.KVAcquire(ctx, "held", 0, []byte("a"), "s1", time.Now()); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	want := catalog.KVLock{LockIndex: 1, Session: "s1"}
	_, rev = put("held", "b", nil)
	if lock, _ := holder(t, s, "held"); lock != want {
		t.Fatalf("a plain put changed the lock: %+v", lock)
	}
	if ok, _ := put("held", "c", u64(rev-1)); ok {
		t.Fatal("a stale cas on a locked key accepted")
	}
	if ok, _ := put("held", "d", u64(rev)); !ok {
		t.Fatal("a current cas on a locked key refused")
	}
	kv, err := s.Get(ctx, store.KVKey("held"))
	if err != nil {
		t.Fatal(err)
	}
	_, lock, val, _ := catalog.DecodeKVLock(kv.Value)
	if lock != want || string(val) != "d" {
		t.Fatalf("after a cas put: %+v %q", lock, val)
	}
	if ok, _, err := s.KVRelease(ctx, "held", 0, []byte("e"), "s1"); err != nil || !ok {
		t.Fatalf("release: %v %v", ok, err)
	}
	put("held", "f", nil)
	if lock, _ := holder(t, s, "held"); lock != (catalog.KVLock{LockIndex: 1}) {
		t.Fatalf("a plain put after release: %+v", lock)
	}
}
