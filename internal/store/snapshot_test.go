package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

// A dump of one store restored onto another replaces the other's durable
// state whole and keeps its live agent registered.
func TestDumpRestore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src, dst := orbittest.NewStore(t), orbittest.NewStore(t)
	lease, err := src.GrantLease(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.RegisterNode(ctx, &catalog.Node{Name: "src", Address: "10.0.0.1"}, lease.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.KVPut(ctx, "app/config", 5, []byte("v1"), nil); err != nil {
		t.Fatal(err)
	}
	put(t, src, store.FamilyKey(store.FamilyJobs, "default/web/1"), `{"ID":"web"}`)
	put(t, src, store.FamilyKey(store.FamilyZones, "example.org"), `{}`)

	dlease, err := dst.GrantLease(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.RegisterNode(ctx, &catalog.Node{Name: "dst", Address: "10.0.0.2"}, dlease.ID); err != nil {
		t.Fatal(err)
	}
	put(t, dst, store.KVKey("stale"), "x")

	d, err := src.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range d.KVs {
		if kv.Key == store.AliveKey("src") {
			t.Fatalf("dump holds the source's liveness key")
		}
	}
	if _, err := dst.Restore(ctx, d); err != nil {
		t.Fatal(err)
	}
	again, err := dst.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, kv := range d.KVs {
		want[kv.Key] = string(kv.Value)
	}
	want[store.NodeKey("dst")] = "" // the live target agent stays
	got := map[string]string{}
	for _, kv := range again.KVs {
		got[kv.Key] = string(kv.Value)
		if _, ok := want[kv.Key]; !ok {
			t.Errorf("restored store has %s, not in the snapshot", kv.Key)
		}
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || (v != "" && g != v) {
			t.Errorf("restored %s = %q (present %v), want %q", k, g, ok, v)
		}
	}
	if _, err := dst.Get(ctx, store.AliveKey("dst")); err != nil {
		t.Errorf("the target's liveness key: %v", err)
	}

	bad := store.Dump{KVs: []store.KV{{Key: "/other/x", Value: []byte("1")}}}
	if _, err := dst.Restore(ctx, bad); !errors.Is(err, store.ErrSnapshotInvalid) {
		t.Fatalf("restore of a foreign key: %v, want ErrSnapshotInvalid", err)
	}
	if _, err := dst.Get(ctx, store.KVKey("app/config")); err != nil {
		t.Fatalf("a refused restore changed the store: %v", err)
	}
}
