package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
)

// evaluate schedules one job and applies the plan. It returns the store
// revision it wrote (0: nothing) and whether the pass must start over
// because the plan conflicted with another writer.
func (s *Server) evaluate(ctx context.Context, sn *snapshot, cl *Cluster, w *work, now time.Time) (int64, bool) {
	start := time.Now()
	in := s.input(sn, cl, w, now)
	res := Schedule(in)
	eval := in.Eval
	stored := len(w.evals) > 0
	eval.Status, eval.ModifyTime = job.EvalComplete, now
	eval.PlacedAllocs, eval.StoppedAllocs = len(res.Place), res.Stops
	eval.QueuedAllocations, eval.FailedTGAllocs = res.Queued, res.Failed
	if res.Deployment != nil {
		eval.DeploymentID = res.Deployment.ID
	}
	plan := store.Plan{NodeSeq: map[string]int64{}, Tag: eval.ID, Fence: s.fence}
	for _, n := range res.Nodes() {
		plan.NodeSeq[n] = sn.seq[n]
	}
	plan.Allocs = append(append(plan.Allocs, res.Update...), res.Place...)
	if stored || !res.Empty() {
		plan.Evals = append(plan.Evals, eval)
	}
	for _, older := range w.evals[min(1, len(w.evals)):] {
		c := *older
		c.Status, c.StatusDescription, c.ModifyTime, c.NextEval = job.EvalComplete, "coalesced into evaluation "+eval.ID, now, eval.ID
		plan.Evals = append(plan.Evals, &c)
	}
	plan.Evals = append(plan.Evals, res.Evals...)
	for _, d := range []*job.Deployment{res.Cancelled, res.Deployment} {
		if d != nil {
			plan.Deployments = append(plan.Deployments, d)
		}
	}
	// A job becoming running is written before its allocations, so a
	// reader that sees them running never sees the job pending (Nomad
	// writes both in one raft entry). Other transitions follow the plan.
	statusFirst := res.JobStatus == job.JobRunning && len(res.Place) > 0
	if statusFirst {
		s.setJobStatus(ctx, sn, eval.Namespace, eval.JobID, res.JobStatus)
	}
	var rev int64
	if len(plan.Allocs)+len(plan.Evals)+len(plan.Deployments) > 0 {
		pr, err := s.store.ApplyPlan(ctx, plan)
		for n, r := range pr.NodeSeq {
			sn.seq[n] = r
		}
		s.account(pr.Applied, res, in)
		if errors.Is(err, store.ErrConflict) {
			s.m.conflicts.Inc()
			s.log.Debug("plan conflicted; re-planning", "job", w.key, "eval", eval.ID)
			return pr.Revision, true
		}
		if errors.Is(err, store.ErrNotLeader) {
			s.log.Warn("plan refused: this scheduler no longer leads", "job", w.key, "eval", eval.ID)
			return pr.Revision, true
		}
		if err != nil {
			s.m.planErrors.Inc()
			s.log.Error("apply plan", "job", w.key, "eval", eval.ID, "err", err)
			return pr.Revision, true
		}
		rev = pr.Revision
		s.m.placed.Add(float64(len(res.Place)))
		s.m.stopped.Add(float64(res.Stops))
	}
	s.m.evals.WithLabelValues(eval.TriggeredBy, eval.Status).Inc()
	s.m.evalTime.Observe(time.Since(start).Seconds())
	// Remember what this evaluation saw, and its own write apart: a
	// client's status written while the plan was being applied has a lower
	// revision than the plan, and must still wake the next pass.
	s.lastRev[w.key], s.ownRev[w.key] = sn.jobRev(w.key), rev
	delete(s.dirty, w.key)
	queued := 0
	for _, q := range res.Queued {
		queued += q
	}
	if queued > 0 {
		s.queued[w.key] = queued
	} else {
		delete(s.queued, w.key)
	}
	s.afterPlan(ctx, sn, in, res, now)
	return rev, false
}

// account updates the leader's cluster with the applied part of a plan,
// so the next job in the same pass sees this one's placements (the view's
// journal brings the same allocations again later; counting is by id).
func (s *Server) account(applied []string, res *Result, in Input) {
	ok := map[string]bool{}
	for _, n := range applied {
		ok[n] = true
	}
	status := map[string]*job.AllocStatus{}
	for _, as := range in.Allocs {
		status[as.Alloc.ID] = as.Status
	}
	for _, a := range res.Update {
		if ok[a.Node] && a.DesiredStatus != job.DesiredRun && !job.IsTerminalClientStatus(a.ClientStatusWith(status[a.ID])) {
			s.usage.remove(a.ID)
		}
	}
	for _, a := range res.Place {
		if ok[a.Node] {
			s.usage.add(a)
		}
	}
}

