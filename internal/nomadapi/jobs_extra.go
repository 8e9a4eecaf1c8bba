package nomadapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
)

// jobRoutes registers the job, evaluation and allocation endpoints beyond
// the common path (validate, evaluate, scale, submission, periodic, ...).
func (h *Handler) jobRoutes(m func(pattern string, f httpkit.HandlerFunc)) {
	m("PUT /v1/validate/job", h.validateJob)
	m("POST /v1/validate/job", h.validateJob)
	m("PUT /v1/job/{id}/evaluate", h.evaluateJob)
	m("POST /v1/job/{id}/evaluate", h.evaluateJob)
	m("GET /v1/job/{id}/submission", h.jobSubmission)
	m("GET /v1/job/{id}/scale", h.scaleStatus)
	m("PUT /v1/job/{id}/scale", h.scaleJob)
	m("POST /v1/job/{id}/scale", h.scaleJob)
	m("GET /v1/evaluations/count", h.countEvaluations)
}

// countEvaluations answers GET /v1/evaluations/count: Nomad's
// EvalCountResponse over the request's namespace ("*" for all).
func (h *Handler) countEvaluations(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyEvals)
	if err != nil {
		return err
	}
	ns, n := namespace(r), 0
	for _, e := range h.view.Evals() {
		if nsMatch(ns, e.V.Namespace) {
			n++
		}
	}
	return h.reply(w, r, idx, struct{ Count int }{n})
}

// checkIDs refuses the job IDs and namespaces Nomad refuses. An ID may hold
// any other character, '/' included: the client escapes it in paths and
// the store in keys.
func checkIDs(j *job.Job) error {
	if msgs := idProblems(j); len(msgs) > 0 {
		return httpkit.Errorf(http.StatusBadRequest, "%s", msgs[0])
	}
	return nil
}

func idProblems(j *job.Job) []string {
	var out []string
	switch {
	case strings.Contains(j.ID, " "):
		out = append(out, "Job ID contains a space")
	case strings.Contains(j.ID, "\x00"):
		out = append(out, "Job ID contains a null character")
	}
	if strings.Contains(j.Namespace, "/") {
		out = append(out, fmt.Sprintf("namespace %q must not contain '/'", j.Namespace))
	}
	return out
}

// validateJob answers Nomad's JobValidateResponse: the job is canonicalized
// and checked as registration would (IDs, the spec, the admitter), and its
// problems are listed in a 200 answer, not refused.
func (h *Handler) validateJob(w http.ResponseWriter, r *http.Request) error {
	var req nomadwire.ValidateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Job == nil {
		return httpkit.Errorf(http.StatusBadRequest, "Job must be specified")
	}
	j := nomadwire.ToJob(req.Job)
	if j.Namespace == "" {
		j.Namespace = namespace(r)
	}
	j.Canonicalize()
	problems := idProblems(j)
	if err := j.Validate(); err != nil {
		var list job.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				problems = append(problems, e.Msg)
			}
		} else {
			problems = append(problems, err.Error())
		}
	}
	resp := &nomadwire.ValidateResponse{DriverConfigValidated: true, ValidationErrors: problems}
	if h.cfg.Admitter != nil && len(problems) == 0 {
		ws, err := h.cfg.Admitter.Admit(r.Context(), j)
		if err != nil {
			resp.ValidationErrors = append(resp.ValidationErrors, err.Error())
		}
		resp.Warnings = multiError(ws)
	}
	resp.Error = multiError(resp.ValidationErrors)
	return h.reply(w, r, 0, resp)
}

// multiError formats messages as Nomad's multierror does ("2 errors
// occurred:\n\t* a\n\t* b\n\n"); none is "".
func multiError(msgs []string) string {
	switch len(msgs) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("1 error occurred:\n\t* %s\n\n", msgs[0])
	}
	return fmt.Sprintf("%d errors occurred:\n\t* %s\n\n", len(msgs), strings.Join(msgs, "\n\t* "))
}

