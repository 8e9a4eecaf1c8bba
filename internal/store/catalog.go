package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/orbit/orbit/internal/catalog"
)

// ErrConflict is returned when a compare-and-swap write lost a race too
// many times, or when a cas condition did not hold.
var ErrConflict = errors.New("conflicting concurrent write")

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Catalog types hold only marshalable fields.
		panic(fmt.Sprintf("marshal %T: %v", v, err))
	}
	return b
}

// RegisterNode writes a node record. With lease non-zero the node is an
// agent and its liveness key is bound to that lease in the same transaction.
func (s *Store) RegisterNode(ctx context.Context, n *catalog.Node, lease int64) (int64, error) {
	if err := n.Validate(); err != nil {
		return 0, err
	}
	ops := []Op{Put(NodeKey(n.Name), mustJSON(n))}
	if lease != 0 {
		ops = append(ops, Op{Key: AliveKey(n.Name), Value: []byte("1"), Lease: lease})
	}
	_, rev, err := s.Txn(ctx, nil, ops)
	if err != nil {
		return 0, fmt.Errorf("register node %q: %w", n.Name, err)
	}
	return rev, nil
}

// DeregisterNode removes a node with its liveness, instances and checks.
func (s *Store) DeregisterNode(ctx context.Context, node string) (int64, error) {
	_, rev, err := s.Txn(ctx, nil, []Op{
		Del(NodeKey(node)), Del(AliveKey(node)),
		DelPrefix(InstancePrefix(node)), DelPrefix(CheckPrefix(node)),
	})
	if err != nil {
		return 0, fmt.Errorf("deregister node %q: %w", node, err)
	}
	return rev, nil
}

// RegisterInstance writes an instance and its checks in one transaction, so
// no reader sees the instance without them, and removes the instance's
// earlier checks that are not in checks (found by reading the node's checks).
// node, when not nil, is written too.
func (s *Store) RegisterInstance(ctx context.Context, node *catalog.Node, in *catalog.Instance, checks []*catalog.Check) (int64, error) {
	old, err := s.serviceChecks(ctx, in.Node, in.ID)
	if err != nil {
		return 0, err
	}
	return s.ReplaceInstance(ctx, node, in, checks, old)
}

// serviceChecks lists the ids of a node's checks bound to service id.
func (s *Store) serviceChecks(ctx context.Context, node, id string) ([]string, error) {
	kvs, _, err := s.List(ctx, CheckPrefix(node))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, kv := range kvs {
		var c catalog.Check
		if json.Unmarshal(kv.Value, &c) == nil && c.ServiceID == id {
			out = append(out, strings.TrimPrefix(kv.Key, CheckPrefix(node)))
		}
	}
	return out, nil
}

// ReplaceInstance is RegisterInstance for callers that already know the
// instance's earlier check ids (oldChecks, from their view): it writes
// without reading, which keeps registration O(1) on a node with many checks.
func (s *Store) ReplaceInstance(ctx context.Context, node *catalog.Node, in *catalog.Instance, checks []*catalog.Check, oldChecks []string) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	keep := map[string]bool{}
	var ops []Op
	if node != nil {
		if err := node.Validate(); err != nil {
			return 0, err
		}
		ops = append(ops, Put(NodeKey(node.Name), mustJSON(node)))
	}
	ops = append(ops, Put(InstanceKey(in.Node, in.ID), mustJSON(in)))
	for _, c := range checks {
		c.Node, c.ServiceID = in.Node, in.ID
		if err := c.Validate(); err != nil {
			return 0, err
		}
		keep[c.CheckID] = true
		ops = append(ops, Put(CheckKey(in.Node, c.CheckID), mustJSON(c)))
	}
	for _, id := range oldChecks {
		if !keep[id] {
			ops = append(ops, Del(CheckKey(in.Node, id)))
		}
	}
	_, rev, err := s.Txn(ctx, nil, ops)
	if err != nil {
		return 0, fmt.Errorf("register service %q: %w", in.ID, err)
	}
	return rev, nil
}

