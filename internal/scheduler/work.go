package scheduler

import (
	"sort"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/job"
)

// collectWork lists the jobs to evaluate in this pass, oldest trigger
// first, and how long until delayed work is due. It looks at pending
// evaluations, active deployments, nodes and the jobs the view's journal
// says changed: never at every job or allocation, unless the view could
// not say what changed (ch.full).
func (s *Server) collectWork(sn *snapshot, ch changes, now time.Time) ([]*work, time.Duration) {
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
	for _, it := range s.view.PendingEvals() {
		e := it.V
		if e.WaitUntil.After(now) {
			wake = min(wake, e.WaitUntil.Sub(now))
			continue
		}
		w := get(jobKey(e.Namespace, e.JobID), e.TriggeredBy)
		w.evals = append(w.evals, e)
	}
	// Jobs whose state changed since they were last evaluated.
	if ch.full {
		for _, k := range s.view.JobKeys() {
			s.dirty[k] = true
		}
	}
	for k := range ch.jobs {
		s.dirty[k] = true
	}
	for k := range s.dirty {
		if sn.jobRevExcept(k, s.ownRev[k]) > s.lastRev[k] {
			get(k, job.TriggerAllocStop)
		} else {
			delete(s.dirty, k)
		}
	}
	s.nodeChanges(sn, ch, get)
	for _, it := range s.view.ActiveDeployments() {
		d := it.V
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
	wake = min(wake, s.gateWork(now, get))
	out := make([]*work, 0, len(byKey))
	for _, w := range byKey {
		sort.Slice(w.evals, func(i, k int) bool { return w.evals[i].CreateTime.After(w.evals[k].CreateTime) })
		if len(w.evals) > 0 {
			w.trigger = w.evals[0].TriggeredBy
		}
		w.headless = sn.head(w.key) == nil
		out = append(out, w)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].key < out[k].key })
	return out, wake
}

// nodeChanges marks the jobs a node change concerns: the jobs with
// allocations on a node that went down, and the system jobs and jobs with
// unplaced allocations when a node came up or changed.
func (s *Server) nodeChanges(sn *snapshot, ch changes, get func(key, trigger string) *work) {
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
	for name := range downNodes {
		for _, st := range s.view.NodeAllocs(name) {
			if a := st.Alloc.V; !a.Terminal(st.Status.V) {
				get(jobKey(a.Namespace, a.JobID), job.TriggerNodeUpdate)
			}
		}
	}
	freed := ch.full
	for k, rev := range ch.freed {
		if rev > s.lastRev[k] {
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
		// A node came up or changed: every system job (a scan of the
		// jobs' heads, not of their allocations).
		for _, it := range s.view.JobHeads() {
			h := it.V
			if v := sn.version(h.Namespace, h.ID, h.Version); v != nil && v.Job.Type == job.TypeSystem && !h.Stopped {
				get(jobKey(h.Namespace, h.ID), job.TriggerNodeUpdate)
			}
		}
	}
}