// preserve applies a registration's PreserveCounts and PreserveResources
// (the current version's group counts and task resources win over the
// submitted ones) and keeps its submission.
func (h *Handler) preserve(j *job.Job, req *nomadwire.RegisterRequest, reg *store.JobRegistration) {
	if sub := req.Submission; sub != nil {
		reg.Source = sub.Source
		reg.Submission = &job.Version{SourceFormat: sub.Format, Variables: sub.Variables, VariableFlags: sub.VariableFlags}
	}
	if !req.PreserveCounts && !req.PreserveResources {
		return
	}
	_, cur, err := h.currentJob(j.Namespace, j.ID)
	if err != nil {
		return // a new job: nothing to preserve
	}
	old := map[string]*job.Group{}
	for _, g := range cur.v.Job.Groups {
		old[g.Name] = g
	}
	for _, g := range j.Groups {
		og, ok := old[g.Name]
		if !ok {
			continue
		}
		if req.PreserveCounts {
			g.Count = og.Count
		}
		if req.PreserveResources {
			for _, t := range g.Tasks {
				for _, ot := range og.Tasks {
					if ot.Name == t.Name && ot.Resources != nil {
						res := *ot.Resources
						t.Resources = &res
					}
				}
			}
		}
	}
}

// evaluateJob answers PUT /v1/job/:id/evaluate: a new evaluation of the
// job's current version; with ForceReschedule its failed allocations are
// rescheduled now, whatever their reschedule policy says.
func (h *Handler) evaluateJob(w http.ResponseWriter, r *http.Request) error {
	var req nomadwire.EvaluateRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return httpkit.Errorf(http.StatusBadRequest, "invalid request body: %v", err)
	}
	ns, id := namespace(r), r.PathValue("id")
	head, cur, err := h.currentJob(ns, id)
	if err != nil {
		return httpkit.Errorf(http.StatusNotFound, "job not found")
	}
	now := h.cfg.Clock.Now()
	ev := &job.Evaluation{ID: h.cfg.NewID(), Namespace: ns, Priority: cur.v.Job.Priority, Type: cur.v.Job.Type,
		TriggeredBy: job.TriggerJobRegister, JobID: id, JobVersion: head.v.Version, Status: job.EvalPending, CreateTime: now, ModifyTime: now,
		ForceReschedule: req.EvalOptions.ForceReschedule}
	rev, err := h.store.PutEval(r.Context(), ev)
	if err != nil {
		return err
	}
	if err := h.view.WaitRevision(r.Context(), rev); err != nil {
		return err
	}
	return h.reply(w, r, uint64(rev), &nomadwire.RegisterResponse{EvalID: ev.ID, EvalCreateIndex: uint64(rev),
		JobModifyIndex: uint64(max(head.modRev, cur.modRev)), Index: uint64(rev), KnownLeader: true})
}

// jobSubmission answers GET /v1/job/:id/submission?version=N: the source
// the version was registered from, or 404 when it came without one.
func (h *Handler) jobSubmission(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyJobs)
	if err != nil {
		return err
	}
	ns, id := namespace(r), r.PathValue("id")
	version, err := strconv.ParseUint(r.URL.Query().Get("version"), 10, 64)
	if err != nil {
		return httpkit.Errorf(http.StatusBadRequest, "Failed to parse value of %q (%v) as a uint64: %v", "version", r.URL.Query().Get("version"), err)
	}
	v, ok := ent(h.view.JobVersion(ns, id, version))
	if !ok || v.v.Source == "" {
		return httpkit.Errorf(http.StatusNotFound, "job source not found")
	}
	format := v.v.SourceFormat
	if format == "" {
		format = "hcl2"
	}
	flags := v.v.VariableFlags
	if flags == nil {
		flags = map[string]string{}
	}
	return h.reply(w, r, max(idx, uint64(v.modRev)), &nomadwire.Submission{Source: v.v.Source, Format: format,
		VariableFlags: flags, Variables: v.v.Variables})
}
