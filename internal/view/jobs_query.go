package view

import (
	"cmp"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/job"
)

// AllocState is an allocation with its client's report (Status.V nil when
// the client has not reported).
type AllocState struct {
	Alloc  Item[job.Allocation]
	Status Item[job.AllocStatus]
}

func (v *View) allocStatesLocked(ids set) []AllocState {
	out := make([]AllocState, 0, len(ids))
	for id := range ids {
		out = append(out, AllocState{Alloc: v.jobs.allocs[id], Status: v.jobs.status[id]})
	}
	slices.SortFunc(out, func(a, b AllocState) int { return strings.Compare(a.Alloc.V.ID, b.Alloc.V.ID) })
	return out
}

// Alloc returns one allocation with its report.
func (v *View) Alloc(id string) (AllocState, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	a, ok := v.jobs.allocs[id]
	return AllocState{Alloc: a, Status: v.jobs.status[id]}, ok
}

// AllocStatus returns a client's report on an allocation.
func (v *View) AllocStatus(id string) (Item[job.AllocStatus], bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	st, ok := v.jobs.status[id]
	return st, ok
}

// Allocs lists every allocation with its report, sorted by id. It costs
// in proportion to the cluster: per-job and per-node readers use JobAllocs
// and NodeAllocs.
func (v *View) Allocs() []AllocState {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]AllocState, 0, len(v.jobs.allocs))
	for id, a := range v.jobs.allocs {
		out = append(out, AllocState{Alloc: a, Status: v.jobs.status[id]})
	}
	slices.SortFunc(out, func(a, b AllocState) int { return strings.Compare(a.Alloc.V.ID, b.Alloc.V.ID) })
	return out
}

// AllocStatuses lists every report, allocation gone or not, sorted by id.
func (v *View) AllocStatuses() []Item[job.AllocStatus] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return sortedItems(v.jobs.status)
}

// JobAllocs lists the allocations of one job with their reports, sorted
// by id.
func (v *View) JobAllocs(ns, id string) []AllocState {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.allocStatesLocked(v.jobs.allocsByJob[JobKey(ns, id)])
}

// NodeAllocs lists the allocations placed on one node with their reports,
// sorted by id.
func (v *View) NodeAllocs(node string) []AllocState {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.allocStatesLocked(v.jobs.allocsByNode[node])
}

// JobHead returns a job's head.
func (v *View) JobHead(ns, id string) (Item[job.Head], bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	h, ok := v.jobs.heads[JobKey(ns, id)]
	return h, ok
}

// JobHeads lists every job's head, sorted by "ns/id".
func (v *View) JobHeads() []Item[job.Head] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return sortedItems(v.jobs.heads)
}

// JobKeys lists every job that has a head or allocations, as "ns/id".
func (v *View) JobKeys() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.jobs.heads))
	for k := range v.jobs.heads {
		out = append(out, k)
	}
	for k := range v.jobs.allocsByJob {
		if _, ok := v.jobs.heads[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// JobVersion returns one stored version of a job.
func (v *View) JobVersion(ns, id string, version uint64) (Item[job.Version], bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	ver, ok := v.jobs.versions[JobKey(ns, id)][version]
	return ver, ok
}

// JobVersions lists a job's stored versions, newest first.
func (v *View) JobVersions(ns, id string) []Item[job.Version] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	m := v.jobs.versions[JobKey(ns, id)]
	out := make([]Item[job.Version], 0, len(m))
	for _, it := range m {
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b Item[job.Version]) int { return cmp.Compare(b.V.Version, a.V.Version) })
	return out
}

// VersionedJobs lists every job that has stored versions, as "ns/id".
func (v *View) VersionedJobs() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.jobs.versions))
	for k := range v.jobs.versions {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Eval returns one evaluation.
func (v *View) Eval(id string) (Item[job.Evaluation], bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	e, ok := v.jobs.evals[id]
	return e, ok
}

// Evals lists every evaluation, sorted by id.
func (v *View) Evals() []Item[job.Evaluation] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return sortedItems(v.jobs.evals)
}

// JobEvals lists one job's evaluations, sorted by id.
func (v *View) JobEvals(ns, id string) []Item[job.Evaluation] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.pickLocked(v.jobs.evalsByJob[JobKey(ns, id)], v.jobs.evals)
}

// PendingEvals lists the evaluations still pending, sorted by id.
func (v *View) PendingEvals() []Item[job.Evaluation] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.pickLocked(v.jobs.pending, v.jobs.evals)
}

func (v *View) pickLocked(ids set, from map[string]Item[job.Evaluation]) []Item[job.Evaluation] {
	out := make([]Item[job.Evaluation], 0, len(ids))
	for id := range ids {
		out = append(out, from[id])
	}
	slices.SortFunc(out, func(a, b Item[job.Evaluation]) int { return strings.Compare(a.V.ID, b.V.ID) })
	return out
}

// Deployment returns one deployment.
func (v *View) Deployment(id string) (Item[job.Deployment], bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	d, ok := v.jobs.deps[id]
	return d, ok
}

// Deployments lists every deployment, sorted by id.
func (v *View) Deployments() []Item[job.Deployment] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return sortedItems(v.jobs.deps)
}

// JobDeployments lists one job's deployments, sorted by id.
func (v *View) JobDeployments(ns, id string) []Item[job.Deployment] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.depsLocked(v.jobs.depsByJob[JobKey(ns, id)])
}

// ActiveDeployments lists the deployments still rolling out, sorted by id.
func (v *View) ActiveDeployments() []Item[job.Deployment] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.depsLocked(v.jobs.active)
}

func (v *View) depsLocked(ids set) []Item[job.Deployment] {
	out := make([]Item[job.Deployment], 0, len(ids))
	for id := range ids {
		out = append(out, v.jobs.deps[id])
	}
	slices.SortFunc(out, func(a, b Item[job.Deployment]) int { return strings.Compare(a.V.ID, b.V.ID) })
	return out
}

// NodeInfo returns a node's fingerprint.
func (v *View) NodeInfo(node string) (Item[job.NodeInfo], bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	n, ok := v.jobs.infos[node]
	return n, ok
}

// NodeInfos lists every node's fingerprint, sorted by node name.
func (v *View) NodeInfos() []Item[job.NodeInfo] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]Item[job.NodeInfo], 0, len(v.jobs.infos))
	names := make([]string, 0, len(v.jobs.infos))
	for name := range v.jobs.infos {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		out = append(out, v.jobs.infos[name])
	}
	return out
}

// NodeSeqs maps every node to the mod revision of its plan sequence key
// (see store.NodeSeqKey).
func (v *View) NodeSeqs() map[string]int64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make(map[string]int64, len(v.jobs.seq))
	for n, r := range v.jobs.seq {
		out[n] = r
	}
	return out
}

// sortedItems lists m's items in the order of their keys.
func sortedItems[T any](m map[string]Item[T]) []Item[T] {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Item[T], 0, len(m))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}
