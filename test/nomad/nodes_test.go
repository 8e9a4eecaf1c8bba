// Package nomad_test drives orbit's Nomad-compatible API with the real
// github.com/hashicorp/nomad/api client against whole in-process agents.
package nomad_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// nnClient is a Nomad API client of agent a.
func nnClient(t *testing.T, a *testagent.Agent, token string) *napi.Client {
	t.Helper()
	c, err := napi.NewClient(&napi.Config{Address: a.URL, SecretID: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nnSleepJob is a service job of count sleeping raw_exec tasks.
func nnSleepJob(id string, count int, extra string) string {
	return fmt.Sprintf(`
job %q {
  datacenters = ["dc1"]
  group "g" {
    count = %d
    %s
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`, id, count, extra)
}

// nnRegister parses hcl with the agent and registers it.
func nnRegister(t *testing.T, c *napi.Client, hcl string) *napi.JobRegisterResponse {
	t.Helper()
	j, err := c.Jobs().ParseHCL(hcl, true)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	resp, _, err := c.Jobs().Register(j, nil)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return resp
}

// nnWaitNodes waits until the agent lists n ready nodes and returns them
// by name.
func nnWaitNodes(t *testing.T, c *napi.Client, n int) map[string]*napi.NodeListStub {
	t.Helper()
	out := map[string]*napi.NodeListStub{}
	orbittest.Eventually(t, 60*time.Second, fmt.Sprintf("%d ready nodes", n), func() bool {
		list, _, err := c.Nodes().List(nil)
		if err != nil {
			return false
		}
		clear(out)
		for _, s := range list {
			if s.Status == "ready" {
				out[s.Name] = s
			}
		}
		return len(out) == n
	})
	return out
}

// nnRunning lists the job's running allocations' node names.
func nnRunning(t *testing.T, c *napi.Client, job string) []string {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(job, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range allocs {
		if a.ClientStatus == "running" && a.DesiredStatus == "run" {
			out = append(out, a.NodeName)
		}
	}
	return out
}

// nnEvalDone waits until evaluation id is no longer pending.
func nnEvalDone(t *testing.T, c *napi.Client, id string) *napi.Evaluation {
	t.Helper()
	var e *napi.Evaluation
	orbittest.Eventually(t, 60*time.Second, "evaluation "+id+" processed", func() bool {
		var err error
		e, _, err = c.Evaluations().Info(id, nil)
		return err == nil && e.Status != "pending"
	})
	return e
}

// TestNodeEligibility: an ineligible node takes no new allocation; made
// eligible again, the job's queued allocation is placed and runs.
func TestNodeEligibility(t *testing.T) {
	a := testagent.Start(t)
	c := nnClient(t, a, "")
	node := nnWaitNodes(t, c, 1)["node1"]

	resp, err := c.Nodes().ToggleEligibility(node.ID, false, nil)
	if err != nil {
		t.Fatalf("disable eligibility: %v", err)
	}
	if resp.NodeModifyIndex == 0 || resp.LastIndex == 0 || len(resp.EvalIDs) != 0 {
		t.Errorf("eligibility response: %+v", resp)
	}
	info, _, err := c.Nodes().Info(node.ID, nil)
	if err != nil || info.SchedulingEligibility != "ineligible" || info.Drain || info.DrainStrategy != nil {
		t.Fatalf("node after disable: %+v %v", info, err)
	}

	reg := nnRegister(t, c, nnSleepJob("elig", 1, ""))
	ev := nnEvalDone(t, c, reg.EvalID)
	t.Logf("evaluation on an ineligible node: status %s, queued %v", ev.Status, ev.QueuedAllocations)
	allocs, _, err := c.Jobs().Allocations("elig", true, nil)
	if err != nil || len(allocs) != 0 {
		t.Fatalf("allocations placed on an ineligible node: %d %v", len(allocs), err)
	}

	resp, err = c.Nodes().ToggleEligibility(node.ID, true, nil)
	if err != nil {
		t.Fatalf("enable eligibility: %v", err)
	}
	orbittest.Eventually(t, 60*time.Second, "the queued allocation running once the node is eligible", func() bool {
		return len(nnRunning(t, c, "elig")) == 1
	})
	info, _, _ = c.Nodes().Info(node.ID, nil)
	if info.SchedulingEligibility != "eligible" {
		t.Errorf("eligibility after enable: %q", info.SchedulingEligibility)
	}

	// Bad input answers 400 with Nomad's message; an unknown node 404.
	for _, tc := range []struct {
		path, body, want string
		code             int
	}{
		{"/v1/node/" + node.ID + "/eligibility", `{"Eligibility":"maybe"}`, `invalid scheduling eligibility "maybe"`, 400},
		{"/v1/node/" + node.ID + "/eligibility", `{"Eligibility":`, "invalid request body", 400},
		{"/v1/node/00000000-0000-0000-0000-000000000000/eligibility", `{"Eligibility":"eligible"}`, "node not found", 404},
	} {
		req, _ := http.NewRequest(http.MethodPut, a.URL+tc.path, strings.NewReader(tc.body))
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := nnBody(r)
		if r.StatusCode != tc.code || !strings.Contains(b, tc.want) {
			t.Errorf("PUT %s %s: %d %q, want %d %q", tc.path, tc.body, r.StatusCode, b, tc.code, tc.want)
		}
	}
}

// TestSchedulerConfiguration: Nomad's defaults, a write, a CAS write with
// a stale index refused (Updated false), and PauseEvalBroker kept.
func TestSchedulerConfiguration(t *testing.T) {
	a := testagent.Start(t)
	c := nnClient(t, a, "")
	got, qm, err := c.Operator().SchedulerGetConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := got.SchedulerConfig
	if sc.SchedulerAlgorithm != "binpack" || !sc.PreemptionConfig.SystemSchedulerEnabled || sc.PreemptionConfig.ServiceSchedulerEnabled ||
		sc.PauseEvalBroker || qm.LastIndex == 0 {
		t.Fatalf("default scheduler configuration: %+v index %d", sc, qm.LastIndex)
	}
	set, _, err := c.Operator().SchedulerSetConfiguration(&napi.SchedulerConfiguration{SchedulerAlgorithm: "spread", PauseEvalBroker: true}, nil)
	if err != nil || !set.Updated {
		t.Fatalf("set: %+v %v", set, err)
	}
	got, _, err = c.Operator().SchedulerGetConfiguration(nil)
	if err != nil || got.SchedulerConfig.SchedulerAlgorithm != "spread" || !got.SchedulerConfig.PauseEvalBroker || got.SchedulerConfig.ModifyIndex == 0 {
		t.Fatalf("after set: %+v %v", got.SchedulerConfig, err)
	}
	if paused, err := a.NomadHandler().SchedulerPaused(t.Context()); err != nil || !paused {
		t.Errorf("SchedulerPaused: %v %v", paused, err)
	}
	stale := *got.SchedulerConfig
	stale.ModifyIndex--
	stale.PauseEvalBroker = false
	cas, _, err := c.Operator().SchedulerCASConfiguration(&stale, nil)
	if err != nil || cas.Updated {
		t.Fatalf("CAS with a stale index: %+v %v", cas, err)
	}
	fresh := *got.SchedulerConfig
	fresh.PauseEvalBroker = false
	cas, _, err = c.Operator().SchedulerCASConfiguration(&fresh, nil)
	if err != nil || !cas.Updated {
		t.Fatalf("CAS with the current index: %+v %v", cas, err)
	}
	if _, _, err := c.Operator().SchedulerSetConfiguration(&napi.SchedulerConfiguration{SchedulerAlgorithm: "random"}, nil); err == nil ||
		!strings.Contains(err.Error(), "invalid scheduler algorithm") {
		t.Errorf("bad algorithm: %v", err)
	}
}

// nnBody reads and closes a response's body.
func nnBody(r *http.Response) string {
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}
