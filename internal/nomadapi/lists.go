package nomadapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
)

var allocFamilies = []string{store.FamilyAllocs, store.FamilyAllocStatus}

// jobTypes returns a lookup of allocations' job types.
func (h *Handler) jobTypes() func(*job.Allocation) string {
	types := map[string]string{}
	for k, e := range family[job.Version](h, store.FamilyJobs) {
		ns, id, _, ok := store.ParseVersionRest(k)
		if ok {
			types[ns+"/"+id] = e.v.Job.Type
		}
	}
	return func(a *job.Allocation) string { return types[a.Namespace+"/"+a.JobID] }
}

func (h *Handler) jobAllocations(w http.ResponseWriter, r *http.Request) {
	ns, id := namespace(r), r.PathValue("id")
	h.allocList(w, r, func(a *job.Allocation) bool { return a.Namespace == ns && a.JobID == id })
}

func (h *Handler) listAllocations(w http.ResponseWriter, r *http.Request) {
	ns := namespace(r)
	h.allocList(w, r, func(a *job.Allocation) bool { return nsMatch(ns, a.Namespace) && prefixMatch(r, a.ID) })
}

func (h *Handler) evalAllocations(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h.allocList(w, r, func(a *job.Allocation) bool { return a.EvalID == id })
}

func (h *Handler) deploymentAllocations(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h.allocList(w, r, func(a *job.Allocation) bool { return a.DeploymentID == id })
}

func (h *Handler) nodeAllocations(w http.ResponseWriter, r *http.Request) {
	n, ok := h.findNode(r.PathValue("id"))
	if !ok {
		h.fail(w, r, errorf(http.StatusNotFound, "node not found"))
		return
	}
	h.allocList(w, r, func(a *job.Allocation) bool { return a.Node == n.Name })
}

func (h *Handler) allocList(w http.ResponseWriter, r *http.Request, keep func(*job.Allocation) bool) {
	idx, err := h.block(r, allocFamilies...)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.reply(w, idx, h.stubs(h.allocs(keep), h.jobTypes()))
}

func (h *Handler) getAllocation(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, allocFamilies...)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	list := h.allocs(func(a *job.Allocation) bool { return a.ID == id })
	if len(list) == 0 {
		h.fail(w, r, errorf(http.StatusNotFound, "alloc not found"))
		return
	}
	av := list[0]
	out := fromAlloc(av.a, av.st, h.nodeIDs()[av.a.Node], av.createRev, av.modRev)
	if v, ok := one[job.Version](h, store.FamilyJobs, av.a.Namespace+"/"+av.a.JobID+"/"+uitoa(av.a.JobVersion)); ok {
		out.Job = fromJob(v.v, nil, v.createRev, v.modRev)
		out.JobType = v.v.Job.Type
	}
	h.reply(w, idx, out)
}

func (h *Handler) evals(keep func(*job.Evaluation) bool) []*nomadwire.Evaluation {
	out := []*nomadwire.Evaluation{}
	for _, e := range family[job.Evaluation](h, store.FamilyEvals) {
		if keep(e.v) {
			out = append(out, fromEval(e.v, e.createRev, e.modRev))
		}
	}
	sort.Slice(out, func(i, k int) bool {
		if out[i].CreateIndex != out[k].CreateIndex {
			return out[i].CreateIndex > out[k].CreateIndex
		}
		return out[i].ID < out[k].ID
	})
	return out
}

func (h *Handler) jobEvaluations(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, store.FamilyEvals)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ns, id := namespace(r), r.PathValue("id")
	h.reply(w, idx, h.evals(func(e *job.Evaluation) bool { return e.Namespace == ns && e.JobID == id }))
}

func (h *Handler) listEvaluations(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, store.FamilyEvals)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ns, status := namespace(r), r.URL.Query().Get("status")
	h.reply(w, idx, h.evals(func(e *job.Evaluation) bool {
		return nsMatch(ns, e.Namespace) && prefixMatch(r, e.ID) && (status == "" || e.Status == status)
	}))
}

