// Package client_test runs allocations through the client with the exec
// driver against this machine's cgroups: the allocation's resources become
// the task's cgroup limits, and a task killed for exceeding its memory is
// reported with an OOM event.
package client_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/driver/drivertest"
	"github.com/orbit/orbit/internal/driver/exec"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

func TestExecAllocationLimitsAndOOM(t *testing.T) {
	parent := "orbit-client-test-" + strconv.Itoa(os.Getpid())
	drv := exec.New(exec.Options{Parent: parent})
	if fp := drv.Fingerprint(context.Background()); !fp.Healthy {
		t.Skipf("exec driver unusable on this machine, its real dependency (writable cgroups with cpu and memory) is absent: %s", fp.Reason)
	}
	t.Cleanup(func() {
		for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu"} {
			os.Remove(filepath.Join(root, parent))
		}
	})
	bin := drivertest.BuildWebapp(t)
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := st.RegisterNode(ctx, &catalog.Node{Name: "n1", Address: "127.0.0.1"}, 0); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{NodeName: "n1", DataDir: t.TempDir(), StopOnShutdown: true, Logger: orbittest.Logger(t)},
		client.Deps{View: v, Store: st, Drivers: []driver.Driver{drv}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	defer func() { cancel(); <-done }()

	task := func(name string, args ...string) *job.Task {
		l := job.Value{Kind: job.KindList}
		for _, a := range args {
			l.List = append(l.List, job.Value{Kind: job.KindString, Str: a})
		}
		return &job.Task{Name: name, Driver: exec.Name, KillTimeout: 2 * time.Second,
			Config: job.Value{Kind: job.KindMap, Map: map[string]job.Value{"command": {Kind: job.KindString, Str: bin}, "args": l}}}
	}
	j := &job.Job{ID: "lim", Name: "lim", Type: job.TypeService, Namespace: "default", Groups: []*job.Group{{
		Name: "g", Network: &job.Network{Ports: []*job.Port{{Label: "http"}}},
		Restart: &job.Restart{Attempts: 0, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: job.RestartFail},
		Tasks:   []*job.Task{task("web", "-addr", "${NOMAD_ADDR_http}"), task("hog", "-addr", "127.0.0.1:0", "-alloc-mb", "256")},
	}}}
	put := func(key string, val any) {
		b, _ := json.Marshal(val)
		if _, _, err := st.Txn(ctx, nil, []store.Op{store.Put(key, b)}); err != nil {
			t.Fatal(err)
		}
	}
	put(store.JobVersionKey("default", "lim", 0), &job.Version{Job: j})
	only := &job.Job{ID: "web", Name: "web", Type: job.TypeService, Namespace: "default", Groups: []*job.Group{{
		Name: "g", Network: j.Groups[0].Network, Tasks: j.Groups[0].Tasks[:1]}}}
	put(store.JobVersionKey("default", "web", 0), &job.Version{Job: only})

	status := func(id string) *job.AllocStatus {
		it, ok := v.AllocStatus(id)
		if !ok {
			return nil
		}
		return it.V
	}
	// The allocation's resources become the task's cgroup limits.
	w := &job.Allocation{ID: "w1", Name: "web.g[0]", Node: "n1", Namespace: "default", JobID: "web", TaskGroup: "g",
		DesiredStatus: job.DesiredRun, Ports: []job.AllocPort{{Label: "http"}},
		Tasks: map[string]job.AllocResources{"web": {CPU: 300, MemoryMB: 96}}}
	put(store.AllocKey(w.ID), w)
	var ws *job.AllocStatus
	orbittest.Eventually(t, 30*time.Second, "web running", func() bool {
		ws = status(w.ID)
		return ws != nil && ws.ClientStatus == job.ClientRunning
	})
	drivertest.WaitHTTP(t, "http://127.0.0.1:"+strconv.Itoa(ws.Ports[0].Value)+"/health", 10*time.Second)
	if got := cgroupFile(t, parent, "w1.web", "memory.max", "memory.limit_in_bytes"); got != strconv.Itoa(96<<20) {
		t.Errorf("memory limit %q, want %d", got, 96<<20)
	}
	if got := cgroupFile(t, parent, "w1.web", "cpu.weight", "cpu.shares"); got != "300" && got != "12" {
		t.Errorf("cpu shares/weight %q, want 300 shares (v1) or weight 12 (v2)", got)
	}
	w.DesiredStatus = job.DesiredStop
	put(store.AllocKey(w.ID), w)
	orbittest.Eventually(t, 30*time.Second, "web stopped", func() bool {
		ws = status(w.ID)
		return ws != nil && ws.ClientStatus == job.ClientComplete
	})
	if got := cgroupFile(t, parent, "w1.web", "cgroup.procs"); got != "" {
		t.Errorf("cgroup of the stopped task still has processes %q", got)
	}

	a := &job.Allocation{ID: "e1", Name: "lim.g[0]", Node: "n1", Namespace: "default", JobID: "lim", TaskGroup: "g",
		DesiredStatus: job.DesiredRun, Ports: []job.AllocPort{{Label: "http"}},
		Tasks: map[string]job.AllocResources{"web": {CPU: 300, MemoryMB: 96}, "hog": {CPU: 100, MemoryMB: 32}}}
	put(store.AllocKey(a.ID), a)

	// The hog exceeds its 32 MiB and is OOM killed; with no restarts left
	// the allocation fails, and the sibling is stopped.
	var s *job.AllocStatus
	orbittest.Eventually(t, 60*time.Second, "allocation failed", func() bool {
		s = status(a.ID)
		return s != nil && s.ClientStatus == job.ClientFailed
	})
	oom := false
	for _, ev := range s.TaskStates["hog"].Events {
		oom = oom || (ev.Type == "Terminated" && ev.OOM && strings.Contains(ev.Message, "OOM"))
	}
	if !oom {
		t.Fatalf("hog's events do not report the OOM kill: %+v", s.TaskStates["hog"].Events)
	}
	if ts := s.TaskStates["web"]; ts.State != job.TaskDead {
		t.Fatalf("sibling of the failed task still %s", ts.State)
	}
}

// cgroupFile reads a cgroup file of the web task, v2 or v1.
func cgroupFile(t *testing.T, parent, name string, files ...string) string {
	t.Helper()
	for _, f := range files {
		for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu"} {
			if b, err := os.ReadFile(filepath.Join(root, parent, name, f)); err == nil {
				return strings.TrimSpace(string(b))
			}
		}
	}
	return ""
}
