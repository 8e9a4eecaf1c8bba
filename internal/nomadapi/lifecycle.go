package nomadapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/orbit/orbit/internal/filter"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// lifecycleRoutes registers the endpoints that start, stop or forget work
// out of the common path: a periodic job's forced launch, an allocation's
// stop and the deletion of evaluations.
func (h *Handler) lifecycleRoutes(m func(pattern string, f httpkit.HandlerFunc)) {
	m("PUT /v1/job/{id}/periodic/force", h.forcePeriodic)
	m("POST /v1/job/{id}/periodic/force", h.forcePeriodic)
	m("PUT /v1/allocation/{id}/stop", h.stopAlloc)
	m("POST /v1/allocation/{id}/stop", h.stopAlloc)
	m("DELETE /v1/evaluations", h.deleteEvals)
}

// periodicForceResponse is Nomad's PeriodicForceResponse.
type periodicForceResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	Index           uint64
}

// forcePeriodic launches a child of a periodic job now (Nomad's periodic
// force: prohibit_overlap does not hold it back).
func (h *Handler) forcePeriodic(w http.ResponseWriter, r *http.Request) error {
	ns, id := namespace(r), r.PathValue("id")
	head, cur, err := h.currentJob(ns, id)
	if err != nil {
		return err
	}
	if head.v.Stopped || !cur.v.Job.IsPeriodic() {
		return httpkit.Errorf(http.StatusBadRequest, "can't force launch non-periodic job")
	}
	child, err := cur.v.Job.PeriodicChild(h.cfg.Clock.Now())
	if err != nil {
		return err
	}
	resp, err := h.register(r, child, store.JobRegistration{}, 0, job.TriggerPeriodicJob)
	if err != nil {
		return err
	}
	return h.reply(w, r, resp.EvalCreateIndex, &periodicForceResponse{EvalID: resp.EvalID, EvalCreateIndex: resp.EvalCreateIndex,
		Index: resp.Index})
}

// allocStopResponse is Nomad's AllocStopResponse.
type allocStopResponse struct {
	EvalID string
	Index  uint64
}

// stopAlloc answers PUT /v1/allocation/:id/stop: an "alloc-stop"
// evaluation of the allocation's job that stops the allocation and places
// its replacement, as Nomad's migrate transition does. ?no_shutdown_delay
// is accepted; tasks are stopped at once either way.
func (h *Handler) stopAlloc(w http.ResponseWriter, r *http.Request) error {
	if v := r.URL.Query().Get("no_shutdown_delay"); v != "" && v != "true" && v != "false" {
		return httpkit.Errorf(http.StatusBadRequest, "invalid no_shutdown_delay %q: want true or false", v)
	}
	st, ok := h.view.Alloc(r.PathValue("id"))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "alloc not found")
	}
	a := st.Alloc.V
	now := h.cfg.Clock.Now()
	ev := &job.Evaluation{ID: h.cfg.NewID(), Namespace: a.Namespace, Priority: job.DefaultPriority, TriggeredBy: job.TriggerAllocStop,
		JobID: a.JobID, Status: job.EvalPending, StopAllocs: []string{a.ID}, CreateTime: now, ModifyTime: now}
	if _, cur, err := h.currentJob(a.Namespace, a.JobID); err == nil {
		ev.Priority, ev.Type, ev.JobVersion = cur.v.Job.Priority, cur.v.Job.Type, cur.v.Version
	}
	rev, err := h.store.PutEval(r.Context(), ev)
	if err != nil {
		return err
	}
	if err := h.view.WaitRevision(r.Context(), rev); err != nil {
		return err
	}
	return h.reply(w, r, uint64(rev), &allocStopResponse{EvalID: ev.ID, Index: uint64(rev)})
}

// evalDeleteRequest is Nomad's EvalDeleteRequest.
type evalDeleteRequest struct {
	EvalIDs []string
	Filter  string
}

