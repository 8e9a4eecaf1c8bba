package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

func sameSpec(a, b *job.Job) bool { return reflect.DeepEqual(a, b) }

func TestRegisterJobVersions(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx := context.Background()
	j := &job.Job{ID: "web", Namespace: "default", Type: job.TypeService, Groups: []*job.Group{{Name: "g", Count: 1}}}
	reg := func(j *job.Job) store.JobRegistered {
		t.Helper()
		r, err := s.RegisterJob(ctx, store.JobRegistration{Job: j, Now: time.Unix(1, 0), Same: sameSpec,
			Eval: &job.Evaluation{ID: fmt.Sprintf("e%d", time.Now().UnixNano()), Status: job.EvalPending}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := reg(j); r.Version != 0 || !r.Changed {
		t.Fatalf("first register: %+v", r)
	}
	if r := reg(j); r.Version != 0 || r.Changed {
		t.Fatalf("same spec again: %+v, want version 0 unchanged", r)
	}
	j2 := *j
	j2.Priority = 70
	if r := reg(&j2); r.Version != 1 || !r.Changed {
		t.Fatalf("changed spec: %+v, want version 1", r)
	}
	if _, err := s.StopJob(ctx, "default", "web", false, nil, time.Unix(2, 0)); err != nil {
		t.Fatal(err)
	}
	if r := reg(&j2); r.Version != 2 {
		t.Fatalf("register after stop: %+v, want version 2", r)
	}
	kvs, _, err := s.List(ctx, store.JobVersionsPrefix("default", "web"))
	if err != nil || len(kvs) != 3 {
		t.Fatalf("versions: %d %v", len(kvs), err)
	}
	v1 := uint64(1)
	_, err = s.RegisterJob(ctx, store.JobRegistration{Job: j, EnforceVersion: &v1})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("enforce stale version: %v, want ErrConflict", err)
	}
	if _, err := s.StopJob(ctx, "default", "web", true, nil, time.Unix(3, 0)); err != nil {
		t.Fatal(err)
	}
	if kvs, _, _ := s.List(ctx, store.FamilyKey(store.FamilyJobs, "default/web/")); len(kvs) != 0 {
		t.Fatalf("purge left %d versions", len(kvs))
	}
	if _, err := s.StopJob(ctx, "default", "web", false, nil, time.Unix(3, 0)); !errors.Is(err, store.ErrJobNotFound) {
		t.Fatalf("stop purged job: %v", err)
	}
}

func TestApplyPlanRejectsStaleNode(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx := context.Background()
	alloc := func(id, node string) *job.Allocation { return &job.Allocation{ID: id, Node: node} }
	// Two schedulers read n1 with no sequence key; the first plan wins.
	if _, err := s.ApplyPlan(ctx, store.Plan{NodeSeq: map[string]int64{"n1": 0}, Allocs: []*job.Allocation{alloc("a", "n1")}}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyPlan(ctx, store.Plan{NodeSeq: map[string]int64{"n1": 0}, Allocs: []*job.Allocation{alloc("b", "n1")},
		Evals: []*job.Evaluation{{ID: "e"}}})
	if !errors.Is(err, store.ErrConflict) || len(res.Applied) != 0 {
		t.Fatalf("second plan on stale n1: %+v %v, want ErrConflict", res, err)
	}
	if _, err := s.Get(ctx, store.AllocKey("b")); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("the losing plan's allocation was written")
	}
	if _, err := s.Get(ctx, store.EvalKey("e")); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("the losing plan's evaluation was written")
	}
	// A large plan is split into transactions etcd accepts.
	kv, _ := s.Get(ctx, store.NodeSeqKey("n1"))
	var many []*job.Allocation
	seq := map[string]int64{"n1": kv.ModRevision}
	for i := range 300 {
		n := fmt.Sprintf("m%d", i%7)
		if i < 200 {
			n = "n1"
		}
		seq[n] = seq[n]
		many = append(many, alloc(fmt.Sprintf("x%d", i), n))
	}
	res, err = s.ApplyPlan(ctx, store.Plan{NodeSeq: seq, Allocs: many})
	if err != nil || len(res.Applied) != 8 {
		t.Fatalf("large plan: %+v %v", res, err)
	}
	kvs, _, _ := s.List(ctx, store.FamilyKey(store.FamilyAllocs, ""))
	if len(kvs) != 301 {
		t.Fatalf("allocs after large plan: %d, want 301", len(kvs))
	}
}

func TestCampaign(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx := context.Background()
	l1, err := s.Campaign(ctx, "sched", "a")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Leader(ctx, "sched"); v != "a" {
		t.Fatalf("leader %q, want a", v)
	}
	won := make(chan *store.Leadership, 1)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		l, err := s.Campaign(cctx, "sched", "b")
		if err == nil {
			won <- l
		}
		close(won)
	}()
	select {
	case <-won:
		t.Fatal("second candidate won while the first leads")
	case <-time.After(300 * time.Millisecond):
	}
	if err := l1.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if l1.Context().Err() == nil {
		t.Fatal("resigned leadership context not cancelled")
	}
	select {
	case l2 := <-won:
		if l2 == nil {
			t.Fatal("second campaign failed")
		}
		if v, _ := s.Leader(ctx, "sched"); v != "b" {
			t.Fatalf("leader %q, want b", v)
		}
		l2.Resign(ctx)
	case <-time.After(10 * time.Second):
		t.Fatal("second candidate did not take over after resign")
	}
}

// A plan fenced by a leadership is refused once another candidate leads:
// a deposed scheduler writes nothing, neither allocations nor evaluations.
func TestApplyPlanFencedByLeadership(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alloc := func(id string) []*job.Allocation { return []*job.Allocation{{ID: id, Node: "n1"}} }
	first, err := s.Campaign(ctx, "fence", "a")
	if err != nil {
		t.Fatal(err)
	}
	f1 := first.Fence()
	res, err := s.ApplyPlan(ctx, store.Plan{NodeSeq: map[string]int64{"n1": 0}, Allocs: alloc("a1"), Fence: &f1})
	if err != nil {
		t.Fatalf("plan under held leadership: %v", err)
	}
	if err := first.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := s.Campaign(ctx, "fence", "b")
	if err != nil {
		t.Fatal(err)
	}
	defer second.Resign(ctx)
	seq := map[string]int64{"n1": res.NodeSeq["n1"]}
	_, err = s.ApplyPlan(ctx, store.Plan{NodeSeq: seq, Allocs: alloc("a2"), Evals: []*job.Evaluation{{ID: "e2"}}, Fence: &f1})
	if !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("plan from the deposed leader: %v, want ErrNotLeader", err)
	}
	_, err = s.ApplyPlan(ctx, store.Plan{Evals: []*job.Evaluation{{ID: "e3"}}, Fence: &f1})
	if !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("evaluations from the deposed leader: %v, want ErrNotLeader", err)
	}
	for _, k := range []string{store.AllocKey("a2"), store.EvalKey("e2"), store.EvalKey("e3")} {
		if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s written by the deposed leader", k)
		}
	}
	f2 := second.Fence()
	if _, err := s.ApplyPlan(ctx, store.Plan{NodeSeq: seq, Allocs: alloc("a3"), Fence: &f2}); err != nil {
		t.Fatalf("plan under the new leadership: %v", err)
	}
}
