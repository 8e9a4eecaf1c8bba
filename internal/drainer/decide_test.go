package drainer

import (
	"slices"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/job"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	drain := &job.DrainStrategy{StartedAt: now.Add(-time.Minute)}
	deadline := &job.DrainStrategy{Deadline: time.Minute, StartedAt: now.Add(-2 * time.Minute), ForceDeadline: now.Add(-time.Minute)}
	ignoreSys := &job.DrainStrategy{IgnoreSystemJobs: true, StartedAt: now}
	svc := func(count, par int) *Group {
		return &Group{Count: count, Type: job.TypeService, Migrate: &job.Migrate{MaxParallel: par}}
	}
	on := func(id string, healthy bool) Alloc {
		return Alloc{ID: id, Node: "n1", Group: "web", Live: true, Healthy: healthy}
	}
	off := func(id string, healthy bool) Alloc {
		return Alloc{ID: id, Node: "n2", Group: "web", Live: true, Healthy: healthy}
	}
	released := func(a Alloc) Alloc { a.Released = true; return a }
	dead := func(a Alloc) Alloc { a.Live = false; return a }
	sys := func(a Alloc) Alloc { a.Group = "sys"; return a }
	bat := func(a Alloc) Alloc { a.Group = "batch"; return a }
	groups := func(web *Group) map[string]*Group {
		return map[string]*Group{"web": web, "sys": {Count: 1, Type: job.TypeSystem}, "batch": {Count: 1, Type: job.TypeBatch}}
	}
	for _, tc := range []struct {
		name   string
		drain  *job.DrainStrategy
		web    *Group
		allocs []Alloc
		want   []string
		done   bool
	}{
		{"one at a time of two healthy", drain, svc(2, 1), []Alloc{on("a", true), on("b", true)}, []string{"a"}, false},
		{"waits for the replacement to be healthy", drain, svc(2, 1),
			[]Alloc{released(on("a", true)), on("b", true), off("c", false)}, nil, false},
		{"next once the replacement is healthy", drain, svc(2, 1),
			[]Alloc{dead(released(on("a", false))), on("b", true), off("c", true)}, []string{"b"}, false},
		{"max_parallel 2 releases two", drain, svc(3, 2), []Alloc{on("a", true), on("b", true), on("c", true)}, []string{"a", "b"}, false},
		{"unhealthy allocations hold the group", drain, svc(2, 1), []Alloc{on("a", false), on("b", false)}, nil, false},
		{"a single allocation moves", drain, svc(1, 1), []Alloc{on("a", true)}, []string{"a"}, false},
		{"deadline forces every live one", deadline, svc(3, 1), []Alloc{on("a", false), on("b", false), dead(on("x", false))},
			[]string{"a", "b"}, false},
		{"batch waits for the deadline", drain, svc(1, 1), []Alloc{bat(on("a", true))}, nil, false},
		{"batch forced at the deadline", deadline, svc(1, 1), []Alloc{bat(on("a", true))}, []string{"a"}, false},
		{"system last: not while others live", drain, svc(1, 1), []Alloc{released(on("a", true)), sys(on("s", true))}, nil, false},
		{"system once the others left", drain, svc(1, 1), []Alloc{dead(released(on("a", true))), sys(on("s", true))}, []string{"s"}, false},
		{"system ignored: done without it", ignoreSys, svc(1, 1), []Alloc{dead(on("a", true)), sys(on("s", true))}, nil, true},
		{"done when nothing live is left", drain, svc(1, 1), []Alloc{dead(on("a", true)), off("elsewhere", true)}, nil, true},
		{"allocations on other nodes are never released", drain, svc(2, 1), []Alloc{off("a", true), off("b", true)}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(Input{Now: now, Node: "n1", Drain: tc.drain, Allocs: tc.allocs, Groups: groups(tc.web)})
			if !slices.Equal(d.Release, tc.want) || d.Done != tc.done {
				t.Errorf("got release %v done %v, want %v %v", d.Release, d.Done, tc.want, tc.done)
			}
		})
	}
}

func TestHealthy(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := &job.Migrate{MinHealthyTime: 10 * time.Second}
	a := &job.Allocation{ID: "a", DesiredStatus: job.DesiredRun}
	running := func(since time.Duration) *job.AllocStatus {
		return &job.AllocStatus{ClientStatus: job.ClientRunning,
			TaskStates: map[string]*job.TaskState{"t": {State: job.TaskRunning, StartedAt: now.Add(-since)}}}
	}
	withDeploy := func(st *job.AllocStatus, healthy bool) *job.AllocStatus {
		st.DeploymentStatus = &job.AllocHealth{Healthy: healthy}
		return st
	}
	for _, tc := range []struct {
		name string
		a    *job.Allocation
		st   *job.AllocStatus
		want bool
	}{
		{"no report", a, nil, false},
		{"running long enough", a, running(11 * time.Second), true},
		{"running too briefly", a, running(5 * time.Second), false},
		{"deployment healthy wins", a, withDeploy(running(time.Second), true), true},
		{"deployment unhealthy wins", a, withDeploy(running(time.Hour), false), false},
		{"pending", a, &job.AllocStatus{ClientStatus: job.ClientPending}, false},
		{"stopped", &job.Allocation{ID: "a", DesiredStatus: job.DesiredStop}, running(time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Healthy(tc.a, tc.st, m, now); got != tc.want {
				t.Errorf("Healthy = %v, want %v", got, tc.want)
			}
		})
	}
}