// deleteEvals answers DELETE /v1/evaluations: by IDs or by a filter over
// Nomad's evaluation shape, only while the scheduler configuration pauses
// the eval broker (Nomad's rule); the answer is Nomad's
// EvalDeleteResponse.
func (h *Handler) deleteEvals(w http.ResponseWriter, r *http.Request) error {
	var req evalDeleteRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return httpkit.Errorf(http.StatusBadRequest, "invalid request body: %v", err)
	}
	switch {
	case len(req.EvalIDs) == 0 && req.Filter == "":
		return httpkit.Errorf(http.StatusBadRequest, "evals must be deleted by either ID or filter")
	case len(req.EvalIDs) > 0 && req.Filter != "":
		return httpkit.Errorf(http.StatusBadRequest, "evals cannot be deleted by ID and filter")
	}
	paused, err := h.SchedulerPaused(r.Context())
	if err != nil {
		return err
	}
	if !paused {
		return httpkit.Errorf(http.StatusBadRequest, "eval broker is enabled; eval broker must be paused to delete evals")
	}
	ids, err := h.evalsToDelete(&req)
	if err != nil {
		return err
	}
	var ops []store.Op
	for _, id := range ids {
		ops = append(ops, store.Del(store.EvalKey(id)))
	}
	rev := int64(h.view.Index(view.FamilyRes(store.FamilyEvals)))
	if len(ops) > 0 {
		if _, rev, err = h.store.Txn(r.Context(), nil, ops); err != nil {
			return fmt.Errorf("delete evaluations: %w", err)
		}
		if err := h.view.WaitRevision(r.Context(), rev); err != nil {
			return err
		}
	}
	return h.reply(w, r, uint64(rev), struct{ Count int }{len(ids)})
}

// evalsToDelete lists the IDs the request names: every given ID must
// exist; a filter selects over Nomad's evaluation shape.
func (h *Handler) evalsToDelete(req *evalDeleteRequest) ([]string, error) {
	if req.Filter == "" {
		for _, id := range req.EvalIDs {
			if _, ok := h.view.Eval(id); !ok {
				return nil, httpkit.Errorf(http.StatusNotFound, "eval %q not found", id)
			}
		}
		return req.EvalIDs, nil
	}
	expr, err := filter.Parse(req.Filter)
	if err != nil {
		return nil, httpkit.Errorf(http.StatusBadRequest, "failed to parse filter: %v", err)
	}
	var list []*nomadwire.Evaluation
	for _, it := range h.view.Evals() {
		list = append(list, fromEval(it.V, it.CreateRev, it.ModRev))
	}
	matched, err := filter.Filter(expr, list)
	if err != nil {
		return nil, httpkit.Errorf(http.StatusBadRequest, "failed to apply filter: %v", err)
	}
	ids := make([]string, 0, len(matched))
	for _, e := range matched {
		ids = append(ids, e.ID)
	}
	return ids, nil
}

// children counts the periodic children of job ns/id by status (Nomad's
// JobChildrenSummary); nil when the job is not periodic and has none.
func (h *Handler) children(ns, id string) *struct{ Pending, Running, Dead int64 } {
	var out *struct{ Pending, Running, Dead int64 }
	_, cur, err := h.currentJob(ns, id)
	if err == nil && cur.v.Job.IsPeriodic() {
		out = &struct{ Pending, Running, Dead int64 }{}
	}
	for _, it := range h.view.JobHeads() {
		c := it.V
		if c.Namespace != ns {
			continue
		}
		if _, ok := job.PeriodicLaunchTime(id, c.ID); !ok {
			continue
		}
		if out == nil {
			out = &struct{ Pending, Running, Dead int64 }{}
		}
		switch c.Status {
		case job.JobRunning:
			out.Running++
		case job.JobDead:
			out.Dead++
		default:
			out.Pending++
		}
	}
	return out
}
