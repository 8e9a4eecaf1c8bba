package scheduler

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
)

// TrackedVersions is how many versions of a job are kept (Nomad's
// default); older ones are deleted unless an allocation still uses them.
const TrackedVersions = 6

// collectGarbage deletes terminal allocations (with their reports),
// evaluations and deployments older than GCThreshold, and job versions
// beyond TrackedVersions that no allocation uses.
func (s *Server) collectGarbage(ctx context.Context, sn *snapshot, now time.Time) {
	cutoff := now.Add(-s.cfg.GCThreshold)
	var keys []string
	used := map[string]bool{} // "ns/id/version" in use by an allocation
	for id, a := range sn.allocs {
		st := sn.status[id]
		used[a.Namespace+"/"+a.JobID+"/"+strconv.FormatUint(a.JobVersion, 10)] = true
		modified := a.ModifyTime
		if st != nil && st.ModifyTime.After(modified) {
			modified = st.ModifyTime
		}
		clientDone := a.Lost || st.Terminal() || (st == nil && !sn.alive[a.Node])
		if a.TerminalDesired() && clientDone && modified.Before(cutoff) {
			keys = append(keys, store.AllocKey(id), store.AllocStatusKey(id))
		}
	}
	for id, st := range sn.status {
		if sn.allocs[id] == nil && st.ModifyTime.Before(cutoff) {
			keys = append(keys, store.AllocStatusKey(id))
		}
	}
	for id, e := range sn.evals {
		if e.Terminal() && e.ModifyTime.Before(cutoff) {
			keys = append(keys, store.EvalKey(id))
		}
	}
	for id, d := range sn.deps {
		if !d.Active() && d.ModifyTime.Before(cutoff) && sn.latestDeployment(d.Namespace, d.JobID) != d {
			keys = append(keys, store.DeploymentKey(id))
		}
	}
	keys = append(keys, s.oldVersions(sn, used)...)
	if len(keys) == 0 {
		return
	}
	if _, err := s.store.DeleteKeys(ctx, keys); err != nil {
		s.log.Error("garbage collection", "keys", len(keys), "err", err)
		return
	}
	s.m.collected.Add(float64(len(keys)))
	s.log.Debug("garbage collected", "keys", len(keys))
}

// oldVersions lists the version keys beyond the newest TrackedVersions of
// each job that no allocation uses and that are not stable fallbacks.
func (s *Server) oldVersions(sn *snapshot, used map[string]bool) []string {
	type ver struct {
		key string
		v   *job.Version
	}
	byJob := map[string][]ver{}
	for k, v := range sn.versions {
		ns, id, _, ok := store.ParseVersionRest(k)
		if ok {
			byJob[jobKey(ns, id)] = append(byJob[jobKey(ns, id)], ver{k, v})
		}
	}
	var out []string
	for _, vs := range byJob {
		if len(vs) <= TrackedVersions {
			continue
		}
		sort.Slice(vs, func(i, k int) bool { return vs[i].v.Version > vs[k].v.Version })
		stableKept := false
		for i, v := range vs {
			if i < TrackedVersions {
				stableKept = stableKept || v.v.Stable
				continue
			}
			if used[v.key] || (v.v.Stable && !stableKept) {
				stableKept = stableKept || v.v.Stable
				continue
			}
			ns, id, version, _ := store.ParseVersionRest(v.key)
			out = append(out, store.JobVersionKey(ns, id, version))
		}
	}
	return out
}
