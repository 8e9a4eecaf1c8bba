package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/orbit/orbit/internal/catalog"
)

// Snapshots hold orbit's durable state: every key under Prefix, and the
// secrets under SecretPrefix, except the running cluster's own (live),
// with KV locks cleared since sessions are not kept. A restore replaces
// the durable state in one transaction and leaves the running cluster's
// own keys alone, so its agents stay alive and registered.

// liveFamilies belong to the running cluster's processes, not its data:
// liveness and sessions (bound to leases of processes that will not exist
// after a restore), session-held key records and lock delays, elections,
// and the servers' own membership records.
var liveFamilies = map[string]bool{
	FamilyAlive: true, FamilySessions: true, FamilyHeld: true, FamilyLockDelay: true,
	FamilyElection: true, FamilyServers: true,
}

// Dump is the store's durable state at one revision, ordered by key.
type Dump struct {
	Revision int64
	KVs      []KV // Key and Value only
}

// ErrSnapshotInvalid is returned by Restore for a dump it will not apply.
var ErrSnapshotInvalid = errors.New("invalid snapshot")

// ErrSnapshotTooLarge is returned by Restore when etcd refuses the one
// transaction that applies it.
var ErrSnapshotTooLarge = errors.New("snapshot too large for one store transaction")

// Dump reads the durable state (linearizable): the keys under Prefix and
// the server-only secrets under SecretPrefix (ACL token secrets, without
// which restored tokens are useless), both at one revision.
func (s *Store) Dump(ctx context.Context) (Dump, error) {
	kvs, rev, err := s.listState(ctx)
	if err != nil {
		return Dump{}, fmt.Errorf("dump: %w", err)
	}
	return Dump{Revision: rev, KVs: durable(kvs)}, nil
}

// listState reads every key under Prefix and SecretPrefix at one revision.
func (s *Store) listState(ctx context.Context) ([]KV, int64, error) {
	kvs, rev, err := s.List(ctx, Prefix)
	if err != nil {
		return nil, 0, err
	}
	resp, err := s.client.Get(ctx, SecretPrefix, clientv3.WithPrefix(), clientv3.WithRev(rev))
	if err != nil {
		return nil, 0, fmt.Errorf("etcd list %s: %w", SecretPrefix, err)
	}
	for _, kv := range resp.Kvs {
		kvs = append(kvs, toKV(kv))
	}
	return kvs, rev, nil
}

// durable keeps the keys a snapshot holds, with KV locks cleared.
func durable(kvs []KV) []KV {
	out := make([]KV, 0, len(kvs))
	for _, kv := range kvs {
		if live(kv) {
			continue
		}
		v := kv.Value
		if fam, _, _ := SplitKey(kv.Key); fam == FamilyKV {
			if flags, lock, val, err := catalog.DecodeKVLock(v); err == nil && lock.Session != "" {
				lock.Session = ""
				v = catalog.EncodeKVLock(flags, lock, val)
			}
		}
		out = append(out, KV{Key: kv.Key, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// live reports whether kv belongs to the running cluster (see liveFamilies;
// leased keys all do).
func live(kv KV) bool {
	if kv.Lease != 0 {
		return true
	}
	fam, _, ok := SplitKey(kv.Key)
	return ok && liveFamilies[fam]
}

// Restore replaces the durable state with d's keys in one transaction,
// guarded by a comparison that nothing under Prefix changed since it was
// read (retried a few times when something did). It returns the revision
// after the restore.
func (s *Store) Restore(ctx context.Context, d Dump) (int64, error) {
	if err := validDump(d); err != nil {
		return 0, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		cur, rev, err := s.listState(ctx)
		if err != nil {
			return 0, fmt.Errorf("restore: %w", err)
		}
		ops := restoreOps(cur, d.KVs)
		eo := make([]clientv3.Op, len(ops))
		for i, o := range ops {
			if o.Delete {
				eo[i] = clientv3.OpDelete(o.Key)
			} else {
				eo[i] = clientv3.OpPut(o.Key, string(o.Value))
			}
		}
		unchanged := clientv3.Compare(clientv3.ModRevision(Prefix), "<", rev+1).WithPrefix()
		secretsUnchanged := clientv3.Compare(clientv3.ModRevision(SecretPrefix), "<", rev+1).WithPrefix()
		resp, err := s.client.Txn(ctx).If(unchanged, secretsUnchanged).Then(eo...).Commit()
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "too many operations") || strings.Contains(msg, "too large") {
				return 0, fmt.Errorf("restore %d keys (%d writes): %w: %v", len(d.KVs), len(ops), ErrSnapshotTooLarge, err)
			}
			return 0, fmt.Errorf("restore: %w", err)
		}
		if resp.Succeeded {
			s.log.Info("store restored from snapshot", "keys", len(d.KVs), "writes", len(ops), "revision", resp.Header.Revision)
			return resp.Header.Revision, nil
		}
	}
	return 0, fmt.Errorf("restore: %w: the store kept changing under it", ErrConflict)
}

// validDump refuses keys outside orbit's key space (Prefix and
// SecretPrefix) or of its live families.
func validDump(d Dump) error {
	for _, kv := range d.KVs {
		if !strings.HasPrefix(kv.Key, Prefix) && !strings.HasPrefix(kv.Key, SecretPrefix) {
			return fmt.Errorf("%w: key %q is outside %s and %s", ErrSnapshotInvalid, kv.Key, Prefix, SecretPrefix)
		}
		if live(KV{Key: kv.Key}) {
			return fmt.Errorf("%w: key %q belongs to a running cluster, not to a snapshot", ErrSnapshotInvalid, kv.Key)
		}
	}
	return nil
}

// restoreOps are the writes that turn the durable part of cur into snap:
// puts of every key snap changes or adds and deletes of every durable key
// it lacks, except the records of nodes alive in cur that snap does not
// know (their agents keep running and stay registered and schedulable).
func restoreOps(cur, snap []KV) []Op {
	want := make(map[string][]byte, len(snap))
	for _, kv := range snap {
		want[kv.Key] = kv.Value
	}
	alive := map[string]bool{}
	for _, kv := range cur {
		if fam, parts, ok := SplitKey(kv.Key); ok && fam == FamilyAlive {
			alive[parts[0]] = true
		}
	}
	var ops []Op
	have := make(map[string][]byte, len(cur))
	for _, kv := range cur {
		have[kv.Key] = kv.Value
		if live(kv) {
			continue
		}
		if _, ok := want[kv.Key]; ok {
			continue
		}
		if fam, parts, ok := SplitKey(kv.Key); ok && (fam == FamilyNodes || fam == FamilyNodeInfo) && alive[parts[0]] {
			continue
		}
		ops = append(ops, Del(kv.Key))
	}
	for _, kv := range snap {
		if old, ok := have[kv.Key]; ok && bytes.Equal(old, kv.Value) {
			continue
		}
		ops = append(ops, Put(kv.Key, kv.Value))
	}
	return ops
}
