package view

import (
	"encoding/json"
	"strings"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
)

// Item is a decoded orchestrator value with the revisions of its key. The
// value is shared: callers must not modify it.
type Item[T any] struct {
	V         *T
	CreateRev int64
	ModRev    int64
}

// set is a set of ids, one index entry.
type set map[string]struct{}

// index maps a key (a job, a node) to the ids filed under it.
type index map[string]set

func (ix index) add(key, id string) {
	s := ix[key]
	if s == nil {
		s = set{}
		ix[key] = s
	}
	s[id] = struct{}{}
}

func (ix index) remove(key, id string) {
	s := ix[key]
	delete(s, id)
	if len(s) == 0 {
		delete(ix, key)
	}
}

// jobTables are the orchestrator's families decoded, with their indexes.
// The View's mu guards them.
type jobTables struct {
	allocs   map[string]Item[job.Allocation]         // alloc id →
	status   map[string]Item[job.AllocStatus]        // alloc id → its client's report
	heads    map[string]Item[job.Head]               // "ns/id" →
	versions map[string]map[uint64]Item[job.Version] // "ns/id" → version →
	evals    map[string]Item[job.Evaluation]         // eval id →
	deps     map[string]Item[job.Deployment]         // deployment id →
	infos    map[string]Item[job.NodeInfo]           // node name → fingerprint with its schedule overlaid
	rawInfo  map[string]Item[job.NodeInfo]           // node name → fingerprint as stored
	sched    map[string]Item[job.NodeSchedule]       // node name → operator's schedule
	seq      map[string]int64                        // node → mod revision of its plan sequence key

	allocsByJob  index // "ns/id" → alloc ids
	allocsByNode index // node → alloc ids
	evalsByJob   index // "ns/id" → eval ids
	depsByJob    index // "ns/id" → deployment ids
	pending      set   // ids of pending evaluations
	active       set   // ids of active deployments

	evalsPaused bool // the scheduler configuration's PauseEvalBroker
}

func newJobTables() jobTables {
	return jobTables{
		allocs: map[string]Item[job.Allocation]{}, status: map[string]Item[job.AllocStatus]{},
		heads: map[string]Item[job.Head]{}, versions: map[string]map[uint64]Item[job.Version]{},
		evals: map[string]Item[job.Evaluation]{}, deps: map[string]Item[job.Deployment]{},
		infos: map[string]Item[job.NodeInfo]{}, seq: map[string]int64{},
		rawInfo: map[string]Item[job.NodeInfo]{}, sched: map[string]Item[job.NodeSchedule]{},
		allocsByJob: index{}, allocsByNode: index{}, evalsByJob: index{}, depsByJob: index{},
		pending: set{}, active: set{},
	}
}

// JobKey is the key a job is indexed by: "ns/id".
func JobKey(ns, id string) string { return ns + "/" + id }

// decodeItem decodes a put; ok is false (and the value logged) when it
// does not decode.
func decodeItem[T any](v *View, ev store.Event) (Item[T], bool) {
	x := new(T)
	if err := json.Unmarshal(ev.KV.Value, x); err != nil {
		v.log.Error("skip undecodable value", "key", ev.KV.Key, "err", err)
		return Item[T]{}, false
	}
	return Item[T]{V: x, CreateRev: ev.KV.CreateRevision, ModRev: ev.KV.ModRevision}, true
}

