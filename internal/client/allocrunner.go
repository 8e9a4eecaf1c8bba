package client

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/job"
)

// maxEvents is how many task events a status keeps.
const maxEvents = 10

// allocRunner runs one allocation: it prepares it, runs a taskRunner per
// task, keeps the allocation's services registered while its tasks run,
// decides its deployment health and reports its status.
type allocRunner struct {
	c   *Client
	log *slog.Logger
	id  string

	updateCh chan struct{} // the allocation changed or went away (capacity 1)
	viewCh   chan struct{} // the view changed (capacity 1)
	taskCh   chan struct{} // a task's state changed (capacity 1)
	roleCh   chan struct{} // the active-passive role changed (capacity 1)
	lockCh   chan struct{} // wakes the active-passive lock loop (capacity 1)
	done     chan struct{} // closed when run returns
	over     atomic.Bool   // the allocation's tasks are over for good
	// needsView is set while the runner reacts to view changes: templates
	// to re-render, or deployment health waiting on checks.
	needsView atomic.Bool
	tasks     sync.WaitGroup

	// detach ends the task runners without stopping their tasks (agent
	// shutdown); cancelDetach is called only for that.
	detach       context.Context
	cancelDetach context.CancelFunc

	// mu guards everything below and each taskRunner's env. Lock order:
	// Client.mu before mu; never take Client.mu while holding mu.
	mu           sync.Mutex
	alloc        *job.Allocation
	gone         bool // the allocation key disappeared
	st           *localState
	job          *job.Job
	group        *job.Group
	runners      []*taskRunner
	status       job.AllocStatus
	lastReport   []byte
	lastSave     []byte
	regs         map[string]*registration // registered instances by id
	stopping     bool                     // services must not be registered again
	svcErrLogged bool
	received     time.Time
	started      time.Time // when its tasks were first started
	allRunning   bool
	passingSince time.Time
	role         string // active-passive role; "" before the lock loop ran
}

func newAllocRunner(c *Client, a *job.Allocation, st *localState) *allocRunner {
	ctx, cancel := context.WithCancel(context.Background())
	ar := &allocRunner{c: c, id: a.ID, log: c.log.With("alloc", a.ID),
		updateCh: make(chan struct{}, 1), viewCh: make(chan struct{}, 1), taskCh: make(chan struct{}, 1),
		roleCh: make(chan struct{}, 1), lockCh: make(chan struct{}, 1),
		done: make(chan struct{}), detach: ctx, cancelDetach: cancel,
		alloc: a, st: st, regs: map[string]*registration{}, received: c.clock.Now()}
	ar.status = job.AllocStatus{ID: a.ID, Node: c.cfg.NodeName, ClientStatus: job.ClientPending, TaskStates: map[string]*job.TaskState{}}
	if st != nil {
		// The last status this node reported: task states, restarts and
		// deployment health carry on across the agent restart.
		if it, ok := c.view.AllocStatus(a.ID); ok {
			if prev := it.V; prev.TaskStates != nil {
				ar.status = *prev
				ar.lastReport = nil
			}
		}
	}
	return ar
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// update passes a newer version of the allocation.
func (ar *allocRunner) update(a *job.Allocation) {
	ar.mu.Lock()
	ar.alloc, ar.gone = a, false
	if a.DeploymentID != "" && ar.status.DeploymentStatus == nil {
		ar.needsView.Store(true)
	}
	ar.mu.Unlock()
	signal(ar.updateCh)
	signal(ar.viewCh)
}

// removed says the allocation key is gone: stop if still running.
func (ar *allocRunner) removed() {
	ar.mu.Lock()
	ar.gone = true
	ar.mu.Unlock()
	signal(ar.updateCh)
}

// finished reports that run returned with the allocation over.
func (ar *allocRunner) finished() bool {
	select {
	case <-ar.done:
		return ar.over.Load()
	default:
		return false
	}
}

func (ar *allocRunner) taskDead(name string) bool {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	ts := ar.status.TaskStates[name]
	return ts == nil || ts.State == job.TaskDead
}

// shouldStop reports why the allocation must stop, or "".
func (ar *allocRunner) shouldStop() string {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	switch {
	case ar.gone:
		return "allocation was removed"
	case ar.alloc.Node != ar.c.cfg.NodeName:
		return "allocation moved to another node"
	case ar.alloc.Lost:
		return "allocation was lost and replaced"
	case ar.alloc.TerminalDesired():
		return "allocation desired status is " + ar.alloc.DesiredStatus
	}
	return ""
}

func (ar *allocRunner) run(ctx context.Context) {
	defer close(ar.done)
	if ar.st != nil && ar.st.Done {
		ar.over.Store(true)
		return
	}
	if reason := ar.shouldStop(); reason != "" && ar.st == nil {
		ar.over.Store(true)
		return
	}
	if err := ar.prepare(ctx); err != nil {
		ar.log.Error("allocation setup failed", "err", err)
		ar.failSetup(ctx, err)
		return
	}
	if key, ttl, ok := activePassive(ar.alloc, ar.group); ok {
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); ar.lockLoop(lctx, key, ttl) }()
		defer func() { cancel(); <-done }()
	}
	ar.startTasks()
	ar.loop(ctx)
	ar.tasks.Wait()
}

