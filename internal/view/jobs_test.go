package view

import (
	"context"
	"encoding/json"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/zone"
)

// step is one event applied to a view in a table test.
type step struct {
	key string
	val any // nil: delete
}

func applySteps(t *testing.T, v *View, steps []step) {
	t.Helper()
	for i, s := range steps {
		rev := int64(i + 2)
		ev := store.Event{KV: store.KV{Key: s.key, ModRevision: rev, CreateRevision: rev}, Delete: s.val == nil}
		if s.val != nil {
			b, err := json.Marshal(s.val)
			if err != nil {
				t.Fatal(err)
			}
			ev.KV.Value = b
		}
		v.applyBatch(store.WatchBatch{Revision: rev, Events: []store.Event{ev}})
	}
}

func alloc(id, ns, jobID, node string) *job.Allocation {
	return &job.Allocation{ID: id, Namespace: ns, JobID: jobID, Node: node, DesiredStatus: job.DesiredRun}
}

func ids(as []AllocState) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Alloc.V.ID)
	}
	return out
}

func TestAllocIndexes(t *testing.T) {
	tests := []struct {
		name   string
		steps  []step
		byJob  map[string][]string // "ns/id" → alloc ids
		byNode map[string][]string
	}{
		{name: "put files under job and node",
			steps: []step{{store.AllocKey("a1"), alloc("a1", "default", "web", "n1")},
				{store.AllocKey("a2"), alloc("a2", "default", "web", "n2")}},
			byJob:  map[string][]string{"default/web": {"a1", "a2"}},
			byNode: map[string][]string{"n1": {"a1"}, "n2": {"a2"}}},
		{name: "update moves between nodes and jobs",
			steps: []step{{store.AllocKey("a1"), alloc("a1", "default", "web", "n1")},
				{store.AllocKey("a1"), alloc("a1", "default", "api", "n2")}},
			byJob:  map[string][]string{"default/api": {"a1"}},
			byNode: map[string][]string{"n2": {"a1"}}},
		{name: "delete cleans every index",
			steps: []step{{store.AllocKey("a1"), alloc("a1", "default", "web", "n1")},
				{store.AllocStatusKey("a1"), &job.AllocStatus{Node: "n1", ClientStatus: job.ClientRunning}},
				{store.AllocKey("a1"), nil}},
			byJob: map[string][]string{}, byNode: map[string][]string{}},
		{name: "undecodable value leaves the allocation out",
			steps: []step{{store.AllocKey("a1"), "not an allocation"}},
			byJob: map[string][]string{}, byNode: map[string][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := New(nil, nil)
			applySteps(t, v, tt.steps)
			for k, want := range tt.byJob {
				ns, id, _ := cutJob(k)
				if got := ids(v.JobAllocs(ns, id)); !slices.Equal(got, want) {
					t.Errorf("JobAllocs(%s) = %v, want %v", k, got, want)
				}
			}
			for n, want := range tt.byNode {
				if got := ids(v.NodeAllocs(n)); !slices.Equal(got, want) {
					t.Errorf("NodeAllocs(%s) = %v, want %v", n, got, want)
				}
			}
			if len(v.jobs.allocsByJob) != len(tt.byJob) || len(v.jobs.allocsByNode) != len(tt.byNode) {
				t.Errorf("indexes hold %v and %v, want only %v and %v", v.jobs.allocsByJob, v.jobs.allocsByNode, tt.byJob, tt.byNode)
			}
		})
	}
}

func cutJob(k string) (string, string, bool) {
	for i := range k {
		if k[i] == '/' {
			return k[:i], k[i+1:], true
		}
	}
	return "", "", false
}

func TestEvalAndDeploymentIndexes(t *testing.T) {
	v := New(nil, nil)
	applySteps(t, v, []step{
		{store.EvalKey("e1"), &job.Evaluation{Namespace: "default", JobID: "web", Status: job.EvalPending}},
		{store.EvalKey("e2"), &job.Evaluation{Namespace: "default", JobID: "web", Status: job.EvalPending}},
		{store.EvalKey("e1"), &job.Evaluation{Namespace: "default", JobID: "web", Status: job.EvalComplete}},
		{store.DeploymentKey("d1"), &job.Deployment{Namespace: "default", JobID: "web", Status: job.DeploymentRunning}},
		{store.DeploymentKey("d2"), &job.Deployment{Namespace: "default", JobID: "web", Status: job.DeploymentRunning}},
		{store.DeploymentKey("d1"), &job.Deployment{Namespace: "default", JobID: "web", Status: job.DeploymentSuccessful}},
		{store.DeploymentKey("d2"), nil},
		{store.JobVersionKey("default", "web", 0), &job.Version{Version: 0}},
		{store.JobVersionKey("default", "web", 1), &job.Version{Version: 1}},
		{store.JobVersionKey("default", "web", 0), nil},
	})
	if p := v.PendingEvals(); len(p) != 1 || p[0].V.ID != "e2" {
		t.Errorf("pending = %+v, want e2 only", p)
	}
	if e := v.JobEvals("default", "web"); len(e) != 2 {
		t.Errorf("job evals = %d, want 2", len(e))
	}
	if a := v.ActiveDeployments(); len(a) != 0 {
		t.Errorf("active deployments = %+v, want none", a)
	}
	if d := v.JobDeployments("default", "web"); len(d) != 1 || d[0].V.ID != "d1" {
		t.Errorf("job deployments = %+v, want d1", d)
	}
	if vs := v.JobVersions("default", "web"); len(vs) != 1 || vs[0].V.Version != 1 {
		t.Errorf("versions = %+v, want 1 only", vs)
	}
}

