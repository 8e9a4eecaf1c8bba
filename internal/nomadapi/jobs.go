package nomadapi

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/jobspec"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

func (h *Handler) listJobs(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyJobHead, store.FamilyJobs, store.FamilyAllocs, store.FamilyAllocStatus)
	if err != nil {
		return err
	}
	ns := namespace(r)
	summaries := h.summaries(h.view.Allocs())
	out := []*nomadwire.JobListStub{}
	for _, it := range h.view.JobHeads() {
		he, _ := ent(it, true)
		hd := he.v
		if !nsMatch(ns, hd.Namespace) || !prefixMatch(r, hd.ID) {
			continue
		}
		key := hd.Namespace + "/" + hd.ID
		ve, ok := ent(h.view.JobVersion(hd.Namespace, hd.ID, hd.Version))
		if !ok {
			continue
		}
		j := fromJob(ve.v, hd, he.createRev, max(he.modRev, ve.modRev))
		stub := &nomadwire.JobListStub{ID: j.ID, Name: j.Name, Namespace: j.Namespace, Datacenters: j.Datacenters, Type: j.Type,
			Priority: j.Priority, Stop: j.Stop, Status: j.Status, JobSummary: summaries[key], CreateIndex: j.CreateIndex,
			ModifyIndex: j.ModifyIndex, JobModifyIndex: j.JobModifyIndex, SubmitTime: j.SubmitTime,
			Periodic: j.Periodic != nil, ParentID: j.ParentID}
		if r.URL.Query().Get("meta") == "true" {
			stub.Meta = j.Meta
		}
		if stub.JobSummary == nil {
			stub.JobSummary = &nomadwire.JobSummary{JobID: j.ID, Namespace: j.Namespace, Summary: map[string]nomadwire.GroupSummary{}}
		}
		out = append(out, stub)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].ID < out[k].ID })
	return h.reply(w, r, idx, out)
}

// summaries counts the allocations of list by job, group and client
// status.
func (h *Handler) summaries(list []view.AllocState) map[string]*nomadwire.JobSummary {
	out := map[string]*nomadwire.JobSummary{}
	for _, av := range h.allocs(list, func(*job.Allocation) bool { return true }) {
		a := av.a
		key := a.Namespace + "/" + a.JobID
		s := out[key]
		if s == nil {
			s = &nomadwire.JobSummary{JobID: a.JobID, Namespace: a.Namespace, Summary: map[string]nomadwire.GroupSummary{}}
			out[key] = s
		}
		g := s.Summary[a.TaskGroup]
		switch a.ClientStatusWith(av.st) {
		case job.ClientPending:
			if !a.TerminalDesired() {
				g.Starting++
			}
		case job.ClientRunning:
			g.Running++
		case job.ClientComplete:
			g.Complete++
		case job.ClientFailed:
			g.Failed++
		case job.ClientLost:
			g.Lost++
		}
		s.Summary[a.TaskGroup] = g
		s.ModifyIndex = max(s.ModifyIndex, uint64(av.modRev))
	}
	return out
}

func (h *Handler) jobSummary(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyAllocs, store.FamilyAllocStatus, store.FamilyJobHead)
	if err != nil {
		return err
	}
	ns, id := namespace(r), r.PathValue("id")
	if _, _, err := h.currentJob(ns, id); err != nil {
		return err
	}
	s := h.summaries(h.view.JobAllocs(ns, id))[ns+"/"+id]
	if s == nil {
		s = &nomadwire.JobSummary{JobID: id, Namespace: ns, Summary: map[string]nomadwire.GroupSummary{}}
	}
	s.Children = h.children(ns, id)
	return h.reply(w, r, idx, s)
}

