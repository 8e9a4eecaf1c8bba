package nomadapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
)

// scaleJob answers PUT /v1/job/:id/scale as Nomad does: with a Count the
// group's count changes in a new job version and an evaluation; without
// one only the event is recorded. Either way the event is kept on the job
// (the latest MaxScalingEvents per group) for GET /v1/job/:id/scale.
func (h *Handler) scaleJob(w http.ResponseWriter, r *http.Request) error {
	var req nomadwire.ScalingRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ns, id := namespace(r), r.PathValue("id")
	group := req.Target["Group"]
	switch {
	case group == "":
		return httpkit.Errorf(http.StatusBadRequest, "missing task group name for scaling action")
	case req.Error && req.Count != nil:
		return httpkit.Errorf(http.StatusBadRequest, "scaling action should not contain count if error is true")
	case req.Count != nil && *req.Count < 0:
		return httpkit.Errorf(http.StatusBadRequest, "scaling action count can't be negative")
	}
	head, cur, err := h.currentJob(ns, id)
	if err != nil {
		return httpkit.Errorf(http.StatusNotFound, "job %q not found", id)
	}
	j, err := cloneJob(cur.v.Job)
	if err != nil {
		return err
	}
	if req.Count != nil && j.Type == job.TypeSystem && *req.Count > 1 {
		return httpkit.Errorf(http.StatusBadRequest, `jobs of type "system" can only be scaled to 1 or 0`)
	}
	var g *job.Group
	for _, tg := range j.Groups {
		if tg.Name == group {
			g = tg
		}
	}
	if g == nil {
		return httpkit.Errorf(http.StatusBadRequest, "task group %q specified for scaling does not exist in job", group)
	}
	if req.JobModifyIndex > 0 && req.JobModifyIndex != uint64(max(head.modRev, cur.modRev)) {
		return httpkit.Errorf(http.StatusBadRequest, "Enforcing job modify index %d: job exists with conflicting job modify index: %d",
			req.JobModifyIndex, max(head.modRev, cur.modRev))
	}
	ev := &job.ScalingEvent{Count: req.Count, PreviousCount: int64(g.Count), Message: req.Message, Error: req.Error, Meta: req.Meta}
	version := head.v.Version
	reg := store.JobRegistration{Source: cur.v.Source, Submission: cur.v, Scaled: ev, ScaledGroup: group, EnforceVersion: &version}
	trigger := ""
	if req.Count != nil {
		if d := h.activeDeployment(ns, id, head.v.Version); d {
			return httpkit.Errorf(http.StatusBadRequest, "job scaling blocked due to active deployment")
		}
		g.Count = int(*req.Count)
		trigger = job.TriggerScaling
	}
	resp, err := h.register(r, j, reg, 0, trigger)
	if err != nil {
		return err
	}
	return h.reply(w, r, resp.Index, resp)
}

// activeDeployment reports whether a deployment of the job's version is
// still running.
func (h *Handler) activeDeployment(ns, id string, version uint64) bool {
	for _, d := range h.view.JobDeployments(ns, id) {
		if d.V.JobVersion == version && d.V.Active() {
			return true
		}
	}
	return false
}

// scaleStatus answers GET /v1/job/:id/scale: per group the desired count,
// the placed, running and (by deployment health) healthy and unhealthy
// allocations, and the scaling events, newest first.
func (h *Handler) scaleStatus(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyJobHead, store.FamilyJobs, store.FamilyAllocs, store.FamilyAllocStatus)
	if err != nil {
		return err
	}
	ns, id := namespace(r), r.PathValue("id")
	head, cur, err := h.currentJob(ns, id)
	if err != nil {
		return httpkit.Errorf(http.StatusNotFound, "job %q not found", id)
	}
	out := &nomadwire.ScaleStatus{JobID: id, Namespace: ns, JobCreateIndex: uint64(head.createRev),
		JobModifyIndex: uint64(max(head.modRev, cur.modRev)), JobStopped: head.v.Stopped, TaskGroups: map[string]nomadwire.GroupScaleStatus{}}
	for _, g := range cur.v.Job.Groups {
		st := nomadwire.GroupScaleStatus{Desired: g.Count, Events: []nomadwire.ScalingEvent{}}
		for _, e := range head.v.ScalingEvents[g.Name] {
			we := nomadwire.ScalingEvent{Count: e.Count, PreviousCount: e.PreviousCount, Error: e.Error, Message: e.Message,
				Meta: e.Meta, Time: uint64(e.Time.UnixNano())}
			if e.EvalID != "" {
				we.EvalID = ptr(e.EvalID)
			}
			st.Events = append(st.Events, we)
		}
		out.TaskGroups[g.Name] = st
	}
	for _, s := range h.view.JobAllocs(ns, id) {
		a, rep := s.Alloc.V, s.Status.V
		st, ok := out.TaskGroups[a.TaskGroup]
		if !ok || a.Terminal(rep) {
			continue
		}
		st.Placed++
		if a.ClientStatusWith(rep) == job.ClientRunning {
			st.Running++
		}
		if rep != nil && rep.DeploymentStatus != nil {
			if rep.DeploymentStatus.Healthy {
				st.Healthy++
			} else {
				st.Unhealthy++
			}
		}
		out.TaskGroups[a.TaskGroup] = st
	}
	return h.reply(w, r, idx, out)
}

// cloneJob deep-copies a job the view handed out (it is shared) through
// the JSON it is stored as.
func cloneJob(j *job.Job) (*job.Job, error) {
	raw, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("copy job %q: %w", j.ID, err)
	}
	out := new(job.Job)
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("copy job %q: %w", j.ID, err)
	}
	return out, nil
}
