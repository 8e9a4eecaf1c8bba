package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/store"
)

// The catalog operations of /v1/txn (Consul's txnNode, txnService and
// txnCheck) over orbit's node, instance and check records.

// Consul's errors for a catalog write whose node or service is missing.
const (
	errMissingNode    = "Missing node registration"
	errMissingService = "Missing service registration"
)

// casHolds is Consul's compare-and-set rule: index 0 only for an absent
// record, any other index only for a record modified at that index.
func casHolds(kv *store.KV, idx uint64) bool {
	if kv == nil {
		return idx == 0
	}
	return idx != 0 && index(kv.ModRevision) == idx
}

func decodeNode(kv *store.KV) (*catalog.Node, error) {
	var n catalog.Node
	if err := json.Unmarshal(kv.Value, &n); err != nil {
		return nil, fmt.Errorf("decode node %s: %w", kv.Key, err)
	}
	n.Name = strings.TrimPrefix(kv.Key, store.NodeKey(""))
	n.CreateIndex, n.ModifyIndex = index(kv.CreateRevision), index(kv.ModRevision)
	return &n, nil
}

func decodeInstance(kv *store.KV) (*catalog.Instance, error) {
	var in catalog.Instance
	if err := json.Unmarshal(kv.Value, &in); err != nil {
		return nil, fmt.Errorf("decode service %s: %w", kv.Key, err)
	}
	in.CreateIndex, in.ModifyIndex = index(kv.CreateRevision), index(kv.ModRevision)
	return &in, nil
}

func decodeCheck(kv *store.KV, node string) (*catalog.Check, error) {
	var c catalog.Check
	if err := json.Unmarshal(kv.Value, &c); err != nil {
		return nil, fmt.Errorf("decode check %s: %w", kv.Key, err)
	}
	c.Node, c.CheckID = node, strings.TrimPrefix(kv.Key, store.CheckPrefix(node))
	c.CreateIndex, c.ModifyIndex = index(kv.CreateRevision), index(kv.ModRevision)
	return &c, nil
}

// findNode reads the node an operation names: by ID when it has one (as
// Consul), else by name. nil when there is none.
func (t *txnApply) findNode(ctx context.Context, want *catalog.Node) (*store.KV, error) {
	if want.ID == "" {
		return t.get(ctx, store.NodeKey(want.Name))
	}
	if want.Name != "" {
		kv, err := t.get(ctx, store.NodeKey(want.Name))
		if err != nil || kv == nil {
			return kv, err
		}
		if n, err := decodeNode(kv); err == nil && strings.EqualFold(n.ID, want.ID) {
			return kv, nil
		}
	}
	kvs, err := t.list(ctx, store.NodeKey(""))
	if err != nil {
		return nil, err
	}
	for _, kv := range kvs {
		if n, err := decodeNode(kv); err == nil && strings.EqualFold(n.ID, want.ID) {
			return kv, nil
		}
	}
	return nil, nil
}

func (t *txnApply) applyNode(ctx context.Context, op *txnOp) ([]*txnResultJSON, string, error) {
	want := op.node
	kv, err := t.findNode(ctx, want)
	if err != nil {
		return nil, "", err
	}
	result := func(kv *store.KV) ([]*txnResultJSON, string, error) {
		n, err := decodeNode(kv)
		if err != nil {
			return nil, "", err
		}
		return []*txnResultJSON{{Node: toNodeJSON(n)}}, "", nil
	}
	switch op.verb {
	case "get":
		if kv == nil {
			return nil, fmt.Sprintf("node %q doesn't exist", want.Name), nil
		}
		return result(kv)
	case "set", "cas":
		if op.verb == "cas" && !casHolds(kv, op.index) {
			return nil, fmt.Sprintf("failed to set node %q, index is stale", want.Name), nil
		}
		if err := want.Validate(); err != nil {
			return nil, err.Error(), nil
		}
		n := *want
		if kv != nil {
			if old, err := decodeNode(kv); err == nil && old.Name == n.Name {
				n.Agent, n.Roles = old.Agent, old.Roles // an agent stays an agent
			}
		}
		b, err := json.Marshal(&n)
		if err != nil {
			return nil, "", fmt.Errorf("encode node %q: %w", n.Name, err)
		}
		written, err := t.put(ctx, store.NodeKey(n.Name), b)
		if err != nil {
			return nil, "", err
		}
		return result(written)
	case "delete", "delete-cas":
		if op.verb == "delete-cas" && (kv == nil || !casHolds(kv, op.index)) {
			return nil, fmt.Sprintf("failed to delete node %q, index is stale", want.Name), nil
		}
		return nil, "", t.deleteNode(ctx, want.Name)
	}
	return nil, fmt.Sprintf("unknown Node verb %q", op.verb), nil
}

// deleteNode removes a node with its liveness, services and checks.
func (t *txnApply) deleteNode(ctx context.Context, name string) error {
	t.del(store.NodeKey(name))
	t.del(store.AliveKey(name))
	for _, prefix := range []string{store.InstancePrefix(name), store.CheckPrefix(name)} {
		kvs, err := t.list(ctx, prefix)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			t.del(kv.Key)
		}
	}
	return nil
}

