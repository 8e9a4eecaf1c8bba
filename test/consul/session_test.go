package consul_test

import (
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

func TestSessionLifecycle(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	s := c.Session()

	id, _, err := s.Create(&capi.SessionEntry{Name: "web-lock", TTL: "30s", Behavior: capi.SessionBehaviorDelete,
		LockDelay: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := s.Info(id, nil)
	if err != nil || info == nil {
		t.Fatalf("info: %v %v", info, err)
	}
	if info.ID != id || info.Name != "web-lock" || info.Node != "node1" || info.TTL != "30s" ||
		info.Behavior != "delete" || info.LockDelay != 2*time.Second || info.CreateIndex == 0 {
		t.Fatalf("info: %+v", info)
	}
	if len(info.NodeChecks) != 1 || info.NodeChecks[0] != "serfHealth" {
		t.Fatalf("default node checks: %v", info.NodeChecks)
	}
	noChecks, _, err := s.CreateNoChecks(&capi.SessionEntry{Name: "plain"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, meta, err := s.List(nil)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
	byNode, _, err := s.Node("node1", nil)
	if err != nil || len(byNode) != 2 {
		t.Fatalf("node: %v %v", byNode, err)
	}
	if other, _, err := s.Node("nope", nil); err != nil || len(other) != 0 {
		t.Fatalf("other node: %v %v", other, err)
	}

	// A blocking list returns when a session goes away.
	done := make(chan []*capi.SessionEntry, 1)
	go func() {
		l, _, _ := s.List(&capi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: time.Minute})
		done <- l
	}()
	renewed, _, err := s.Renew(id, nil)
	if err != nil || renewed == nil || renewed.ID != id {
		t.Fatalf("renew: %v %v", renewed, err)
	}
	if _, err := s.Destroy(noChecks, nil); err != nil {
		t.Fatal(err)
	}
	if l := <-done; len(l) != 1 || l[0].ID != id {
		t.Fatalf("blocking list after destroy: %v", l)
	}
	if _, err := s.Destroy(id, nil); err != nil {
		t.Fatal(err)
	}
	if info, _, err := s.Info(id, nil); err != nil || info != nil {
		t.Fatalf("info after destroy: %v %v", info, err)
	}
	// Renewing a gone session is a 404, which the client reports as nil.
	if renewed, _, err := s.Renew(id, nil); err != nil || renewed != nil {
		t.Fatalf("renew after destroy: %v %v", renewed, err)
	}
	if _, _, err := s.Create(&capi.SessionEntry{Node: "ghost"}, nil); err == nil {
		t.Fatal("session on an unregistered node accepted")
	}
}

// TestAcquireRelease drives ?acquire and ?release: LockIndex, the Session
// field, refusal while held, behaviour and lock delay on invalidation.
func TestAcquireRelease(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	kv, s := c.KV(), c.Session()
	s1, _, err := s.CreateNoChecks(&capi.SessionEntry{TTL: "30s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, _, err := s.CreateNoChecks(&capi.SessionEntry{TTL: "30s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok, _, err := kv.Acquire(&capi.KVPair{Key: "svc/leader", Value: []byte("one"), Session: s1}, nil)
	if err != nil || !ok {
		t.Fatalf("acquire by s1: %v %v", ok, err)
	}
	ok, _, err = kv.Acquire(&capi.KVPair{Key: "svc/leader", Value: []byte("two"), Session: s2}, nil)
	if err != nil || ok {
		t.Fatalf("acquire by s2 while s1 holds: %v %v", ok, err)
	}
	p, _, err := kv.Get("svc/leader", nil)
	if err != nil || p.Session != s1 || p.LockIndex != 1 || string(p.Value) != "one" {
		t.Fatalf("held entry: %+v %v", p, err)
	}
	// A plain write keeps the lock.
	if _, err := kv.Put(&capi.KVPair{Key: "svc/leader", Value: []byte("one-b")}, nil); err != nil {
		t.Fatal(err)
	}
	if p, _, _ = kv.Get("svc/leader", nil); p.Session != s1 || p.LockIndex != 1 {
		t.Fatalf("after a plain put: %+v", p)
	}
	// Only the holder releases.
	if ok, _, err = kv.Release(&capi.KVPair{Key: "svc/leader", Session: s2}, nil); err != nil || ok {
		t.Fatalf("release by s2: %v %v", ok, err)
	}
	if ok, _, err = kv.Release(&capi.KVPair{Key: "svc/leader", Value: []byte("free"), Session: s1}, nil); err != nil || !ok {
		t.Fatalf("release by s1: %v %v", ok, err)
	}
	if p, _, _ = kv.Get("svc/leader", nil); p.Session != "" || p.LockIndex != 1 || string(p.Value) != "free" {
		t.Fatalf("after release: %+v", p)
	}
	// A release is no invalidation: s2 takes it at once, LockIndex 2.
	if ok, _, err = kv.Acquire(&capi.KVPair{Key: "svc/leader", Session: s2}, nil); err != nil || !ok {
		t.Fatalf("acquire by s2 after release: %v %v", ok, err)
	}
	if p, _, _ = kv.Get("svc/leader", nil); p.Session != s2 || p.LockIndex != 2 {
		t.Fatalf("after s2 acquires: %+v", p)
	}
	// Destroying s2 (lock delay 15s by default) frees the key and starts
	// the lock delay: s1 is refused.
	if _, err := s.Destroy(s2, nil); err != nil {
		t.Fatal(err)
	}
	if p, _, _ = kv.Get("svc/leader", nil); p == nil || p.Session != "" {
		t.Fatalf("after destroying the holder: %+v", p)
	}
	if ok, _, err = kv.Acquire(&capi.KVPair{Key: "svc/leader", Session: s1}, nil); err != nil || ok {
		t.Fatalf("acquire within the lock delay: %v %v", ok, err)
	}
	// A delete-behaviour session's keys go with it.
	s3, _, err := s.CreateNoChecks(&capi.SessionEntry{TTL: "30s", Behavior: capi.SessionBehaviorDelete, LockDelay: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err = kv.Acquire(&capi.KVPair{Key: "eph/me", Session: s3}, nil); err != nil || !ok {
		t.Fatalf("acquire eph/me: %v %v", ok, err)
	}
	if _, err := s.Destroy(s3, nil); err != nil {
		t.Fatal(err)
	}
	if p, _, _ = kv.Get("eph/me", nil); p != nil {
		t.Fatalf("delete-behaviour key kept: %+v", p)
	}
}

func TestLockTwoContenders(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	newLock := func(tryOnce bool) *capi.Lock {
		l, err := c.LockOpts(&capi.LockOptions{Key: "locks/job", LockDelay: time.Millisecond,
			LockTryOnce: tryOnce, LockWaitTime: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	first := newLock(false)
	lost1, err := first.Lock(nil)
	if err != nil || lost1 == nil {
		t.Fatalf("first lock: %v", err)
	}
	// While first holds it, a try-once contender does not get it.
	if ch, err := newLock(true).Lock(nil); err != nil || ch != nil {
		t.Fatalf("second got the held lock: %v %v", ch, err)
	}
	second := newLock(false)
	got2 := make(chan (<-chan struct{}), 1)
	go func() {
		ch, err := second.Lock(nil)
		if err != nil {
			t.Error(err)
		}
		got2 <- ch
	}()
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	lost2 := <-got2
	if lost2 == nil {
		t.Fatal("second did not get the lock after first unlocked")
	}
	// Destroying the holder's session hands the lock on and tells the
	// holder it lost it.
	third := newLock(false)
	got3 := make(chan (<-chan struct{}), 1)
	go func() {
		ch, err := third.Lock(nil)
		if err != nil {
			t.Error(err)
		}
		got3 <- ch
	}()
	p, _, err := c.KV().Get("locks/job", nil)
	if err != nil || p == nil || p.Session == "" {
		t.Fatalf("held lock entry: %+v %v", p, err)
	}
	if _, err := c.Session().Destroy(p.Session, nil); err != nil {
		t.Fatal(err)
	}
	<-lost2
	if <-got3 == nil {
		t.Fatal("third did not get the lock after the holder's session was destroyed")
	}
	if err := third.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestSemaphoreLimitTwo(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	newSem := func(tryOnce bool) *capi.Semaphore {
		s, err := c.SemaphoreOpts(&capi.SemaphoreOptions{Prefix: "sem/db", Limit: 2,
			SemaphoreTryOnce: tryOnce, SemaphoreWaitTime: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	h1, h2 := newSem(false), newSem(false)
	for i, h := range []*capi.Semaphore{h1, h2} {
		if ch, err := h.Acquire(nil); err != nil || ch == nil {
			t.Fatalf("holder %d: %v", i+1, err)
		}
	}
	if ch, err := newSem(true).Acquire(nil); err != nil || ch != nil {
		t.Fatalf("a third holder got a full semaphore: %v %v", ch, err)
	}
	h3 := newSem(false)
	got := make(chan (<-chan struct{}), 1)
	go func() {
		ch, err := h3.Acquire(nil)
		if err != nil {
			t.Error(err)
		}
		got <- ch
	}()
	if err := h1.Release(); err != nil {
		t.Fatal(err)
	}
	if <-got == nil {
		t.Fatal("third holder did not get a slot after one was released")
	}
	for _, h := range []*capi.Semaphore{h2, h3} {
		if err := h.Release(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSessionTTLExpiry: a TTL session nobody renews ends, and the lock it
// held is released.
func TestSessionTTLExpiry(t *testing.T) {
	a := testagent.Start(t, func(c *agent.Config) { c.SessionTTLMin = "1s" })
	c := newClient(t, a)
	id, _, err := c.Session().CreateNoChecks(&capi.SessionEntry{TTL: "2s", LockDelay: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.KV().Acquire(&capi.KVPair{Key: "ttl/lock", Session: id}, nil); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	orbittest.Eventually(t, time.Minute, "the expired session's lock to be released", func() bool {
		p, _, err := c.KV().Get("ttl/lock", nil)
		return err == nil && p != nil && p.Session == ""
	})
	if info, _, err := c.Session().Info(id, nil); err != nil || info != nil {
		t.Fatalf("expired session still listed: %+v %v", info, err)
	}
	if _, _, err := c.Session().Create(&capi.SessionEntry{TTL: "500ms"}, nil); err == nil {
		t.Fatal("TTL below session_ttl_min accepted")
	}
}
