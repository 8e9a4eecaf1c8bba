package scheduler

import (
	"slices"
	"time"

	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/job"
)

// AllocState is an allocation with its client's last report (nil: none).
type AllocState struct {
	Alloc  *job.Allocation
	Status *job.AllocStatus
}

// Input is everything one evaluation decides from.
type Input struct {
	Eval *job.Evaluation
	// Job is the job's current version; nil when the job was purged.
	Job     *job.Job
	Version uint64
	Stopped bool
	// Versions returns an older version of the job (nil when unknown); it
	// tells in-place updates from destructive ones.
	Versions func(v uint64) *job.Job
	// Allocs are every allocation of the job, whatever their status.
	Allocs []AllocState
	// Deployment is the job's latest deployment, nil when none.
	Deployment *job.Deployment
	// Promote are the canary promotions asked for by the evaluations
	// being decided (Nomad's deployment promote); they apply to the
	// current deployment only, and only to groups whose canaries are all
	// healthy.
	Promote []*job.Promotion
	// StopAllocs are the allocations the evaluations being decided ask to
	// stop and replace (Nomad's alloc stop: a migration).
	StopAllocs []string
	// ForceReschedule reschedules failed allocations now, whatever their
	// reschedule policy says (Nomad's job evaluate ForceReschedule).
	ForceReschedule bool
	// StableVersion is the newest stable version other than Version, the
	// target of an auto-revert; nil when there is none.
	StableVersion *uint64
	// Anomalies are the anomaly bits of the job's live allocations, for
	// a running deployment with an anomaly gate (nil otherwise).
	Anomalies map[string]anomaly.Rate
	Cluster   *Cluster
	Now       time.Time
	NewID     func() string
}

// Result is what one evaluation decided: the plan and the outcome.
type Result struct {
	Place  []*job.Allocation // new allocations
	Update []*job.Allocation // changed existing allocations (stops, lost, in-place updates)
	// Deployment is the job's deployment when created or changed.
	Deployment *job.Deployment
	// Cancelled is an older version's running deployment, cancelled.
	Cancelled *job.Deployment
	// Evals are follow-up evaluations (delayed reschedules).
	Evals []*job.Evaluation
	// RevertTo is set when a failed deployment auto-reverts the job.
	RevertTo *uint64
	// Stable is set when the current version's deployment succeeded.
	Stable    bool
	Queued    map[string]int
	Failed    map[string]*job.AllocMetric
	JobStatus string
	// Stops counts the stopped allocations among Update.
	Stops int
}

// Empty reports whether the result writes nothing.
func (r *Result) Empty() bool {
	return len(r.Place) == 0 && len(r.Update) == 0 && r.Deployment == nil && r.Cancelled == nil && len(r.Evals) == 0 &&
		r.RevertTo == nil && !r.Stable
}

// Nodes lists the nodes whose allocations the result changes.
func (r *Result) Nodes() []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]*job.Allocation{r.Place, r.Update} {
		for _, a := range list {
			if !seen[a.Node] {
				seen[a.Node] = true
				out = append(out, a.Node)
			}
		}
	}
	return out
}

// Schedule decides one evaluation: which allocations of the job to place,
// stop, mark lost or update, and how its deployment progresses. It is pure:
// the same input gives the same result.
func Schedule(in Input) *Result {
	s := &sched{in: in, res: &Result{Queued: map[string]int{}}, byID: map[string]*job.Allocation{}}
	j := in.Job
	if j == nil {
		j = &job.Job{ID: in.Eval.JobID, Namespace: in.Eval.Namespace}
	}
	s.job = j
	s.status = make(map[string]*job.AllocStatus, len(in.Allocs))
	for _, as := range in.Allocs {
		s.status[as.Alloc.ID] = as.Status
	}
	s.pl = newPlacer(in.Cluster, j, in.Eval.ID)
	s.markLost()
	switch {
	case in.Job == nil || in.Stopped:
		s.stopAll("alloc not needed since job was stopped")
	case in.Job.IsPeriodic():
		// A periodic job only launches children (internal/periodic); it is
		// running until stopped, as Nomad reports it.
		s.stopAll("alloc not needed since job is periodic")
		s.res.JobStatus = job.JobRunning
		return s.res
	case in.Job.Type == job.TypeSystem:
		s.system()
	default:
		s.generic()
	}
	s.finish()
	return s.res
}

// sched is the state of one Schedule call.
type sched struct {
	in     Input
	job    *job.Job
	pl     *placer
	res    *Result
	byID   map[string]*job.Allocation // updated copies of existing allocations
	lost   map[string]bool            // allocations marked lost by this evaluation
	status map[string]*job.AllocStatus
	dep    *job.Deployment // the deployment of the current version, when any
}

// update returns the copy of a in the result's updates, adding it first.
func (s *sched) update(a *job.Allocation) *job.Allocation {
	if c := s.byID[a.ID]; c != nil {
		return c
	}
	c := *a
	c.ModifyTime = s.in.Now
	s.byID[a.ID] = &c
	s.res.Update = append(s.res.Update, &c)
	return &c
}

