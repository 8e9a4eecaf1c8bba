package scheduler

import (
	"fmt"
	"strconv"

	"github.com/orbit/orbit/internal/job"
)

func copyDeployment(d *job.Deployment) *job.Deployment {
	c := *d
	c.TaskGroups = make(map[string]*job.DeploymentState, len(d.TaskGroups))
	for k, v := range d.TaskGroups {
		st := *v
		st.PlacedCanaries = append([]string(nil), v.PlacedCanaries...)
		c.TaskGroups[k] = &st
	}
	return &c
}

// ensureDeployment sets s.dep to the running deployment of the current
// version, creating one when the version has none yet, some group rolls
// out with max_parallel > 0 and there is something to roll out. A running
// deployment of an older version is cancelled.
func (s *sched) ensureDeployment() {
	j, d := s.in.Job, s.in.Deployment
	if d != nil && d.JobVersion == s.in.Version {
		if d.Active() {
			s.dep = copyDeployment(d)
		}
		return
	}
	if d != nil && d.Active() {
		c := copyDeployment(d)
		c.Status, c.StatusDescription, c.ModifyTime = job.DeploymentCancelled, "Cancelled due to newer version of job", s.in.Now
		s.res.Cancelled = c
	}
	states := map[string]*job.DeploymentState{}
	for _, g := range j.Groups {
		u := j.GroupUpdate(g)
		if u == nil || u.MaxParallel <= 0 {
			continue
		}
		states[g.Name] = &job.DeploymentState{AutoRevert: u.AutoRevert, AutoPromote: u.AutoPromote, AnomalyGate: u.AnomalyGate,
			ProgressDeadline: u.ProgressDeadline, DesiredTotal: g.Count, DesiredCanaries: s.desiredCanaries(g, u)}
		if u.ProgressDeadline > 0 {
			states[g.Name].RequireProgressBy = s.in.Now.Add(u.ProgressDeadline)
		}
	}
	if len(states) == 0 || !s.versionNeedsWork() {
		return
	}
	s.dep = &job.Deployment{ID: s.in.NewID(), Namespace: j.Namespace, JobID: j.ID, JobVersion: s.in.Version,
		Status: job.DeploymentRunning, StatusDescription: "Deployment is running", TaskGroups: states,
		CreateTime: s.in.Now, ModifyTime: s.in.Now}
}

// versionNeedsWork reports whether some group has fewer live allocations
// of the current version than it wants.
func (s *sched) versionNeedsWork() bool {
	have := map[string]int{}
	for _, as := range s.in.Allocs {
		if live(as) && !s.lost[as.Alloc.ID] && as.Alloc.JobVersion == s.in.Version {
			have[as.Alloc.TaskGroup]++
		}
	}
	for _, g := range s.in.Job.Groups {
		if have[g.Name] < g.Count {
			return true
		}
	}
	return false
}

