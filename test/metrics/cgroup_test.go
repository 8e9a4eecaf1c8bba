package metrics_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

const burnJob = `
job "burn" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "head -c 30000000 /dev/urandom | md5sum; exec sleep 600"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

// TestAllocationCgroupCharts: an allocation run by the exec driver gets
// its cgroup's charts, named by job, group, task and allocation, with its
// memory limit and processes.
func TestAllocationCgroupCharts(t *testing.T) {
	a := testagent.Start(t)
	nc, err := napi.NewClient(&napi.Config{Address: a.URL})
	if err != nil {
		t.Fatal(err)
	}
	j, err := nc.Jobs().ParseHCL(burnJob, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := nc.Jobs().Register(j, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Jobs().Deregister("burn", true, nil) })
	var allocID string
	for deadline := time.Now().Add(time.Minute); allocID == ""; time.Sleep(200 * time.Millisecond) {
		allocs, _, err := nc.Jobs().Allocations("burn", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, al := range allocs {
			switch al.ClientStatus {
			case "running":
				allocID = al.ID
			case "failed":
				for _, ts := range al.TaskStates {
					for _, ev := range ts.Events {
						if strings.Contains(ev.DisplayMessage+ev.DriverError, "driver") {
							t.Skipf("the exec driver cannot run here (it needs writable cgroups): %s %s", ev.DisplayMessage, ev.DriverError)
						}
					}
				}
				t.Fatalf("allocation failed: %+v", al.TaskStates)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the allocation did not run in a minute")
		}
	}
	prefix := "cgroup_burn_g_t_" + allocID[:8]
	limit := waitRows(t, a.URL+"/api/v1/data?chart="+prefix+".mem_usage_limit&after=-2&points=1", 1)
	if got := *limit.Data[0][1]; got != 64 {
		t.Errorf("memory limit %v MiB, want 64", got)
	}
	pids := waitRows(t, a.URL+"/api/v1/data?chart="+prefix+".pids_current&after=-2&points=1", 1)
	if got := *pids.Data[0][1]; got < 1 {
		t.Errorf("%v processes, want at least the task's", got)
	}
	mem := waitRows(t, a.URL+"/api/v1/data?chart="+prefix+".mem&after=-2&points=1", 1)
	if *mem.Data[0][1]+*mem.Data[0][2] <= 0 {
		t.Errorf("memory %v, want the task's rss and cache", mem.Data[0])
	}
	waitRows(t, a.URL+"/api/v1/data?chart="+prefix+".cpu&after=-3&points=1", 1)
	_, b := get(t, a.URL+"/api/v1/chart?chart="+prefix+".cpu")
	var c struct {
		Labels map[string]string `json:"chart_labels"`
	}
	json.Unmarshal(b, &c)
	if c.Labels["job"] != "burn" || c.Labels["task"] != "t" || c.Labels["alloc_id"] != allocID {
		t.Errorf("chart labels %v: want the job, task and allocation", c.Labels)
	}
}
