package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// FamilyElection holds etcd elections (one prefix per election name).
const FamilyElection = "election"

// ElectionTTL is how long a leader that stopped answering keeps its
// leadership: its session lease's time to live.
const ElectionTTL = 5 * time.Second

// Leadership is won leadership of an election.
type Leadership struct {
	ctx    context.Context
	cancel context.CancelFunc
	sess   *concurrency.Session
	elec   *concurrency.Election
	done   chan struct{}
}

// ErrNotLeader is returned by a write fenced by a leadership (see Fence)
// that is no longer held: another candidate leads, or the lease expired.
var ErrNotLeader = errors.New("leadership lost: a write made under it was refused")

// Fence names held leadership so a write can require it: the election key
// of the leader and its revision (written once, by Campaign, on a session
// of its own).
type Fence struct {
	Key string
	Rev int64
}

// Fence is this leadership's fence, for writes that must not land once it
// is lost (a deposed leader that paused must not write over its successor).
func (l *Leadership) Fence() Fence { return Fence{Key: l.elec.Key(), Rev: l.elec.Rev()} }

// Context is cancelled when leadership is lost (the session's lease
// expired or was revoked), the campaign's context ends, or Resign is called.
func (l *Leadership) Context() context.Context { return l.ctx }

// Resign gives leadership up at once (so another candidate takes over
// without waiting for the lease to expire) and releases the session. It is
// safe to call more than once.
func (l *Leadership) Resign(ctx context.Context) error {
	l.cancel()
	<-l.done
	var err error
	if l.sess != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if rerr := l.elec.Resign(rctx); rerr != nil && !errors.Is(rerr, context.Canceled) {
			err = fmt.Errorf("resign: %w", rerr)
		}
		l.sess.Close()
		l.sess = nil
	}
	return err
}

// Campaign blocks until the caller leads election name (with value, e.g.
// its node name, visible to Leader) or ctx ends. Leadership is held by an
// etcd session lease of ElectionTTL kept alive in the background.
func (s *Store) Campaign(ctx context.Context, name, value string) (*Leadership, error) {
	sess, err := concurrency.NewSession(s.client, concurrency.WithTTL(int(ElectionTTL/time.Second)), concurrency.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("election %s: new session: %w", name, err)
	}
	elec := concurrency.NewElection(sess, FamilyKey(FamilyElection, name))
	if err := elec.Campaign(ctx, value); err != nil {
		sess.Close()
		return nil, fmt.Errorf("election %s: campaign: %w", name, err)
	}
	lctx, cancel := context.WithCancel(ctx)
	l := &Leadership{ctx: lctx, cancel: cancel, sess: sess, elec: elec, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		select {
		case <-sess.Done():
			cancel()
		case <-lctx.Done():
		}
	}()
	return l, nil
}

// Leader returns the value the current leader of election name campaigned
// with, or "" when there is none.
func (s *Store) Leader(ctx context.Context, name string) (string, error) {
	resp, err := s.client.Get(ctx, FamilyKey(FamilyElection, name)+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", fmt.Errorf("election %s: leader: %w", name, err)
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}

// Campaigner is what RunElection campaigns through: *Store, or a
// feature's narrower store interface that includes Campaign.
type Campaigner interface {
	Campaign(ctx context.Context, name, value string) (*Leadership, error)
}

// RunElection is a leader-only loop's life: it campaigns for election
// name with value, calls lead with the leadership once won and resigns
// when lead returns (lead should return when l.Context() ends), then
// campaigns again, until ctx ends. A failed campaign is retried after a
// back-off of 100 ms doubling to 5 s, waited on after. It returns when ctx
// ends, with nothing left running.
func RunElection(ctx context.Context, c Campaigner, after func(time.Duration) <-chan time.Time, name, value string, log *slog.Logger, lead func(l *Leadership)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		l, err := c.Campaign(ctx, name, value)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn(name+" election failed; retrying", "err", err, "backoff", backoff)
			select {
			case <-ctx.Done():
				return
			case <-after(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		log.Info(name+" leads", "node", value)
		lead(l)
		if err := l.Resign(ctx); err != nil {
			log.Debug("resign", "err", err)
		}
		if ctx.Err() == nil {
			log.Warn(name + " lost leadership; campaigning again")
		}
	}
}
