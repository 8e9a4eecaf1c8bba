package nomadapi

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
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

// family decodes every key of a raw family, skipping undecodable ones.
func family[T any](h *Handler, fam string) map[string]entry[T] {
	raw := h.view.Raw(fam)
	out := make(map[string]entry[T], len(raw))
	for k, kv := range raw {
		v, err := store.Decode[T](kv)
		if err != nil {
			h.log.Warn("skip undecodable key", "family", fam, "key", k, "err", err)
			continue
		}
		out[k] = entry[T]{v: v, createRev: kv.CreateRevision, modRev: kv.ModRevision}
	}
	return out
}

// one decodes one key of a raw family.
func one[T any](h *Handler, fam, rest string) (entry[T], bool) {
	kv, ok := h.view.RawGet(fam, rest)
	if !ok {
		return entry[T]{}, false
	}
	v, err := store.Decode[T](kv)
	if err != nil {
		h.log.Warn("skip undecodable key", "family", fam, "key", rest, "err", err)
		return entry[T]{}, false
	}
	return entry[T]{v: v, createRev: kv.CreateRevision, modRev: kv.ModRevision}, true
}

// currentJob returns a job's head and current version.
func (h *Handler) currentJob(ns, id string) (entry[job.Head], entry[job.Version], error) {
	head, ok := one[job.Head](h, store.FamilyJobHead, ns+"/"+id)
	if !ok {
		return head, entry[job.Version]{}, store.ErrJobNotFound
	}
	v, ok := one[job.Version](h, store.FamilyJobs, ns+"/"+id+"/"+strconv.FormatUint(head.v.Version, 10))
	if !ok {
		return head, v, store.ErrJobNotFound
	}
	return head, v, nil
}

// jobVersions lists a job's stored versions, newest first.
func (h *Handler) versionsOf(ns, id string) []entry[job.Version] {
	var out []entry[job.Version]
	for k, e := range family[job.Version](h, store.FamilyJobs) {
		vns, vid, _, ok := store.ParseVersionRest(k)
		if ok && vns == ns && vid == id {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].v.Version > out[k].v.Version })
	return out
}

// allocView is an allocation with its report and revisions.
type allocView struct {
	a         *job.Allocation
	st        *job.AllocStatus
	createRev int64
	modRev    int64
}

// allocs lists the allocations keep accepts, newest first.
func (h *Handler) allocs(keep func(*job.Allocation) bool) []allocView {
	status := family[job.AllocStatus](h, store.FamilyAllocStatus)
	var out []allocView
	for id, e := range family[job.Allocation](h, store.FamilyAllocs) {
		if !keep(e.v) {
			continue
		}
		av := allocView{a: e.v, createRev: e.createRev, modRev: e.modRev}
		if st, ok := status[id]; ok {
			av.st = st.v
			av.modRev = max(av.modRev, st.modRev)
		}
		out = append(out, av)
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
	for name, e := range family[job.NodeInfo](h, store.FamilyNodeInfo) {
		out[name] = e.v.ID
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