// prepare finds the allocation's job and group, picks its ports and lays
// out its directories (or takes them from the saved state).
func (ar *allocRunner) prepare(ctx context.Context) error {
	ar.mu.Lock()
	a := ar.alloc
	ar.mu.Unlock()
	if ar.st != nil {
		ar.job = ar.st.Job
	} else {
		it, ok := ar.c.view.JobVersion(a.Namespace, a.JobID, a.JobVersion)
		if !ok || it.V.Job == nil {
			return fmt.Errorf("job %s version %d not found", a.JobID, a.JobVersion)
		}
		ar.job = it.V.Job
	}
	ar.group = ar.job.LookupGroup(a.TaskGroup)
	if ar.group == nil {
		return fmt.Errorf("job %s has no group %q", a.JobID, a.TaskGroup)
	}
	if ar.st == nil {
		ports, err := ar.c.ports.allocate(a.ID, a.Ports, ar.c.networkAddrs())
		if err != nil {
			return err
		}
		ar.st = &localState{Alloc: a, Job: ar.job, Ports: ports, Handles: map[string]*driver.Handle{}}
	}
	if ar.st.Handles == nil {
		ar.st.Handles = map[string]*driver.Handle{}
	}
	dir := ar.c.allocDir(a.ID)
	for _, d := range []string{"alloc/logs", "alloc/tmp", "alloc/data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("allocation dir: %w", err)
		}
	}
	now := ar.c.clock.Now()
	ar.mu.Lock()
	ar.started = now
	ar.status.Ports = ar.st.Ports
	for _, t := range ar.group.Tasks {
		for _, d := range []string{"local", "secrets", "tmp"} {
			if err := os.MkdirAll(filepath.Join(dir, t.Name, d), 0o755); err != nil {
				ar.mu.Unlock()
				return fmt.Errorf("task dir: %w", err)
			}
		}
		if ar.status.TaskStates[t.Name] == nil {
			ts := &job.TaskState{State: job.TaskPending}
			addEvent(ts, job.TaskEvent{Type: "Received", Time: now, Message: "Task received by client"})
			addEvent(ts, job.TaskEvent{Type: "Task Setup", Time: now, Message: "Building Task Directory"})
			ar.status.TaskStates[t.Name] = ts
		}
		ar.runners = append(ar.runners, newTaskRunner(ar, t))
		if len(t.Templates) > 0 {
			ar.needsView.Store(true)
		}
	}
	if ar.alloc.DeploymentID != "" && ar.status.DeploymentStatus == nil {
		ar.needsView.Store(true)
	}
	ar.mu.Unlock()
	if err := ar.c.saveState(a.ID, ar.st); err != nil {
		return err
	}
	ar.report(ctx)
	return nil
}

// failSetup reports an allocation that could not be set up as failed.
func (ar *allocRunner) failSetup(ctx context.Context, err error) {
	now := ar.c.clock.Now()
	ar.mu.Lock()
	ar.status.ClientStatus, ar.status.ClientDescription = job.ClientFailed, "Setup failed: "+err.Error()
	for _, t := range ar.groupTasks() {
		ts := ar.status.TaskStates[t]
		if ts == nil {
			ts = &job.TaskState{}
			ar.status.TaskStates[t] = ts
		}
		ts.State, ts.Failed, ts.FinishedAt = job.TaskDead, true, now
		addEvent(ts, job.TaskEvent{Type: "Setup Failure", Time: now, Message: err.Error()})
	}
	ar.mu.Unlock()
	ar.c.ports.release(ar.id)
	ar.c.metrics.failures.Inc()
	ar.report(ctx)
	ar.over.Store(true)
}

func (ar *allocRunner) groupTasks() []string {
	if ar.group == nil {
		return nil
	}
	var out []string
	for _, t := range ar.group.Tasks {
		out = append(out, t.Name)
	}
	return out
}

func addEvent(ts *job.TaskState, ev job.TaskEvent) {
	ts.Events = append(ts.Events, ev)
	if len(ts.Events) > maxEvents {
		ts.Events = ts.Events[len(ts.Events)-maxEvents:]
	}
}

// setTask changes a task's state under the lock and wakes the loop.
func (ar *allocRunner) setTask(name string, fn func(ts *job.TaskState)) {
	ar.mu.Lock()
	ts := ar.status.TaskStates[name]
	if ts == nil {
		ts = &job.TaskState{State: job.TaskPending}
		ar.status.TaskStates[name] = ts
	}
	fn(ts)
	ar.mu.Unlock()
	signal(ar.taskCh)
}

// report hands the status to the writer when it changed since the last
// report.
func (ar *allocRunner) report(context.Context) {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	ar.status.ModifyTime = time.Time{}
	b, _ := json.Marshal(&ar.status)
	if string(b) == string(ar.lastReport) {
		return
	}
	ar.lastReport = b
	ar.status.ModifyTime = ar.c.clock.Now()
	st := ar.status
	st.TaskStates = make(map[string]*job.TaskState, len(ar.status.TaskStates))
	for k, v := range ar.status.TaskStates {
		cp := *v
		cp.Events = append([]job.TaskEvent(nil), v.Events...)
		st.TaskStates[k] = &cp
	}
	ar.c.statuses.put(&st)
}
