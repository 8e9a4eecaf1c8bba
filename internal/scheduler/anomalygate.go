package scheduler

import (
	"time"

	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/job"
)

// Anomalies reports the anomaly bits of allocations' own metrics over the
// last anomaly.GateWindow before now, by allocation ID (absent: no
// metrics known). The metrics feature implements it; the agent wires it.
type Anomalies interface {
	AllocAnomalies(allocIDs []string, now time.Time) map[string]anomaly.Rate
}

// gateEvery is how often the leader looks at the allocations of
// deployments with an anomaly gate.
const gateEvery = 5 * time.Second

// gated reports whether some group of d has an anomaly gate.
func gated(d *job.Deployment) bool {
	for _, st := range d.TaskGroups {
		if st.AnomalyGate {
			return true
		}
	}
	return false
}

// anomalyGate decides the anomaly gate of every gated group of the
// running deployment d from the allocations' states and their anomaly
// rates: the first group that fails and why.
func anomalyGate(d *job.Deployment, allocs []AllocState, rates map[string]anomaly.Rate) (group, why string, fail bool) {
	for name, st := range d.TaskGroups {
		if !st.AnomalyGate {
			continue
		}
		var newer, older anomaly.Rate
		for _, as := range allocs {
			a := as.Alloc
			if a.TaskGroup != name || !live(as) || a.DesiredStatus != job.DesiredRun {
				continue
			}
			r, ok := rates[a.ID]
			if !ok {
				continue
			}
			switch {
			case a.DeploymentID == d.ID:
				newer.Merge(r)
			case a.JobVersion != d.JobVersion:
				older.Merge(r)
			}
		}
		if f, w := anomaly.Gate(newer, older); f {
			return name, w, true
		}
	}
	return "", "", false
}

// liveAllocIDs are the IDs of the live allocations among allocs.
func liveAllocIDs(allocs []AllocState) []string {
	var ids []string
	for _, as := range allocs {
		if live(as) {
			ids = append(ids, as.Alloc.ID)
		}
	}
	return ids
}

// gateWork marks the jobs whose running deployment's anomaly gate fails
// now, at most every gateEvery; it returns how long until the next look
// (the maximum duration when no deployment is gated).
func (s *Server) gateWork(now time.Time, get func(key, trigger string) *work) time.Duration {
	if s.cfg.Anomalies == nil {
		return time.Duration(1<<63 - 1)
	}
	var ds []*job.Deployment
	for _, it := range s.view.ActiveDeployments() {
		if d := it.V; d.Status == job.DeploymentRunning && gated(d) {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return time.Duration(1<<63 - 1)
	}
	if wait := s.lastGate.Add(gateEvery).Sub(now); wait > 0 {
		return wait
	}
	s.lastGate = now
	for _, d := range ds {
		allocs := allocStates(s.view.JobAllocs(d.Namespace, d.JobID))
		rates := s.cfg.Anomalies.AllocAnomalies(liveAllocIDs(allocs), now)
		if group, why, fail := anomalyGate(d, allocs, rates); fail {
			s.log.Info("anomaly gate fails a deployment", "job", d.JobID, "deployment", d.ID, "group", group, "why", why)
			get(jobKey(d.Namespace, d.JobID), job.TriggerDeployment)
		}
	}
	return gateEvery
}
