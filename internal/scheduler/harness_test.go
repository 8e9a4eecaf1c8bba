package scheduler

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/job"
)

// harness runs Schedule against an in-memory cluster and applies (records)
// each plan as the server would write it, so tests can script clients.
type harness struct {
	t        *testing.T
	nodes    map[string]*job.NodeInfo
	alive    map[string]bool
	allocs   map[string]*job.Allocation
	status   map[string]*job.AllocStatus
	versions map[uint64]*job.Job
	stable   map[uint64]bool
	job      *job.Job
	version  uint64
	stopped  bool
	deps     []*job.Deployment
	evals    []*job.Evaluation
	now      time.Time
	ids      int
	plans    []*Result
	promote  []*job.Promotion  // promotion requests for the next evaluation only
	others   []*job.Allocation // allocations of other jobs (load)
	// anomalies are the allocations' anomaly bits the next evaluations see.
	anomalies map[string]anomaly.Rate
}

func newHarness(t *testing.T, nodes ...*job.NodeInfo) *harness {
	h := &harness{t: t, nodes: map[string]*job.NodeInfo{}, alive: map[string]bool{}, allocs: map[string]*job.Allocation{},
		status: map[string]*job.AllocStatus{}, versions: map[uint64]*job.Job{}, stable: map[uint64]bool{},
		now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, n := range nodes {
		h.addNode(n)
	}
	return h
}

func (h *harness) addNode(n *job.NodeInfo) { h.nodes[n.Name] = n; h.alive[n.Name] = true }

// node builds a linux node with raw_exec and exec, 4000 MHz and 8 GiB.
func node(name string, opts ...func(*job.NodeInfo)) *job.NodeInfo {
	n := &job.NodeInfo{Name: name, ID: "id-" + name, Datacenter: "dc1", Address: "10.0.0.1",
		Resources:  job.NodeResources{CPU: 4000, MemoryMB: 8192},
		Drivers:    map[string]job.DriverInfo{"raw_exec": {Detected: true, Healthy: true}, "exec": {Detected: true, Healthy: true}},
		Attributes: map[string]string{"kernel.name": "linux", "cpu.arch": "amd64", "unique.hostname": name}, Meta: map[string]string{}}
	for _, o := range opts {
		o(n)
	}
	return n
}

// register makes j the job's new current version.
func (h *harness) register(j *job.Job) {
	j.Canonicalize()
	if h.job != nil {
		h.version++
	}
	h.job, h.stopped = j, false
	h.versions[h.version] = j
}

func (h *harness) input(trigger string) Input {
	var allocs []AllocState
	var live []*job.Allocation
	ids := make([]string, 0, len(h.allocs))
	for id := range h.allocs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := h.allocs[id]
		allocs = append(allocs, AllocState{Alloc: a, Status: h.status[id]})
		if !a.Terminal(h.status[id]) {
			live = append(live, a)
		}
	}
	live = append(live, h.others...)
	infos := make([]*job.NodeInfo, 0, len(h.nodes))
	for _, n := range h.nodes {
		infos = append(infos, n)
	}
	var dep *job.Deployment
	if len(h.deps) > 0 {
		dep = h.deps[len(h.deps)-1]
	}
	var stable *uint64
	for v := range h.version {
		if h.stable[v] {
			stable = &v
		}
	}
	h.ids++
	return Input{
		Eval: &job.Evaluation{ID: fmt.Sprintf("eval-%d", h.ids), JobID: h.job.ID, Namespace: h.job.Namespace, TriggeredBy: trigger},
		Job:  h.job, Version: h.version, Stopped: h.stopped,
		Versions: func(v uint64) *job.Job { return h.versions[v] },
		Allocs:   allocs, Deployment: dep, StableVersion: stable, Promote: h.promote,
		Cluster:   NewCluster(infos, func(n string) bool { return h.alive[n] }, live),
		Now:       h.now,
		Anomalies: h.anomalies,
		NewID:     func() string { h.ids++; return fmt.Sprintf("a%03d", h.ids) },
	}
}

// eval runs one evaluation and applies its plan.
func (h *harness) eval() *Result {
	h.t.Helper()
	r := Schedule(h.input(job.TriggerJobRegister))
	h.promote = nil
	h.plans = append(h.plans, r)
	for _, a := range r.Update {
		if h.allocs[a.ID] == nil {
			h.t.Fatalf("update of unknown allocation %s", a.ID)
		}
		h.allocs[a.ID] = a
	}
	for _, a := range r.Place {
		if h.allocs[a.ID] != nil {
			h.t.Fatalf("placement reuses id %s", a.ID)
		}
		h.allocs[a.ID] = a
	}
	for _, d := range []*job.Deployment{r.Cancelled, r.Deployment} {
		if d == nil {
			continue
		}
		found := false
		for i := range h.deps {
			if h.deps[i].ID == d.ID {
				h.deps[i], found = d, true
			}
		}
		if !found {
			h.deps = append(h.deps, d)
		}
	}
	if r.Stable {
		h.stable[h.version] = true
	}
	h.evals = append(h.evals, r.Evals...)
	return r
}

// run reports every allocation of the job that should run as running (and
// healthy when it belongs to a deployment), as clients would.
func (h *harness) runAll(healthy bool) {
	for id, a := range h.allocs {
		st := h.status[id]
		if a.DesiredStatus != job.DesiredRun || a.Lost || (st != nil && st.Terminal()) {
			continue
		}
		st = &job.AllocStatus{ID: id, Node: a.Node, ClientStatus: job.ClientRunning, ModifyTime: h.now}
		if a.DeploymentID != "" {
			st.DeploymentStatus = &job.AllocHealth{Healthy: healthy, Timestamp: h.now}
		}
		if old := h.status[id]; old != nil && old.DeploymentStatus != nil {
			st.DeploymentStatus = old.DeploymentStatus
		}
		h.status[id] = st
	}
	// Allocations the scheduler stopped finish.
	for id, a := range h.allocs {
		if a.DesiredStatus != job.DesiredRun && (h.status[id] == nil || !h.status[id].Terminal()) {
			h.status[id] = &job.AllocStatus{ID: id, Node: a.Node, ClientStatus: job.ClientComplete, ModifyTime: h.now}
		}
	}
}

func (h *harness) setStatus(id, clientStatus string) {
	h.status[id] = &job.AllocStatus{ID: id, Node: h.allocs[id].Node, ClientStatus: clientStatus, ModifyTime: h.now,
		TaskStates: map[string]*job.TaskState{"t": {State: job.TaskDead, Failed: clientStatus == job.ClientFailed, FinishedAt: h.now}}}
}

// live lists the allocations that should be running, sorted by name.
func (h *harness) live() []*job.Allocation {
	var out []*job.Allocation
	for id, a := range h.allocs {
		if !a.Terminal(h.status[id]) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out
}

func (h *harness) perNode() map[string]int {
	m := map[string]int{}
	for _, a := range h.live() {
		m[a.Node]++
	}
	return m
}

// svcJob is a service job with one group of count tasks of cpu MHz and
// mem MB each.
func svcJob(id string, count, cpu, mem int) *job.Job {
	return &job.Job{ID: id, Type: job.TypeService, Datacenters: []string{"dc1"}, Groups: []*job.Group{{
		Name: "web", Count: count,
		Tasks: []*job.Task{{Name: "t", Driver: "raw_exec", Resources: &job.Resources{CPU: cpu, MemoryMB: mem}}},
	}}}
}
