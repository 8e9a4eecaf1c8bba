package scheduler

import (
	"sort"
	"time"

	"github.com/orbit/orbit/internal/job"
)

// replacement is an allocation to place in place of another (lost,
// finished or failed) at the same index.
type replacement struct {
	index  int
	prev   *job.Allocation
	events []job.RescheduleEvent
}

// generic schedules service and batch jobs: Count allocations per group,
// indexed 0..Count-1, replacing lost and failed ones and rolling new
// versions out.
func (s *sched) generic() {
	s.ensureDeployment()
	s.promoteCanaries()
	groups := map[string]bool{}
	for _, g := range s.in.Job.Groups {
		groups[g.Name] = true
		s.reconcileGroup(g)
	}
	for _, as := range s.in.Allocs {
		if !groups[as.Alloc.TaskGroup] && live(as) && !s.lost[as.Alloc.ID] {
			s.stop(as.Alloc, "alloc not needed since its group was removed from the job")
		}
	}
	s.updateDeployment()
}

func (s *sched) reconcileGroup(g *job.Group) {
	ask := GroupAsk(g)
	var keep []AllocState
	var repl []replacement
	var canaries []AllocState
	occupied := map[int]bool{}
	for _, as := range s.in.Allocs {
		a := as.Alloc
		if a.TaskGroup != g.Name {
			continue
		}
		if a.DesiredStatus == job.DesiredRun && s.keepCanary(as, &canaries) {
			continue
		}
		if s.lost[a.ID] {
			repl = append(repl, replacement{index: a.Index, prev: a, events: a.RescheduleEvents})
			continue
		}
		if a.DesiredStatus != job.DesiredRun {
			continue
		}
		if s.migrating(as) {
			s.stop(a, "alloc is being migrated")
			repl = append(repl, replacement{index: a.Index, prev: a, events: a.RescheduleEvents})
			continue
		}
		switch a.ClientStatusWith(as.Status) {
		case job.ClientComplete:
			if s.in.Job.Type == job.TypeBatch {
				occupied[a.Index] = true
			} else {
				s.stop(a, "alloc complete; replaced")
				repl = append(repl, replacement{index: a.Index, prev: a, events: a.RescheduleEvents})
			}
		case job.ClientFailed:
			if r, ok := s.failed(g, as); ok {
				repl = append(repl, r)
			} else {
				occupied[a.Index] = true
			}
		case job.ClientLost:
			s.stop(a, "alloc is lost")
			repl = append(repl, replacement{index: a.Index, prev: a, events: a.RescheduleEvents})
		default:
			keep = append(keep, as)
		}
	}
	sort.SliceStable(keep, func(i, k int) bool {
		a, b := keep[i].Alloc, keep[k].Alloc
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		if a.JobVersion != b.JobVersion {
			return a.JobVersion > b.JobVersion
		}
		return a.CreateTime.Before(b.CreateTime)
	})
	taken := map[int]bool{}
	var kept []AllocState
	for i := len(keep) - 1; i >= 0; i-- { // highest indexes stop first
		a := keep[i].Alloc
		dup := false
		for k := 0; k < i; k++ {
			dup = dup || keep[k].Alloc.Index == a.Index
		}
		if a.Index >= g.Count || dup || occupied[a.Index] {
			s.stop(a, "alloc not needed due to job update")
			continue
		}
		taken[a.Index] = true
		kept = append(kept, keep[i])
	}
	for i := range g.Count {
		if !taken[i] && !occupied[i] && !hasIndex(repl, i) {
			s.place(g, &ask, i, nil, nil)
			taken[i] = true
		}
	}
	for _, r := range repl {
		if r.index >= g.Count || taken[r.index] || occupied[r.index] {
			continue
		}
		taken[r.index] = true
		if a := s.place(g, &ask, r.index, r.prev, r.events); a != nil && r.prev != nil {
			s.update(r.prev).NextAllocation = a.ID
		}
	}
	s.updateKept(g, &ask, kept)
	s.placeCanaries(g, &ask, kept, canaries)
}

func hasIndex(repl []replacement, i int) bool {
	for _, r := range repl {
		if r.index == i {
			return true
		}
	}
	return false
}

// updateKept brings kept allocations of older versions to the current one:
// in place when the group is the same spec, else by replacing them within
// the rolling-update budget.
func (s *sched) updateKept(g *job.Group, ask *Ask, kept []AllocState) {
	var destructive []*job.Allocation
	for _, as := range kept {
		a := as.Alloc
		if a.JobVersion == s.in.Version {
			continue
		}
		var old *job.Job
		if s.in.Versions != nil {
			old = s.in.Versions(a.JobVersion)
		}
		if old != nil && job.SameGroupSpec(old, old.LookupGroup(g.Name), s.in.Job, g) {
			c := s.update(a)
			c.JobVersion = s.in.Version
			if s.dep != nil && s.dep.TaskGroups[g.Name] != nil {
				c.DeploymentID = s.dep.ID
			}
			continue
		}
		destructive = append(destructive, a)
	}
	sort.Slice(destructive, func(i, k int) bool { return destructive[i].Index < destructive[k].Index })
	budget := len(destructive)
	if u := s.in.Job.GroupUpdate(g); u != nil && u.MaxParallel > 0 {
		switch {
		case s.canarying(g.Name) != nil:
			budget = 0 // canaries first; the rest waits for promotion
		case s.dep != nil && s.dep.TaskGroups[g.Name] != nil:
			budget = u.MaxParallel - s.inflight(g)
		case s.in.Deployment != nil && s.in.Deployment.JobVersion == s.in.Version &&
			(s.in.Deployment.Status == job.DeploymentFailed || s.in.Deployment.Status == job.DeploymentCancelled):
			budget = 0 // a failed rollout stops replacing
		}
	}
	for _, a := range destructive[:max(0, min(budget, len(destructive)))] {
		s.pl.account(a, -1)
		n, _ := s.pl.selectNode(g, ask, g.Count)
		s.pl.account(a, 1)
		if n == nil {
			s.res.Queued[g.Name]++
			continue
		}
		s.stop(a, "alloc is being updated due to job update")
		if na := s.place(g, ask, a.Index, a, nil); na != nil {
			s.update(a).NextAllocation = na.ID
		}
	}
}