func (h *Handler) getEvaluation(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, store.FamilyEvals)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e, ok := one[job.Evaluation](h, store.FamilyEvals, r.PathValue("id"))
	if !ok {
		h.fail(w, r, errorf(http.StatusNotFound, "eval not found"))
		return
	}
	h.reply(w, idx, fromEval(e.v, e.createRev, e.modRev))
}

func (h *Handler) deployments(keep func(*job.Deployment) bool) []*nomadwire.Deployment {
	out := []*nomadwire.Deployment{}
	for _, e := range family[job.Deployment](h, store.FamilyDeployments) {
		if keep(e.v) {
			out = append(out, fromDeployment(e.v, e.createRev, e.modRev))
		}
	}
	sort.Slice(out, func(i, k int) bool {
		if out[i].CreateIndex != out[k].CreateIndex {
			return out[i].CreateIndex > out[k].CreateIndex
		}
		return out[i].ID < out[k].ID
	})
	return out
}

func (h *Handler) jobDeployments(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, store.FamilyDeployments)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ns, id := namespace(r), r.PathValue("id")
	h.reply(w, idx, h.deployments(func(d *job.Deployment) bool { return d.Namespace == ns && d.JobID == id }))
}

func (h *Handler) jobLatestDeployment(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, store.FamilyDeployments)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ns, id := namespace(r), r.PathValue("id")
	list := h.deployments(func(d *job.Deployment) bool { return d.Namespace == ns && d.JobID == id })
	if len(list) == 0 {
		h.reply(w, idx, nil)
		return
	}
	h.reply(w, idx, list[0])
}

func (h *Handler) listDeployments(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, store.FamilyDeployments)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ns := namespace(r)
	h.reply(w, idx, h.deployments(func(d *job.Deployment) bool { return nsMatch(ns, d.Namespace) && prefixMatch(r, d.ID) }))
}

func (h *Handler) getDeployment(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, store.FamilyDeployments)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, ok := one[job.Deployment](h, store.FamilyDeployments, r.PathValue("id"))
	if !ok {
		h.fail(w, r, errorf(http.StatusNotFound, "deployment not found"))
		return
	}
	h.reply(w, idx, fromDeployment(d.v, d.createRev, d.modRev))
}

// findNode finds a node by ID, name or unique ID prefix.
func (h *Handler) findNode(key string) (*job.NodeInfo, bool) {
	var byPrefix []*job.NodeInfo
	for name, e := range family[job.NodeInfo](h, store.FamilyNodeInfo) {
		if e.v.ID == key || name == key {
			return e.v, true
		}
		if key != "" && strings.HasPrefix(e.v.ID, key) {
			byPrefix = append(byPrefix, e.v)
		}
	}
	if len(byPrefix) == 1 {
		return byPrefix[0], true
	}
	return nil, false
}

func (h *Handler) listNodes(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, store.FamilyNodeInfo, nodesFamily)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []*nomadwire.Node{}
	for _, e := range family[job.NodeInfo](h, store.FamilyNodeInfo) {
		if prefixMatch(r, e.v.ID) {
			out = append(out, fromNode(e.v, h.view.Alive(e.v.Name), e.createRev, e.modRev))
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	h.reply(w, idx, out)
}

func (h *Handler) getNode(w http.ResponseWriter, r *http.Request) {
	idx, err := h.block(r, store.FamilyNodeInfo, nodesFamily)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, ok := h.findNode(r.PathValue("id"))
	if !ok {
		h.fail(w, r, errorf(http.StatusNotFound, "node not found"))
		return
	}
	e, _ := one[job.NodeInfo](h, store.FamilyNodeInfo, n.Name)
	h.reply(w, idx, fromNode(n, h.view.Alive(n.Name), e.createRev, e.modRev))
}
