package nomadapi

import (
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
)

// promoteDeployment answers PUT /v1/deployment/promote/:id: it checks
// that the groups asked for have canaries and that all of them are
// healthy, then queues an evaluation carrying the promotion. The scheduler,
// the deployment's only writer, marks the groups promoted and goes on with
// the rolling update.
func (h *Handler) promoteDeployment(w http.ResponseWriter, r *http.Request) error {
	var req nomadwire.DeploymentPromoteRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if req.DeploymentID != "" && req.DeploymentID != id {
		return httpkit.Errorf(http.StatusBadRequest, "deployment ID %q in the body does not match %q in the path", req.DeploymentID, id)
	}
	d, ok := ent(h.view.Deployment(id))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "deployment not found")
	}
	healthy := map[string]int{}
	canary := func(a *job.Allocation) bool { return a.DeploymentID == id && a.Canary }
	for _, av := range h.allocs(h.view.JobAllocs(d.v.Namespace, d.v.JobID), canary) {
		if st := av.st; st != nil && st.DeploymentStatus != nil && st.DeploymentStatus.Healthy && !st.Terminal() &&
			av.a.DesiredStatus == job.DesiredRun {
			healthy[av.a.TaskGroup]++
		}
	}
	groups, err := promotable(d.v, req.All, req.Groups, healthy)
	if err != nil {
		return httpkit.Errorf(http.StatusBadRequest, "%s", err.Error())
	}
	now := h.cfg.Clock.Now()
	ev := &job.Evaluation{ID: h.cfg.NewID(), Namespace: d.v.Namespace, Type: job.TypeService, Priority: job.DefaultPriority,
		TriggeredBy: job.TriggerDeployment, JobID: d.v.JobID, JobVersion: d.v.JobVersion, DeploymentID: id,
		Status: job.EvalPending, Promote: &job.Promotion{DeploymentID: id, Groups: groups}, CreateTime: now, ModifyTime: now}
	if _, cur, err := h.currentJob(d.v.Namespace, d.v.JobID); err == nil {
		ev.Type, ev.Priority = cur.v.Job.Type, cur.v.Job.Priority
	}
	rev, err := h.store.PutEval(r.Context(), ev)
	if err != nil {
		return fmt.Errorf("promote deployment %s: %w", id, err)
	}
	return h.reply(w, r, uint64(rev), &nomadwire.DeploymentUpdateResponse{EvalID: ev.ID, EvalCreateIndex: uint64(rev),
		DeploymentModifyIndex: uint64(d.modRev), Index: uint64(rev)})
}

// promotable decides which groups of d a promotion request promotes: every
// group with canaries awaiting promotion (all) or the named ones. It fails
// as Nomad does when the deployment is over, a named group is not part of
// it, a group's canaries are not all healthy (healthy counts each group's
// healthy canaries) or nothing is left to promote.
func promotable(d *job.Deployment, all bool, groups []string, healthy map[string]int) ([]string, error) {
	if !d.Active() {
		return nil, fmt.Errorf("can't promote terminal deployment (status %s)", d.Status)
	}
	if !all && len(groups) == 0 {
		return nil, fmt.Errorf("no groups to promote: set All or name Groups")
	}
	names := groups
	if all {
		names = make([]string, 0, len(d.TaskGroups))
		for name := range d.TaskGroups {
			names = append(names, name)
		}
	}
	names = slices.Clone(names)
	sort.Strings(names)
	names = slices.Compact(names)
	var out []string
	for _, name := range names {
		st := d.TaskGroups[name]
		if st == nil {
			return nil, fmt.Errorf("deployment does not include task group %q", name)
		}
		if st.DesiredCanaries == 0 || st.Promoted {
			continue
		}
		if healthy[name] < st.DesiredCanaries {
			return nil, fmt.Errorf("task group %q has %d/%d healthy allocations", name, healthy[name], st.DesiredCanaries)
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no canaries to promote")
	}
	return out, nil
}
