package cli

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadapi"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/scheduler"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

const cliJob = `
variable "count" {
  type    = number
  default = 1
}
job "web" {
  datacenters = ["dc1"]
  group "app" {
    count = var.count
    network {
      port "http" {}
    }
    update {
      max_parallel     = 1
      min_healthy_time = "1s"
    }
    task "server" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
      }
    }
  }
}
`

type stringLogs struct{}

func (stringLogs) OpenLog(_ context.Context, alloc, task, stream string, _ int64, _ string, _ bool) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("hello from " + task + " " + stream + "\n")), nil
}

// jobServer runs store, view, scheduler and the Nomad API, with a node
// whose simulated client reports every allocation running and healthy.
func jobServer(t *testing.T) string {
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	sched, err := scheduler.New(scheduler.Config{NodeName: "node1", Tick: 50 * time.Millisecond}, st, v)
	if err != nil {
		t.Fatal(err)
	}
	h, err := nomadapi.New(nomadapi.Config{NodeName: "node1", Planner: sched, Logs: stringLogs{}}, st, v)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	l, err := st.GrantLease(ctx, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegisterNode(ctx, &catalog.Node{Name: "node1", Address: "127.0.0.1", Agent: true}, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutNodeInfo(ctx, &job.NodeInfo{Name: "node1", ID: "7c0ffee0-1111-4222-8333-444455556666", Datacenter: "dc1",
		Address: "127.0.0.1", Resources: job.NodeResources{CPU: 4000, MemoryMB: 4096},
		Drivers: map[string]job.DriverInfo{"raw_exec": {Detected: true, Healthy: true}}}); err != nil {
		t.Fatal(err)
	}
	wg.Add(2)
	go func() { defer wg.Done(); sched.Run(ctx) }()
	go func() { defer wg.Done(); simulateClient(ctx, st, v) }()
	return srv.URL
}

func simulateClient(ctx context.Context, st *store.Store, v *view.View) {
	changed, stop := v.Subscribe()
	defer stop()
	for {
		status := v.Raw(store.FamilyAllocStatus)
		for id, kv := range v.Raw(store.FamilyAllocs) {
			a, _ := store.Decode[job.Allocation](kv)
			want := job.ClientRunning
			if a.DesiredStatus != job.DesiredRun {
				want = job.ClientComplete
			}
			if skv, ok := status[id]; ok {
				if s, _ := store.Decode[job.AllocStatus](skv); s.ClientStatus == want {
					continue
				}
			}
			s := &job.AllocStatus{ID: id, Node: a.Node, ClientStatus: want, ModifyTime: time.Now(),
				TaskStates: map[string]*job.TaskState{"server": {State: job.TaskRunning,
					Events: []job.TaskEvent{{Type: "Started", Time: time.Now(), Message: "Task started by client"}}}},
				Ports: []job.AllocatedPort{{Label: "http", Value: 23456, HostIP: "127.0.0.1"}}}
			if a.DeploymentID != "" {
				s.DeploymentStatus = &job.AllocHealth{Healthy: true, Timestamp: time.Now()}
			}
			if _, err := st.PutAllocStatus(ctx, s); err != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func run(t *testing.T, url string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "ORBIT_ADDR" {
			return url
		}
		return ""
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var code int
	switch args[0] {
	case "job":
		code = cmdJob(ctx, e, args[1:])
	case "alloc":
		code = cmdAlloc(ctx, e, args[1:])
	case "node":
		code = cmdNode(ctx, e, args[1:])
	}
	return code, out.String() + errb.String()
}

func TestJobCommands(t *testing.T) {
	url := jobServer(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "web.nomad.hcl")
	if err := os.WriteFile(file, []byte(cliJob), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := run(t, url, "job", "run", file, "-var", "count=2")
	if code != 0 || !strings.Contains(out, `Evaluation status changed: "complete"`) || !strings.Contains(out, "successful") {
		t.Fatalf("job run: exit %d\n%s", code, out)
	}
	if strings.Count(out, "Allocation \"") != 2 {
		t.Fatalf("job run did not list 2 placements:\n%s", out)
	}
	code, out = run(t, url, "job", "status", "web")
	if code != 0 || strings.Count(out, "running") < 3 || !strings.Contains(out, "successful") {
		t.Fatalf("job status: exit %d\n%s", code, out)
	}
	code, out = run(t, url, "job", "status")
	if code != 0 || !strings.Contains(out, "web") || !strings.Contains(out, "service") {
		t.Fatalf("job list: exit %d\n%s", code, out)
	}
	code, out = run(t, url, "job", "plan", "-var", "count=3", file)
	if code != 1 || !strings.Contains(out, `~ TaskGroups[app].Count: "2" => "3"`) || !strings.Contains(out, "1 create") {
		t.Fatalf("job plan: exit %d\n%s", code, out)
	}
	code, out = run(t, url, "job", "run", "-detach", "-var", "count=3", file)
	if code != 0 || !strings.Contains(out, "Evaluation ID:") {
		t.Fatalf("job run -detach: exit %d\n%s", code, out)
	}
	orbittest.Eventually(t, 10*time.Second, "3 running", func() bool {
		_, out := run(t, url, "job", "status", "web")
		return strings.Count(out, " run ") == 3 && strings.Count(out, "running") >= 4
	})
	code, out = run(t, url, "job", "history", "web")
	if code != 0 || !strings.Contains(out, "Version     = 1") || !strings.Contains(out, "Count") {
		t.Fatalf("job history: exit %d\n%s", code, out)
	}
	code, out = run(t, url, "job", "revert", "web", "0")
	if code != 0 {
		t.Fatalf("job revert: exit %d\n%s", code, out)
	}
	code, out = run(t, url, "node", "status")
	if code != 0 || !strings.Contains(out, "node1") || !strings.Contains(out, "raw_exec") || !strings.Contains(out, "ready") {
		t.Fatalf("node status: exit %d\n%s", code, out)
	}
	_, status := run(t, url, "job", "status", "web")
	var prefix string
	for _, line := range strings.Split(status, "\n") {
		if strings.Contains(line, "node1") && strings.Contains(line, " run ") {
			prefix = strings.Fields(line)[0]
			break
		}
	}
	code, out = run(t, url, "alloc", "status", prefix)
	if code != 0 || !strings.Contains(out, "127.0.0.1:23456") || !strings.Contains(out, "Task started by client") {
		t.Fatalf("alloc status %s: exit %d\n%s", prefix, code, out)
	}
	code, out = run(t, url, "alloc", "logs", prefix, "-stderr")
	if code != 0 || out != "hello from server stderr\n" {
		t.Fatalf("alloc logs: exit %d\n%q", code, out)
	}
	code, out = run(t, url, "job", "stop", "-purge", "web")
	if code != 0 {
		t.Fatalf("job stop: exit %d\n%s", code, out)
	}
	if code, out = run(t, url, "job", "status", "web"); code == 0 {
		t.Fatalf("purged job still has a status:\n%s", out)
	}
	code, out = run(t, url, "job", "run", filepath.Join(dir, "missing.hcl"))
	if code == 0 || !strings.Contains(out, "missing.hcl") {
		t.Fatalf("missing file: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.hcl")
	os.WriteFile(bad, []byte("job \"x\" {\n  group \"g\" {\n    nonsense = 1\n  }\n}\n"), 0o644)
	if code, out = run(t, url, "job", "run", bad); code == 0 || !strings.Contains(out, "bad.hcl:3:") {
		t.Fatalf("bad file: exit %d\n%s", code, out)
	}
}
