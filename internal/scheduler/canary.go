package scheduler

import (
	"slices"
	"sort"

	"github.com/orbit/orbit/internal/job"
)

// Canary deployments (update { canary = N }), as Nomad runs them: a new
// version whose groups need destructive updates first places N canary
// allocations beside the old ones and waits. Once every canary of a group
// is healthy the group is promoted, by an operator (a promotion request on
// an evaluation) or by auto_promote when every canarying group asks for it
// and all of them are healthy. Promotion clears the canaries' flag, so they
// count as ordinary allocations of the new version (the old allocation at
// each canary's index stops) and the rolling update goes on within
// max_parallel. A deployment that fails stops its canaries.

// canaryDesc is why a canary of a deployment that stopped running is stopped.
const canaryDesc = "alloc not needed as it is a canary of a deployment that is no longer running"

// desiredCanaries is the number of canaries a new deployment asks for in
// group g: the update block's canary count when some live allocation of an
// older version needs a destructive update, else 0 (a first version or an
// in-place change needs no canaries).
func (s *sched) desiredCanaries(g *job.Group, u *job.Update) int {
	if u == nil || u.Canary <= 0 {
		return 0
	}
	for _, as := range s.in.Allocs {
		a := as.Alloc
		if a.TaskGroup == g.Name && live(as) && !s.lost[a.ID] && a.JobVersion != s.in.Version && !s.sameSpec(a, g) {
			return u.Canary
		}
	}
	return 0
}

// sameSpec reports whether a's version runs group g as the current
// version does, so that a is updated in place.
func (s *sched) sameSpec(a *job.Allocation, g *job.Group) bool {
	if s.in.Versions == nil {
		return false
	}
	old := s.in.Versions(a.JobVersion)
	return old != nil && job.SameGroupSpec(old, old.LookupGroup(g.Name), s.in.Job, g)
}

// canarying returns the deployment state of group g while its canaries
// wait for promotion, else nil.
func (s *sched) canarying(group string) *job.DeploymentState {
	if s.dep == nil {
		return nil
	}
	st := s.dep.TaskGroups[group]
	if st == nil || st.DesiredCanaries == 0 || st.Promoted {
		return nil
	}
	return st
}

// isCanary reports whether a is, as this plan leaves it, an unpromoted
// canary of deployment id.
func (s *sched) isCanary(a *job.Allocation, id string) bool {
	c := s.current(a)
	return c.Canary && c.DeploymentID == id
}

// healthyCanaries counts group's canaries of the current deployment that
// run and were reported healthy.
func (s *sched) healthyCanaries(group string) int {
	n := 0
	for _, as := range s.in.Allocs {
		a := as.Alloc
		if a.TaskGroup == group && s.isCanary(a, s.dep.ID) && s.current(a).DesiredStatus == job.DesiredRun &&
			as.Status != nil && as.Status.DeploymentStatus != nil && as.Status.DeploymentStatus.Healthy &&
			!job.IsTerminalClientStatus(as.Status.ClientStatus) {
			n++
		}
	}
	return n
}

// promoteCanaries promotes the groups whose canaries are all healthy and
// that were asked for, by a promotion request of the current deployment or
// by auto_promote (every canarying group has it and is healthy).
func (s *sched) promoteCanaries() {
	if s.dep == nil {
		return
	}
	asked := map[string]bool{}
	for _, p := range s.in.Promote {
		if p == nil || p.DeploymentID != s.dep.ID {
			continue
		}
		for name := range s.dep.TaskGroups {
			if p.All || slices.Contains(p.Groups, name) {
				asked[name] = true
			}
		}
	}
	names := make([]string, 0, len(s.dep.TaskGroups))
	for name := range s.dep.TaskGroups {
		names = append(names, name)
	}
	sort.Strings(names)
	auto, waiting := true, 0
	ready := map[string]bool{}
	for _, name := range names {
		st := s.canarying(name)
		if st == nil {
			continue
		}
		waiting++
		ready[name] = s.healthyCanaries(name) >= st.DesiredCanaries
		auto = auto && st.AutoPromote && ready[name]
	}
	for _, name := range names {
		if st := s.canarying(name); st != nil && ready[name] && (asked[name] || auto && waiting > 0) {
			s.promote(name, st)
		}
	}
}