// DeregisterInstance removes an instance and its checks in one transaction.
// Check keys carry no service id, so the checks are found by reading the
// node's checks from etcd; callers that know them use RemoveInstance. It
// reports whether the instance existed.
func (s *Store) DeregisterInstance(ctx context.Context, node, id string) (bool, int64, error) {
	ids, err := s.serviceChecks(ctx, node, id)
	if err != nil {
		return false, 0, err
	}
	return s.RemoveInstance(ctx, node, id, ids)
}

// PutCheck writes one check (a node check, or a check of an existing
// instance: the instance must exist, checked in the same transaction).
func (s *Store) PutCheck(ctx context.Context, c *catalog.Check) (int64, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	var cmps []Cmp
	if c.ServiceID != "" {
		kv, err := s.Get(ctx, InstanceKey(c.Node, c.ServiceID))
		if errors.Is(err, ErrNotFound) {
			return 0, fmt.Errorf("%w: check %q: service %q is not registered on node %q", catalog.ErrInvalid, c.CheckID, c.ServiceID, c.Node)
		} else if err != nil {
			return 0, err
		}
		cmps = append(cmps, Cmp{Key: kv.Key, ModRevision: kv.ModRevision})
	}
	ok, rev, err := s.Txn(ctx, cmps, []Op{Put(CheckKey(c.Node, c.CheckID), mustJSON(c))})
	if err != nil {
		return 0, fmt.Errorf("register check %q: %w", c.CheckID, err)
	}
	if !ok {
		return 0, fmt.Errorf("register check %q: %w", c.CheckID, ErrConflict)
	}
	return rev, nil
}

// DeleteCheck removes one check; it reports whether it existed.
func (s *Store) DeleteCheck(ctx context.Context, node, id string) (bool, int64, error) {
	if _, err := s.Get(ctx, CheckKey(node, id)); errors.Is(err, ErrNotFound) {
		return false, 0, nil
	} else if err != nil {
		return false, 0, err
	}
	_, rev, err := s.Txn(ctx, nil, []Op{Del(CheckKey(node, id))})
	if err != nil {
		return false, 0, fmt.Errorf("deregister check %q: %w", id, err)
	}
	return true, rev, nil
}

// SetCheckStatus changes a check's status and output with a compare-and-swap
// on its revision. It writes nothing when both are unchanged, and reports
// whether it wrote. A missing check is ErrNotFound.
func (s *Store) SetCheckStatus(ctx context.Context, node, id string, status catalog.Status, output string) (int64, bool, error) {
	for attempt := 0; attempt < 5; attempt++ {
		kv, err := s.Get(ctx, CheckKey(node, id))
		if err != nil {
			return 0, false, err
		}
		var c catalog.Check
		if err := json.Unmarshal(kv.Value, &c); err != nil {
			return 0, false, fmt.Errorf("decode check %q: %w", id, err)
		}
		if c.Status == status && c.Output == output {
			return kv.ModRevision, false, nil
		}
		c.Status, c.Output = status, output
		ok, rev, err := s.Txn(ctx, []Cmp{{Key: kv.Key, ModRevision: kv.ModRevision}}, []Op{Put(kv.Key, mustJSON(&c))})
		if err != nil {
			return 0, false, fmt.Errorf("update check %q: %w", id, err)
		}
		if ok {
			return rev, true, nil
		}
	}
	return 0, false, fmt.Errorf("update check %q: %w", id, ErrConflict)
}