// updateDeployment recounts the deployment's allocations and moves it to
// successful or failed (with an auto-revert target) when it is decided.
func (s *sched) updateDeployment() {
	d := s.dep
	if d == nil {
		return
	}
	before := ""
	if s.in.Deployment != nil && s.in.Deployment.ID == d.ID {
		before = deploymentKey(s.in.Deployment)
	}
	s.countDeployment(d)
	unhealthy, done, late := false, true, false
	for name, st := range d.TaskGroups {
		if st.UnhealthyAllocs > 0 {
			unhealthy = true
		}
		if st.HealthyAllocs < st.DesiredTotal || s.oldVersionsLive(name) {
			done = false
			if !st.RequireProgressBy.IsZero() && s.in.Now.After(st.RequireProgressBy) && !s.awaitingPromotion(name) {
				late = true
			}
		}
	}
	anomalous, why := false, ""
	if s.in.Anomalies != nil && d.Status == job.DeploymentRunning {
		var group string
		group, why, anomalous = anomalyGate(d, s.in.Allocs, s.in.Anomalies)
		why = "group " + group + ": " + why
	}
	switch {
	case unhealthy || late || anomalous:
		d.Status = job.DeploymentFailed
		d.StatusDescription = "Failed due to unhealthy allocations"
		switch {
		case unhealthy:
		case anomalous:
			d.StatusDescription = "Failed due to anomalous allocations (" + why + ")"
		case late:
			d.StatusDescription = "Failed due to progress deadline"
		}
		s.stopCanaries(d)
		if s.autoRevert(d) && s.in.StableVersion != nil {
			v := *s.in.StableVersion
			s.res.RevertTo = &v
			d.RevertedTo = &v
			d.StatusDescription += " - rolling back to job version " + strconv.FormatUint(v, 10)
		}
	case done:
		d.Status, d.StatusDescription = job.DeploymentSuccessful, "Deployment completed successfully"
		s.res.Stable = true
	default:
		d.StatusDescription = s.runningDescription()
	}
	if deploymentKey(d) != before {
		d.ModifyTime = s.in.Now
		s.res.Deployment = d
	}
}

func (s *sched) autoRevert(d *job.Deployment) bool {
	for _, st := range d.TaskGroups {
		if st.AutoRevert {
			return true
		}
	}
	return false
}

// countDeployment sets the placed, healthy and unhealthy counts of each
// group of d from the allocations as this plan leaves them, and pushes the
// progress deadline when more allocations became healthy.
func (s *sched) countDeployment(d *job.Deployment) {
	placed, healthy, unhealthy := map[string]int{}, map[string]int{}, map[string]int{}
	for _, as := range s.in.Allocs {
		a := s.current(as.Alloc)
		if a.DeploymentID != d.ID {
			continue
		}
		placed[a.TaskGroup]++
		if as.Status != nil && as.Status.DeploymentStatus != nil {
			if as.Status.DeploymentStatus.Healthy {
				if a.DesiredStatus == job.DesiredRun {
					healthy[a.TaskGroup]++
				}
			} else {
				unhealthy[a.TaskGroup]++
			}
		} else if as.Status != nil && as.Status.ClientStatus == job.ClientFailed {
			unhealthy[a.TaskGroup]++
		}
	}
	for _, a := range s.res.Place {
		if a.DeploymentID == d.ID {
			placed[a.TaskGroup]++
		}
	}
	for _, g := range s.in.Job.Groups {
		st := d.TaskGroups[g.Name]
		if st == nil {
			continue
		}
		st.DesiredTotal = g.Count
		st.PlacedAllocs = placed[g.Name]
		if healthy[g.Name] > st.HealthyAllocs && st.ProgressDeadline > 0 {
			st.RequireProgressBy = s.in.Now.Add(st.ProgressDeadline)
		}
		st.HealthyAllocs, st.UnhealthyAllocs = healthy[g.Name], unhealthy[g.Name]
	}
}

// oldVersionsLive reports whether allocations of an older version of the
// group still run after this plan.
func (s *sched) oldVersionsLive(group string) bool {
	for _, as := range s.in.Allocs {
		a := s.current(as.Alloc)
		if a.TaskGroup == group && a.JobVersion != s.in.Version && a.DesiredStatus == job.DesiredRun &&
			!job.IsTerminalClientStatus(a.ClientStatusWith(as.Status)) {
			return true
		}
	}
	return false
}

// deploymentKey summarises the fields a recount can change.
func deploymentKey(d *job.Deployment) string {
	k := d.Status + "|" + d.StatusDescription
	for name, st := range d.TaskGroups {
		k += fmt.Sprintf("|%s:%d:%d:%d:%d:%d:%t:%d", name, st.DesiredTotal, st.PlacedAllocs, st.HealthyAllocs, st.UnhealthyAllocs,
			st.RequireProgressBy.UnixNano(), st.Promoted, len(st.PlacedCanaries))
	}
	return k
}