// applyJobFamily folds one event of an orchestrator family into the typed
// tables; it reports false for families it does not own.
func (v *View) applyJobFamily(family string, parts []string, ev store.Event, rev uint64, live bool) bool {
	rest := strings.Join(parts, "/")
	var ch Change
	switch family {
	case store.FamilyAllocs:
		ch = v.applyAlloc(rest, ev, rev)
	case store.FamilyAllocStatus:
		ch = v.applyAllocStatus(rest, ev, rev)
	case store.FamilyJobHead:
		ch = v.applyHead(rest, ev, rev)
	case store.FamilyJobs:
		ch = v.applyVersion(rest, ev, rev)
	case store.FamilyEvals:
		ch = v.applyEval(rest, ev, rev)
	case store.FamilyDeployments:
		ch = v.applyDeployment(rest, ev, rev)
	case store.FamilyNodeInfo:
		ch = v.applyNodeInfo(rest, ev, rev)
	case store.FamilyNodeSched:
		ch = v.applyNodeSched(rest, ev, rev)
		v.bumpLocked(FamilyRes(store.FamilyNodeInfo), rev)
	case store.FamilySchedConfig:
		v.applySchedConfig(ev) // no job or node changes: ch stays empty
	case store.FamilyNodeSeq:
		if ev.Delete {
			delete(v.jobs.seq, rest)
		} else {
			v.jobs.seq[rest] = ev.KV.ModRevision
		}
		ch = Change{Family: family, ID: rest, Node: rest}
	default:
		return false
	}
	v.bumpLocked(FamilyRes(family), rev)
	if ch.Family == "" {
		return true // undecodable: nothing changed
	}
	if ch.Job != "" {
		v.bumpLocked(JobRes(ch.Job), rev)
	}
	for _, n := range []string{ch.Node, ch.OldNode} {
		if n != "" && (family == store.FamilyAllocs || family == store.FamilyAllocStatus) {
			v.bumpLocked(NodeAllocsRes(n), rev)
		}
	}
	if ch.OldJob != "" && ch.OldJob != ch.Job {
		v.bumpLocked(JobRes(ch.OldJob), rev)
	}
	if live {
		ch.Rev = rev
		v.journal.add(ch)
	}
	return true
}

func (v *View) applyAlloc(id string, ev store.Event, rev uint64) Change {
	t := &v.jobs
	ch := Change{Family: store.FamilyAllocs, ID: id}
	if old, ok := t.allocs[id]; ok {
		ch.OldJob, ch.OldNode = JobKey(old.V.Namespace, old.V.JobID), old.V.Node
		t.allocsByJob.remove(ch.OldJob, id)
		t.allocsByNode.remove(ch.OldNode, id)
		delete(t.allocs, id)
	}
	if ev.Delete {
		ch.Job, ch.Node = ch.OldJob, ch.OldNode
		return ch
	}
	it, ok := decodeItem[job.Allocation](v, ev)
	if !ok {
		ch.Job, ch.Node = ch.OldJob, ch.OldNode
		return ch
	}
	it.V.ID = id
	ch.Job, ch.Node = JobKey(it.V.Namespace, it.V.JobID), it.V.Node
	t.allocs[id] = it
	t.allocsByJob.add(ch.Job, id)
	t.allocsByNode.add(ch.Node, id)
	return ch
}

func (v *View) applyAllocStatus(id string, ev store.Event, rev uint64) Change {
	t := &v.jobs
	ch := Change{Family: store.FamilyAllocStatus, ID: id}
	if a, ok := t.allocs[id]; ok {
		ch.Job, ch.Node = JobKey(a.V.Namespace, a.V.JobID), a.V.Node
	}
	if ev.Delete {
		delete(t.status, id)
		return ch
	}
	it, ok := decodeItem[job.AllocStatus](v, ev)
	if !ok {
		return Change{}
	}
	it.V.ID = id
	t.status[id] = it
	if ch.Node == "" {
		ch.Node = it.V.Node
	}
	return ch
}

func (v *View) applyHead(rest string, ev store.Event, rev uint64) Change {
	ns, id, ok := store.ParseHeadRest(rest)
	if !ok {
		return Change{}
	}
	key := JobKey(ns, id)
	ch := Change{Family: store.FamilyJobHead, ID: key, Job: key}
	if ev.Delete {
		delete(v.jobs.heads, key)
		return ch
	}
	it, ok := decodeItem[job.Head](v, ev)
	if !ok {
		return Change{}
	}
	v.jobs.heads[key] = it
	return ch
}

func (v *View) applyVersion(rest string, ev store.Event, rev uint64) Change {
	ns, id, ver, ok := store.ParseVersionRest(rest)
	if !ok {
		return Change{}
	}
	key := JobKey(ns, id)
	ch := Change{Family: store.FamilyJobs, ID: rest, Job: key}
	t := &v.jobs
	if ev.Delete {
		delete(t.versions[key], ver)
		if len(t.versions[key]) == 0 {
			delete(t.versions, key)
		}
		return ch
	}
	it, ok := decodeItem[job.Version](v, ev)
	if !ok {
		return Change{}
	}
	if t.versions[key] == nil {
		t.versions[key] = map[uint64]Item[job.Version]{}
	}
	t.versions[key][ver] = it
	return ch
}

