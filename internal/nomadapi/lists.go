package nomadapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

var allocFamilies = []string{store.FamilyAllocs, store.FamilyAllocStatus}

// jobTypes returns a lookup of allocations' job types.
func (h *Handler) jobTypes() func(*job.Allocation) string {
	types := map[string]string{}
	return func(a *job.Allocation) string {
		key := a.Namespace + "/" + a.JobID
		t, ok := types[key]
		if !ok {
			if vs := h.view.JobVersions(a.Namespace, a.JobID); len(vs) > 0 && vs[0].V.Job != nil {
				t = vs[0].V.Job.Type
			}
			types[key] = t
		}
		return t
	}
}

func (h *Handler) jobAllocations(w http.ResponseWriter, r *http.Request) error {
	ns, id := namespace(r), r.PathValue("id")
	return h.allocList(w, r, h.view.JobAllocs(ns, id), func(*job.Allocation) bool { return true })
}

func (h *Handler) listAllocations(w http.ResponseWriter, r *http.Request) error {
	ns := namespace(r)
	return h.allocList(w, r, h.view.Allocs(), func(a *job.Allocation) bool { return nsMatch(ns, a.Namespace) && prefixMatch(r, a.ID) })
}

func (h *Handler) evalAllocations(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return h.allocList(w, r, h.view.Allocs(), func(a *job.Allocation) bool { return a.EvalID == id })
}

func (h *Handler) deploymentAllocations(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return h.allocList(w, r, h.view.Allocs(), func(a *job.Allocation) bool { return a.DeploymentID == id })
}

func (h *Handler) nodeAllocations(w http.ResponseWriter, r *http.Request) error {
	n, ok := h.findNode(r.PathValue("id"))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "node not found")
	}
	return h.allocList(w, r, h.view.NodeAllocs(n.Name), func(*job.Allocation) bool { return true })
}

func (h *Handler) allocList(w http.ResponseWriter, r *http.Request, list []view.AllocState, keep func(*job.Allocation) bool) error {
	idx, err := h.block(r, allocFamilies...)
	if err != nil {
		return err
	}
	return h.reply(w, r, idx, h.stubs(h.allocs(list, keep), h.jobTypes()))
}

func (h *Handler) getAllocation(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, allocFamilies...)
	if err != nil {
		return err
	}
	s, ok := h.view.Alloc(r.PathValue("id"))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "alloc not found")
	}
	av := fromState(s)
	out := fromAlloc(av.a, av.st, h.nodeIDs()[av.a.Node], av.createRev, av.modRev)
	if v, ok := ent(h.view.JobVersion(av.a.Namespace, av.a.JobID, av.a.JobVersion)); ok {
		out.Job = fromJob(v.v, nil, v.createRev, v.modRev)
		out.JobType = v.v.Job.Type
	}
	return h.reply(w, r, idx, out)
}

func (h *Handler) evals(list []view.Item[job.Evaluation], keep func(*job.Evaluation) bool) []*nomadwire.Evaluation {
	out := []*nomadwire.Evaluation{}
	for _, e := range list {
		if keep(e.V) {
			out = append(out, fromEval(e.V, e.CreateRev, e.ModRev))
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

func (h *Handler) jobEvaluations(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyEvals)
	if err != nil {
		return err
	}
	ns, id := namespace(r), r.PathValue("id")
	return h.reply(w, r, idx, h.evals(h.view.JobEvals(ns, id), func(*job.Evaluation) bool { return true }))
}

func (h *Handler) listEvaluations(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyEvals)
	if err != nil {
		return err
	}
	ns, status := namespace(r), r.URL.Query().Get("status")
	return h.reply(w, r, idx, h.evals(h.view.Evals(), func(e *job.Evaluation) bool {
		return nsMatch(ns, e.Namespace) && prefixMatch(r, e.ID) && (status == "" || e.Status == status)
	}))
}

func (h *Handler) getEvaluation(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyEvals)
	if err != nil {
		return err
	}
	e, ok := ent(h.view.Eval(r.PathValue("id")))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "eval not found")
	}
	return h.reply(w, r, idx, fromEval(e.v, e.createRev, e.modRev))
}

func (h *Handler) deployments(list []view.Item[job.Deployment], keep func(*job.Deployment) bool) []*nomadwire.Deployment {
	out := []*nomadwire.Deployment{}
	for _, e := range list {
		if keep(e.V) {
			out = append(out, fromDeployment(e.V, e.CreateRev, e.ModRev))
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

func (h *Handler) jobDeployments(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyDeployments)
	if err != nil {
		return err
	}
	ns, id := namespace(r), r.PathValue("id")
	return h.reply(w, r, idx, h.deployments(h.view.JobDeployments(ns, id), func(*job.Deployment) bool { return true }))
}

func (h *Handler) jobLatestDeployment(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyDeployments)
	if err != nil {
		return err
	}
	ns, id := namespace(r), r.PathValue("id")
	list := h.deployments(h.view.JobDeployments(ns, id), func(*job.Deployment) bool { return true })
	if len(list) == 0 {
		return h.reply(w, r, idx, nil)
	}
	return h.reply(w, r, idx, list[0])
}

func (h *Handler) listDeployments(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyDeployments)
	if err != nil {
		return err
	}
	ns := namespace(r)
	return h.reply(w, r, idx, h.deployments(h.view.Deployments(), func(d *job.Deployment) bool { return nsMatch(ns, d.Namespace) && prefixMatch(r, d.ID) }))
}

func (h *Handler) getDeployment(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyDeployments)
	if err != nil {
		return err
	}
	d, ok := ent(h.view.Deployment(r.PathValue("id")))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "deployment not found")
	}
	return h.reply(w, r, idx, fromDeployment(d.v, d.createRev, d.modRev))
}

// findNode finds a node by ID, name or unique ID prefix.
func (h *Handler) findNode(key string) (*job.NodeInfo, bool) {
	var byPrefix []*job.NodeInfo
	for _, e := range h.view.NodeInfos() {
		if e.V.ID == key || e.V.Name == key {
			return e.V, true
		}
		if key != "" && strings.HasPrefix(e.V.ID, key) {
			byPrefix = append(byPrefix, e.V)
		}
	}
	if len(byPrefix) == 1 {
		return byPrefix[0], true
	}
	return nil, false
}

func (h *Handler) listNodes(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyNodeInfo, nodesFamily)
	if err != nil {
		return err
	}
	out := []*nomadwire.Node{}
	for _, e := range h.view.NodeInfos() {
		if prefixMatch(r, e.V.ID) {
			out = append(out, fromNode(e.V, h.view.Alive(e.V.Name), e.CreateRev, e.ModRev))
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return h.reply(w, r, idx, out)
}

func (h *Handler) getNode(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilyNodeInfo, nodesFamily)
	if err != nil {
		return err
	}
	n, ok := h.findNode(r.PathValue("id"))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "node not found")
	}
	e, _ := h.view.NodeInfo(n.Name)
	return h.reply(w, r, idx, fromNode(n, h.view.Alive(n.Name), e.CreateRev, e.ModRev))
}
