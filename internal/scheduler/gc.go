package scheduler

import (
	"context"
	"strconv"
	"time"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// TrackedVersions is how many versions of a job are kept (Nomad's
// default); older ones are deleted unless an allocation still uses them.
const TrackedVersions = 6

// collectGarbage deletes terminal allocations (with their reports),
// evaluations and deployments older than GCThreshold, and job versions
// beyond TrackedVersions that no allocation uses.
//
// It reads every allocation, evaluation, deployment and version, so it
// runs once per GCInterval, not every pass.
func (s *Server) collectGarbage(ctx context.Context, sn *snapshot, now time.Time) {
	cutoff := now.Add(-s.cfg.GCThreshold)
	var keys []string
	used := map[string]bool{} // "ns/id/version" in use by an allocation
	allocs := map[string]bool{}
	for _, as := range s.view.Allocs() {
		a, st := as.Alloc.V, as.Status.V
		allocs[a.ID] = true
		used[a.Namespace+"/"+a.JobID+"/"+strconv.FormatUint(a.JobVersion, 10)] = true
		modified := a.ModifyTime
		if st != nil && st.ModifyTime.After(modified) {
			modified = st.ModifyTime
		}
		clientDone := a.Lost || st.Terminal() || (st == nil && !sn.alive[a.Node])
		if a.TerminalDesired() && clientDone && modified.Before(cutoff) {
			keys = append(keys, store.AllocKey(a.ID), store.AllocStatusKey(a.ID))
		}
	}
	for _, it := range s.view.AllocStatuses() {
		if st := it.V; !allocs[st.ID] && st.ModifyTime.Before(cutoff) {
			keys = append(keys, store.AllocStatusKey(st.ID))
		}
	}
	for _, it := range s.view.Evals() {
		if e := it.V; e.Terminal() && e.ModifyTime.Before(cutoff) {
			keys = append(keys, store.EvalKey(e.ID))
		}
	}
	byJob := map[string][]view.Item[job.Deployment]{}
	for _, it := range s.view.Deployments() {
		k := jobKey(it.V.Namespace, it.V.JobID)
		byJob[k] = append(byJob[k], it)
	}
	for _, deps := range byJob {
		newest := latest(deps)
		for _, it := range deps {
			if d := it.V; !d.Active() && d.ModifyTime.Before(cutoff) && d != newest {
				keys = append(keys, store.DeploymentKey(d.ID))
			}
		}
	}
	keys = append(keys, s.oldVersions(used)...)
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
func (s *Server) oldVersions(used map[string]bool) []string {
	var out []string
	for _, k := range s.view.VersionedJobs() {
		ns, id := splitJobKey(k)
		vs := s.view.JobVersions(ns, id) // newest first
		if len(vs) <= TrackedVersions {
			continue
		}
		stableKept := false
		for i, it := range vs {
			v := it.V
			if i < TrackedVersions {
				stableKept = stableKept || v.Stable
				continue
			}
			if used[k+"/"+strconv.FormatUint(v.Version, 10)] || (v.Stable && !stableKept) {
				stableKept = stableKept || v.Stable
				continue
			}
			out = append(out, store.JobVersionKey(ns, id, v.Version))
		}
	}
	return out
}