func (v *View) applyEval(id string, ev store.Event, rev uint64) Change {
	t := &v.jobs
	ch := Change{Family: store.FamilyEvals, ID: id}
	if old, ok := t.evals[id]; ok {
		ch.OldJob = JobKey(old.V.Namespace, old.V.JobID)
		t.evalsByJob.remove(ch.OldJob, id)
		delete(t.pending, id)
		delete(t.evals, id)
	}
	ch.Job = ch.OldJob
	if ev.Delete {
		return ch
	}
	it, ok := decodeItem[job.Evaluation](v, ev)
	if !ok {
		return ch
	}
	it.V.ID = id
	ch.Job = JobKey(it.V.Namespace, it.V.JobID)
	t.evals[id] = it
	t.evalsByJob.add(ch.Job, id)
	if it.V.Status == job.EvalPending {
		t.pending[id] = struct{}{}
	}
	return ch
}

func (v *View) applyDeployment(id string, ev store.Event, rev uint64) Change {
	t := &v.jobs
	ch := Change{Family: store.FamilyDeployments, ID: id}
	if old, ok := t.deps[id]; ok {
		ch.OldJob = JobKey(old.V.Namespace, old.V.JobID)
		t.depsByJob.remove(ch.OldJob, id)
		delete(t.active, id)
		delete(t.deps, id)
	}
	ch.Job = ch.OldJob
	if ev.Delete {
		return ch
	}
	it, ok := decodeItem[job.Deployment](v, ev)
	if !ok {
		return ch
	}
	it.V.ID = id
	ch.Job = JobKey(it.V.Namespace, it.V.JobID)
	t.deps[id] = it
	t.depsByJob.add(ch.Job, id)
	if it.V.Active() {
		t.active[id] = struct{}{}
	}
	return ch
}

func (v *View) applyNodeInfo(node string, ev store.Event, rev uint64) Change {
	ch := Change{Family: store.FamilyNodeInfo, ID: node, Node: node}
	if ev.Delete {
		delete(v.jobs.rawInfo, node)
		v.overlayLocked(node)
		return ch
	}
	it, ok := decodeItem[job.NodeInfo](v, ev)
	if !ok {
		return Change{}
	}
	v.jobs.rawInfo[node] = it
	v.overlayLocked(node)
	return ch
}

// applyNodeSched folds a node's schedule (eligibility, drain) into the
// node's overlaid fingerprint; it reports the change as one of NodeInfo.
func (v *View) applyNodeSched(node string, ev store.Event, rev uint64) Change {
	ch := Change{Family: store.FamilyNodeInfo, ID: node, Node: node}
	if ev.Delete {
		delete(v.jobs.sched, node)
	} else {
		it, ok := decodeItem[job.NodeSchedule](v, ev)
		if !ok {
			return Change{}
		}
		v.jobs.sched[node] = it
	}
	v.overlayLocked(node)
	return ch
}

// overlayLocked rebuilds a node's overlaid fingerprint; its ModRev is the
// newer of the two keys', so readers comparing it see either change.
func (v *View) overlayLocked(node string) {
	raw, ok := v.jobs.rawInfo[node]
	if !ok {
		delete(v.jobs.infos, node)
		return
	}
	sc, has := v.jobs.sched[node]
	if !has {
		v.jobs.infos[node] = raw
		return
	}
	v.jobs.infos[node] = Item[job.NodeInfo]{V: raw.V.Overlay(sc.V), CreateRev: raw.CreateRev, ModRev: max(raw.ModRev, sc.ModRev)}
}

// NodeSchedule returns a node's schedule as stored (eligibility, drain).
func (v *View) NodeSchedule(node string) (Item[job.NodeSchedule], bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	it, ok := v.jobs.sched[node]
	return it, ok
}
