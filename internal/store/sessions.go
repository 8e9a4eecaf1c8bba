package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/orbit/orbit/internal/catalog"
)

// Session key families. A session lives at sessions/<id>, bound to an etcd
// lease: its own lease of the session's TTL, or, for a session without a
// TTL bound to serfHealth, the lease of its node's agent (so it ends when
// the node does). held/<id>/<key> records each key the session holds, with
// what to do to it when the session ends; lockdelay/<key> holds the time
// before which the key cannot be acquired after its holder was invalidated.
const (
	FamilySessions  = "sessions"
	FamilyHeld      = "held"
	FamilyLockDelay = "lockdelay"
)

// ErrSessionNotFound is returned for a session that does not exist (never
// did, was destroyed, or expired).
var ErrSessionNotFound = errors.New("session not found")

// SessionKey is the key of a session.
func SessionKey(id string) string { return Prefix + FamilySessions + "/" + id }

func heldPrefix(id string) string    { return Prefix + FamilyHeld + "/" + id + "/" }
func heldKey(id, key string) string  { return heldPrefix(id) + key }
func lockDelayKey(key string) string { return Prefix + FamilyLockDelay + "/" + key }
func sessionsPrefix() string         { return Prefix + FamilySessions + "/" }

// held is the value of a held/<id>/<key> record.
type held struct {
	Behavior  string
	LockDelay time.Duration
}

// CreateSession stores a validated session. A session with a TTL gets its
// own lease of that TTL (etcd expires it TTL after the last renewal; Consul
// allows itself up to 2×TTL). A session without a TTL is bound to lease
// (the node agent's lease, 0 for none: it then lives until destroyed).
func (s *Store) CreateSession(ctx context.Context, se *catalog.Session, lease int64) (int64, error) {
	if err := se.Validate(); err != nil {
		return 0, err
	}
	if ttl := se.TTLDuration(); ttl > 0 {
		g, err := s.client.Grant(ctx, int64((ttl+time.Second-1)/time.Second))
		if err != nil {
			return 0, fmt.Errorf("create session %s: grant lease: %w", se.ID, err)
		}
		lease = int64(g.ID)
	}
	b, err := json.Marshal(se)
	if err != nil {
		return 0, fmt.Errorf("create session %s: %w", se.ID, err)
	}
	ok, rev, err := s.Txn(ctx, []Cmp{{Key: SessionKey(se.ID)}}, []Op{{Key: SessionKey(se.ID), Value: b, Lease: lease}})
	if err != nil {
		return 0, fmt.Errorf("create session %s: %w", se.ID, err)
	}
	if !ok {
		return 0, fmt.Errorf("create session %s: the ID is taken", se.ID)
	}
	return rev, nil
}

// Session reads one session (linearizable), or ErrSessionNotFound.
func (s *Store) Session(ctx context.Context, id string) (*catalog.Session, error) {
	se, _, err := s.session(ctx, id)
	return se, err
}

func (s *Store) session(ctx context.Context, id string) (*catalog.Session, KV, error) {
	if id == "" || strings.Contains(id, "/") {
		return nil, KV{}, fmt.Errorf("session %q: %w", id, ErrSessionNotFound)
	}
	kv, err := s.Get(ctx, SessionKey(id))
	if errors.Is(err, ErrNotFound) {
		return nil, KV{}, fmt.Errorf("session %q: %w", id, ErrSessionNotFound)
	} else if err != nil {
		return nil, KV{}, err
	}
	se, err := decodeSession(kv)
	return se, kv, err
}

func decodeSession(kv KV) (*catalog.Session, error) {
	var se catalog.Session
	if err := json.Unmarshal(kv.Value, &se); err != nil {
		return nil, fmt.Errorf("decode session %s: %w", kv.Key, err)
	}
	se.CreateIndex, se.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
	return &se, nil
}

// Sessions lists every live session (linearizable), ordered by ID.
func (s *Store) Sessions(ctx context.Context) ([]*catalog.Session, error) {
	kvs, _, err := s.List(ctx, sessionsPrefix())
	if err != nil {
		return nil, err
	}
	out := make([]*catalog.Session, 0, len(kvs))
	for _, kv := range kvs {
		se, err := decodeSession(kv)
		if err != nil {
			s.log.Error("skip undecodable session", "key", kv.Key, "err", err)
			continue
		}
		out = append(out, se)
	}
	return out, nil
}

// RenewSession restarts a TTL session's lease and returns the session, or
// ErrSessionNotFound when it is gone.
func (s *Store) RenewSession(ctx context.Context, id string) (*catalog.Session, error) {
	se, kv, err := s.session(ctx, id)
	if err != nil {
		return nil, err
	}
	if se.TTLDuration() > 0 && kv.Lease != 0 {
		if _, err := s.client.KeepAliveOnce(ctx, clientv3.LeaseID(kv.Lease)); err != nil {
			if errors.Is(err, rpctypes.ErrLeaseNotFound) {
				return nil, fmt.Errorf("session %q: %w", id, ErrSessionNotFound)
			}
			return nil, fmt.Errorf("renew session %s: %w", id, err)
		}
	}
	return se, nil
}

