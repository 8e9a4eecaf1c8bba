package client

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/driver/drivertest"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/orbittest"
)

// The agent goes away while its task runs; the next agent re-attaches to
// the same process (no restart), keeps its service, and can stop it.
func TestReattachAfterAgentRestart(t *testing.T) {
	h := newHarness(t)
	_, stop := h.startClient(false)
	j := h.webJob("api")
	h.putJob(j, 0)
	a := newAlloc(j, "alloc-r", 0)
	h.putAlloc(a)
	st := h.waitStatus(a.ID, job.ClientRunning, 20*time.Second)
	url := baseURL(port(st, "http"))
	drivertest.WaitHTTP(t, url+"/health", 10*time.Second)
	pid := getPID(t, url)
	orbittest.Eventually(t, 15*time.Second, "service passing", func() bool {
		es := h.v.Entries("api")
		return len(es) == 1 && es[0].Status == catalog.Passing
	})
	stop()
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("task died with the agent: %v", err)
	}
	checkRev := h.v.Entries("api")[0].Checks[1].ModifyIndex

	_, _ = h.startClient(true)
	orbittest.Eventually(t, 10*time.Second, "re-attached", func() bool {
		for _, ev := range h.status(a.ID).TaskStates["server"].Events {
			if ev.Type == "Reattached" {
				return true
			}
		}
		return false
	})
	if got := getPID(t, url); got != pid {
		t.Fatalf("pid %d after re-attach, want %d", got, pid)
	}
	time.Sleep(300 * time.Millisecond)
	es := h.v.Entries("api")
	if len(es) != 1 || es[0].Status != catalog.Passing || es[0].Checks[1].ModifyIndex != checkRev {
		t.Fatalf("service re-registered or not passing after re-attach: %+v", es)
	}
	if ts := h.status(a.ID).TaskStates["server"]; ts.Restarts != 0 {
		t.Fatalf("task restarted on re-attach: %+v", ts)
	}

	a.DesiredStatus = job.DesiredStop
	h.putAlloc(a)
	h.waitStatus(a.ID, job.ClientComplete, 20*time.Second)
	orbittest.Eventually(t, 5*time.Second, "process gone", func() bool {
		return syscall.Kill(pid, 0) != nil
	})
	if len(h.v.Entries("api")) != 0 {
		t.Fatal("service left after stop")
	}
}

