package nomadapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadapi"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/scheduler"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

const jobFile = `
job "web" {
  datacenters = ["dc1"]
  type = "service"
  group "app" {
    count = 2
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
        args    = ["1000"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

// env is a server side (store, view, scheduler, API) and a simulated
// client that reports every allocation of its node as running and healthy.
type env struct {
	t   *testing.T
	st  *store.Store
	v   *view.View
	api *nomad.Client
	url string
}

type refuser struct{}

func (refuser) Admit(_ context.Context, j *job.Job) ([]string, error) {
	if j.ID == "refused" {
		return nil, errors.New("rule dynamic-ports: port \"http\" is static")
	}
	return []string{"rule resources: task \"server\" asks for little memory"}, nil
}

type memLogs struct{}

func (memLogs) OpenLog(_ context.Context, alloc, task, stream string, offset int64, origin string, follow bool) (io.ReadCloser, error) {
	if task != "server" {
		return nil, fs.ErrNotExist
	}
	return io.NopCloser(strings.NewReader(fmt.Sprintf("%s of %s/%s\n", stream, alloc[:8], task))), nil
}

func newEnv(t *testing.T) *env {
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	e := &env{t: t, st: st, v: v}
	sched, err := scheduler.New(scheduler.Config{NodeName: "node1", Tick: 50 * time.Millisecond}, st, v)
	if err != nil {
		t.Fatal(err)
	}
	h, err := nomadapi.New(nomadapi.Config{NodeName: "node1", Admitter: refuser{}, Planner: sched, Logs: memLogs{}}, st, v)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	e.addNode(ctx, "node1", strings.TrimPrefix(srv.URL, "http://"))
	wg.Add(2)
	go func() { defer wg.Done(); sched.Run(ctx) }()
	go func() { defer wg.Done(); e.fakeClient(ctx, "node1") }()
	e.api, err = nomad.NewClient(&nomad.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) addNode(ctx context.Context, name, httpAddr string) {
	l, err := e.st.GrantLease(ctx, 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.RegisterNode(ctx, &catalog.Node{Name: name, Address: "127.0.0.1", Datacenter: "dc1", Agent: true}, l.ID); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.PutNodeInfo(ctx, &job.NodeInfo{Name: name, ID: "0f1e2d3c-0000-4000-8000-" + fmt.Sprintf("%012d", len(name)),
		Datacenter: "dc1", Address: "127.0.0.1", HTTPAddr: httpAddr, Resources: job.NodeResources{CPU: 4000, MemoryMB: 4096},
		Drivers:    map[string]job.DriverInfo{"raw_exec": {Detected: true, Healthy: true}},
		Attributes: map[string]string{"kernel.name": "linux"}}); err != nil {
		e.t.Fatal(err)
	}
}

// fakeClient plays the node agent: allocations to run are reported
// running with a dynamic port and healthy; stopped ones complete.
func (e *env) fakeClient(ctx context.Context, node string) {
	changed, stop := e.v.Subscribe()
	defer stop()
	port := 20000
	for {
		for _, s := range e.v.NodeAllocs(node) {
			a, id := s.Alloc.V, s.Alloc.V.ID
			want := job.ClientRunning
			if a.DesiredStatus != job.DesiredRun {
				want = job.ClientComplete
			}
			if st := s.Status.V; st != nil && st.ClientStatus == want {
				continue
			}
			port++
			st := &job.AllocStatus{ID: id, Node: node, ClientStatus: want, ModifyTime: time.Now(),
				TaskStates: map[string]*job.TaskState{"server": {State: job.TaskRunning, StartedAt: time.Now()}},
				Ports:      []job.AllocatedPort{{Label: "http", Value: port, HostIP: "127.0.0.1"}}}
			if a.DeploymentID != "" {
				st.DeploymentStatus = &job.AllocHealth{Healthy: true, Timestamp: time.Now()}
			}
			if _, err := e.st.PutAllocStatus(ctx, st); err != nil {
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

func (e *env) waitEval(id string) *nomad.Evaluation {
	e.t.Helper()
	var ev *nomad.Evaluation
	orbittest.Eventually(e.t, 10*time.Second, "evaluation "+id+" complete", func() bool {
		got, _, err := e.api.Evaluations().Info(id, nil)
		ev = got
		return err == nil && got.Status == "complete"
	})
	return ev
}

func (e *env) running(jobID string, n int) []*nomad.AllocationListStub {
	e.t.Helper()
	var out []*nomad.AllocationListStub
	orbittest.Eventually(e.t, 15*time.Second, fmt.Sprintf("%d running allocations of %s", n, jobID), func() bool {
		list, _, err := e.api.Jobs().Allocations(jobID, false, nil)
		if err != nil {
			return false
		}
		out = out[:0]
		for _, a := range list {
			if a.ClientStatus == "running" && a.DesiredStatus == "run" {
				out = append(out, a)
			}
		}
		return len(out) == n
	})
	return out
}

func TestNomadClientLifecycle(t *testing.T) {
	e := newEnv(t)
	jobs := e.api.Jobs()
	j, err := jobs.ParseHCL(jobFile, true)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if *j.ID != "web" || *j.TaskGroups[0].Count != 2 || j.TaskGroups[0].Tasks[0].Config["command"] != "/bin/sleep" {
		t.Fatalf("parsed job: %+v", j)
	}
	resp, wm, err := jobs.Register(j, nil)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	if resp.EvalID == "" || wm.LastIndex == 0 || !strings.Contains(resp.Warnings, "little memory") {
		t.Fatalf("register response %+v %+v", resp, wm)
	}
	if ev := e.waitEval(resp.EvalID); ev.TriggeredBy != "job-register" || ev.JobID != "web" {
		t.Fatalf("evaluation %+v", ev)
	}
	allocs := e.running("web", 2)
	a, _, err := e.api.Allocations().Info(allocs[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Job == nil || *a.Job.ID != "web" || a.NodeName != "node1" || a.TaskGroup != "app" || len(a.AllocatedResources.Shared.Ports) != 1 {
		t.Fatalf("allocation %+v", a)
	}
	if p := a.AllocatedResources.Shared.Ports[0]; p.Label != "http" || p.Value <= 20000 {
		t.Fatalf("port %+v", p)
	}
	info, _, err := jobs.Info("web", nil)
	if err != nil || *info.Version != 0 || *info.Status != "running" {
		t.Fatalf("info version %v status %v %v", *info.Version, *info.Status, err)
	}
	list, _, err := jobs.List(nil)
	if err != nil || len(list) != 1 || list[0].JobSummary.Summary["app"].Running != 2 {
		t.Fatalf("list %+v %v", list, err)
	}
	evals, _, err := jobs.Evaluations("web", nil)
	if err != nil || len(evals) == 0 {
		t.Fatalf("evaluations %v %v", evals, err)
	}
	orbittest.Eventually(t, 10*time.Second, "deployment successful", func() bool {
		d, _, err := jobs.LatestDeployment("web", nil)
		return err == nil && d != nil && d.Status == "successful"
	})
	nodes, _, err := e.api.Nodes().List(nil)
	if err != nil || len(nodes) != 1 || nodes[0].Status != "ready" || nodes[0].Drivers["raw_exec"] == nil {
		t.Fatalf("nodes %+v %v", nodes, err)
	}
	node, _, err := e.api.Nodes().Info(nodes[0].ID, nil)
	if err != nil || node.Name != "node1" || node.Attributes["kernel.name"] != "linux" {
		t.Fatalf("node %+v %v", node, err)
	}

	// A blocking query returns when the allocations change.
	_, qm, _ := jobs.Allocations("web", false, nil)
	done := make(chan []*nomad.AllocationListStub, 1)
	go func() {
		l, _, _ := jobs.Allocations("web", false, &nomad.QueryOptions{WaitIndex: qm.LastIndex, WaitTime: 10 * time.Second})
		done <- l
	}()
	select {
	case <-done:
		t.Fatal("blocking query returned before a change")
	case <-time.After(300 * time.Millisecond):
	}
	*j.TaskGroups[0].Count = 3
	resp, _, err = jobs.Register(j, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("blocking query did not return after the job scaled")
	}
	e.running("web", 3)
	versions, _, _, err := jobs.Versions("web", true, nil)
	if err != nil || len(versions) != 2 || *versions[0].Version != 1 {
		t.Fatalf("versions %v %v", versions, err)
	}

	// Revert to version 0 (count 2) makes version 2.
	if _, _, err := jobs.Revert("web", 0, nil, nil, "", ""); err != nil {
		t.Fatalf("revert: %v", err)
	}
	orbittest.Eventually(t, 10*time.Second, "version 2 with count 2", func() bool {
		info, _, err := jobs.Info("web", nil)
		return err == nil && *info.Version == 2 && *info.TaskGroups[0].Count == 2
	})
	e.running("web", 2)

	// Stop, then purge.
	dresp, _, err := jobs.Deregister("web", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.waitEval(dresp)
	e.running("web", 0)
	if info, _, err := jobs.Info("web", nil); err != nil || !*info.Stop {
		t.Fatalf("stopped job %+v %v", info, err)
	}
	if _, _, err := jobs.Deregister("web", true, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := jobs.Info("web", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("purged job: %v, want 404", err)
	}
}

func TestNomadClientRefusalPlanAndLogs(t *testing.T) {
	e := newEnv(t)
	jobs := e.api.Jobs()
	j, err := jobs.ParseHCL(strings.Replace(jobFile, `job "web"`, `job "refused"`, 1), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := jobs.Register(j, nil); err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "dynamic-ports") {
		t.Fatalf("refused job: %v", err)
	}
	if _, err := jobs.ParseHCL(`job "x" { group "g" { bogus = 1 } }`, true); err == nil || !strings.Contains(err.Error(), "job.nomad.hcl:1:") {
		t.Fatalf("bad job file: %v, want a positioned error", err)
	}
	j, _ = jobs.ParseHCL(jobFile, true)
	plan, _, err := jobs.Plan(j, true, nil)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if u := plan.Annotations.DesiredTGUpdates["app"]; u == nil || u.Place != 2 || plan.Diff.Type != "Added" {
		t.Fatalf("plan %+v diff %+v", plan.Annotations.DesiredTGUpdates["app"], plan.Diff)
	}
	resp, _, err := jobs.Register(j, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.waitEval(resp.EvalID)
	allocs := e.running("web", 2)
	*j.TaskGroups[0].Tasks[0].Resources.CPU = 200
	plan, _, err = jobs.Plan(j, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u := plan.Annotations.DesiredTGUpdates["app"]; u.DestructiveUpdate != 1 || u.Ignore != 1 || plan.Diff.Type != "Edited" {
		t.Fatalf("destructive plan %+v diff %+v", u, plan.Diff)
	}
	found := false
	for _, f := range plan.Diff.Fields {
		found = found || (strings.Contains(f.Name, "Resources.CPU") && f.Old == "100" && f.New == "200")
	}
	if !found {
		t.Fatalf("diff fields %+v lack the cpu change", plan.Diff.Fields)
	}
	// Logs, framed as the client reads them and plain.
	a, _, _ := e.api.Allocations().Info(allocs[0].ID, nil)
	frames, errs := e.api.AllocFS().Logs(a, false, "server", "stderr", "start", 0, make(chan struct{}), nil)
	select {
	case f := <-frames:
		if f == nil || string(f.Data) != "stderr of "+a.ID[:8]+"/server\n" {
			t.Fatalf("frame %+v", f)
		}
	case err := <-errs:
		t.Fatalf("logs: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no log frame")
	}
	res, err := http.Get(e.url + "/v1/client/fs/logs/" + a.ID + "?task=server&type=stdout&plain=true")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "stdout of "+a.ID[:8]+"/server\n" {
		t.Fatalf("plain logs %q", body)
	}
	res, _ = http.Get(e.url + "/v1/client/fs/logs/" + a.ID + "?task=nope&type=stdout&plain=true")
	if res.StatusCode != 404 {
		t.Fatalf("unknown task: %d", res.StatusCode)
	}
}