// inflight counts the group's allocations of the current deployment whose
// health is not decided yet, including the ones this plan places.
func (s *sched) inflight(g *job.Group) int {
	n := 0
	for _, as := range s.in.Allocs {
		a := s.current(as.Alloc)
		if a.TaskGroup == g.Name && a.DeploymentID == s.dep.ID && !a.Terminal(as.Status) &&
			(as.Status == nil || as.Status.DeploymentStatus == nil) {
			n++
		}
	}
	for _, a := range s.res.Place {
		if a.TaskGroup == g.Name && a.DeploymentID == s.dep.ID {
			n++
		}
	}
	return n
}

// failed decides what to do with a failed allocation: replace it now
// (ok), or leave it holding its index, either for good (no reschedule
// attempts left) or until a follow-up evaluation after the delay.
func (s *sched) failed(g *job.Group, as AllocState) (replacement, bool) {
	a := as.Alloc
	pol := s.in.Job.GroupReschedule(g)
	if a.NextAllocation != "" {
		return replacement{}, false
	}
	if s.in.ForceReschedule {
		s.stop(a, "alloc was rescheduled because it failed")
		ev := job.RescheduleEvent{Time: s.in.Now, PrevAlloc: a.ID, PrevNode: a.Node, RescheduleReason: "forced"}
		return replacement{index: a.Index, prev: a, events: append(append([]job.RescheduleEvent(nil), a.RescheduleEvents...), ev)}, true
	}
	if pol == nil {
		return replacement{}, false
	}
	failAt := failTime(as.Status)
	var recent []job.RescheduleEvent
	for _, e := range a.RescheduleEvents {
		if pol.Unlimited || pol.Interval == 0 || e.Time.After(s.in.Now.Add(-pol.Interval)) {
			recent = append(recent, e)
		}
	}
	if !pol.Unlimited && len(recent) >= pol.Attempts {
		return replacement{}, false
	}
	delay := rescheduleDelay(pol, a.RescheduleEvents)
	when := failAt.Add(delay)
	if s.in.Now.Before(when) {
		if a.FollowupEvalID == "" {
			e := s.followup(when)
			s.update(a).FollowupEvalID = e.ID
		}
		return replacement{}, false
	}
	s.stop(a, "alloc was rescheduled because it failed")
	ev := job.RescheduleEvent{Time: s.in.Now, PrevAlloc: a.ID, PrevNode: a.Node, Delay: delay}
	return replacement{index: a.Index, prev: a, events: append(append([]job.RescheduleEvent(nil), a.RescheduleEvents...), ev)}, true
}

// failTime is when an allocation failed: its last task's finish, else its
// last report.
func failTime(st *job.AllocStatus) time.Time {
	if st == nil {
		return time.Time{}
	}
	var t time.Time
	for _, ts := range st.TaskStates {
		if ts.FinishedAt.After(t) {
			t = ts.FinishedAt
		}
	}
	if t.IsZero() {
		t = st.ModifyTime
	}
	return t
}

// rescheduleDelay is the wait before the next reschedule after the given
// earlier ones: constant, doubling (exponential) or Fibonacci, capped by
// MaxDelay.
func rescheduleDelay(pol *job.Reschedule, prev []job.RescheduleEvent) time.Duration {
	d := pol.Delay
	switch pol.DelayFunction {
	case "exponential":
		for range prev {
			d *= 2
			if pol.MaxDelay > 0 && d >= pol.MaxDelay {
				break
			}
		}
	case "fibonacci":
		a, b := pol.Delay, pol.Delay
		for range prev {
			a, b = b, a+b
			if pol.MaxDelay > 0 && a >= pol.MaxDelay {
				break
			}
		}
		d = a
	}
	if pol.MaxDelay > 0 && d > pol.MaxDelay {
		d = pol.MaxDelay
	}
	return d
}

// followup creates a delayed evaluation of the job.
func (s *sched) followup(when time.Time) *job.Evaluation {
	e := &job.Evaluation{
		ID: s.in.NewID(), Namespace: s.in.Job.Namespace, Priority: s.in.Job.Priority, Type: s.in.Job.Type,
		TriggeredBy: job.TriggerAllocFailure, JobID: s.in.Job.ID, JobVersion: s.in.Version,
		Status: job.EvalPending, WaitUntil: when, PreviousEval: s.in.Eval.ID,
		CreateTime: s.in.Now, ModifyTime: s.in.Now,
	}
	s.res.Evals = append(s.res.Evals, e)
	return e
}
