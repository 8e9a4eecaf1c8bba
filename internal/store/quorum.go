package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/etcdserver"
)

// ErrNoQuorum is returned by writes and linearizable reads while the store
// cannot commit: no etcd leader, because fewer than a majority of the
// servers are up or reachable. Reads served from a view go on meanwhile.
var ErrNoQuorum = errors.New("store unavailable: no quorum of servers (no etcd leader); " +
	"writes and consistent reads are refused until a majority of the servers is up")

// ErrLeaderChanged is returned by a write that was in flight when the store
// elected a new leader: it may or may not have been applied, so it is not
// retried on the caller's behalf.
var ErrLeaderChanged = errors.New("store leader changed during the request; its outcome is unknown, retry it")

// RequestTimeout bounds every write and linearizable read: one that has not
// committed by then fails with ErrNoQuorum instead of hanging.
const RequestTimeout = 5 * time.Second

// guard bounds the store's requests so they fail fast and say why while the
// cluster has no quorum. Embedded, it reads the local member's view of the
// leader: with none it waits up to one election for one and then refuses,
// and it cancels requests in flight when a new leader is elected (a write
// forwarded to a dead leader would otherwise wait for etcd's own, longer
// timeout). External, it asks the member it reaches to refuse at once when
// that member has no leader (etcd's require-leader), and applies the
// timeout.
type guard struct {
	srv      *etcdserver.EtcdServer // nil when external
	election time.Duration          // how long a request waits for a leader
	timeout  time.Duration

	mu    sync.Mutex // guards epoch
	epoch context.Context
	// stop ends the goroutine that renews epoch; done is closed when it did.
	stop context.CancelFunc
	done chan struct{}
}

// newGuard starts a guard over srv (nil when the store is external); close
// stops it.
func newGuard(srv *etcdserver.EtcdServer, election time.Duration) *guard {
	g := &guard{srv: srv, election: election, timeout: RequestTimeout, done: make(chan struct{})}
	if srv == nil {
		close(g.done)
		g.stop = func() {}
		return g
	}
	ctx, stop := context.WithCancel(context.Background())
	g.stop = stop
	epoch, endEpoch := context.WithCancel(ctx)
	g.epoch = epoch
	go func() {
		defer close(g.done)
		for {
			changed := srv.LeaderChangedNotify()
			select {
			case <-ctx.Done():
				endEpoch()
				return
			case <-changed:
			}
			next, endNext := context.WithCancel(ctx)
			g.mu.Lock()
			g.epoch = next
			g.mu.Unlock()
			endEpoch()
			endEpoch = endNext
		}
	}()
	return g
}

func (g *guard) close() {
	g.stop()
	<-g.done
}

// begin prepares a request's context: it refuses with ErrNoQuorum when no
// leader appears within an election, and ends the context after the
// timeout or when the leader changes. Call end with the request's error.
func (g *guard) begin(ctx context.Context) (context.Context, func(error) error, error) {
	if g.srv == nil {
		rctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(ctx), g.timeout)
		return rctx, func(err error) error { cancel(); return g.explain(ctx, rctx, nil, err) }, nil
	}
	if err := g.awaitLeader(ctx); err != nil {
		return nil, nil, err
	}
	g.mu.Lock()
	epoch := g.epoch
	g.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, g.timeout)
	stop := context.AfterFunc(epoch, cancel)
	return rctx, func(err error) error {
		stop()
		cancel()
		return g.explain(ctx, rctx, epoch, err)
	}, nil
}

// awaitLeader waits up to one election for the local member to know a
// leader.
func (g *guard) awaitLeader(ctx context.Context) error {
	if g.srv.Leader() != 0 {
		return nil
	}
	deadline := time.Now().Add(g.election)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for g.srv.Leader() == 0 {
		if time.Now().After(deadline) {
			return ErrNoQuorum
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// explain maps the failure of a request made with rctx (derived from the
// caller's ctx) onto ErrNoQuorum or ErrLeaderChanged when the caller did
// not end it.
func (g *guard) explain(ctx, rctx, epoch context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	switch {
	case epoch != nil && epoch.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(rctx.Err(), context.Canceled)):
		return fmt.Errorf("%w: %w", ErrLeaderChanged, err)
	case errors.Is(err, rpctypes.ErrLeaderChanged):
		return fmt.Errorf("%w: %w", ErrLeaderChanged, err)
	case errors.Is(err, rpctypes.ErrNoLeader):
		return fmt.Errorf("%w: %w", ErrNoQuorum, err)
	case errors.Is(rctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, rpctypes.ErrTimeout), errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail),
		errors.Is(err, rpctypes.ErrTimeoutDueToConnectionLost):
		return fmt.Errorf("%w (not committed within %s): %w", ErrNoQuorum, g.timeout, err)
	}
	return err
}

// KnownLeader reports whether the store can commit: embedded, whether the
// local member knows a leader (without a round trip, so it stays fast while
// there is no quorum); external, whether a member the client reaches names
// one. The members are asked at once, so a dead one does not use up ctx.
func (s *Store) KnownLeader(ctx context.Context) bool {
	if s.etcd != nil {
		return s.etcd.Server.Leader() != 0
	}
	eps := s.client.Endpoints()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct{ answered, leader bool }
	answers := make(chan answer, len(eps)) // room for every asker: none blocks
	var wg sync.WaitGroup
	for _, ep := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := s.client.Status(ctx, ep)
			answers <- answer{answered: err == nil, leader: err == nil && st.Leader != 0}
		}()
	}
	known := false
	for range eps {
		if a := <-answers; a.answered {
			known = a.leader
			break
		}
	}
	cancel()
	wg.Wait()
	return known
}

