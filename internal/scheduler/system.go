package scheduler

import (
	"github.com/orbit/orbit/internal/job"
)

// system schedules system jobs: one allocation of each group on every
// ready node where it is feasible. Lost allocations are not moved (their
// node is gone); failed ones stay failed, as in Nomad.
func (s *sched) system() {
	for _, g := range s.in.Job.Groups {
		s.systemGroup(g)
	}
	groups := map[string]bool{}
	for _, g := range s.in.Job.Groups {
		groups[g.Name] = true
	}
	for _, as := range s.in.Allocs {
		if !groups[as.Alloc.TaskGroup] && live(as) && !s.lost[as.Alloc.ID] {
			s.stop(as.Alloc, "alloc not needed since its group was removed from the job")
		}
	}
}

func (s *sched) systemGroup(g *job.Group) {
	ask := GroupAsk(g)
	onNode := map[string][]AllocState{}
	for _, as := range s.in.Allocs {
		a := as.Alloc
		if a.TaskGroup != g.Name || s.lost[a.ID] || a.DesiredStatus != job.DesiredRun {
			continue
		}
		onNode[a.Node] = append(onNode[a.Node], as)
	}
	for _, n := range s.in.Cluster.Nodes {
		allocs := onNode[n.Name()]
		feasible := s.pl.staticReason(g, &ask, n) == ""
		// As in Nomad, an alive node made ineligible keeps its system
		// allocations; a drain stops them once the drainer releases them.
		held := n.Alive && !n.Info.Eligible()
		var keep *job.Allocation
		for _, as := range allocs {
			a := as.Alloc
			switch {
			case held && s.migrating(as):
				s.stop(a, "alloc is being migrated")
			case held && keep == nil:
				keep = a
			case !feasible || keep != nil:
				if live(as) {
					s.stop(a, "alloc not needed as node is no longer eligible or is a duplicate")
				}
			default:
				keep = a
			}
		}
		if !feasible {
			continue
		}
		if keep == nil {
			s.placeOn(g, &ask, n, nil)
			continue
		}
		if keep.JobVersion == s.in.Version || job.IsTerminalClientStatus(keep.ClientStatusWith(s.status[keep.ID])) {
			continue
		}
		var old *job.Job
		if s.in.Versions != nil {
			old = s.in.Versions(keep.JobVersion)
		}
		if old != nil && job.SameGroupSpec(old, old.LookupGroup(g.Name), s.in.Job, g) {
			s.update(keep).JobVersion = s.in.Version
			continue
		}
		s.stop(keep, "alloc is being updated due to job update")
		if na := s.placeOn(g, &ask, n, keep); na != nil {
			s.update(keep).NextAllocation = na.ID
		}
	}
}

// placeOn places an allocation of g on node n when it fits there.
func (s *sched) placeOn(g *job.Group, ask *Ask, n *Node, prev *job.Allocation) *job.Allocation {
	if r, _ := s.pl.dynamicReason(g, ask, n); r != "" {
		s.res.Queued[g.Name]++
		if s.res.Failed == nil {
			s.res.Failed = map[string]*job.AllocMetric{}
		}
		m := s.res.Failed[g.Name]
		if m == nil {
			m = &job.AllocMetric{DimensionExhausted: map[string]int{}}
			s.res.Failed[g.Name] = m
		}
		m.NodesEvaluated++
		m.NodesExhausted++
		m.DimensionExhausted[r]++
		return nil
	}
	a := s.newAlloc(g, ask, 0, n)
	if prev != nil {
		a.PreviousAllocation = prev.ID
	}
	s.pl.account(a, 1)
	s.res.Place = append(s.res.Place, a)
	return a
}
