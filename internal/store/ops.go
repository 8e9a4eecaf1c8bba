package store

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// KV is one key and its value with etcd's revisions.
type KV struct {
	Key            string
	Value          []byte
	CreateRevision int64
	ModRevision    int64
	Lease          int64
}

// Cmp is a condition of a transaction on a key's modification revision:
// ModRevision 0 means "the key does not exist". With Prefix it is a
// condition on every key under Key: none was written after ModRevision
// (keys deleted since are not seen; callers compare those one by one).
type Cmp struct {
	Key         string
	ModRevision int64
	Prefix      bool
}

// Op is one write of a transaction.
type Op struct {
	Key    string
	Value  []byte
	Lease  int64
	Delete bool
	// Prefix deletes every key under Key (with Delete).
	Prefix bool
}

// Put is an Op writing value at key.
func Put(key string, value []byte) Op { return Op{Key: key, Value: value} }

// Del is an Op deleting key.
func Del(key string) Op { return Op{Key: key, Delete: true} }

// DelPrefix is an Op deleting every key under prefix.
func DelPrefix(prefix string) Op { return Op{Key: prefix, Delete: true, Prefix: true} }

// Txn applies ops atomically when every cmp holds. It returns whether the
// comparison succeeded and the revision of the store after the transaction.
func (s *Store) Txn(ctx context.Context, cmps []Cmp, ops []Op) (bool, int64, error) {
	ec := make([]clientv3.Cmp, len(cmps))
	for i, c := range cmps {
		if c.Prefix {
			ec[i] = clientv3.Compare(clientv3.ModRevision(c.Key).WithPrefix(), "<", c.ModRevision+1)
			continue
		}
		ec[i] = clientv3.Compare(clientv3.ModRevision(c.Key), "=", c.ModRevision)
	}
	eo := make([]clientv3.Op, len(ops))
	for i, o := range ops {
		switch {
		case o.Delete && o.Prefix:
			eo[i] = clientv3.OpDelete(o.Key, clientv3.WithPrefix())
		case o.Delete:
			eo[i] = clientv3.OpDelete(o.Key)
		case o.Lease != 0:
			eo[i] = clientv3.OpPut(o.Key, string(o.Value), clientv3.WithLease(clientv3.LeaseID(o.Lease)))
		default:
			eo[i] = clientv3.OpPut(o.Key, string(o.Value))
		}
	}
	resp, err := s.client.Txn(ctx).If(ec...).Then(eo...).Commit()
	if err != nil {
		return false, 0, fmt.Errorf("etcd txn: %w", err)
	}
	return resp.Succeeded, resp.Header.Revision, nil
}

// Get reads one key (linearizable), or ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (KV, error) {
	resp, err := s.client.Get(ctx, key)
	if err != nil {
		return KV{}, fmt.Errorf("etcd get %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return KV{}, ErrNotFound
	}
	return toKV(resp.Kvs[0]), nil
}

// List reads every key under prefix and the revision it was read at.
func (s *Store) List(ctx context.Context, prefix string) ([]KV, int64, error) {
	resp, err := s.client.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("etcd list %s: %w", prefix, err)
	}
	out := make([]KV, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out[i] = toKV(kv)
	}
	return out, resp.Header.Revision, nil
}

// Revision returns the store's current revision (linearizable).
func (s *Store) Revision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, Prefix+"\x00rev", clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("etcd revision: %w", err)
	}
	return resp.Header.Revision, nil
}

func toKV(kv *mvccpb.KeyValue) KV {
	return KV{Key: string(kv.Key), Value: kv.Value, CreateRevision: kv.CreateRevision, ModRevision: kv.ModRevision, Lease: kv.Lease}
}

// Event is one change seen by a watch. For a delete, KV has the key and
// ModRevision is the revision of the deletion.
type Event struct {
	Delete bool
	KV     KV
}

// WatchBatch is the events of one or more revisions, in order, and the
// revision the watch has reached. Compacted reports that the watch fell
// behind the store's compaction and the reader must resynchronise.
type WatchBatch struct {
	Events    []Event
	Revision  int64
	Compacted bool
	Err       error
}

// Watch streams every change under prefix after revision from until ctx
// ends. The channel is closed when the watch stops.
func (s *Store) Watch(ctx context.Context, prefix string, from int64) <-chan WatchBatch {
	out := make(chan WatchBatch, 16)
	wc := s.client.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithRev(from+1), clientv3.WithProgressNotify())
	go func() {
		defer close(out)
		for resp := range wc {
			b := WatchBatch{Revision: resp.Header.Revision}
			if resp.CompactRevision != 0 {
				b.Compacted = true
			} else if err := resp.Err(); err != nil {
				b.Err = err
			}
			for _, ev := range resp.Events {
				b.Events = append(b.Events, Event{Delete: ev.Type == mvccpb.DELETE, KV: toKV(ev.Kv)})
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
			if b.Compacted || b.Err != nil {
				return
			}
		}
	}()
	return out
}

// Lease is a granted etcd lease kept alive until its context ends.
type Lease struct {
	ID int64
	// Lost is closed when the keep-alive stops (the lease may have expired).
	Lost <-chan struct{}
}

// GrantLease grants a lease of ttl and keeps it alive until ctx ends, then
// revokes it so the keys bound to it disappear at once.
func (s *Store) GrantLease(ctx context.Context, ttl time.Duration) (Lease, error) {
	secs := int64(ttl / time.Second)
	if secs < 1 {
		secs = 1
	}
	g, err := s.client.Grant(ctx, secs)
	if err != nil {
		return Lease{}, fmt.Errorf("grant lease: %w", err)
	}
	ka, err := s.client.KeepAlive(ctx, g.ID)
	if err != nil {
		return Lease{}, fmt.Errorf("keep lease alive: %w", err)
	}
	lost := make(chan struct{})
	go func() {
		defer close(lost)
		for range ka {
		}
	}()
	return Lease{ID: int64(g.ID), Lost: lost}, nil
}

// RevokeLease revokes a lease at once, deleting every key bound to it.
func (s *Store) RevokeLease(ctx context.Context, id int64) error {
	if _, err := s.client.Revoke(ctx, clientv3.LeaseID(id)); err != nil {
		return fmt.Errorf("revoke lease: %w", err)
	}
	return nil
}

// Status is what the cluster says about its leadership.
type Status struct {
	Leader      string   // leader's API address host:port (see Server.APIAddress), "" when none
	KnownLeader bool     // a leader is elected
	Peers       []string // every voting server's API address host:port
}

// ClusterStatus asks etcd for its members and leader.
func (s *Store) ClusterStatus(ctx context.Context) (Status, error) {
	servers, _, err := s.Servers(ctx)
	if err != nil {
		return Status{}, err
	}
	var st Status
	for _, sv := range servers {
		if sv.Voter() {
			st.Peers = append(st.Peers, sv.APIAddress())
		}
		if sv.Leader {
			st.Leader, st.KnownLeader = sv.APIAddress(), true
		}
	}
	return st, nil
}

func parseHostPort(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	return u.Host, nil
}
