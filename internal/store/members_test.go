package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

// openMember starts an embedded member named name in dir, joining through
// join when it is not nil, and closes it when the test ends.
func openMember(t *testing.T, dir, name string, join store.Joiner) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Config{DataDir: dir, Name: name, Join: join, Logger: orbittest.Logger(t).With("member", name)})
	if err != nil {
		t.Fatalf("open member %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// etcdMembers asks etcd itself, through its own client on the member's
// client URL, for the member list.
func etcdMembers(t *testing.T, clientURL string) map[string]bool {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{clientURL}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("etcd client for %s: %v", clientURL, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ml, err := c.MemberList(ctx)
	if err != nil {
		t.Fatalf("etcd member list via %s: %v", clientURL, err)
	}
	learner := map[string]bool{} // peer URL → is learner
	for _, m := range ml.Members {
		learner[m.PeerURLs[0]] = m.IsLearner
	}
	return learner
}

// watchedJoin joins through an existing store and checks, with etcd's own
// client, that the new member entered the cluster as a learner.
type watchedJoin struct {
	t        *testing.T
	existing *store.Store
	learner  bool // the added member was a learner right after the add
}

func (w *watchedJoin) AddLearner(ctx context.Context, name, peerURL string) ([]store.Member, error) {
	ms, err := w.existing.AddLearner(ctx, name, peerURL)
	if err == nil {
		isLearner, ok := etcdMembers(w.t, w.existing.ClientURL())[peerURL]
		w.learner = ok && isLearner
	}
	return ms, err
}

// refuseJoin fails the test when a restarting member asks to join again.
type refuseJoin struct{ t *testing.T }

func (r refuseJoin) AddLearner(context.Context, string, string) ([]store.Member, error) {
	r.t.Error("a restarting member asked to be added again")
	return nil, errors.New("refused by test")
}

func put(t *testing.T, s *store.Store, key, value string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, _, err := s.Txn(ctx, nil, []store.Op{store.Put(key, []byte(value))}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func mustGet(t *testing.T, s *store.Store, key, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kv, err := s.Get(ctx, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if string(kv.Value) != want {
		t.Fatalf("get %s = %q, want %q", key, kv.Value, want)
	}
}

func TestMembersFormJoinFailRestartRemove(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	m1 := openMember(t, dirs[0], "m1", nil)
	members := []*store.Store{m1}
	for i, name := range []string{"m2", "m3"} {
		j := &watchedJoin{t: t, existing: m1}
		m := openMember(t, dirs[i+1], name, j)
		if !j.learner {
			t.Fatalf("%s was not added as a learner", name)
		}
		members = append(members, m)
	}
	m3 := members[2]
	for url, learner := range etcdMembers(t, m1.ClientURL()) {
		if learner {
			t.Fatalf("member %s is still a learner after joining", url)
		}
	}
	if n := len(etcdMembers(t, m3.ClientURL())); n != 3 {
		t.Fatalf("etcd lists %d members, want 3", n)
	}

	put(t, m3, "/t/a", "1")
	mustGet(t, m1, "/t/a", "1")

	// One member stopped: two of three are a quorum, writes go on.
	if err := members[1].Close(); err != nil {
		t.Fatalf("close m2: %v", err)
	}
	put(t, m3, "/t/b", "2")
	mustGet(t, m1, "/t/b", "2")

	// It restarts from its data directory, without being added again, and
	// catches up with what was written while it was down.
	m2 := openMember(t, dirs[1], "m2", refuseJoin{t})
	mustGet(t, m2, "/t/b", "2")
	put(t, m2, "/t/c", "3")
	mustGet(t, m3, "/t/c", "3")

	// Remove m3 (etcd refuses while m2's connection is too fresh; retry).
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	orbittest.Eventually(t, time.Minute, "etcd to accept m3's removal", func() bool {
		err := m1.RemoveMember(ctx, m3.MemberID())
		if err != nil && !errors.Is(err, store.ErrUnsettled) {
			t.Fatalf("remove m3: %v", err)
		}
		return err == nil
	})
	ms, err := m1.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("members after removal: %v", ms)
	}
	for _, m := range ms {
		if m.ID == m3.MemberID() {
			t.Fatalf("m3 still listed: %v", ms)
		}
	}
	if err := m1.RemoveMember(ctx, m3.MemberID()); !errors.Is(err, store.ErrMemberNotFound) {
		t.Fatalf("removing m3 twice: %v, want ErrMemberNotFound", err)
	}
	put(t, m2, "/t/d", "4")
	mustGet(t, m1, "/t/d", "4")
}

// Members join one at a time: a second add while a learner waits for its
// promotion is refused, and a retried add for the same peer URL is not
// counted twice.
func TestAddLearnerOneAtATime(t *testing.T) {
	m1 := openMember(t, t.TempDir(), "m1", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, err := m1.AddLearner(ctx, "x", "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := m1.AddLearner(ctx, "x", "http://127.0.0.1:1")
	if err != nil || len(again) != len(first) || len(first) != 2 {
		t.Fatalf("retried add: %v, %v (first %v)", again, err, first)
	}
	if _, err := m1.AddLearner(ctx, "y", "http://127.0.0.1:2"); !errors.Is(err, store.ErrLearnerPending) {
		t.Fatalf("second learner: %v, want ErrLearnerPending", err)
	}
	for _, m := range first {
		if m.PeerURL == "http://127.0.0.1:1" && (!m.Learner || m.Name != "x") {
			t.Fatalf("added member = %+v, want learner named x", m)
		}
	}
}