// promote marks group's canaries promoted: the deployment state says so,
// the progress deadline restarts and the canaries lose their flag.
func (s *sched) promote(group string, st *job.DeploymentState) {
	st.Promoted = true
	if st.ProgressDeadline > 0 {
		st.RequireProgressBy = s.in.Now.Add(st.ProgressDeadline)
	}
	for _, as := range s.in.Allocs {
		a := as.Alloc
		if a.TaskGroup == group && s.isCanary(a, s.dep.ID) && live(as) {
			s.update(a).Canary = false
		}
	}
}

// keepCanary decides about a live canary allocation while reconciling: a
// canary of the group's waiting deployment is kept aside (it holds no
// index until promoted; true), a canary of any other deployment is stopped
// (true), anything else is left to the ordinary reconciliation (false).
func (s *sched) keepCanary(as AllocState, canaries *[]AllocState) bool {
	a := as.Alloc
	if !s.current(a).Canary {
		return false
	}
	if s.dep != nil && s.canarying(a.TaskGroup) != nil && a.DeploymentID == s.dep.ID {
		*canaries = append(*canaries, as)
		return true
	}
	if live(as) && s.current(a).DesiredStatus == job.DesiredRun {
		s.stop(a, canaryDesc)
	}
	return true
}

// placeCanaries places the canaries group g still lacks while it waits for
// promotion, at the indexes of the old allocations they will replace (in
// order), then past the group's count. kept are the group's old-or-current
// allocations holding an index, canaries the canaries already placed.
func (s *sched) placeCanaries(g *job.Group, ask *Ask, kept, canaries []AllocState) {
	st := s.canarying(g.Name)
	if st == nil {
		return
	}
	used := map[int]bool{}
	have := 0
	for _, as := range canaries {
		if s.current(as.Alloc).DesiredStatus == job.DesiredRun {
			have++
			used[as.Alloc.Index] = true
		}
	}
	var indexes []int
	for _, as := range kept {
		a := as.Alloc
		if a.JobVersion != s.in.Version && !s.sameSpec(a, g) && !used[a.Index] {
			indexes = append(indexes, a.Index)
		}
	}
	sort.Ints(indexes)
	next := g.Count
	for range st.DesiredCanaries - have {
		idx := next
		if len(indexes) > 0 {
			idx, indexes = indexes[0], indexes[1:]
		} else {
			for used[next] {
				next++
			}
			idx = next
			next++
		}
		used[idx] = true
		if a := s.place(g, ask, idx, nil, nil); a != nil {
			a.Canary = true
			st.PlacedCanaries = append(st.PlacedCanaries, a.ID)
		}
	}
}

// stopCanaries stops the live canaries of deployment d (it failed).
func (s *sched) stopCanaries(d *job.Deployment) {
	for _, as := range s.in.Allocs {
		if s.isCanary(as.Alloc, d.ID) && live(as) && s.current(as.Alloc).DesiredStatus == job.DesiredRun {
			s.stop(as.Alloc, "alloc not needed as it is a canary of a failed deployment")
		}
	}
}

// awaitingPromotion reports whether group's canaries are all healthy and
// wait for an operator: the progress deadline does not run then.
func (s *sched) awaitingPromotion(group string) bool {
	st := s.canarying(group)
	return st != nil && s.healthyCanaries(group) >= st.DesiredCanaries
}

// Nomad's descriptions of a running deployment.
const (
	descRunning          = "Deployment is running"
	descNeedsPromotion   = "Deployment is running but requires manual promotion"
	descPendingAutoPromo = "Deployment is running pending automatic promotion"
)

// runningDescription describes the running deployment: waiting for a
// manual promotion when some group's canaries wait without auto_promote,
// for an automatic one when every waiting group has it.
func (s *sched) runningDescription() string {
	waiting, auto := false, true
	for name, st := range s.dep.TaskGroups {
		if s.canarying(name) != nil {
			waiting = true
			auto = auto && st.AutoPromote
		}
	}
	switch {
	case !waiting:
		return descRunning
	case auto:
		return descPendingAutoPromo
	default:
		return descNeedsPromotion
	}
}
