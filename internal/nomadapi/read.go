package nomadapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// namespace returns the request's namespace: ?namespace, default
// "default"; "*" means every namespace in listings.
func namespace(r *http.Request) string {
	if ns := r.URL.Query().Get("namespace"); ns != "" {
		return ns
	}
	return job.DefaultNamespace
}

func nsMatch(want, ns string) bool { return want == "*" || want == ns }

// entry is a decoded value with its revisions.
type entry[T any] struct {
	v         *T
	createRev int64
	modRev    int64
}

// ent converts the view's typed item.
func ent[T any](it view.Item[T], ok bool) (entry[T], bool) {
	return entry[T]{v: it.V, createRev: it.CreateRev, modRev: it.ModRev}, ok
}

// currentJob returns a job's head and current version.
func (h *Handler) currentJob(ns, id string) (entry[job.Head], entry[job.Version], error) {
	head, ok := ent(h.view.JobHead(ns, id))
	if !ok {
		return head, entry[job.Version]{}, store.ErrJobNotFound
	}
	v, ok := ent(h.view.JobVersion(ns, id, head.v.Version))
	if !ok {
		return head, v, store.ErrJobNotFound
	}
	return head, v, nil
}

// versionsOf lists a job's stored versions, newest first.
func (h *Handler) versionsOf(ns, id string) []entry[job.Version] {
	var out []entry[job.Version]
	for _, it := range h.view.JobVersions(ns, id) {
		e, _ := ent(it, true)
		out = append(out, e)
	}
	return out
}

// allocView is an allocation with its report and revisions.
type allocView struct {
	a         *job.Allocation
	st        *job.AllocStatus
	createRev int64
	modRev    int64
}

func fromState(s view.AllocState) allocView {
	av := allocView{a: s.Alloc.V, st: s.Status.V, createRev: s.Alloc.CreateRev, modRev: s.Alloc.ModRev}
	av.modRev = max(av.modRev, s.Status.ModRev)
	return av
}

// allocs lists the allocations of list keep accepts, newest first.
func (h *Handler) allocs(list []view.AllocState, keep func(*job.Allocation) bool) []allocView {
	var out []allocView
	for _, s := range list {
		if keep(s.Alloc.V) {
			out = append(out, fromState(s))
		}
	}
	sort.Slice(out, func(i, k int) bool {
		if out[i].createRev != out[k].createRev {
			return out[i].createRev > out[k].createRev
		}
		return out[i].a.ID < out[k].a.ID
	})
	return out
}

// nodeIDs maps node names to their fingerprinted IDs.
func (h *Handler) nodeIDs() map[string]string {
	out := map[string]string{}
	for _, e := range h.view.NodeInfos() {
		name := e.V.Name
		out[name] = e.V.ID
		if out[name] == "" {
			out[name] = name
		}
	}
	return out
}

func (h *Handler) stubs(list []allocView, jobType func(*job.Allocation) string) []*nomadwire.Allocation {
	ids := h.nodeIDs()
	out := make([]*nomadwire.Allocation, 0, len(list))
	for _, av := range list {
		w := fromAlloc(av.a, av.st, ids[av.a.Node], av.createRev, av.modRev)
		if jobType != nil {
			w.JobType = jobType(av.a)
		}
		out = append(out, w)
	}
	return out
}

// prefixMatch reports whether id starts with the request's ?prefix.
func prefixMatch(r *http.Request, id string) bool {
	return strings.HasPrefix(id, r.URL.Query().Get("prefix"))
}
