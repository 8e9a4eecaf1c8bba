package nomad_test

import (
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/orbittest"
)

// TestAllocStop stops a running allocation through
// /v1/allocation/:id/stop: it is stopped and a replacement runs.
func TestAllocStop(t *testing.T) {
	_, c := jobsAgent(t)
	const id = "stopme"
	if _, _, err := c.Jobs().Register(sleepJob(id, 1), nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	old := waitRunning(t, c, id, 1)[0]
	waitDeployed(t, c, id)
	resp, err := c.Allocations().Stop(&napi.Allocation{ID: old.ID}, &napi.QueryOptions{Params: map[string]string{"no_shutdown_delay": "true"}})
	if err != nil || resp.EvalID == "" || resp.LastIndex == 0 {
		t.Fatalf("stop: %+v %v", resp, err)
	}
	ev, _, err := c.Evaluations().Info(resp.EvalID, nil)
	if err != nil || ev.TriggeredBy != "alloc-stop" || ev.JobID != id {
		t.Fatalf("stop evaluation: %+v %v", ev, err)
	}
	orbittest.Eventually(t, 60*time.Second, "replacement running and the old allocation stopped", func() bool {
		a, _, err := c.Allocations().Info(old.ID, nil)
		if err != nil || a.DesiredStatus != "stop" {
			return false
		}
		list, _, err := c.Jobs().Allocations(id, true, nil)
		if err != nil {
			return false
		}
		for _, l := range list {
			if l.ID != old.ID && l.ClientStatus == "running" && l.DesiredStatus == "run" {
				na, _, err := c.Allocations().Info(l.ID, nil)
				return err == nil && na.PreviousAllocation == old.ID
			}
		}
		return false
	})
	if _, err := c.Allocations().Stop(&napi.Allocation{ID: "00000000-0000-0000-0000-000000000000"}, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("stop of a missing allocation: %v", err)
	}
}

// TestEvalBrokerPauseAndDelete pauses the eval broker through the
// scheduler configuration: evaluations stay pending, may then be deleted
// by ID or filter (refused while the broker runs), and are processed once
// it is unpaused.
func TestEvalBrokerPauseAndDelete(t *testing.T) {
	_, c := jobsAgent(t)
	if _, err := c.Evaluations().Delete([]string{"x"}, nil); err == nil || !strings.Contains(err.Error(), "400") ||
		!strings.Contains(err.Error(), "eval broker is enabled; eval broker must be paused to delete evals") {
		t.Fatalf("delete with the broker running: %v", err)
	}
	pause := func(on bool) {
		t.Helper()
		got, _, err := c.Operator().SchedulerGetConfiguration(nil)
		if err != nil {
			t.Fatalf("scheduler configuration: %v", err)
		}
		sc := got.SchedulerConfig
		sc.PauseEvalBroker = on
		if _, _, err := c.Operator().SchedulerSetConfiguration(sc, nil); err != nil {
			t.Fatalf("set scheduler configuration: %v", err)
		}
	}
	pause(true)
	const id = "held"
	reg, _, err := c.Jobs().Register(sleepJob(id, 1), nil)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	// Time passes while paused: the evaluation is not processed.
	passed := time.Now().Add(2 * time.Second)
	for time.Now().Before(passed) {
		time.Sleep(200 * time.Millisecond)
	}
	ev, _, err := c.Evaluations().Info(reg.EvalID, nil)
	if err != nil || ev.Status != "pending" {
		t.Fatalf("evaluation while paused: %+v %v", ev, err)
	}
	if allocs, _, err := c.Jobs().Allocations(id, true, nil); err != nil || len(allocs) != 0 {
		t.Fatalf("placed while paused: %d %v", len(allocs), err)
	}
	if _, err := c.Evaluations().Delete(nil, nil); err == nil || !strings.Contains(err.Error(), "evals must be deleted by either ID or filter") {
		t.Fatalf("delete without IDs: %v", err)
	}
	if _, err := c.Evaluations().Delete([]string{reg.EvalID}, nil); err != nil {
		t.Fatalf("delete by ID: %v", err)
	}
	if _, _, err := c.Evaluations().Info(reg.EvalID, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("deleted evaluation: %v", err)
	}
	again, _, err := c.Jobs().ForceEvaluate(id, nil)
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	del, _, err := c.Evaluations().DeleteOpts(&napi.EvalDeleteRequest{Filter: `JobID == "held"`}, nil)
	if err != nil || del.Count != 1 {
		t.Fatalf("delete by filter: %+v %v", del, err)
	}
	if _, _, err := c.Evaluations().Info(again, nil); err == nil {
		t.Fatal("the evaluation deleted by filter is still there")
	}

	pause(false)
	if _, _, err := c.Jobs().ForceEvaluate(id, nil); err != nil {
		t.Fatalf("evaluate after unpausing: %v", err)
	}
	waitRunning(t, c, id, 1)
}

// TestForceReschedule fails an allocation whose reschedule policy waits an
// hour; an evaluation with ForceReschedule replaces it now.
func TestForceReschedule(t *testing.T) {
	_, c := jobsAgent(t)
	const id = "crashy"
	j := napi.NewServiceJob(id, id, "global", 50)
	j.Datacenters = []string{"dc1"}
	tg := napi.NewTaskGroup("g", 1)
	tg.RestartPolicy = &napi.RestartPolicy{Attempts: new(0), Mode: new("fail"), Interval: new(time.Minute), Delay: new(time.Second)}
	tg.ReschedulePolicy = &napi.ReschedulePolicy{Attempts: new(3), Interval: new(24 * time.Hour), Delay: new(time.Hour),
		DelayFunction: new("constant"), Unlimited: new(false)}
	task := napi.NewTask("t", "raw_exec").SetConfig("command", "/bin/false")
	task.Require(&napi.Resources{CPU: new(20), MemoryMB: new(16)})
	tg.AddTask(task)
	j.AddTaskGroup(tg)
	if _, _, err := c.Jobs().Register(j, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	var failed *napi.AllocationListStub
	orbittest.Eventually(t, 60*time.Second, "the allocation failed with a delayed reschedule", func() bool {
		list, _, err := c.Jobs().Allocations(id, true, nil)
		if err != nil || len(list) != 1 || list[0].ClientStatus != "failed" || list[0].FollowupEvalID == "" {
			return false
		}
		failed = list[0]
		return true
	})
	if _, _, err := c.Jobs().EvaluateWithOpts(id, napi.EvalOptions{ForceReschedule: true}, nil); err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	orbittest.Eventually(t, 60*time.Second, "the failed allocation replaced now", func() bool {
		list, _, err := c.Jobs().Allocations(id, true, nil)
		if err != nil {
			return false
		}
		for _, l := range list {
			if l.ID != failed.ID {
				a, _, err := c.Allocations().Info(l.ID, nil)
				return err == nil && a.PreviousAllocation == failed.ID
			}
		}
		return false
	})
}
