package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

// Without a quorum, writes through a member and through a client of the
// cluster fail with ErrNoQuorum in about an election's time instead of
// hanging; they succeed again once a majority is back. The client starts
// although the first endpoint it is given is down.
func TestNoQuorumFailsFast(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	m1 := openMember(t, dirs[0], "m1", nil)
	m2 := openMember(t, dirs[1], "m2", m1)
	m3 := openMember(t, dirs[2], "m3", m1)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dead := orbittest.FreeAddr(t) // nothing listens here
	client, err := store.Open(ctx, store.Config{Endpoints: []string{dead, m1.ClientURL()}, Logger: orbittest.Logger(t)})
	if err != nil {
		t.Fatalf("client with a dead first endpoint: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	put(t, client, "/t/before", "1")
	knownLeader := func(s *store.Store) bool {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return s.KnownLeader(ctx)
	}
	if !knownLeader(m1) || !knownLeader(client) {
		t.Fatal("no known leader in a healthy cluster")
	}

	m2.Close()
	m3.Close()
	write := func(s *store.Store) (time.Duration, error) {
		start := time.Now()
		_, _, err := s.Txn(ctx, nil, []store.Op{store.Put("/t/during", []byte("x"))})
		return time.Since(start), err
	}
	// The first write may find m1 still leading (it steps down after an
	// election timeout without its peers): it fails at the request timeout.
	if d, err := write(m1); !errors.Is(err, store.ErrNoQuorum) || d > store.RequestTimeout+time.Second {
		t.Fatalf("first write without quorum: %v after %v, want ErrNoQuorum within %v", err, d, store.RequestTimeout)
	}
	for name, s := range map[string]*store.Store{"member": m1, "client": client} {
		d, err := write(s)
		if !errors.Is(err, store.ErrNoQuorum) || d > 3*time.Second {
			t.Fatalf("write through the %s without quorum: %v after %v, want ErrNoQuorum within 3s", name, err, d)
		}
		t.Logf("write through the %s refused after %v: %v", name, d.Round(time.Millisecond), err)
	}
	if _, err := m1.Revision(ctx); !errors.Is(err, store.ErrNoQuorum) {
		t.Fatalf("linearizable read without quorum: %v, want ErrNoQuorum", err)
	}
	if knownLeader(m1) || knownLeader(client) {
		t.Fatal("a known leader without quorum")
	}

	// m2 restarts from its data directory: two of three are a quorum.
	m2 = openMember(t, dirs[1], "m2", refuseJoin{t})
	put(t, m1, "/t/after", "2")
	put(t, client, "/t/after", "3")
	mustGet(t, m2, "/t/after", "3")
	// m3 is still down: the client's question to it does not hide the
	// others' answer.
	if !knownLeader(client) {
		t.Fatal("the client knows no leader with m3 down and a quorum up")
	}
}
