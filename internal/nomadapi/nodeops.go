package nomadapi

import (
	"context"
	"errors"
	"net/http"
	"sort"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// nodeStore is the part of store the node, operator and variable
// endpoints write through.
type nodeStore interface {
	PutNodeSchedule(ctx context.Context, node string, sc *job.NodeSchedule, prev int64, evals ...*job.Evaluation) (int64, error)
	PurgeNode(ctx context.Context, node string, evals ...*job.Evaluation) (int64, error)
	Get(ctx context.Context, key string) (store.KV, error)
	List(ctx context.Context, prefix string) ([]store.KV, int64, error)
	Txn(ctx context.Context, cmps []store.Cmp, ops []store.Op) (bool, int64, error)
}

// nodeView is the part of the view the node endpoints read.
type nodeView interface {
	NodeSchedule(node string) (view.Item[job.NodeSchedule], bool)
	JobKeys() []string
}

// nodeRoutes registers the node, operator, namespace, variable, search,
// region, agent and system endpoints.
func (h *Handler) nodeRoutes(m func(string, httpkit.HandlerFunc)) {
	for _, method := range []string{"PUT", "POST"} {
		m(method+" /v1/node/{id}/eligibility", h.nodeEligibility)
		m(method+" /v1/node/{id}/drain", h.nodeDrain)
		m(method+" /v1/node/{id}/purge", h.nodePurge)
		m(method+" /v1/node/{id}/evaluate", h.nodeEvaluate)
		m(method+" /v1/operator/scheduler/configuration", h.putSchedulerConfig)
	}
	m("GET /v1/operator/scheduler/configuration", h.getSchedulerConfig)
}

// nodeForWrite finds the node of the request's path and its schedule.
func (h *Handler) nodeForWrite(r *http.Request) (*job.NodeInfo, job.NodeSchedule, int64, error) {
	n, ok := h.findNode(r.PathValue("id"))
	if !ok {
		return nil, job.NodeSchedule{}, 0, httpkit.Errorf(http.StatusNotFound, "node not found")
	}
	var sc job.NodeSchedule
	var prev int64
	if it, ok := h.view.NodeSchedule(n.Name); ok {
		sc, prev = *it.V, it.ModRev
	}
	return n, sc, prev, nil
}

// writeSchedule writes a node's new schedule with evals and answers
// Nomad's node update response; a concurrent change is a 409.
func (h *Handler) writeSchedule(w http.ResponseWriter, r *http.Request, n *job.NodeInfo, sc *job.NodeSchedule, prev int64, evals []*job.Evaluation) error {
	rev, err := h.store.PutNodeSchedule(r.Context(), n.Name, sc, prev, evals...)
	if errors.Is(err, store.ErrConflict) {
		return httpkit.Errorf(http.StatusConflict, "node %s changed concurrently; retry", n.ID)
	}
	if err != nil {
		return err
	}
	return h.nodeUpdated(w, r, rev, evals)
}

func (h *Handler) nodeUpdated(w http.ResponseWriter, r *http.Request, rev int64, evals []*job.Evaluation) error {
	if err := h.view.WaitRevision(r.Context(), rev); err != nil {
		return err
	}
	out := nodewireResponse(rev, evals)
	httpkit.SetMeta(w, httpkit.Nomad, httpkit.Meta{Index: uint64(rev), KnownLeader: true})
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

func nodewireResponse(rev int64, evals []*job.Evaluation) *nomadwire.NodeUpdateResponse {
	out := &nomadwire.NodeUpdateResponse{EvalIDs: []string{}, NodeModifyIndex: uint64(rev), Index: uint64(rev)}
	for _, e := range evals {
		out.EvalIDs = append(out.EvalIDs, e.ID)
	}
	if len(evals) > 0 {
		out.EvalCreateIndex = uint64(rev)
	}
	return out
}

func (h *Handler) nodeEligibility(w http.ResponseWriter, r *http.Request) error {
	var req nomadwire.NodeUpdateEligibilityRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Eligibility != job.NodeEligible && req.Eligibility != job.NodeIneligible {
		return httpkit.Errorf(http.StatusBadRequest, "invalid scheduling eligibility %q", req.Eligibility)
	}
	n, sc, prev, err := h.nodeForWrite(r)
	if err != nil {
		return err
	}
	if sc.Drain != nil && req.Eligibility == job.NodeEligible {
		return httpkit.Errorf(http.StatusBadRequest, "can not set node's scheduling eligibility to eligible while it is draining")
	}
	var evals []*job.Evaluation
	if req.Eligibility == job.NodeEligible && !n.Eligible() {
		// As Nomad: a node turning eligible may take system jobs.
		evals = h.nodeEvals(n.Name, job.TriggerNodeUpdate, true)
	}
	sc.Eligibility = req.Eligibility
	return h.writeSchedule(w, r, n, &sc, prev, evals)
}

func (h *Handler) nodeDrain(w http.ResponseWriter, r *http.Request) error {
	var req nomadwire.NodeUpdateDrainRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	n, sc, prev, err := h.nodeForWrite(r)
	if err != nil {
		return err
	}
	now := h.cfg.Clock.Now().UTC()
	var evals []*job.Evaluation
	if req.DrainSpec == nil {
		if sc.Drain != nil && sc.LastDrain != nil {
			ld := *sc.LastDrain
			ld.Status, ld.UpdatedAt = job.DrainCanceled, now
			if req.Meta != nil {
				ld.Meta = req.Meta
			}
			sc.LastDrain = &ld
		}
		sc.Drain, sc.Migrate = nil, nil
		if req.MarkEligible {
			sc.Eligibility = job.NodeEligible
			evals = h.nodeEvals(n.Name, job.TriggerNodeUpdate, true)
		}
		return h.writeSchedule(w, r, n, &sc, prev, evals)
	}
	ds := &job.DrainStrategy{Deadline: req.DrainSpec.Deadline, IgnoreSystemJobs: req.DrainSpec.IgnoreSystemJobs, StartedAt: now}
	if sc.Drain != nil {
		ds.StartedAt = sc.Drain.StartedAt
	} else {
		sc.Migrate = nil
	}
	if ds.Deadline > 0 {
		ds.ForceDeadline = ds.StartedAt.Add(ds.Deadline)
	}
	sc.Drain, sc.Eligibility = ds, job.NodeIneligible
	sc.LastDrain = &job.DrainMetadata{StartedAt: ds.StartedAt, UpdatedAt: now, Status: job.DrainDraining, Meta: req.Meta}
	return h.writeSchedule(w, r, n, &sc, prev, nil)
}

func (h *Handler) nodePurge(w http.ResponseWriter, r *http.Request) error {
	n, ok := h.findNode(r.PathValue("id"))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "node not found")
	}
	evals := h.nodeEvals(n.Name, job.TriggerNodeUpdate, false)
	rev, err := h.store.PurgeNode(r.Context(), n.Name, evals...)
	if err != nil {
		return err
	}
	return h.nodeUpdated(w, r, rev, evals)
}

