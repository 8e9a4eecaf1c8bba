package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

// A server names itself through its published record: the leader and the
// peers are its API address, a pending learner is listed but does not vote,
// and the last voter cannot be removed.
func TestServersNamedByTheirRecords(t *testing.T) {
	m1 := openMember(t, t.TempDir(), "m1", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m1.PublishServer(ctx, store.ServerInfo{Node: "m1", NodeID: "id-1", Address: "127.0.0.1:8500"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m1.AddLearner(ctx, "x", "http://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	servers, rev, err := m1.Servers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 2 || rev == 0 {
		t.Fatalf("servers = %+v at %d, want 2", servers, rev)
	}
	s1, x := servers[0], servers[1]
	if x.ID == m1.MemberID() {
		s1, x = x, s1
	}
	if s1.Node != "m1" || s1.NodeID != "id-1" || s1.APIAddress() != "127.0.0.1:8500" || !s1.Leader || !s1.Voter() {
		t.Fatalf("m1 = %+v", s1)
	}
	if x.Node != "" && x.Node != "x" || x.Voter() || x.Leader || x.APIAddress() != "127.0.0.1:1" {
		t.Fatalf("learner = %+v", x)
	}
	st, err := m1.ClusterStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Leader != "127.0.0.1:8500" || !st.KnownLeader || len(st.Peers) != 1 || st.Peers[0] != "127.0.0.1:8500" {
		t.Fatalf("status = %+v", st)
	}

	for _, q := range []struct{ id, addr string }{{"id-1", ""}, {"m1", ""}, {s1.MemberHex(), ""}, {"", "127.0.0.1:8500"}} {
		if got, err := store.FindServer(servers, q.id, q.addr); err != nil || got.ID != s1.ID {
			t.Fatalf("FindServer(%q, %q) = %+v, %v", q.id, q.addr, got, err)
		}
	}
	if _, err := store.FindServer(servers, "nope", ""); !errors.Is(err, store.ErrMemberNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if err := m1.RemoveServer(ctx, s1); !errors.Is(err, store.ErrLastVoter) {
		t.Fatalf("removing the last voter: %v, want ErrLastVoter", err)
	}
	if err := m1.RemoveServer(ctx, x); err != nil {
		t.Fatalf("removing the learner: %v", err)
	}
	orbittest.Eventually(t, 10*time.Second, "the learner to be gone", func() bool {
		servers, _, err := m1.Servers(ctx)
		return err == nil && len(servers) == 1
	})
}

// A member that leaves is removed from the cluster (with its record) and
// stops; the last voter refuses to leave.
func TestLeaveRemovesThisMember(t *testing.T) {
	m1 := openMember(t, t.TempDir(), "m1", nil)
	m2 := openMember(t, t.TempDir(), "m2", m1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m2.PublishServer(ctx, store.ServerInfo{Node: "m2", Address: "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	var err error
	orbittest.Eventually(t, 30*time.Second, "m2 left", func() bool {
		err = m2.Leave(ctx) // unsettled while m2 connected moments ago
		return !errors.Is(err, store.ErrUnsettled)
	})
	if err != nil {
		t.Fatalf("leave: %v", err)
	}
	servers, _, err := m1.Servers(ctx)
	if err != nil || len(servers) != 1 || servers[0].Node != "m1" {
		t.Fatalf("servers after m2 left: %+v %v", servers, err)
	}
	if kvs, _, err := m1.List(ctx, store.FamilyKey(store.FamilyServers, "")); err != nil || len(kvs) != 0 {
		t.Fatalf("records after m2 left: %v %v", kvs, err)
	}
	if err := m1.Leave(ctx); !errors.Is(err, store.ErrLastVoter) {
		t.Fatalf("the last voter's leave: %v, want ErrLastVoter", err)
	}
	put(t, m1, "after", "leave")
}