func (t *txnApply) applyService(ctx context.Context, op *txnOp) ([]*txnResultJSON, string, error) {
	node, id := op.svc.node, op.svc.inst.ID
	key := store.InstanceKey(node, id)
	kv, err := t.get(ctx, key)
	if err != nil {
		return nil, "", err
	}
	result := func(kv *store.KV) ([]*txnResultJSON, string, error) {
		in, err := decodeInstance(kv)
		if err != nil {
			return nil, "", err
		}
		return []*txnResultJSON{{Service: toServiceJSON(in, true)}}, "", nil
	}
	switch op.verb {
	case "get":
		if kv == nil {
			return nil, fmt.Sprintf("service %q on node %q doesn't exist", id, node), nil
		}
		return result(kv)
	case "set", "cas":
		if op.verb == "cas" && !casHolds(kv, op.index) {
			return nil, fmt.Sprintf("failed to set service %q on node %q, index is stale", id, node), nil
		}
		nkv, err := t.get(ctx, store.NodeKey(node))
		if err != nil {
			return nil, "", err
		}
		if nkv == nil {
			return nil, errMissingNode, nil
		}
		b, err := json.Marshal(op.svc.inst)
		if err != nil {
			return nil, "", fmt.Errorf("encode service %q: %w", id, err)
		}
		written, err := t.put(ctx, key, b)
		if err != nil {
			return nil, "", err
		}
		return result(written)
	case "delete", "delete-cas":
		if op.verb == "delete-cas" && (kv == nil || !casHolds(kv, op.index)) {
			return nil, fmt.Sprintf("failed to delete service %q on node %q, index is stale", id, node), nil
		}
		if kv == nil {
			return nil, "", nil
		}
		// As Consul, the service's checks go with it.
		checks, err := t.list(ctx, store.CheckPrefix(node))
		if err != nil {
			return nil, "", err
		}
		for _, ckv := range checks {
			if c, err := decodeCheck(ckv, node); err == nil && c.ServiceID == id {
				t.del(ckv.Key)
			}
		}
		t.del(key)
		return nil, "", nil
	}
	return nil, fmt.Sprintf("unknown Service verb %q", op.verb), nil
}

func (t *txnApply) applyCheck(ctx context.Context, op *txnOp) ([]*txnResultJSON, string, error) {
	node, id := op.check.Node, op.check.CheckID
	key := store.CheckKey(node, id)
	kv, err := t.get(ctx, key)
	if err != nil {
		return nil, "", err
	}
	switch op.verb {
	case "get":
		if kv == nil {
			return nil, fmt.Sprintf("check %q on node %q doesn't exist", id, node), nil
		}
		return t.checkResult(ctx, kv, node)
	case "set", "cas":
		if op.verb == "cas" && !casHolds(kv, op.index) {
			return nil, fmt.Sprintf("failed to set check %q on node %q, index is stale", id, node), nil
		}
		nkv, err := t.get(ctx, store.NodeKey(node))
		if err != nil {
			return nil, "", err
		}
		if nkv == nil {
			return nil, errMissingNode, nil
		}
		if sid := op.check.ServiceID; sid != "" {
			skv, err := t.get(ctx, store.InstanceKey(node, sid))
			if err != nil {
				return nil, "", err
			}
			if skv == nil {
				return nil, errMissingService, nil
			}
		}
		b, err := json.Marshal(op.check)
		if err != nil {
			return nil, "", fmt.Errorf("encode check %q: %w", id, err)
		}
		written, err := t.put(ctx, key, b)
		if err != nil {
			return nil, "", err
		}
		return t.checkResult(ctx, written, node)
	case "delete", "delete-cas":
		if op.verb == "delete-cas" && (kv == nil || !casHolds(kv, op.index)) {
			return nil, fmt.Sprintf("failed to delete check %q on node %q, index is stale", id, node), nil
		}
		t.del(key)
		return nil, "", nil
	}
	return nil, fmt.Sprintf("unknown Check verb %q", op.verb), nil
}

// checkResult is a check as Consul shows it, with its service's name and
// tags (none for a node check) and its type.
func (t *txnApply) checkResult(ctx context.Context, kv *store.KV, node string) ([]*txnResultJSON, string, error) {
	c, err := decodeCheck(kv, node)
	if err != nil {
		return nil, "", err
	}
	c.Type = c.Definition.Type()
	if c.ServiceID != "" {
		skv, err := t.get(ctx, store.InstanceKey(node, c.ServiceID))
		if err != nil {
			return nil, "", err
		}
		if skv != nil {
			if in, err := decodeInstance(skv); err == nil {
				c.ServiceName, c.ServiceTags = in.Name, in.Tags
			}
		}
	}
	j := toCheckJSON(c)
	j.ServiceTags = c.ServiceTags // Consul's null for a node check
	return []*txnResultJSON{{Check: j}}, "", nil
}
