package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/driver/drivertest"
	"github.com/orbit/orbit/internal/driver/rawexec"
	"github.com/orbit/orbit/internal/health"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

const testNode = "n1"

// harness is a real store and view, a registered node with a live lease,
// the node's health manager running its checks, and clients started on
// demand over one data directory.
type harness struct {
	t       *testing.T
	st      *store.Store
	v       *view.View
	dataDir string
	webapp  string
	// identity, when set before startClient, signs workload identities.
	identity IdentitySigner
}

// webappBin is the webapp test server, built once by TestMain.
var webappBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orbit-client-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	webappBin, err = drivertest.BuildWebappTo(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	t.Cleanup(func() { checkNoLeaks(t) }) // runs last: after every client stopped
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	lease, err := st.GrantLease(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegisterNode(ctx, &catalog.Node{Name: testNode, Address: "127.0.0.1", Agent: true}, lease.ID); err != nil {
		t.Fatal(err)
	}
	hm, err := health.New(health.Config{Node: testNode, MinInterval: -1, OutputUpdateInterval: -1, Logger: orbittest.Logger(t)}, v, st)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); hm.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &harness{t: t, st: st, v: v, dataDir: t.TempDir(), webapp: webappBin}
}

// startClient runs a client until the test ends or stop is called.
func (h *harness) startClient(stopOnShutdown bool, drivers ...driver.Driver) (*Client, func()) {
	h.t.Helper()
	if len(drivers) == 0 {
		drivers = []driver.Driver{rawexec.New()}
	}
	c, err := New(Config{NodeName: testNode, DataDir: h.dataDir, StopOnShutdown: stopOnShutdown,
		Logger: orbittest.Logger(h.t)}, Deps{View: h.v, Store: h.st, Drivers: drivers, Identity: h.identity})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					h.t.Errorf("client run: %v", err)
				}
			case <-time.After(time.Minute):
				h.t.Error("client did not stop in a minute")
			}
		})
	}
	h.t.Cleanup(stop)
	return c, stop
}

func strVal(s string) job.Value { return job.Value{Kind: job.KindString, Str: s} }

func listVal(xs ...string) job.Value {
	v := job.Value{Kind: job.KindList}
	for _, x := range xs {
		v.List = append(v.List, strVal(x))
	}
	return v
}

// webJob is a service job whose task is the webapp on a dynamic port,
// with an HTTP-checked group service.
func (h *harness) webJob(id string) *job.Job {
	return &job.Job{ID: id, Name: id, Type: job.TypeService, Namespace: job.DefaultNamespace, Region: job.DefaultRegion,
		Groups: []*job.Group{{
			Name: "g", Count: 1, ShutdownDelay: 700 * time.Millisecond,
			Network: &job.Network{Mode: "host", Ports: []*job.Port{{Label: "http"}}},
			Services: []*job.Service{{Name: id, Port: "http", Tags: []string{"v1", "port-${NOMAD_PORT_http}"},
				Checks: []*job.Check{{Type: job.CheckHTTP, Path: "/health", Interval: 100 * time.Millisecond, Timeout: time.Second}}}},
			Restart: &job.Restart{Attempts: 3, Interval: time.Minute, Delay: 50 * time.Millisecond, Mode: job.RestartFail},
			Tasks: []*job.Task{{Name: "server", Driver: rawexec.Name, KillTimeout: 5 * time.Second,
				Config: job.Value{Kind: job.KindMap, Map: map[string]job.Value{
					"command": strVal(h.webapp), "args": listVal("-addr", "${NOMAD_ADDR_http}")}},
				Env:       job.Env{Values: map[string]string{"WHERE": "${node.unique.name}:${NOMAD_HOST_PORT_http}"}},
				Resources: &job.Resources{CPU: 100, MemoryMB: 64}}},
		}},
	}
}

func (h *harness) putJob(j *job.Job, version uint64) {
	h.t.Helper()
	b, _ := json.Marshal(&job.Version{Version: version, Job: j})
	if _, _, err := h.st.Txn(context.Background(), nil, []store.Op{store.Put(store.JobVersionKey(j.Namespace, j.ID, version), b)}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) putAlloc(a *job.Allocation) {
	h.t.Helper()
	b, _ := json.Marshal(a)
	if _, _, err := h.st.Txn(context.Background(), nil, []store.Op{store.Put(store.AllocKey(a.ID), b)}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) deleteAlloc(id string) {
	h.t.Helper()
	if _, _, err := h.st.Txn(context.Background(), nil, []store.Op{store.Del(store.AllocKey(id))}); err != nil {
		h.t.Fatal(err)
	}
}

func newAlloc(j *job.Job, id string, index int) *job.Allocation {
	g := j.Groups[0]
	a := &job.Allocation{ID: id, Name: job.AllocName(j.ID, g.Name, index), Index: index, Node: testNode,
		Namespace: j.Namespace, JobID: j.ID, TaskGroup: g.Name, DesiredStatus: job.DesiredRun,
		Tasks: map[string]job.AllocResources{}}
	if g.Network != nil {
		for _, p := range g.Network.Ports {
			a.Ports = append(a.Ports, job.AllocPort{Label: p.Label, Static: p.Static, To: p.To})
		}
	}
	for _, t := range g.Tasks {
		if t.Resources != nil {
			r := job.AllocResources{CPU: t.Resources.CPU, MemoryMB: t.Resources.MemoryMB}
			a.Tasks[t.Name] = r
			a.Resources = a.Resources.Add(r)
		}
	}
	return a
}

// status reads the allocation's reported status from the view.
func (h *harness) status(id string) *job.AllocStatus {
	it, ok := h.v.AllocStatus(id)
	if !ok {
		return nil
	}
	return it.V
}

func (h *harness) waitStatus(id, want string, timeout time.Duration) *job.AllocStatus {
	h.t.Helper()
	var st *job.AllocStatus
	orbittest.Eventually(h.t, timeout, "allocation "+id+" "+want, func() bool {
		st = h.status(id)
		return st != nil && st.ClientStatus == want
	})
	return st
}

func port(st *job.AllocStatus, label string) int {
	for _, p := range st.Ports {
		if p.Label == label {
			return p.Value
		}
	}
	return 0
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func getPID(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/pid")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	pid, err := strconv.Atoi(b.String())
	if err != nil {
		t.Fatalf("pid %q: %v", b.String(), err)
	}
	return pid
}

func baseURL(p int) string { return fmt.Sprintf("http://127.0.0.1:%d", p) }

func itoa(n int) string { return strconv.Itoa(n) }

func decodeInto(b []byte, out any) bool { return json.Unmarshal(b, out) == nil }

// checkNoLeaks fails the test when a goroutine of the client or a driver
// outlives everything the test started.
func checkNoLeaks(t *testing.T) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 4<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaks []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "checkNoLeaks") || strings.Contains(g, "client.TestMain(") {
				continue
			}
			if strings.Contains(g, "orbit/internal/client.") || strings.Contains(g, "orbit/internal/driver") {
				leaks = append(leaks, g)
			}
		}
		if len(leaks) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines of the client or its drivers outlived the test:\n%s", len(leaks), strings.Join(leaks, "\n\n"))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
