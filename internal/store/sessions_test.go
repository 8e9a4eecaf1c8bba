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
