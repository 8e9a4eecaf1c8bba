package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

// A member of a cluster that lost its quorum becomes a one-member cluster
// with its data, and a new member joins it.
func TestResetCluster(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	m1 := openMember(t, d1, "m1", nil)
	m2 := openMember(t, d2, "m2", m1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, m := range []*store.Store{m1, m2} {
		if err := m.PublishServer(ctx, store.ServerInfo{Node: "n" + m.ClientURL()}); err != nil {
			t.Fatal(err)
		}
	}
	put(t, m1, "/t/kept", "yes")
	m2.Close() // gone for good: m1 alone has no quorum
	m1.Close()

	self, err := store.ResetCluster(ctx, store.Config{DataDir: d1, Name: "m1", Logger: orbittest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if self.Name != "m1" {
		t.Fatalf("remaining member = %+v", self)
	}
	m1 = openMember(t, d1, "m1", refuseJoin{t})
	mustGet(t, m1, "/t/kept", "yes")
	put(t, m1, "/t/after", "1")
	servers, _, err := m1.Servers(ctx)
	if err != nil || len(servers) != 1 || !servers[0].Leader {
		t.Fatalf("servers after the reset = %+v %v", servers, err)
	}
	kvs, _, err := m1.List(ctx, store.FamilyKey(store.FamilyServers, ""))
	if err != nil || len(kvs) != 1 {
		t.Fatalf("server records after the reset = %v %v, want only m1's", kvs, err)
	}

	m3 := openMember(t, t.TempDir(), "m3", m1)
	mustGet(t, m3, "/t/kept", "yes")
	ms, err := m3.Members(ctx)
	if err != nil || len(ms) != 2 {
		t.Fatalf("members after a new join: %+v %v", ms, err)
	}

	if _, err := store.ResetCluster(ctx, store.Config{DataDir: t.TempDir()}); !errors.Is(err, store.ErrNothingToReset) {
		t.Fatalf("reset of an empty directory: %v, want ErrNothingToReset", err)
	}
}