// current returns the allocation as this evaluation leaves it.
func (s *sched) current(a *job.Allocation) *job.Allocation {
	if c := s.byID[a.ID]; c != nil {
		return c
	}
	return a
}

// stop stops a and frees its resources in the plan.
func (s *sched) stop(a *job.Allocation, why string) *job.Allocation {
	c := s.update(a)
	if c.DesiredStatus == job.DesiredRun {
		s.res.Stops++
		if !s.lost[a.ID] && !job.IsTerminalClientStatus(a.ClientStatusWith(s.status[a.ID])) {
			s.pl.account(a, -1)
		}
	}
	c.DesiredStatus, c.DesiredDescription = job.DesiredStop, why
	return c
}

// migrating reports whether the drainer released a live allocation to
// move off its draining node.
func (s *sched) migrating(as AllocState) bool {
	if live(as) && slices.Contains(s.in.StopAllocs, as.Alloc.ID) {
		return true // an alloc stop request migrates it, as Nomad does
	}
	n := s.in.Cluster.Node(as.Alloc.Node)
	return n != nil && live(as) && n.Info.Migrating(as.Alloc.ID)
}

// live reports whether an allocation still holds its node: desired to run
// and not finished.
func live(as AllocState) bool {
	return !as.Alloc.Terminal(as.Status)
}

// markLost marks the live allocations on nodes that are gone or down.
func (s *sched) markLost() {
	s.lost = map[string]bool{}
	for _, as := range s.in.Allocs {
		if !live(as) {
			continue
		}
		n := s.in.Cluster.Node(as.Alloc.Node)
		if n != nil && n.Alive {
			continue
		}
		s.lost[as.Alloc.ID] = true
		c := s.stop(as.Alloc, "alloc is lost since its node is down")
		c.Lost = true
	}
}

func (s *sched) stopAll(why string) {
	for _, as := range s.in.Allocs {
		if live(as) {
			s.stop(as.Alloc, why)
		}
	}
	if d := s.in.Deployment; d != nil && d.Active() {
		c := copyDeployment(d)
		c.Status, c.StatusDescription, c.ModifyTime = job.DeploymentCancelled, "Cancelled because job is stopped", s.in.Now
		s.res.Cancelled = c
	}
}

// newAlloc builds a placement of group g at index on node n.
func (s *sched) newAlloc(g *job.Group, ask *Ask, index int, n *Node) *job.Allocation {
	j := s.in.Job
	a := &job.Allocation{
		ID: s.in.NewID(), EvalID: s.in.Eval.ID, Name: job.AllocName(j.ID, g.Name, index), Index: index,
		Node: n.Name(), Namespace: j.Namespace, JobID: j.ID, JobVersion: s.in.Version, TaskGroup: g.Name,
		DesiredStatus: job.DesiredRun, Resources: ask.Resources, Tasks: ask.Tasks, Ports: ask.Ports,
		CreateTime: s.in.Now, ModifyTime: s.in.Now,
	}
	if s.dep != nil && s.dep.TaskGroups[g.Name] != nil {
		a.DeploymentID = s.dep.ID
	}
	return a
}

// place finds a node for one allocation of g and records it, or counts the
// failure. It returns nil when nothing fits.
func (s *sched) place(g *job.Group, ask *Ask, index int, prev *job.Allocation, events []job.RescheduleEvent) *job.Allocation {
	var avoid string
	if prev != nil && len(events) > 0 {
		avoid = prev.Node // a rescheduled allocation prefers another node
	}
	n, metric := s.pl.selectNodeAvoiding(g, ask, g.Count, avoid)
	if n == nil {
		s.res.Queued[g.Name]++
		if s.res.Failed == nil {
			s.res.Failed = map[string]*job.AllocMetric{}
		}
		if f := s.res.Failed[g.Name]; f != nil {
			f.CoalescedFailures++
		} else {
			s.res.Failed[g.Name] = metric
		}
		return nil
	}
	a := s.newAlloc(g, ask, index, n)
	if prev != nil {
		a.PreviousAllocation = prev.ID
	}
	a.RescheduleEvents = events
	s.pl.account(a, 1)
	s.res.Place = append(s.res.Place, a)
	return a
}

// finish sets the job status from what the plan leaves running.
func (s *sched) finish() {
	running := len(s.res.Place)
	for _, as := range s.in.Allocs {
		if s.current(as.Alloc).DesiredStatus == job.DesiredRun && !job.IsTerminalClientStatus(s.current(as.Alloc).ClientStatusWith(as.Status)) {
			running++
		}
	}
	queued := 0
	for _, q := range s.res.Queued {
		queued += q
	}
	switch {
	case running > 0:
		s.res.JobStatus = job.JobRunning
	case s.in.Job == nil || s.in.Stopped || queued == 0 && len(s.in.Allocs) > 0:
		s.res.JobStatus = job.JobDead
	default:
		s.res.JobStatus = job.JobPending
	}
}