func (h *Handler) getJob(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyJobHead, store.FamilyJobs)
	if err != nil {
		return err
	}
	head, v, err := h.currentJob(namespace(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.reply(w, r, idx, fromJob(v.v, head.v, head.createRev, max(head.modRev, v.modRev)))
}

func (h *Handler) registerJob(w http.ResponseWriter, r *http.Request) error {
	var req nomadwire.RegisterRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Job == nil {
		return httpkit.Errorf(http.StatusBadRequest, "Job must be specified")
	}
	if id := r.PathValue("id"); id != "" && id != req.Job.ID {
		return httpkit.Errorf(http.StatusBadRequest, "Job ID does not match name")
	}
	if req.Job.ParameterizedJob != nil {
		return httpkit.Errorf(http.StatusBadRequest, "parameterized jobs are not supported by orbit")
	}
	j := nomadwire.ToJob(req.Job)
	if j.Namespace == "" {
		j.Namespace = namespace(r)
	}
	if req.EnforceIndex {
		head, ok := h.view.JobHead(j.Namespace, j.ID)
		if (req.JobModifyIndex == 0 && ok) || (req.JobModifyIndex != 0 && (!ok || uint64(head.ModRev) != req.JobModifyIndex)) {
			return httpkit.Errorf(http.StatusBadRequest, "Enforcing job modify index %d: job exists with conflicting job modify index", req.JobModifyIndex)
		}
	}
	reg := store.JobRegistration{}
	h.preserve(j, &req, &reg)
	resp, err := h.register(r, j, reg, req.EvalPriority, job.TriggerJobRegister)
	if err != nil {
		return err
	}
	return h.reply(w, r, resp.EvalCreateIndex, resp)
}

// register admits, validates and stores a job with a new evaluation, and
// waits until the view has it. reg carries the source, the version to
// enforce and a scaling event; register fills in the rest.
func (h *Handler) register(r *http.Request, j *job.Job, reg store.JobRegistration, priority int, trigger string) (*nomadwire.RegisterResponse, error) {
	j.Canonicalize()
	if err := checkIDs(j); err != nil {
		return nil, err
	}
	if err := j.Validate(); err != nil {
		return nil, httpkit.Errorf(http.StatusBadRequest, "%s", err.Error())
	}
	if err := h.waitPurged(r.Context(), j.Namespace, j.ID); err != nil {
		return nil, err
	}
	var warnings []string
	if h.cfg.Admitter != nil {
		ws, err := h.cfg.Admitter.Admit(r.Context(), j)
		if err != nil {
			return nil, httpkit.Errorf(http.StatusBadRequest, "job refused: %s", err.Error())
		}
		warnings = ws
	}
	now := h.cfg.Clock.Now()
	if priority == 0 {
		priority = j.Priority
	}
	var ev *job.Evaluation
	if trigger != "" { // no trigger: a scaling message that changes nothing
		ev = &job.Evaluation{ID: h.cfg.NewID(), Namespace: j.Namespace, Priority: priority, Type: j.Type, TriggeredBy: trigger,
			JobID: j.ID, Status: job.EvalPending, CreateTime: now, ModifyTime: now}
	}
	reg.Job, reg.Warnings, reg.Eval, reg.Now, reg.Same = j, warnings, ev, now, job.SameSpec
	if reg.Scaled != nil {
		reg.Scaled.Time = now
	}
	res, err := h.store.RegisterJob(r.Context(), reg)
	if err != nil {
		return nil, err
	}
	if err := h.view.WaitRevision(r.Context(), res.Revision); err != nil {
		return nil, err
	}
	resp := &nomadwire.RegisterResponse{JobModifyIndex: uint64(res.Revision),
		Warnings: strings.Join(warnings, "\n"), Index: uint64(res.Revision), KnownLeader: true}
	if ev != nil {
		resp.EvalID, resp.EvalCreateIndex = ev.ID, uint64(res.Revision)
	}
	return resp, nil
}

func (h *Handler) stopJob(w http.ResponseWriter, r *http.Request) error {
	ns, id := namespace(r), r.PathValue("id")
	purge := r.URL.Query().Get("purge") == "true"
	now := h.cfg.Clock.Now()
	ev := &job.Evaluation{ID: h.cfg.NewID(), Namespace: ns, Priority: job.DefaultPriority, TriggeredBy: job.TriggerJobDeregister,
		JobID: id, Status: job.EvalPending, CreateTime: now, ModifyTime: now}
	if _, v, err := h.currentJob(ns, id); err == nil {
		ev.Priority, ev.Type = v.v.Job.Priority, v.v.Job.Type
	}
	rev, err := h.store.StopJob(r.Context(), ns, id, purge, ev, now)
	if errors.Is(err, store.ErrJobNotFound) {
		return &httpkit.Error{Public: "job not found", Cause: err}
	}
	if err != nil {
		return err
	}
	if err := h.view.WaitRevision(r.Context(), rev); err != nil {
		return err
	}
	return h.reply(w, r, uint64(rev), &nomadwire.RegisterResponse{EvalID: ev.ID, EvalCreateIndex: uint64(rev), JobModifyIndex: uint64(rev),
		Index: uint64(rev), KnownLeader: true})
}

// parseRequest is Nomad's JobsParseRequest.
type parseRequest struct {
	JobHCL       string
	Variables    string
	Canonicalize bool
}

func (h *Handler) parseJob(w http.ResponseWriter, r *http.Request) error {
	var req parseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	opts := jobspec.Options{Raw: true}
	if req.Variables != "" {
		opts.VarFiles = []jobspec.VarFile{{Name: "variables.hcl", Src: []byte(req.Variables)}}
	}
	j, err := jobspec.Parse("job.nomad.hcl", []byte(req.JobHCL), opts)
	if err != nil {
		return httpkit.Errorf(http.StatusBadRequest, "%s", err.Error())
	}
	if req.Canonicalize {
		j.Canonicalize()
	}
	return h.reply(w, r, 0, fromJob(&job.Version{Job: j}, nil, 0, 0))
}

func (h *Handler) jobVersions(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyJobs, store.FamilyJobHead)
	if err != nil {
		return err
	}
	ns, id := namespace(r), r.PathValue("id")
	head, _, err := h.currentJob(ns, id)
	if err != nil {
		return err
	}
	out := nomadwire.JobVersions{Versions: []*nomadwire.Job{}}
	vs := h.versionsOf(ns, id)
	for i, v := range vs {
		out.Versions = append(out.Versions, fromJob(v.v, head.v, v.createRev, v.modRev))
		if r.URL.Query().Get("diffs") == "true" && i+1 < len(vs) {
			out.Diffs = append(out.Diffs, diffJobs(fromJob(vs[i+1].v, nil, 0, 0), fromJob(v.v, nil, 0, 0)))
		}
	}
	return h.reply(w, r, idx, out)
}

