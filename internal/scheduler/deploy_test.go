package scheduler

import (
	"testing"
	"time"

	"github.com/orbit/orbit/internal/job"
)

func rollingJob(version string, count int, autoRevert bool) *job.Job {
	j := svcJob("web", count, 100, 100)
	j.Groups[0].Update = &job.Update{MaxParallel: 1, HealthCheck: job.HealthChecks, MinHealthyTime: time.Second,
		HealthyDeadline: time.Minute, ProgressDeadline: 5 * time.Minute, AutoRevert: autoRevert}
	j.Groups[0].Tasks[0].Env.Set("VERSION", version, job.Pos{})
	return j
}

func TestRollingUpdateOneAtATime(t *testing.T) {
	h := newHarness(t, node("a"), node("b"))
	h.register(rollingJob("1", 3, false))
	r := h.eval()
	if r.Deployment == nil || len(r.Place) != 3 {
		t.Fatalf("initial version: deployment %v, placed %d (all at once, max_parallel limits updates only)", r.Deployment, len(r.Place))
	}
	h.runAll(true)
	r = h.eval()
	if r.Deployment == nil || r.Deployment.Status != job.DeploymentSuccessful || !r.Stable {
		t.Fatalf("healthy initial deployment: %+v stable=%v", r.Deployment, r.Stable)
	}

	h.register(rollingJob("2", 3, false))
	for step := 1; step <= 3; step++ {
		r = h.eval()
		if len(r.Place) != 1 || r.Stops != 1 {
			t.Fatalf("step %d: placed %d stopped %d, want 1 and 1", step, len(r.Place), r.Stops)
		}
		if d := h.deps[len(h.deps)-1]; d.JobVersion != 1 || d.Status != job.DeploymentRunning {
			t.Fatalf("step %d: deployment %+v", step, d)
		}
		// Nothing more moves until the new allocation is healthy.
		if r := h.eval(); len(r.Place) != 0 {
			t.Fatalf("step %d: placed before the previous one was healthy", step)
		}
		h.now = h.now.Add(time.Second)
		h.runAll(true)
	}
	h.eval()
	d := h.deps[len(h.deps)-1]
	if d.Status != job.DeploymentSuccessful || !h.stable[1] || d.TaskGroups["web"].HealthyAllocs != 3 {
		t.Fatalf("deployment %+v, stable %v", d, h.stable)
	}
	for _, a := range h.live() {
		if a.JobVersion != 1 {
			t.Fatalf("allocation %s still at version %d", a.Name, a.JobVersion)
		}
	}
}

func TestFailedDeploymentAutoReverts(t *testing.T) {
	h := newHarness(t, node("a"))
	h.register(rollingJob("1", 2, true))
	h.eval()
	h.runAll(true)
	h.eval() // v0 successful, stable
	h.register(rollingJob("2", 2, true))
	r := h.eval()
	if len(r.Place) != 1 {
		t.Fatalf("placed %d", len(r.Place))
	}
	h.runAll(false) // the new allocation is unhealthy
	r = h.eval()
	d := r.Deployment
	if d == nil || d.Status != job.DeploymentFailed || r.RevertTo == nil || *r.RevertTo != 0 {
		t.Fatalf("deployment %+v revert %v, want failed and revert to 0", d, r.RevertTo)
	}
	if r := h.eval(); len(r.Place) != 0 {
		t.Fatal("a failed deployment kept replacing allocations")
	}
	// The server registers version 0's spec as version 2; it rolls back.
	h.register(rollingJob("1", 2, true))
	r = h.eval()
	if r.Deployment == nil || r.Deployment.JobVersion != 2 || len(r.Place) != 1 {
		t.Fatalf("revert: deployment %+v placed %d", r.Deployment, len(r.Place))
	}
}

func TestFailedDeploymentWithoutAutoRevertHalts(t *testing.T) {
	h := newHarness(t, node("a"))
	h.register(rollingJob("1", 2, false))
	h.eval()
	h.runAll(true)
	h.eval()
	h.register(rollingJob("2", 2, false))
	h.eval()
	h.runAll(false)
	r := h.eval()
	if r.Deployment.Status != job.DeploymentFailed || r.RevertTo != nil {
		t.Fatalf("deployment %+v revert %v", r.Deployment, r.RevertTo)
	}
}

func TestProgressDeadline(t *testing.T) {
	h := newHarness(t, node("a"))
	h.register(rollingJob("1", 1, false))
	h.eval()
	h.now = h.now.Add(6 * time.Minute) // never reported healthy
	r := h.eval()
	if r.Deployment == nil || r.Deployment.Status != job.DeploymentFailed || r.Deployment.StatusDescription != "Failed due to progress deadline" {
		t.Fatalf("deployment %+v", r.Deployment)
	}
}

func TestNewVersionCancelsRunningDeployment(t *testing.T) {
	h := newHarness(t, node("a"))
	h.register(rollingJob("1", 2, false))
	first := h.eval().Deployment
	h.register(rollingJob("2", 2, false))
	r := h.eval()
	if len(h.deps) != 2 || h.deps[0].ID != first.ID || h.deps[0].Status != job.DeploymentCancelled {
		t.Fatalf("deployments %+v", h.deps)
	}
	if r.Deployment.JobVersion != 1 {
		t.Fatalf("new deployment for version %d", r.Deployment.JobVersion)
	}
}