// nodeEvaluate answers Nomad's NodeUpdateResponse; with no job to
// evaluate it writes nothing and answers no evaluation.
func (h *Handler) nodeEvaluate(w http.ResponseWriter, r *http.Request) error {
	n, ok := h.findNode(r.PathValue("id"))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "node not found")
	}
	evals := h.nodeEvals(n.Name, job.TriggerNodeUpdate, true)
	if len(evals) == 0 {
		return h.nodeUpdated(w, r, 0, nil)
	}
	rev, err := h.store.PutEval(r.Context(), evals...)
	if err != nil {
		return err
	}
	return h.nodeUpdated(w, r, rev, evals)
}

// nodeEvals makes one pending evaluation for every job with a live
// allocation on node and, with system, every running system job (Nomad's
// createNodeEvals).
func (h *Handler) nodeEvals(node, trigger string, system bool) []*job.Evaluation {
	now := h.cfg.Clock.Now().UTC()
	seen := map[string]*job.Evaluation{}
	add := func(ns, id string) {
		key := ns + "/" + id
		if seen[key] != nil {
			return
		}
		e := &job.Evaluation{ID: h.cfg.NewID(), Namespace: ns, Priority: job.DefaultPriority, TriggeredBy: trigger,
			JobID: id, Node: node, Status: job.EvalPending, CreateTime: now, ModifyTime: now}
		if _, v, err := h.currentJob(ns, id); err == nil {
			e.Priority, e.Type, e.JobVersion = v.v.Job.Priority, v.v.Job.Type, v.v.Version
		}
		seen[key] = e
	}
	for _, s := range h.view.NodeAllocs(node) {
		if a := s.Alloc.V; !a.Terminal(s.Status.V) {
			add(a.Namespace, a.JobID)
		}
	}
	if system {
		for _, it := range h.view.JobHeads() {
			hd := it.V
			if _, v, err := h.currentJob(hd.Namespace, hd.ID); err == nil && v.v.Job.Type == job.TypeSystem && !hd.Stopped {
				add(hd.Namespace, hd.ID)
			}
		}
	}
	out := make([]*job.Evaluation, 0, len(seen))
	for _, e := range seen {
		out = append(out, e)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].JobID < out[k].JobID })
	return out
}

// fromDrain converts a node's drain and last drain to Nomad's shapes.
func fromDrain(ds *job.DrainStrategy, ld *job.DrainMetadata) (*nomadwire.DrainStrategy, *nomadwire.DrainMetadata) {
	var ws *nomadwire.DrainStrategy
	var wl *nomadwire.DrainMetadata
	if ds != nil {
		ws = &nomadwire.DrainStrategy{DrainSpec: nomadwire.DrainSpec{Deadline: ds.Deadline, IgnoreSystemJobs: ds.IgnoreSystemJobs},
			ForceDeadline: ds.ForceDeadline, StartedAt: ds.StartedAt}
	}
	if ld != nil {
		wl = &nomadwire.DrainMetadata{StartedAt: ld.StartedAt, UpdatedAt: ld.UpdatedAt, Status: ld.Status,
			AccessorID: ld.AccessorID, Meta: ld.Meta}
	}
	return ws, wl
}