// DestroySession invalidates a session: it ends its lease (or deletes it,
// when bound to its node's lease) and releases or deletes the keys it held,
// starting their lock delay at now. A missing session is no error.
func (s *Store) DestroySession(ctx context.Context, id string, now time.Time) (int64, error) {
	se, kv, err := s.session(ctx, id)
	if errors.Is(err, ErrSessionNotFound) {
		return s.Revision(ctx)
	} else if err != nil {
		return 0, err
	}
	if se.TTLDuration() > 0 && kv.Lease != 0 {
		_, err = s.client.Revoke(ctx, clientv3.LeaseID(kv.Lease))
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			err = nil
		}
	} else {
		_, _, err = s.Txn(ctx, nil, []Op{Del(kv.Key)})
	}
	if err != nil {
		return 0, fmt.Errorf("destroy session %s: %w", id, err)
	}
	return s.releaseHeld(ctx, id, now)
}

// releaseHeld releases (or deletes) every key the invalidated session id
// still holds, and sets their lock delay from now.
func (s *Store) releaseHeld(ctx context.Context, id string, now time.Time) (int64, error) {
	kvs, rev, err := s.List(ctx, heldPrefix(id))
	if err != nil {
		return 0, err
	}
	for _, h := range kvs {
		var hv held
		if err := json.Unmarshal(h.Value, &hv); err != nil {
			s.log.Error("undecodable held-key record", "key", h.Key, "err", err)
		}
		key := strings.TrimPrefix(h.Key, heldPrefix(id))
		r, err := s.invalidateKey(ctx, id, key, hv, now)
		if err != nil {
			return 0, err
		}
		rev = max(rev, r)
	}
	return rev, nil
}

// invalidateKey frees one key of an invalidated session, retrying when a
// concurrent write moved the key.
func (s *Store) invalidateKey(ctx context.Context, id, key string, hv held, now time.Time) (int64, error) {
	for {
		ops := []Op{Del(heldKey(id, key))}
		var cmps []Cmp
		kv, err := s.Get(ctx, KVKey(key))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return 0, err
		}
		if err == nil {
			flags, lock, val, derr := catalog.DecodeKVLock(kv.Value)
			if derr == nil && lock.Session == id {
				cmps = []Cmp{{Key: kv.Key, ModRevision: kv.ModRevision}}
				if hv.Behavior == catalog.BehaviorDelete {
					ops = append(ops, Del(kv.Key))
				} else {
					lock.Session = ""
					ops = append(ops, Put(kv.Key, catalog.EncodeKVLock(flags, lock, val)))
				}
				if hv.LockDelay > 0 {
					until := strconv.FormatInt(now.Add(hv.LockDelay).UnixNano(), 10)
					ops = append(ops, Put(lockDelayKey(key), []byte(until)))
				}
			}
		}
		ok, rev, err := s.Txn(ctx, cmps, ops)
		if err != nil {
			return 0, fmt.Errorf("release %q of session %s: %w", key, id, err)
		}
		if ok {
			return rev, nil
		}
	}
}

// ErrInvalidSession is returned by KVAcquire for a session that does not
// exist.
var ErrInvalidSession = errors.New("invalid session")

// KVAcquire writes key with session as its holder when the key is free or
// already held by session, and no lock delay is running for it at now.
// A new holder increments the key's LockIndex. It reports whether the lock
// is held. The check and the write are one transaction.
func (s *Store) KVAcquire(ctx context.Context, key string, flags uint64, value []byte, session string, now time.Time) (bool, int64, error) {
	for {
		se, skv, err := s.session(ctx, session)
		if errors.Is(err, ErrSessionNotFound) {
			return false, 0, fmt.Errorf("acquire %q: %w %q", key, ErrInvalidSession, session)
		} else if err != nil {
			return false, 0, err
		}
		cmps := []Cmp{{Key: skv.Key, ModRevision: skv.ModRevision}}
		var ops []Op
		delay, err := s.Get(ctx, lockDelayKey(key))
		switch {
		case err == nil:
			if until, _ := strconv.ParseInt(string(delay.Value), 10, 64); now.UnixNano() < until {
				return false, 0, nil
			}
			cmps = append(cmps, Cmp{Key: delay.Key, ModRevision: delay.ModRevision})
			ops = append(ops, Del(delay.Key)) // a passed lock delay is dropped
		case errors.Is(err, ErrNotFound):
			cmps = append(cmps, Cmp{Key: lockDelayKey(key)})
		default:
			return false, 0, err
		}
		lock := catalog.KVLock{LockIndex: 1, Session: session}
		kv, err := s.Get(ctx, KVKey(key))
		switch {
		case err == nil:
			_, cur, _, derr := catalog.DecodeKVLock(kv.Value)
			if derr != nil {
				return false, 0, fmt.Errorf("acquire %q: %w", key, derr)
			}
			if cur.Session != "" && cur.Session != session {
				return false, 0, nil
			}
			lock.LockIndex = cur.LockIndex
			if cur.Session == "" {
				lock.LockIndex++
			}
			cmps = append(cmps, Cmp{Key: kv.Key, ModRevision: kv.ModRevision})
		case errors.Is(err, ErrNotFound):
			cmps = append(cmps, Cmp{Key: KVKey(key)})
		default:
			return false, 0, err
		}
		hv, _ := json.Marshal(held{Behavior: se.Behavior, LockDelay: se.LockDelay})
		ops = append(ops, Put(KVKey(key), catalog.EncodeKVLock(flags, lock, value)), Put(heldKey(session, key), hv))
		ok, rev, err := s.Txn(ctx, cmps, ops)
		if err != nil {
			return false, 0, fmt.Errorf("acquire %q: %w", key, err)
		}
		if ok {
			return true, rev, nil
		}
		if err := ctx.Err(); err != nil {
			return false, 0, err
		}
	}
}