// revertRequest is Nomad's JobRevertRequest.
type revertRequest struct {
	JobID               string
	JobVersion          uint64
	EnforcePriorVersion *uint64
}

func (h *Handler) revertJob(w http.ResponseWriter, r *http.Request) error {
	var req revertRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ns, id := namespace(r), r.PathValue("id")
	head, _, err := h.currentJob(ns, id)
	if err != nil {
		return err
	}
	if req.JobVersion == head.v.Version {
		return httpkit.Errorf(http.StatusBadRequest, "can't revert to current version")
	}
	target, ok := ent(h.view.JobVersion(ns, id, req.JobVersion))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "job %q version %d not found", id, req.JobVersion)
	}
	enforce := req.EnforcePriorVersion
	if enforce == nil {
		enforce = &head.v.Version
	}
	resp, err := h.register(r, target.v.Job, store.JobRegistration{Source: target.v.Source, Submission: target.v, EnforceVersion: enforce}, 0, job.TriggerJobRegister)
	if errors.Is(err, store.ErrConflict) {
		err = httpkit.Errorf(http.StatusBadRequest, "current job has version %d; enforcing version %d", head.v.Version, *enforce)
	}
	if err != nil {
		return err
	}
	return h.reply(w, r, resp.EvalCreateIndex, resp)
}

func uitoa(v uint64) string { return strconv.FormatUint(v, 10) }

// waitPurged waits (a few seconds at most) while allocations of a purged
// incarnation of the job still run: their versions restart at 0 like the
// new job's, so the scheduler must stop them before the job exists again.
func (h *Handler) waitPurged(ctx context.Context, ns, id string) error {
	if _, ok := h.view.JobHead(ns, id); ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	changed, stop := h.view.Subscribe()
	defer stop()
	for {
		live := false
		for _, s := range h.view.JobAllocs(ns, id) {
			if s.Alloc.V.DesiredStatus == job.DesiredRun {
				live = true
				break
			}
		}
		if !live {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return httpkit.Errorf(http.StatusConflict, "job %q was purged and its allocations are still being stopped; retry in a few seconds", id)
		}
	}
}