// KVPut writes a KV entry. With cas non-nil the write happens only if the
// key's modify index equals *cas (0: only if absent). A lock on the key
// (its session and LockIndex) is kept, as Consul keeps it: the write is
// conditioned on the entry it read, and retried when another write won.
func (s *Store) KVPut(ctx context.Context, key string, flags uint64, value []byte, cas *uint64) (bool, int64, error) {
	for {
		var lock catalog.KVLock
		cur := int64(0)
		kv, err := s.Get(ctx, KVKey(key))
		switch {
		case err == nil:
			cur = kv.ModRevision
			if _, lock, _, err = catalog.DecodeKVLock(kv.Value); err != nil {
				lock = catalog.KVLock{} // a corrupt entry is overwritten whole
			}
		case !errors.Is(err, ErrNotFound):
			return false, 0, fmt.Errorf("put key %q: %w", key, err)
		}
		if cas != nil && int64(*cas) != cur {
			return false, 0, nil
		}
		ok, rev, err := s.Txn(ctx, []Cmp{{Key: KVKey(key), ModRevision: cur}}, []Op{Put(KVKey(key), catalog.EncodeKVLock(flags, lock, value))})
		if err != nil {
			return false, 0, fmt.Errorf("put key %q: %w", key, err)
		}
		if ok || cas != nil {
			return ok, rev, nil
		}
		if err := ctx.Err(); err != nil {
			return false, 0, err
		}
	}
}

// KVDelete deletes a key, or every key under it with recurse. With cas
// non-nil (not with recurse) it deletes only at that modify index.
func (s *Store) KVDelete(ctx context.Context, key string, recurse bool, cas *uint64) (bool, int64, error) {
	op := Del(KVKey(key))
	if recurse {
		op = DelPrefix(KVKey(key))
	}
	var cmps []Cmp
	if cas != nil && !recurse {
		cmps = []Cmp{{Key: KVKey(key), ModRevision: int64(*cas)}}
	}
	ok, rev, err := s.Txn(ctx, cmps, []Op{op})
	if err != nil {
		return false, 0, fmt.Errorf("delete key %q: %w", key, err)
	}
	return ok, rev, nil
}

// RegisterCatalog writes a node and, optionally, one instance and checks in
// one transaction (Consul's /v1/catalog/register). Unlike RegisterInstance
// it leaves the instance's other checks alone.
func (s *Store) RegisterCatalog(ctx context.Context, n *catalog.Node, in *catalog.Instance, checks []*catalog.Check) (int64, error) {
	if err := n.Validate(); err != nil {
		return 0, err
	}
	ops := []Op{Put(NodeKey(n.Name), mustJSON(n))}
	if in != nil {
		if err := in.Validate(); err != nil {
			return 0, err
		}
		ops = append(ops, Put(InstanceKey(in.Node, in.ID), mustJSON(in)))
	}
	for _, c := range checks {
		c.Node = n.Name
		if err := c.Validate(); err != nil {
			return 0, err
		}
		ops = append(ops, Put(CheckKey(n.Name, c.CheckID), mustJSON(c)))
	}
	_, rev, err := s.Txn(ctx, nil, ops)
	if err != nil {
		return 0, fmt.Errorf("catalog register %q: %w", n.Name, err)
	}
	return rev, nil
}

// RemoveInstance deletes an instance and the checks the caller's view knows
// for it in one transaction, conditioned on the instance still existing.
// It reports whether the instance existed.
func (s *Store) RemoveInstance(ctx context.Context, node, id string, checkIDs []string) (bool, int64, error) {
	ops := []Op{Del(InstanceKey(node, id))}
	for _, c := range checkIDs {
		ops = append(ops, Del(CheckKey(node, c)))
	}
	// Read the instance's revision so the delete is conditioned on it.
	kv, err := s.Get(ctx, InstanceKey(node, id))
	if errors.Is(err, ErrNotFound) {
		return false, 0, nil
	} else if err != nil {
		return false, 0, err
	}
	ok, rev, err := s.Txn(ctx, []Cmp{{Key: kv.Key, ModRevision: kv.ModRevision}}, ops)
	if err != nil {
		return false, 0, fmt.Errorf("deregister service %q: %w", id, err)
	}
	if !ok {
		return false, 0, fmt.Errorf("deregister service %q: %w", id, ErrConflict)
	}
	return true, rev, nil
}
