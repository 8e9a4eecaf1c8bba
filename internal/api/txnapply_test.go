package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/store"
)

// memReader is a txnReader over a map of etcd keys.
type memReader map[string]*store.KV

func (m memReader) get(_ context.Context, key string) (*store.KV, error) { return m[key], nil }

func (m memReader) list(_ context.Context, prefix string) ([]*store.KV, error) {
	var out []*store.KV
	for k, kv := range m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, kv)
		}
	}
	return out, nil
}

func TestTxnApply(t *testing.T) {
	now := time.Unix(1000, 0)
	se, _ := json.Marshal(catalog.Session{ID: "s1", Node: "n1", Behavior: "release"})
	node, _ := json.Marshal(catalog.Node{Name: "n1", Address: "10.0.0.1"})
	state := func() memReader {
		return memReader{
			store.KVKey("held"):           {Key: store.KVKey("held"), Value: catalog.EncodeKVLock(0, catalog.KVLock{LockIndex: 3, Session: "s2"}, []byte("v")), CreateRevision: 4, ModRevision: 7},
			store.KVKey("free"):           {Key: store.KVKey("free"), Value: catalog.EncodeKVLock(0, catalog.KVLock{LockIndex: 2}, []byte("f")), CreateRevision: 5, ModRevision: 8},
			store.KVKey("dir/a"):          {Key: store.KVKey("dir/a"), Value: catalog.EncodeKV(0, []byte("a")), CreateRevision: 6, ModRevision: 6},
			store.KVKey("dir/b"):          {Key: store.KVKey("dir/b"), Value: catalog.EncodeKV(0, []byte("b")), CreateRevision: 6, ModRevision: 6},
			store.SessionKey("s1"):        {Key: store.SessionKey("s1"), Value: se, CreateRevision: 2, ModRevision: 2},
			store.LockDelayKey("delayed"): {Key: store.LockDelayKey("delayed"), Value: []byte("2000000000000"), CreateRevision: 3, ModRevision: 3},
			store.NodeKey("n1"):           {Key: store.NodeKey("n1"), Value: node, CreateRevision: 2, ModRevision: 2},
		}
	}
	kv := func(verb, key string, idx uint64, session string) *txnOp {
		return &txnOp{verb: verb, kv: &txnKVIn{Verb: verb, Key: key, Index: idx, Session: session, Value: []byte("new")}, index: idx}
	}
	svc := func(verb, node, id string) *txnOp {
		return &txnOp{verb: verb, svc: &txnSvc{node: node, inst: &catalog.Instance{Node: node, ID: id, Name: id}}}
	}
	cases := []struct {
		name    string
		ops     []*txnOp
		errs    []string // the failures, in order; none for a success
		results int
		writes  int
	}{
		{"get missing", []*txnOp{kv("get", "nope", 0, "")}, []string{`key "nope" doesn't exist`}, 0, 0},
		{"get-or-empty missing", []*txnOp{kv("get-or-empty", "nope", 0, "")}, nil, 1, 0},
		{"get-tree", []*txnOp{kv("get-tree", "dir/", 0, "")}, nil, 2, 0},
		{"delete-tree", []*txnOp{kv("delete-tree", "dir/", 0, ""), kv("get", "dir/a", 0, "")}, []string{`key "dir/a" doesn't exist`}, 0, 0},
		{"set then get", []*txnOp{kv("set", "k", 0, ""), kv("get", "k", 0, "")}, nil, 2, 1},
		{"cas 0 on existing", []*txnOp{kv("cas", "dir/a", 0, "")}, []string{`failed to set key "dir/a", index is stale`}, 0, 0},
		{"cas at index", []*txnOp{kv("cas", "dir/a", 6, "")}, nil, 1, 1},
		{"delete-cas stale", []*txnOp{kv("delete-cas", "dir/a", 5, "")}, []string{`failed to delete key "dir/a", index is stale`}, 0, 0},
		{"lock no session", []*txnOp{kv("lock", "k", 0, "")}, []string{"missing session"}, 0, 0},
		{"lock unknown session", []*txnOp{kv("lock", "k", 0, "s9")}, []string{`invalid session "s9"`}, 0, 0},
		{"lock held by other", []*txnOp{kv("lock", "held", 0, "s1")}, []string{`failed to lock key "held", lock is already held`}, 0, 0},
		{"lock in delay", []*txnOp{kv("lock", "delayed", 0, "s1")}, []string{`failed to lock key "delayed" due to lock delay`}, 0, 0},
		{"lock free", []*txnOp{kv("lock", "free", 0, "s1")}, nil, 1, 2},
		{"unlock not held", []*txnOp{kv("unlock", "held", 0, "s1")}, []string{`failed to unlock key "held", lock isn't held, or is held by another session`}, 0, 0},
		{"check-session", []*txnOp{kv("check-session", "held", 0, "s1")}, []string{`failed session check for key "held", current session "s2" != "s1"`}, 0, 0},
		{"check-index", []*txnOp{kv("check-index", "held", 6, "")}, []string{`failed index check for key "held", current modify index 7 != 6`}, 0, 0},
		{"check-not-exists", []*txnOp{kv("check-not-exists", "held", 0, "")}, []string{`key "held" exists`}, 0, 0},
		{"unknown verb", []*txnOp{kv("frob", "k", 0, "")}, []string{`unknown KV verb "frob"`}, 0, 0},
		{"every failure reported", []*txnOp{kv("get", "x", 0, ""), kv("set", "k", 0, ""), kv("get", "y", 0, "")},
			[]string{`key "x" doesn't exist`, `key "y" doesn't exist`}, 0, 0},
		{"service on missing node", []*txnOp{svc("set", "n2", "web")}, []string{"Missing node registration"}, 0, 0},
		{"service set and get", []*txnOp{svc("set", "n1", "web"), svc("get", "n1", "web")}, nil, 2, 1},
		{"service get missing", []*txnOp{svc("get", "n1", "db")}, []string{`service "db" on node "n1" doesn't exist`}, 0, 0},
		{"check of missing service", []*txnOp{{verb: "set", check: &catalog.Check{Node: "n1", CheckID: "c", ServiceID: "db", Status: catalog.Passing}}},
			[]string{"Missing service registration"}, 0, 0},
		{"node get by name", []*txnOp{{verb: "get", node: &catalog.Node{Name: "n1"}}}, nil, 1, 0},
		{"node delete-cas stale", []*txnOp{{verb: "delete-cas", node: &catalog.Node{Name: "n1"}, index: 1}}, []string{`failed to delete node "n1", index is stale`}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ta := newTxnApply(state(), now)
			res, errs, err := ta.run(context.Background(), tc.ops)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.What)
			}
			if strings.Join(got, "|") != strings.Join(tc.errs, "|") {
				t.Fatalf("errors %q, want %q", got, tc.errs)
			}
			if len(res) != tc.results {
				t.Fatalf("%d results, want %d", len(res), tc.results)
			}
			if len(tc.errs) == 0 && len(ta.writes()) != tc.writes {
				t.Fatalf("writes %+v, want %d", ta.writes(), tc.writes)
			}
		})
	}
}

