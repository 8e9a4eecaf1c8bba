package nomad_test

import (
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// nnTwoNodes starts a server that is also a client (node1) and a client
// agent (node2) joined to it, ACLs on, and returns the server's client.
func nnTwoNodes(t *testing.T) (*testagent.Agent, *napi.Client, map[string]*napi.NodeListStub) {
	t.Helper()
	acls := &agent.ACLConfig{Tokens: &agent.ACLTokens{InitialManagement: orbittest.RootToken}}
	srv := testagent.Start(t, func(c *agent.Config) {
		c.Dev, c.ACL = false, acls
		c.Server, c.Client, c.Edge = true, true, false
	})
	testagent.Start(t, func(c *agent.Config) {
		c.Dev, c.NodeName, c.Servers, c.ACL = false, "node2", srv.Addr, acls
	})
	c := nnClient(t, srv, orbittest.RootToken)
	return srv, c, nnWaitNodes(t, c, 2)
}

// TestNodeDrain drains a node running both allocations of a job: they
// move to the other node under the group's migrate block, the drain
// completes on its own, the node stays ineligible and shows LastDrain.
func TestNodeDrain(t *testing.T) {
	_, c, nodes := nnTwoNodes(t)
	n1, n2 := nodes["node1"], nodes["node2"]
	// Both allocations start on node1.
	if _, err := c.Nodes().ToggleEligibility(n2.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	nnRegister(t, c, nnSleepJob("drained", 2, `migrate {
      max_parallel     = 1
      health_check     = "task_states"
      min_healthy_time = "1s"
    }`))
	orbittest.Eventually(t, 60*time.Second, "two allocations running on node1", func() bool {
		r := nnRunning(t, c, "drained")
		return len(r) == 2 && r[0] == "node1" && r[1] == "node1"
	})
	j, _, err := c.Jobs().Info("drained", nil)
	if err != nil || j.TaskGroups[0].Migrate == nil || *j.TaskGroups[0].Migrate.MaxParallel != 1 ||
		*j.TaskGroups[0].Migrate.HealthCheck != "task_states" || *j.TaskGroups[0].Migrate.MinHealthyTime != time.Second {
		t.Fatalf("migrate block of the registered job: %+v %v", j.TaskGroups[0].Migrate, err)
	}
	if _, err := c.Nodes().ToggleEligibility(n2.ID, true, nil); err != nil {
		t.Fatal(err)
	}

	started := time.Now()
	resp, err := c.Nodes().UpdateDrainOpts(n1.ID, &napi.DrainOptions{
		DrainSpec: &napi.DrainSpec{Deadline: 5 * time.Minute}, Meta: map[string]string{"reason": "test"}}, nil)
	if err != nil || resp.NodeModifyIndex == 0 {
		t.Fatalf("drain: %+v %v", resp, err)
	}
	info, _, err := c.Nodes().Info(n1.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.DrainStrategy == nil || info.DrainStrategy.Deadline != 5*time.Minute || info.DrainStrategy.StartedAt.IsZero() ||
		!info.DrainStrategy.ForceDeadline.Equal(info.DrainStrategy.StartedAt.Add(5*time.Minute)) ||
		!info.Drain || info.SchedulingEligibility != "ineligible" ||
		info.LastDrain == nil || info.LastDrain.Status != napi.DrainStatusDraining || info.LastDrain.Meta["reason"] != "test" {
		t.Fatalf("node while draining: drain %v strategy %+v eligibility %s last %+v", info.Drain, info.DrainStrategy,
			info.SchedulingEligibility, info.LastDrain)
	}
	// Eligibility cannot be turned on while draining.
	if _, err := c.Nodes().ToggleEligibility(n1.ID, true, nil); err == nil {
		t.Error("eligible while draining was accepted")
	}

	orbittest.Eventually(t, 120*time.Second, "the drain complete", func() bool {
		info, _, err = c.Nodes().Info(n1.ID, nil)
		return err == nil && info.DrainStrategy == nil
	})
	t.Logf("drain of 2 allocations (max_parallel 1, min_healthy_time 1s) complete after %v", time.Since(started).Round(10*time.Millisecond))
	if info.Drain || info.SchedulingEligibility != "ineligible" || info.LastDrain == nil ||
		info.LastDrain.Status != napi.DrainStatusComplete || info.LastDrain.Meta["reason"] != "test" {
		t.Errorf("node after the drain: drain %v eligibility %s last %+v", info.Drain, info.SchedulingEligibility, info.LastDrain)
	}
	orbittest.Eventually(t, 60*time.Second, "both allocations running on node2", func() bool {
		r := nnRunning(t, c, "drained")
		return len(r) == 2 && r[0] == "node2" && r[1] == "node2"
	})
	allocs, _, err := c.Jobs().Allocations("drained", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	migrated := 0
	for _, a := range allocs {
		if a.NodeName == "node1" {
			if a.DesiredStatus != "stop" || a.DesiredDescription != "alloc is being migrated" || a.NextAllocation == "" {
				t.Errorf("allocation left on node1: %s %s %q next %q", a.ID, a.DesiredStatus, a.DesiredDescription, a.NextAllocation)
			}
			migrated++
		}
	}
	if migrated != 2 {
		t.Errorf("%d allocations migrated off node1, want 2", migrated)
	}
	// The drain's evaluations are Nomad's "node-drain" ones.
	evals, _, err := c.Jobs().Evaluations("drained", nil)
	if err != nil {
		t.Fatal(err)
	}
	drains := 0
	for _, e := range evals {
		if e.TriggeredBy == "node-drain" {
			drains++
		}
	}
	if drains != 2 {
		t.Errorf("%d node-drain evaluations, want 2 (one per release, max_parallel 1)", drains)
	}
}
