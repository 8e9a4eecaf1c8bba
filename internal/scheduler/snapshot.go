package scheduler

import (
	"strings"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/view"
)

// snapshot is what one pass works from: the node sequence keys and node
// liveness read at its start, and each job's head and allocations read
// from the view's job index the first time the pass looks at the job. A
// pass therefore costs in proportion to the jobs it evaluates, not to the
// cluster.
type snapshot struct {
	v       View
	seq     map[string]int64 // node → mod revision of its sequence key (read first)
	alive   map[string]bool  // node with a fingerprint → alive
	infoRev map[string]int64 // node → mod revision of its fingerprint
	jobs    map[string]*jobState
}

// jobState is one job as the pass saw it.
type jobState struct {
	head    *job.Head
	headRev int64
	allocs  []view.AllocState // sorted by id
}

// read takes a pass's snapshot. The node sequence keys are read before
// any allocation, so a plan comparing them can only succeed if no
// allocation of its nodes changed after this read.
func (s *Server) read() *snapshot {
	sn := &snapshot{v: s.view, seq: s.view.NodeSeqs(), alive: map[string]bool{}, infoRev: map[string]int64{},
		jobs: map[string]*jobState{}}
	for _, in := range s.view.NodeInfos() {
		sn.alive[in.V.Name] = s.view.Alive(in.V.Name)
		sn.infoRev[in.V.Name] = in.ModRev
	}
	return sn
}

// job returns the job's state ("ns/id"), read once per pass.
func (sn *snapshot) job(key string) *jobState {
	if js, ok := sn.jobs[key]; ok {
		return js
	}
	ns, id := splitJobKey(key)
	js := &jobState{allocs: sn.v.JobAllocs(ns, id)}
	if h, ok := sn.v.JobHead(ns, id); ok {
		js.head, js.headRev = h.V, h.ModRev
	}
	sn.jobs[key] = js
	return js
}

// head returns the job's head, or nil.
func (sn *snapshot) head(key string) *job.Head { return sn.job(key).head }

// version returns a stored version of a job, or nil.
func (sn *snapshot) version(ns, id string, v uint64) *job.Version {
	it, ok := sn.v.JobVersion(ns, id, v)
	if !ok {
		return nil
	}
	return it.V
}

// jobRev is the newest revision of anything that belongs to the job: its
// head, its allocations and their reports.
func (sn *snapshot) jobRev(key string) int64 { return sn.jobRevExcept(key, -1) }

// jobRevExcept is jobRev ignoring the revision skip (the scheduler's own
// last plan), so its own writes do not wake it again.
func (sn *snapshot) jobRevExcept(key string, skip int64) int64 {
	js := sn.job(key)
	var r int64
	keep := func(v int64) {
		if v != skip {
			r = max(r, v)
		}
	}
	keep(js.headRev)
	for _, a := range js.allocs {
		keep(a.Alloc.ModRev)
		keep(a.Status.ModRev)
	}
	return r
}

// latestDeployment returns the job's newest deployment, or nil.
func (sn *snapshot) latestDeployment(ns, id string) *job.Deployment {
	return latest(sn.v.JobDeployments(ns, id))
}

func latest(deps []view.Item[job.Deployment]) *job.Deployment {
	var out *job.Deployment
	for _, it := range deps {
		d := it.V
		if out == nil || d.CreateTime.After(out.CreateTime) ||
			d.CreateTime.Equal(out.CreateTime) && d.JobVersion > out.JobVersion {
			out = d
		}
	}
	return out
}

// stableVersion returns the newest stable version of the job other than
// current, or nil.
func (sn *snapshot) stableVersion(ns, id string, current uint64) *uint64 {
	for _, it := range sn.v.JobVersions(ns, id) { // newest first
		if it.V.Stable && it.V.Version != current {
			ver := it.V.Version
			return &ver
		}
	}
	return nil
}

// allocStates converts the view's allocations for Schedule.
func allocStates(list []view.AllocState) []AllocState {
	out := make([]AllocState, 0, len(list))
	for _, a := range list {
		out = append(out, AllocState{Alloc: a.Alloc.V, Status: a.Status.V})
	}
	return out
}

func splitJobKey(key string) (ns, id string) {
	ns, id, _ = strings.Cut(key, "/")
	return ns, id
}
