package scheduler

import (
	"log/slog"
	"sort"
	"strconv"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
)

// decodeCache keeps one raw family decoded, re-decoding only the keys whose
// revision changed since the last sync. It is owned by the leader loop.
type decodeCache[T any] struct {
	family string
	m      map[string]cached[T]
}

type cached[T any] struct {
	rev int64
	v   *T
}

func newDecodeCache[T any](family string) *decodeCache[T] {
	return &decodeCache[T]{family: family, m: map[string]cached[T]{}}
}

// sync brings the cache to raw (a copy of the view's family) and returns
// the decoded values and their mod revisions by key.
func (c *decodeCache[T]) sync(raw map[string]store.KV, log *slog.Logger) (map[string]*T, map[string]int64) {
	vals := make(map[string]*T, len(raw))
	revs := make(map[string]int64, len(raw))
	for k, kv := range raw {
		e, ok := c.m[k]
		if !ok || e.rev != kv.ModRevision {
			v, err := store.Decode[T](kv)
			if err != nil {
				log.Error("skip undecodable key", "family", c.family, "key", k, "err", err)
				continue
			}
			e = cached[T]{rev: kv.ModRevision, v: v}
			c.m[k] = e
		}
		vals[k], revs[k] = e.v, e.rev
	}
	for k := range c.m {
		if _, ok := raw[k]; !ok {
			delete(c.m, k)
		}
	}
	return vals, revs
}

// caches are the leader loop's decoded families.
type caches struct {
	heads    *decodeCache[job.Head]
	versions *decodeCache[job.Version]
	allocs   *decodeCache[job.Allocation]
	status   *decodeCache[job.AllocStatus]
	evals    *decodeCache[job.Evaluation]
	deps     *decodeCache[job.Deployment]
	infos    *decodeCache[job.NodeInfo]
}

func newCaches() *caches {
	return &caches{
		heads: newDecodeCache[job.Head](store.FamilyJobHead), versions: newDecodeCache[job.Version](store.FamilyJobs),
		allocs: newDecodeCache[job.Allocation](store.FamilyAllocs), status: newDecodeCache[job.AllocStatus](store.FamilyAllocStatus),
		evals: newDecodeCache[job.Evaluation](store.FamilyEvals), deps: newDecodeCache[job.Deployment](store.FamilyDeployments),
		infos: newDecodeCache[job.NodeInfo](store.FamilyNodeInfo),
	}
}

// snapshot is the state one pass of the loop works from.
type snapshot struct {
	seq       map[string]int64 // node → mod revision of its sequence key (read first)
	heads     map[string]*job.Head
	headRev   map[string]int64
	versions  map[string]*job.Version // "ns/id/version"
	allocs    map[string]*job.Allocation
	allocRev  map[string]int64
	status    map[string]*job.AllocStatus
	statusRev map[string]int64
	evals     map[string]*job.Evaluation
	deps      map[string]*job.Deployment
	infos     map[string]*job.NodeInfo
	infoRev   map[string]int64
	alive     map[string]bool
	byJob     map[string][]string // "ns/id" → allocation IDs, sorted
}

// read takes a snapshot from the view. The node sequence keys are read
// before the allocations, so a plan comparing them can only succeed if no
// allocation of its nodes changed after this read.
func (s *Server) read() *snapshot { return s.readWith(s.caches) }

// readWith takes a snapshot through the given caches (the leader loop's, or
// fresh ones for a dry run on another goroutine).
func (s *Server) readWith(c *caches) *snapshot {
	sn := &snapshot{seq: map[string]int64{}, alive: map[string]bool{}, byJob: map[string][]string{}}
	for node, kv := range s.view.Raw(store.FamilyNodeSeq) {
		sn.seq[node] = kv.ModRevision
	}
	log := s.log
	sn.allocs, sn.allocRev = c.allocs.sync(s.view.Raw(store.FamilyAllocs), log)
	sn.status, sn.statusRev = c.status.sync(s.view.Raw(store.FamilyAllocStatus), log)
	sn.heads, sn.headRev = c.heads.sync(s.view.Raw(store.FamilyJobHead), log)
	sn.versions, _ = c.versions.sync(s.view.Raw(store.FamilyJobs), log)
	sn.evals, _ = c.evals.sync(s.view.Raw(store.FamilyEvals), log)
	sn.deps, _ = c.deps.sync(s.view.Raw(store.FamilyDeployments), log)
	sn.infos, sn.infoRev = c.infos.sync(s.view.Raw(store.FamilyNodeInfo), log)
	for name := range sn.infos {
		sn.alive[name] = s.view.Alive(name)
	}
	for id, a := range sn.allocs {
		k := jobKey(a.Namespace, a.JobID)
		sn.byJob[k] = append(sn.byJob[k], id)
	}
	for _, ids := range sn.byJob {
		sort.Strings(ids)
	}
	return sn
}

// cluster builds the placement view of the nodes from the snapshot.
func (sn *snapshot) cluster() *Cluster {
	infos := make([]*job.NodeInfo, 0, len(sn.infos))
	for _, in := range sn.infos {
		infos = append(infos, in)
	}
	var live []*job.Allocation
	for id, a := range sn.allocs {
		if !a.Terminal(sn.status[id]) {
			live = append(live, a)
		}
	}
	return NewCluster(infos, func(n string) bool { return sn.alive[n] }, live)
}

// version returns a stored version of a job, or nil.
func (sn *snapshot) version(ns, id string, v uint64) *job.Version {
	return sn.versions[ns+"/"+id+"/"+strconv.FormatUint(v, 10)]
}

// jobRev is the newest revision of anything that belongs to the job: its
// head, its allocations and their reports.
func (sn *snapshot) jobRev(key string) int64 {
	r := sn.headRev[key]
	for _, id := range sn.byJob[key] {
		r = max(r, sn.allocRev[id], sn.statusRev[id])
	}
	return r
}

// jobRevExcept is jobRev ignoring the revision skip (the scheduler's own
// last plan), so its own writes do not wake it again.
func (sn *snapshot) jobRevExcept(key string, skip int64) int64 {
	var r int64
	for _, v := range append([]int64{sn.headRev[key]}, sn.revsOf(key)...) {
		if v != skip {
			r = max(r, v)
		}
	}
	return r
}

func (sn *snapshot) revsOf(key string) []int64 {
	out := make([]int64, 0, 2*len(sn.byJob[key]))
	for _, id := range sn.byJob[key] {
		out = append(out, sn.allocRev[id], sn.statusRev[id])
	}
	return out
}

// latestDeployment returns the job's newest deployment, or nil.
func (sn *snapshot) latestDeployment(ns, id string) *job.Deployment {
	var out *job.Deployment
	for _, d := range sn.deps {
		if d.Namespace == ns && d.JobID == id && (out == nil || d.CreateTime.After(out.CreateTime) ||
			d.CreateTime.Equal(out.CreateTime) && d.JobVersion > out.JobVersion) {
			out = d
		}
	}
	return out
}

// stableVersion returns the newest stable version of the job other than
// current, or nil.
func (sn *snapshot) stableVersion(ns, id string, current uint64) *uint64 {
	var best *uint64
	for k, v := range sn.versions {
		vns, vid, _, ok := store.ParseVersionRest(k)
		if !ok || vns != ns || vid != id || !v.Stable || v.Version == current {
			continue
		}
		if best == nil || v.Version > *best {
			ver := v.Version
			best = &ver
		}
	}
	return best
}
