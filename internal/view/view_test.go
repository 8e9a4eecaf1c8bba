package view_test

import (
	"context"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

func TestViewFollowsStore(t *testing.T) {
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ctx := context.Background()

	lease, err := st.GrantLease(ctx, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegisterNode(ctx, &catalog.Node{Name: "n1", Address: "127.0.0.1", Agent: true}, lease.ID); err != nil {
		t.Fatal(err)
	}
	in := &catalog.Instance{Node: "n1", ID: "web-1", Name: "web", Port: 8080, Tags: []string{"v1"}}
	chk := &catalog.Check{CheckID: "service:web-1", Name: "web", Status: catalog.Critical,
		Definition: catalog.CheckDefinition{TTL: time.Minute}}
	rev, err := st.RegisterInstance(ctx, nil, in, []*catalog.Check{chk})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.WaitRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	es := v.Entries("web")
	if len(es) != 1 || es[0].Status != catalog.Critical || len(es[0].Checks) != 2 {
		t.Fatalf("entries = %+v", es)
	}
	if es[0].Checks[0].CheckID != catalog.SerfCheckID || es[0].Checks[0].Status != catalog.Passing {
		t.Fatalf("serf check = %+v", es[0].Checks[0])
	}
	svcIdx := v.Index(view.ServiceRes("web"))
	if svcIdx != uint64(rev) {
		t.Fatalf("service index %d, want %d", svcIdx, rev)
	}

	// An unrelated KV write does not move the service's index.
	_, krev, err := st.KVPut(ctx, "cfg/a", 7, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	v.WaitRevision(ctx, krev)
	if got := v.Index(view.ServiceRes("web")); got != svcIdx {
		t.Fatalf("kv write moved service index %d → %d", svcIdx, got)
	}
	if got := v.Index(view.KVPrefixRes("cfg/")); got != uint64(krev) {
		t.Fatalf("kv prefix index %d, want %d", got, krev)
	}

	// A blocking wait wakes on the check's status change.
	woke := make(chan uint64)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		woke <- v.Wait(wctx, view.ServiceRes("web"), svcIdx)
	}()
	time.Sleep(50 * time.Millisecond)
	crev, changed, err := st.SetCheckStatus(ctx, "n1", "service:web-1", catalog.Passing, "ok")
	if err != nil || !changed {
		t.Fatalf("set status: %v %v", changed, err)
	}
	if got := <-woke; got != uint64(crev) {
		t.Fatalf("wait returned %d, want %d", got, crev)
	}
	if _, changed, _ := st.SetCheckStatus(ctx, "n1", "service:web-1", catalog.Passing, "ok"); changed {
		t.Fatal("unchanged status was written")
	}
	v.WaitRevision(ctx, crev)
	if es := v.Entries("web"); es[0].Status != catalog.Passing {
		t.Fatalf("status %s after pass", es[0].Status)
	}

	// A wait that times out returns the unchanged index.
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if got := v.Wait(tctx, view.ServiceRes("web"), uint64(crev)); got != uint64(crev) {
		t.Fatalf("timed-out wait returned %d", got)
	}

	// Losing the lease turns the node's instances critical.
	if err := st.RevokeLease(ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 5*time.Second, "instance critical after lease loss", func() bool {
		es := v.Entries("web")
		return len(es) == 1 && es[0].Status == catalog.Critical
	})

	// Deregistration removes the instance and its checks together.
	ok, drev, err := st.DeregisterInstance(ctx, "n1", "web-1")
	if err != nil || !ok {
		t.Fatalf("deregister: %v %v", ok, err)
	}
	v.WaitRevision(ctx, drev)
	if len(v.Entries("web")) != 0 || len(v.ServiceChecks("web")) != 0 {
		t.Fatal("instance or checks left after deregister")
	}
	if _, ok := v.Check("n1", "service:web-1"); ok {
		t.Fatal("check left after deregister")
	}
	if v.Index(view.ServiceRes("web")) != uint64(drev) {
		t.Fatal("deregistration did not move the service index")
	}
}

func TestViewKeepsNoCAKey(t *testing.T) {
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ctx := context.Background()
	stored, err := st.CreateCARoot(ctx, []byte("secret bundle"))
	if err != nil || string(stored) != "secret bundle" {
		t.Fatalf("create root: %q %v", stored, err)
	}
	rev, _ := st.Revision(ctx)
	v.WaitRevision(ctx, rev)
	// The view skips the family: nothing of it is kept, not even a
	// change of its resource.
	if got := v.Index(view.FamilyRes(store.FamilyPKI)); got != 1 {
		t.Fatalf("the view took in the CA's key material (pki index %d)", got)
	}
}