// KVRelease writes key and frees its lock when session holds it; it reports
// false (and writes nothing) otherwise.
func (s *Store) KVRelease(ctx context.Context, key string, flags uint64, value []byte, session string) (bool, int64, error) {
	for {
		kv, err := s.Get(ctx, KVKey(key))
		if errors.Is(err, ErrNotFound) {
			return false, 0, nil
		} else if err != nil {
			return false, 0, err
		}
		_, lock, _, err := catalog.DecodeKVLock(kv.Value)
		if err != nil {
			return false, 0, fmt.Errorf("release %q: %w", key, err)
		}
		if lock.Session != session {
			return false, 0, nil
		}
		lock.Session = ""
		ok, rev, err := s.Txn(ctx, []Cmp{{Key: kv.Key, ModRevision: kv.ModRevision}}, []Op{
			Put(kv.Key, catalog.EncodeKVLock(flags, lock, value)),
			Del(heldKey(session, key)),
		})
		if err != nil {
			return false, 0, fmt.Errorf("release %q: %w", key, err)
		}
		if ok {
			return true, rev, nil
		}
		if err := ctx.Err(); err != nil {
			return false, 0, err
		}
	}
}

// ReapSessions frees the keys of sessions that ended without DestroySession
// (a TTL that passed, a node whose lease ended) until ctx ends: once at
// start for sessions that ended while no reaper ran, then on each session
// deletion. Several reapers may run at once: every release is a
// transaction conditioned on the key's holder.
func (s *Store) ReapSessions(ctx context.Context, now func() time.Time) error {
	rev, err := s.reapOrphans(ctx, now)
	if err != nil {
		return err
	}
	for {
		s.watchSessions(ctx, rev, now)
		if ctx.Err() != nil {
			return nil
		}
		// The watch ended (compaction, lost leader): sweep and watch again.
		if rev, err = s.reapOrphans(ctx, now); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// watchSessions releases the keys of each session deleted after rev, until
// ctx ends or the watch fails (compaction, lost leader).
func (s *Store) watchSessions(ctx context.Context, rev int64, now func() time.Time) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the watch when it is left early
	for b := range s.Watch(wctx, sessionsPrefix(), rev) {
		if b.Err != nil || b.Compacted {
			return
		}
		for _, ev := range b.Events {
			if !ev.Delete {
				continue
			}
			id := strings.TrimPrefix(ev.KV.Key, sessionsPrefix())
			if _, err := s.releaseHeld(ctx, id, now()); err != nil && ctx.Err() == nil {
				s.log.Error("release the keys of an ended session", "session", id, "err", err)
			}
		}
	}
}

// reapOrphans releases held keys whose session no longer exists and returns
// the revision it read the sessions at.
func (s *Store) reapOrphans(ctx context.Context, now func() time.Time) (int64, error) {
	// The held records are read before the sessions: a record read first
	// whose session is missing after belongs to a session that ended (IDs
	// are never reused). The other order would take a session created
	// between the reads for an ended one.
	heldKVs, _, err := s.List(ctx, Prefix+FamilyHeld+"/")
	if err != nil {
		return 0, err
	}
	sessions, rev, err := s.List(ctx, sessionsPrefix())
	if err != nil {
		return 0, err
	}
	live := map[string]bool{}
	for _, kv := range sessions {
		live[strings.TrimPrefix(kv.Key, sessionsPrefix())] = true
	}
	done := map[string]bool{}
	for _, h := range heldKVs {
		id, _, _ := strings.Cut(strings.TrimPrefix(h.Key, Prefix+FamilyHeld+"/"), "/")
		if live[id] || done[id] {
			continue
		}
		done[id] = true
		if _, err := s.releaseHeld(ctx, id, now()); err != nil {
			return 0, err
		}
	}
	return rev, nil
}

// NodeLease is the lease of node's liveness key (its agent's lease), 0
// when the node has none (registered through the catalog API).
func (s *Store) NodeLease(ctx context.Context, node string) (int64, error) {
	kv, err := s.Get(ctx, AliveKey(node))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	return kv.Lease, nil
}
