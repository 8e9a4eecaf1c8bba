// Package nomad_test drives a dev agent through the real Nomad API client
// (github.com/hashicorp/nomad/api) and compares its answers with the shapes
// Nomad documents.
package nomad_test

import (
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// jobsAgent starts a dev agent and returns it with a Nomad client on it.
func jobsAgent(t *testing.T, opts ...testagent.Option) (*testagent.Agent, *napi.Client) {
	t.Helper()
	a := testagent.Start(t, opts...)
	c, err := napi.NewClient(&napi.Config{Address: a.URL})
	if err != nil {
		t.Fatalf("nomad client: %v", err)
	}
	return a, c
}

// sleepJob is a service job of count instances of one raw_exec task that
// sleeps.
func sleepJob(id string, count int) *napi.Job {
	j := napi.NewServiceJob(id, id, "global", 50)
	j.Datacenters = []string{"dc1"}
	tg := napi.NewTaskGroup("g", count)
	task := napi.NewTask("t", "raw_exec").SetConfig("command", "/bin/sleep").SetConfig("args", []string{"3600"})
	task.Require(&napi.Resources{CPU: new(50), MemoryMB: new(32)})
	tg.AddTask(task)
	j.AddTaskGroup(tg)
	j.Update = &napi.UpdateStrategy{MinHealthyTime: new(100 * time.Millisecond), HealthCheck: new("task_states")}
	return j
}

// waitDeployed waits until id's latest deployment is no longer running.
func waitDeployed(t *testing.T, c *napi.Client, id string) {
	t.Helper()
	orbittest.Eventually(t, 60*time.Second, "deployment of "+id+" done", func() bool {
		d, _, err := c.Jobs().LatestDeployment(id, nil)
		if err != nil {
			t.Logf("latest deployment of %q: %v", id, err)
			return false
		}
		return d == nil || d.Status != "running"
	})
}

// waitRunning waits until id has n running allocations.
func waitRunning(t *testing.T, c *napi.Client, id string, n int) []*napi.AllocationListStub {
	t.Helper()
	var running []*napi.AllocationListStub
	orbittest.Eventually(t, 60*time.Second, "allocations of "+id+" running", func() bool {
		list, _, err := c.Jobs().Allocations(id, false, nil)
		if err != nil {
			t.Logf("allocations of %q: %v", id, err)
			return false
		}
		running = running[:0]
		for _, a := range list {
			if a.ClientStatus == napi.AllocClientStatusRunning && a.DesiredStatus == napi.AllocDesiredStatusRun {
				running = append(running, a)
			}
		}
		return len(running) == n
	})
	return running
}