func TestJournal(t *testing.T) {
	v := New(nil, nil)
	applySteps(t, v, []step{
		{store.AllocKey("a1"), alloc("a1", "default", "web", "n1")},
		{store.AllocKey("a1"), alloc("a1", "default", "web", "n2")},
		{store.AllocKey("a1"), nil},
	})
	chs, upto, ok := v.Changes(2)
	if !ok || upto != 4 || len(chs) != 2 {
		t.Fatalf("Changes(2) = %+v, %d, %v", chs, upto, ok)
	}
	if chs[0].Node != "n2" || chs[0].OldNode != "n1" || chs[1].Node != "n2" || chs[1].Job != "default/web" {
		t.Errorf("changes = %+v", chs)
	}
	v.mu.Lock()
	v.journal.reset(3)
	v.mu.Unlock()
	if _, _, ok := v.Changes(2); ok {
		t.Error("Changes before the journal's floor reported ok")
	}
}

func TestZoneDecodedOnce(t *testing.T) {
	v := New(nil, nil)
	z := &zone.Zone{Name: "lab.example.", Serial: 7}
	applySteps(t, v, []step{
		{store.ZoneKey("lab.example."), z},
		{store.ZoneBucketKey("lab.example.", 3), []zone.RRSet{{Name: "b.lab.example.", Type: "A"}}},
		{store.ZoneBucketKey("lab.example.", 1), []zone.RRSet{{Name: "a.lab.example.", Type: "A"}}},
	})
	got, ok := v.Zone("lab.example.")
	if !ok || got.Zone.Serial != 7 || len(got.Sets) != 2 || got.Sets[0].Name != "a.lab.example." || got.Rev != 2 {
		t.Fatalf("zone = %+v, %v", got, ok)
	}
	applySteps(t, v, []step{{store.ZoneKey("lab.example."), nil}})
	if _, ok := v.Zone("lab.example."); ok {
		t.Error("zone without settings still listed")
	}
}

// TestResourcesWakeOnlyTheirWaiters waits on two jobs' and two nodes'
// resources and changes one allocation: only its job and node wake.
func TestResourcesWakeOnlyTheirWaiters(t *testing.T) {
	v := New(nil, nil)
	applySteps(t, v, []step{{store.AllocKey("a0"), alloc("a0", "default", "other", "n9")}})
	ress := []Resource{JobRes("default/web"), JobRes("default/other"), NodeAllocsRes("n1"), NodeAllocsRes("n9")}
	woke := map[Resource]chan uint64{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, r := range ress {
		ch := make(chan uint64, 1)
		woke[r] = ch
		idx := v.Index(r)
		go func() { ch <- v.Wait(ctx, r, idx) }()
	}
	// Every waiter is registered before the change.
	for {
		v.mu.RLock()
		n := len(v.waiters)
		v.mu.RUnlock()
		if n == len(ress) {
			break
		}
		runtime.Gosched()
	}
	applySteps(t, v, []step{{store.AllocKey("a1"), alloc("a1", "default", "web", "n1")}})
	for _, r := range []Resource{JobRes("default/web"), NodeAllocsRes("n1")} {
		if got := <-woke[r]; got != 2 {
			t.Errorf("%s woke at %d, want 2", r, got)
		}
	}
	v.mu.RLock()
	_, otherJob := v.waiters[JobRes("default/other")]
	_, otherNode := v.waiters[NodeAllocsRes("n9")]
	v.mu.RUnlock()
	if !otherJob || !otherNode {
		t.Errorf("unrelated waiters woke: job still waiting %v, node still waiting %v", otherJob, otherNode)
	}
}

// TestNoRawValues guards that no exported method of the view hands out
// stored values: consumers read typed values only.
func TestNoRawValues(t *testing.T) {
	raw := reflect.TypeFor[store.KV]()
	typ := reflect.TypeFor[*View]()
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		for k := range m.Type.NumOut() {
			if containsType(m.Type.Out(k), raw) {
				t.Errorf("View.%s returns %s: consumers must get typed values", m.Name, m.Type.Out(k))
			}
		}
	}
}

func containsType(t, want reflect.Type) bool {
	if t == want {
		return true
	}
	switch t.Kind() {
	case reflect.Map:
		return containsType(t.Key(), want) || containsType(t.Elem(), want)
	case reflect.Slice, reflect.Array, reflect.Pointer, reflect.Chan:
		return containsType(t.Elem(), want)
	}
	return false
}
