package drainer

import (
	"sort"
	"time"

	"github.com/orbit/orbit/internal/job"
)

// Alloc is one allocation of a job that has allocations on the draining
// node, wherever it runs.
type Alloc struct {
	ID       string
	Node     string
	Group    string // "ns/job/group"
	Live     bool   // desired to run and not finished
	Healthy  bool   // see Healthy
	Released bool   // already in the node's Migrate list
}

// Group is what the drainer needs of a task group.
type Group struct {
	Count   int
	Type    string // the job's type
	Migrate *job.Migrate
}

// Input is one node's drain as one pass sees it.
type Input struct {
	Now    time.Time
	Node   string
	Drain  *job.DrainStrategy
	Allocs []Alloc           // the allocations of every job with one on Node
	Groups map[string]*Group // "ns/job/group" →; a missing group's allocations are released at once
}

// Decision is what a pass does for one node.
type Decision struct {
	Release []string // allocation IDs to add to the node's Migrate list, sorted
	// Done: nothing the drain must move is left on the node.
	Done bool
}

// Decide releases allocations of the draining node: with the deadline
// passed, every live one; else, per group, as many as keep Count -
// max_parallel healthy allocations (Nomad's drainingJobWatcher), batch
// allocations only at the deadline, and system allocations once no other
// live allocation is left (never with IgnoreSystemJobs).
func Decide(in Input) Decision {
	forced := in.Drain.Forced(in.Now)
	var out Decision
	nonSys, sysLeft := 0, 0 // live allocations on the node the drain must still move
	var system []string
	byGroup := map[string][]Alloc{}
	healthy := map[string]int{}
	for _, a := range in.Allocs {
		if a.Live && !a.Released && a.Healthy {
			healthy[a.Group]++
		}
		if a.Node != in.Node || !a.Live {
			continue
		}
		g := in.Groups[a.Group]
		if g != nil && (g.Type == job.TypeSystem || g.Type == "sysbatch") {
			if !in.Drain.IgnoreSystemJobs {
				sysLeft++
				if !a.Released {
					system = append(system, a.ID)
				}
			}
			continue
		}
		nonSys++
		if a.Released {
			continue
		}
		switch {
		case forced || g == nil:
			out.Release = append(out.Release, a.ID)
		case g.Type == job.TypeBatch:
			// Batch allocations may finish; the deadline forces them.
		default:
			byGroup[a.Group] = append(byGroup[a.Group], a)
		}
	}
	for key, list := range byGroup {
		g := in.Groups[key]
		m := g.Migrate
		if m == nil {
			m = job.DefaultMigrate()
		}
		n := healthy[key] - (g.Count - max(m.MaxParallel, 1))
		sort.Slice(list, func(i, k int) bool { return list[i].ID < list[k].ID })
		for i := 0; i < n && i < len(list); i++ {
			out.Release = append(out.Release, list[i].ID)
		}
	}
	// System allocations go last: once every other allocation has left.
	if nonSys == 0 || forced {
		out.Release = append(out.Release, system...)
	}
	sort.Strings(out.Release)
	out.Done = nonSys == 0 && sysLeft == 0
	return out
}

// Healthy reports whether a live allocation counts as healthy for its
// group's migrations: its deployment health when the client decided one;
// else every task running for at least min_healthy_time (health_check
// "task_states", and "checks" when no deployment watches the
// allocation).
func Healthy(a *job.Allocation, st *job.AllocStatus, m *job.Migrate, now time.Time) bool {
	if a.Terminal(st) || st == nil || st.ClientStatus != job.ClientRunning {
		return false
	}
	if st.DeploymentStatus != nil {
		return st.DeploymentStatus.Healthy
	}
	if m == nil {
		m = job.DefaultMigrate()
	}
	if len(st.TaskStates) == 0 {
		return false
	}
	for _, ts := range st.TaskStates {
		if ts.State != job.TaskRunning || ts.StartedAt.IsZero() || now.Sub(ts.StartedAt) < m.MinHealthyTime {
			return false
		}
	}
	return true
}
