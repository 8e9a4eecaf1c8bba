package scheduler

import (
	"context"

	"github.com/orbit/orbit/internal/job"
)

// PlanJob is a dry run: what an evaluation of j as the job's next version
// would place, stop and update now. It writes nothing and may be called
// from any goroutine.
func (s *Server) PlanJob(ctx context.Context, j *job.Job) (*job.PlanSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sn := s.read()
	key := jobKey(j.Namespace, j.ID)
	w := &work{key: key, ns: j.Namespace, id: j.ID, trigger: job.TriggerJobRegister}
	in := s.input(sn, buildCluster(s.view, sn), w, s.cfg.Clock.Now())
	prev := in.Job
	in.Job, in.Stopped = j, false
	if head := sn.head(key); head != nil && (prev == nil || !job.SameSpec(prev, j) || head.Stopped) {
		in.Version = head.Version + 1
	}
	in.Eval.Type, in.Eval.Priority = j.Type, j.Priority
	return summarize(in, Schedule(in)), nil
}

// summarize counts a result's decisions per group.
func summarize(in Input, r *Result) *job.PlanSummary {
	out := &job.PlanSummary{Groups: map[string]*job.GroupPlan{}, Failed: r.Failed, Placements: map[string][]string{}}
	group := func(name string) *job.GroupPlan {
		g := out.Groups[name]
		if g == nil {
			g = &job.GroupPlan{}
			out.Groups[name] = g
		}
		return g
	}
	for _, g := range in.Job.Groups {
		group(g.Name)
	}
	replaced := map[string]bool{}
	for _, a := range r.Place {
		if a.PreviousAllocation != "" {
			replaced[a.PreviousAllocation] = true
		}
	}
	changed := map[string]bool{}
	for _, a := range r.Update {
		changed[a.ID] = true
		g := group(a.TaskGroup)
		switch {
		case a.DesiredStatus != job.DesiredRun && replaced[a.ID]:
			g.Destructive++
		case a.DesiredStatus != job.DesiredRun:
			g.Stop++
		default:
			g.InPlace++
		}
	}
	for _, a := range r.Place {
		out.Placements[a.TaskGroup] = append(out.Placements[a.TaskGroup], a.Node)
		switch {
		case a.Canary:
			group(a.TaskGroup).Canary++
		case a.PreviousAllocation == "" || !replaced[a.PreviousAllocation]:
			group(a.TaskGroup).Place++
		}
	}
	// As Nomad's reconciler, a placement that found no node is still a
	// desired placement; FailedTGAllocs says why it would fail.
	for g, f := range r.Failed {
		group(g).Place += 1 + f.CoalescedFailures
	}
	for _, as := range in.Allocs {
		if !changed[as.Alloc.ID] && live(as) {
			group(as.Alloc.TaskGroup).Ignore++
		}
	}
	return out
}