// input builds the evaluation's input from the snapshot.
func (s *Server) input(sn *snapshot, cl *Cluster, w *work, now time.Time) Input {
	in := Input{Cluster: cl, Now: now, NewID: s.newID}
	js := sn.job(w.key)
	head := js.head
	if head != nil {
		in.Version, in.Stopped = head.Version, head.Stopped
		if v := sn.version(w.ns, w.id, head.Version); v != nil {
			in.Job = v.Job
		}
	}
	if len(w.evals) > 0 {
		c := *w.evals[0]
		in.Eval = &c
	} else {
		in.Eval = &job.Evaluation{ID: s.newID(), Namespace: w.ns, JobID: w.id, TriggeredBy: w.trigger,
			Status: job.EvalPending, JobVersion: in.Version, CreateTime: now}
		if in.Job != nil {
			in.Eval.Priority, in.Eval.Type = in.Job.Priority, in.Job.Type
		}
	}
	in.Versions = func(v uint64) *job.Job {
		if ver := sn.version(w.ns, w.id, v); ver != nil {
			return ver.Job
		}
		return nil
	}
	for _, e := range w.evals {
		if e.Promote != nil {
			in.Promote = append(in.Promote, e.Promote)
		}
		in.StopAllocs = append(in.StopAllocs, e.StopAllocs...)
		in.ForceReschedule = in.ForceReschedule || e.ForceReschedule
	}
	in.Allocs = allocStates(js.allocs)
	in.Deployment = sn.latestDeployment(w.ns, w.id)
	in.StableVersion = sn.stableVersion(w.ns, w.id, in.Version)
	if d := in.Deployment; s.cfg.Anomalies != nil && d != nil && d.Status == job.DeploymentRunning && gated(d) {
		in.Anomalies = s.cfg.Anomalies.AllocAnomalies(liveAllocIDs(in.Allocs), now)
	}
	return in
}

// setJobStatus writes the job's status when the snapshot's head differs.
func (s *Server) setJobStatus(ctx context.Context, sn *snapshot, ns, id, status string) {
	if head := sn.head(jobKey(ns, id)); head != nil && head.Status != status {
		if err := s.store.SetJobStatus(ctx, ns, id, status); err != nil {
			s.log.Error("set job status", "job", id, "status", status, "err", err)
		}
	}
}

// afterPlan does what a plan implies beyond allocations: the job's status,
// marking a version stable, auto-reverting after a failed deployment.
func (s *Server) afterPlan(ctx context.Context, sn *snapshot, in Input, res *Result, now time.Time) {
	ns, id := in.Eval.Namespace, in.Eval.JobID
	s.setJobStatus(ctx, sn, ns, id, res.JobStatus)
	if res.Stable {
		if err := s.store.SetVersionStable(ctx, ns, id, in.Version, true); err != nil {
			s.log.Error("mark version stable", "job", id, "version", in.Version, "err", err)
		}
	}
	if res.RevertTo == nil {
		return
	}
	old := sn.version(ns, id, *res.RevertTo)
	if old == nil {
		s.log.Error("auto-revert target version is gone", "job", id, "version", *res.RevertTo)
		return
	}
	cur := in.Version
	ev := &job.Evaluation{ID: s.newID(), Namespace: ns, JobID: id, Priority: old.Job.Priority, Type: old.Job.Type,
		TriggeredBy: job.TriggerJobRevert, Status: job.EvalPending, PreviousEval: in.Eval.ID, CreateTime: now, ModifyTime: now}
	r, err := s.store.RegisterJob(ctx, store.JobRegistration{Job: old.Job, Warnings: old.Warnings, Source: old.Source,
		Eval: ev, EnforceVersion: &cur, Now: now, Same: job.SameSpec})
	if err != nil {
		s.log.Error("auto-revert", "job", id, "to", *res.RevertTo, "err", err)
		return
	}
	s.log.Info("deployment failed; reverted job", "job", id, "from", cur, "to_spec_of", *res.RevertTo, "new_version", r.Version)
}
