package scheduler

import (
	"sort"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/job"
)

// collectWork lists the jobs to evaluate in this pass, oldest trigger
// first, and how long until delayed work is due.
func (s *Server) collectWork(sn *snapshot, now time.Time) ([]*work, time.Duration) {
	wake := time.Duration(1<<63 - 1)
	byKey := map[string]*work{}
	get := func(key, trigger string) *work {
		w := byKey[key]
		if w == nil {
			ns, id, _ := strings.Cut(key, "/")
			w = &work{key: key, ns: ns, id: id, trigger: trigger}
			byKey[key] = w
		}
		return w
	}
	for _, e := range sn.evals {
		if e.Status != job.EvalPending {
			continue
		}
		if e.WaitUntil.After(now) {
			wake = min(wake, e.WaitUntil.Sub(now))
			continue
		}
		w := get(jobKey(e.Namespace, e.JobID), e.TriggeredBy)
		w.evals = append(w.evals, e)
	}
	// Jobs whose state changed since they were last evaluated.
	keys := map[string]bool{}
	for k := range sn.heads {
		keys[k] = true
	}
	for k := range sn.byJob {
		keys[k] = true
	}
	for k := range keys {
		if sn.jobRevExcept(k, s.ownRev[k]) > s.lastRev[k] {
			get(k, job.TriggerAllocStop)
		}
	}
	s.nodeChanges(sn, get)
	for _, d := range sn.deps {
		if !d.Active() {
			continue
		}
		for _, st := range d.TaskGroups {
			if st.RequireProgressBy.IsZero() {
				continue
			}
			if !st.RequireProgressBy.After(now) {
				get(jobKey(d.Namespace, d.JobID), job.TriggerDeployment)
			} else {
				wake = min(wake, st.RequireProgressBy.Sub(now))
			}
		}
	}
	out := make([]*work, 0, len(byKey))
	for _, w := range byKey {
		sort.Slice(w.evals, func(i, k int) bool { return w.evals[i].CreateTime.After(w.evals[k].CreateTime) })
		if len(w.evals) > 0 {
			w.trigger = w.evals[0].TriggeredBy
		}
		w.headless = sn.heads[w.key] == nil
		out = append(out, w)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].key < out[k].key })
	return out, wake
}

// nodeChanges marks the jobs a node change concerns: the jobs with
// allocations on a node that went down, and the system jobs and jobs with
// unplaced allocations when a node came up or changed.
func (s *Server) nodeChanges(sn *snapshot, get func(key, trigger string) *work) {
	var down, up bool
	downNodes := map[string]bool{}
	for name, alive := range sn.alive {
		was, known := s.lastAlive[name]
		switch {
		case known && was && !alive:
			downNodes[name] = true
			down = true
		case alive && (!known || !was || s.lastInfo[name] != sn.infoRev[name]):
			up = true
		}
	}
	for name, was := range s.lastAlive {
		if _, ok := sn.alive[name]; !ok && was {
			downNodes[name] = true
			down = true
		}
	}
	s.lastAlive, s.lastInfo = sn.alive, sn.infoRev
	if down {
		for id, a := range sn.allocs {
			if downNodes[a.Node] && !a.Terminal(sn.status[id]) {
				get(jobKey(a.Namespace, a.JobID), job.TriggerNodeUpdate)
			}
		}
	}
	freed := false
	for id, st := range sn.status {
		if st.Terminal() && sn.statusRev[id] > s.lastRev[jobKey(sn.allocNS(id))] {
			freed = true
			break
		}
	}
	if up || freed || down {
		for k, q := range s.queued {
			if q > 0 {
				get(k, job.TriggerQueuedAllocs)
			}
		}
	}
	if up {
		for k, h := range sn.heads {
			if v := sn.version(h.Namespace, h.ID, h.Version); v != nil && v.Job.Type == job.TypeSystem && !h.Stopped {
				get(k, job.TriggerNodeUpdate)
			}
		}
	}
}

// allocNS returns the namespace and job ID of an allocation ("", "" when
// unknown).
func (sn *snapshot) allocNS(id string) (string, string) {
	if a := sn.allocs[id]; a != nil {
		return a.Namespace, a.JobID
	}
	return "", ""
}