// guardedKV is the client's KV with every write and linearizable read
// going through the guard; serializable reads (answered by the local
// member alone) pass untouched.
type guardedKV struct {
	clientv3.KV
	g *guard
}

func (k guardedKV) Put(ctx context.Context, key, val string, opts ...clientv3.OpOption) (*clientv3.PutResponse, error) {
	rctx, end, err := k.g.begin(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := k.KV.Put(rctx, key, val, opts...)
	return resp, end(err)
}

func (k guardedKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	if clientv3.OpGet(key, opts...).IsSerializable() {
		return k.KV.Get(ctx, key, opts...)
	}
	rctx, end, err := k.g.begin(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := k.KV.Get(rctx, key, opts...)
	return resp, end(err)
}

func (k guardedKV) Delete(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.DeleteResponse, error) {
	rctx, end, err := k.g.begin(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := k.KV.Delete(rctx, key, opts...)
	return resp, end(err)
}

func (k guardedKV) Do(ctx context.Context, op clientv3.Op) (clientv3.OpResponse, error) {
	if op.IsGet() && op.IsSerializable() {
		return k.KV.Do(ctx, op)
	}
	rctx, end, err := k.g.begin(ctx)
	if err != nil {
		return clientv3.OpResponse{}, err
	}
	resp, err := k.KV.Do(rctx, op)
	return resp, end(err)
}

func (k guardedKV) Txn(ctx context.Context) clientv3.Txn {
	return &guardedTxn{ctx: ctx, kv: k}
}

// guardedTxn collects a transaction and sends it through the guard on
// Commit.
type guardedTxn struct {
	ctx              context.Context
	kv               guardedKV
	cmps             []clientv3.Cmp
	thenOps, elseOps []clientv3.Op
}

func (t *guardedTxn) If(cs ...clientv3.Cmp) clientv3.Txn {
	t.cmps = append(t.cmps, cs...)
	return t
}

func (t *guardedTxn) Then(ops ...clientv3.Op) clientv3.Txn {
	t.thenOps = append(t.thenOps, ops...)
	return t
}

func (t *guardedTxn) Else(ops ...clientv3.Op) clientv3.Txn {
	t.elseOps = append(t.elseOps, ops...)
	return t
}

func (t *guardedTxn) Commit() (*clientv3.TxnResponse, error) {
	rctx, end, err := t.kv.g.begin(t.ctx)
	if err != nil {
		return nil, err
	}
	resp, err := t.kv.KV.Txn(rctx).If(t.cmps...).Then(t.thenOps...).Else(t.elseOps...).Commit()
	return resp, end(err)
}

// guardedLease sends lease grants and revocations through the guard.
type guardedLease struct {
	clientv3.Lease
	g *guard
}

func (l guardedLease) Grant(ctx context.Context, ttl int64) (*clientv3.LeaseGrantResponse, error) {
	rctx, end, err := l.g.begin(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := l.Lease.Grant(rctx, ttl)
	return resp, end(err)
}

func (l guardedLease) Revoke(ctx context.Context, id clientv3.LeaseID) (*clientv3.LeaseRevokeResponse, error) {
	rctx, end, err := l.g.begin(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := l.Lease.Revoke(rctx, id)
	return resp, end(err)
}

// guardClient routes c's KV and lease grants through g.
func guardClient(c *clientv3.Client, g *guard) {
	c.KV = guardedKV{KV: c.KV, g: g}
	c.Lease = guardedLease{Lease: c.Lease, g: g}
}
