package store

import (
	"reflect"
	"testing"

	"github.com/orbit/orbit/internal/catalog"
)

func TestDurableDropsLiveKeysAndLocks(t *testing.T) {
	locked := catalog.EncodeKVLock(7, catalog.KVLock{LockIndex: 3, Session: "s1"}, []byte("v"))
	in := []KV{
		{Key: KVKey("b"), Value: locked},
		{Key: KVKey("a"), Value: catalog.EncodeKV(0, []byte("x"))},
		{Key: AliveKey("n1"), Value: []byte("1"), Lease: 9},
		{Key: SessionKey("s1"), Value: []byte("{}")}, // a session without a lease
		{Key: heldKey("s1", "b"), Value: []byte("{}")},
		{Key: lockDelayKey("b"), Value: []byte("t")},
		{Key: ServerKey(0xabc), Value: []byte("{}")},
		{Key: FamilyKey(FamilyElection, "scheduler/1"), Value: []byte("x")},
		{Key: NodeKey("n1"), Value: []byte("{}")},
		{Key: FamilyKey(FamilyJobs, "default/web/1"), Value: []byte("{}"), Lease: 0},
		{Key: KVKey("leased"), Value: []byte("x"), Lease: 4},
	}
	got := durable(in)
	want := []KV{
		{Key: FamilyKey(FamilyJobs, "default/web/1"), Value: []byte("{}")},
		{Key: KVKey("a"), Value: catalog.EncodeKV(0, []byte("x"))},
		{Key: KVKey("b"), Value: catalog.EncodeKVLock(7, catalog.KVLock{LockIndex: 3}, []byte("v"))},
		{Key: NodeKey("n1"), Value: []byte("{}")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("durable =\n%v\nwant\n%v", got, want)
	}
}

func TestRestoreOps(t *testing.T) {
	kv := func(k, v string) KV { return KV{Key: k, Value: []byte(v)} }
	leased := func(k, v string) KV { return KV{Key: k, Value: []byte(v), Lease: 1} }
	tests := []struct {
		name      string
		cur, snap []KV
		want      []Op
	}{
		{"empty onto empty", nil, nil, nil},
		{"fresh store gets everything", nil, []KV{kv(KVKey("a"), "1"), kv(NodeKey("n"), "{}")},
			[]Op{Put(KVKey("a"), []byte("1")), Put(NodeKey("n"), []byte("{}"))}},
		{"equal keys are not rewritten, others replaced or deleted",
			[]KV{kv(KVKey("a"), "1"), kv(KVKey("b"), "old"), kv(KVKey("gone"), "x")},
			[]KV{kv(KVKey("a"), "1"), kv(KVKey("b"), "new")},
			[]Op{Del(KVKey("gone")), Put(KVKey("b"), []byte("new"))}},
		{"live keys stay",
			[]KV{leased(AliveKey("me"), "1"), leased(SessionKey("s"), "{}"), kv(ServerKey(1), "{}"), kv(FamilyKey(FamilyHeld, "s/k"), "{}")},
			[]KV{kv(KVKey("a"), "1")},
			[]Op{Put(KVKey("a"), []byte("1"))}},
		{"records of alive nodes the snapshot lacks stay; dead ones go",
			[]KV{leased(AliveKey("me"), "1"), kv(NodeKey("me"), "mine"), kv(NodeInfoKey("me"), "fp"),
				kv(NodeKey("dead"), "{}"), kv(NodeInfoKey("dead"), "fp"), kv(InstanceKey("me", "web"), "{}")},
			[]KV{kv(NodeKey("src"), "{}")},
			[]Op{Del(NodeKey("dead")), Del(NodeInfoKey("dead")), Del(InstanceKey("me", "web")), Put(NodeKey("src"), []byte("{}"))}},
		{"an alive node the snapshot knows takes the snapshot's record",
			[]KV{leased(AliveKey("me"), "1"), kv(NodeKey("me"), "mine")},
			[]KV{kv(NodeKey("me"), "theirs")},
			[]Op{Put(NodeKey("me"), []byte("theirs"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := restoreOps(tt.cur, tt.snap)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("restoreOps =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestValidDump(t *testing.T) {
	for _, tt := range []struct {
		key string
		ok  bool
	}{{KVKey("a"), true}, {"/elsewhere/a", false}, {AliveKey("n"), false}, {ServerKey(1), false}} {
		err := validDump(Dump{KVs: []KV{{Key: tt.key}}})
		if (err == nil) != tt.ok {
			t.Errorf("validDump(%q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
	}
}