// TestTxnApplyLockResults checks what a lock writes and reports: the
// session's held record, a LockIndex one past the last holder's, and the
// commit's index once fixed.
func TestTxnApplyLockResults(t *testing.T) {
	se, _ := json.Marshal(catalog.Session{ID: "s1", Behavior: "delete", LockDelay: time.Second})
	rd := memReader{
		store.SessionKey("s1"): {Key: store.SessionKey("s1"), Value: se},
		store.KVKey("free"):    {Key: store.KVKey("free"), Value: catalog.EncodeKVLock(0, catalog.KVLock{LockIndex: 2}, nil), CreateRevision: 5, ModRevision: 8},
	}
	ta := newTxnApply(rd, time.Unix(0, 0))
	res, errs, err := ta.run(context.Background(), []*txnOp{
		{verb: "lock", kv: &txnKVIn{Verb: "lock", Key: "free", Session: "s1", Value: []byte("me")}},
		{verb: "get", kv: &txnKVIn{Verb: "get", Key: "free"}},
	})
	if err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	fixIndexes(res, 42)
	lock, get := res[0].KV, res[1].KV
	if lock.LockIndex != 3 || lock.Session != "s1" || lock.Value != nil || lock.CreateIndex != 5 || lock.ModifyIndex != 42 {
		t.Fatalf("lock result %+v", lock)
	}
	if string(get.Value) != "me" || get.LockIndex != 3 || get.ModifyIndex != 42 {
		t.Fatalf("get result %+v", get)
	}
	var heldPut bool
	for _, w := range ta.writes() {
		if w.Key == store.HeldKey("s1", "free") && !w.Delete {
			heldPut = strings.Contains(string(w.Value), `"Behavior":"delete"`)
		}
	}
	if !heldPut {
		t.Fatalf("no held record in %+v", ta.writes())
	}
}