// Registrations owned by allocations that no longer exist (an agent that
// crashed mid-stop, a purged allocation) are removed when the client runs.
func TestOrphanedRegistrationsRemoved(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ghost := &catalog.Instance{Node: testNode, ID: "_nomad-task-gone-group-g-ghost-http", Name: "ghost", Port: 20001, Owner: "gone"}
	manual := &catalog.Instance{Node: testNode, ID: "manual", Name: "manual", Port: 8080}
	for _, in := range []*catalog.Instance{ghost, manual} {
		if _, err := h.st.RegisterInstance(ctx, nil, in, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The view must hold both before the client runs: else "removed" could
	// pass before the ghost ever arrived, and "manual" be looked for too soon.
	orbittest.Eventually(t, 10*time.Second, "both registrations in the view", func() bool {
		return len(h.v.Entries("ghost")) == 1 && len(h.v.Entries("manual")) == 1
	})
	h.startClient(true)
	orbittest.Eventually(t, 10*time.Second, "ghost service removed", func() bool {
		return len(h.v.Entries("ghost")) == 0
	})
	if len(h.v.Entries("manual")) != 1 {
		t.Fatal("a registration without an owner was removed")
	}
}

// A lost allocation (the node was considered dead and the scheduler
// replaced it) is stopped when the client sees it again.
func TestLostAllocationStopped(t *testing.T) {
	h := newHarness(t)
	h.startClient(true)
	j := h.webJob("lost")
	h.putJob(j, 0)
	a := newAlloc(j, "alloc-l", 0)
	h.putAlloc(a)
	st := h.waitStatus(a.ID, job.ClientRunning, 20*time.Second)
	url := baseURL(port(st, "http"))
	drivertest.WaitHTTP(t, url+"/health", 10*time.Second)
	a.Lost, a.DesiredStatus = true, job.DesiredStop
	h.putAlloc(a)
	h.waitStatus(a.ID, job.ClientComplete, 20*time.Second)
	if err := drivertest.PollHTTP(url+"/health", 200*time.Millisecond); err == nil {
		t.Fatal("lost allocation's task still answers")
	}
}

// A task that keeps failing exhausts its restart policy: the allocation
// is reported failed, and a deployment sees it unhealthy.
func TestRestartPolicyGivesUp(t *testing.T) {
	h := newHarness(t)
	h.startClient(true)
	j := h.webJob("crashy")
	j.Groups[0].Tasks[0].Config.Map["args"] = listVal("-addr", "127.0.0.1:0", "-exit-after", "50ms", "-exit-code", "3")
	j.Groups[0].Restart = &job.Restart{Attempts: 2, Interval: time.Minute, Delay: 20 * time.Millisecond, Mode: job.RestartFail}
	h.putJob(j, 0)
	a := newAlloc(j, "alloc-c", 0)
	a.DeploymentID = "dep-1"
	h.putAlloc(a)
	st := h.waitStatus(a.ID, job.ClientFailed, 20*time.Second)
	ts := st.TaskStates["server"]
	if !ts.Failed || ts.Restarts != 2 || ts.State != job.TaskDead {
		t.Fatalf("task state %+v, want failed after 2 restarts", ts)
	}
	last := ts.Events[len(ts.Events)-1]
	if last.Type != "Not Restarting" {
		t.Fatalf("last event %+v", last)
	}
	var exit *job.TaskEvent
	for i := range ts.Events {
		if ts.Events[i].Type == "Terminated" {
			exit = &ts.Events[i]
		}
	}
	if exit == nil || exit.ExitCode != 3 {
		t.Fatalf("no Terminated event with exit code 3: %+v", ts.Events)
	}
	if st.DeploymentStatus == nil || st.DeploymentStatus.Healthy {
		t.Fatalf("deployment status %+v, want unhealthy", st.DeploymentStatus)
	}
}

// With a deployment, the allocation becomes healthy once its checks have
// passed for min_healthy_time.
func TestDeploymentHealthy(t *testing.T) {
	h := newHarness(t)
	h.startClient(true)
	j := h.webJob("dep")
	j.Groups[0].Update = &job.Update{HealthCheck: job.HealthChecks, MinHealthyTime: 300 * time.Millisecond, HealthyDeadline: time.Minute, MaxParallel: 1}
	h.putJob(j, 0)
	a := newAlloc(j, "alloc-d", 0)
	a.DeploymentID = "dep-2"
	h.putAlloc(a)
	var st *job.AllocStatus
	orbittest.Eventually(t, 20*time.Second, "deployment health", func() bool {
		st = h.status(a.ID)
		return st != nil && st.DeploymentStatus != nil
	})
	if !st.DeploymentStatus.Healthy {
		t.Fatalf("deployment status %+v", st.DeploymentStatus)
	}
	es := h.v.Entries("dep")
	if len(es) != 1 || es[0].Status != catalog.Passing {
		t.Fatalf("healthy before its check passed: %+v", es)
	}
}

// The client reads only its own node's allocations (the view's node
// index): allocations placed on other nodes are never looked at, however
// many there are.
func TestReconcilesOnlyItsNode(t *testing.T) {
	h := newHarness(t)
	c, stop := h.startClient(true)
	j := h.webJob("mine")
	h.putJob(j, 0)
	for i := range 20 {
		other := newAlloc(j, "other-"+itoa(i), i+1)
		other.Node = "n2"
		h.putAlloc(other)
	}
	a := newAlloc(j, "alloc-mine", 0)
	h.putAlloc(a)
	h.waitStatus(a.ID, job.ClientRunning, 20*time.Second)
	// Another node's allocation changing does not concern this client.
	other := newAlloc(j, "other-late", 30)
	other.Node = "n2"
	h.putAlloc(other)
	stop() // Run has returned: its bookkeeping may be read
	if len(c.seen) != 1 || c.seen[a.ID] == 0 {
		t.Fatalf("client looked at allocations %v, want only %s", c.seen, a.ID)
	}
	for i := range 20 {
		if st := h.status("other-" + itoa(i)); st != nil {
			t.Fatalf("client reported another node's allocation: %+v", st)
		}
	}
}
