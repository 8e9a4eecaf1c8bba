package client

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
)

// stopTimeout bounds a stop the agent makes while shutting down.
const stopTimeout = time.Minute

// loop follows the allocation until its tasks are over, it is stopped, or
// the agent shuts down.
func (ar *allocRunner) loop(ctx context.Context) {
	var healthTimer clockwork.Timer
	defer func() {
		if healthTimer != nil {
			healthTimer.Stop()
		}
	}()
	for {
		ar.syncServices(ctx)
		recheck := ar.updateStatus()
		ar.report(ctx)
		if ar.allDead() {
			ar.finish(ctx, "")
			return
		}
		ar.startTasks()
		var healthC <-chan time.Time
		if !recheck.IsZero() {
			d := max(recheck.Sub(ar.c.clock.Now()), time.Millisecond)
			if healthTimer == nil {
				healthTimer = ar.c.clock.NewTimer(d)
			} else {
				healthTimer.Reset(d)
			}
			healthC = healthTimer.Chan()
		}
		select {
		case <-ctx.Done():
			ar.shutdown()
			return
		case <-ar.updateCh:
			if reason := ar.shouldStop(); reason != "" {
				ar.stop(ctx, reason)
				ar.finish(ctx, reason)
				return
			}
		case <-ar.taskCh:
			ar.killSiblingsOfFailed()
		case <-ar.viewCh:
			for _, tr := range ar.runners {
				signal(tr.viewCh)
			}
		case <-ar.roleCh:
		case <-healthC:
		}
	}
}

// shutdown ends the runner with the agent: by default the tasks keep
// running (a later agent re-attaches); with StopOnShutdown they are
// stopped as on a stop request.
func (ar *allocRunner) shutdown() {
	if !ar.c.cfg.StopOnShutdown {
		ar.cancelDetach()
		ar.tasks.Wait()
		ar.save()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	ar.stop(ctx, "agent shutting down")
	ar.finish(ctx, "agent shutting down")
}

// stop deregisters the allocation's services, waits the shutdown delay so
// no new request reaches the tasks, then kills the tasks, waits for them,
// and runs the poststop hooks.
func (ar *allocRunner) stop(ctx context.Context, reason string) {
	ar.log.Info("stopping allocation", "reason", reason)
	ar.deregisterAll(ctx)
	ar.mu.Lock()
	delay := ar.group.ShutdownDelay
	anyRunning := false
	for _, ts := range ar.status.TaskStates {
		anyRunning = anyRunning || ts.State != job.TaskDead
	}
	ar.mu.Unlock()
	if delay > 0 && anyRunning {
		select {
		case <-ar.c.clock.After(delay):
		case <-ctx.Done():
		}
	}
	for _, tr := range ar.runners {
		if tr.hook() != hookPoststop {
			ar.killTask(tr)
		}
	}
	ar.tasks.Wait()
	// Every other task is dead: poststop hooks run now, to completion.
	ar.startTasks()
	ar.tasks.Wait()
}

// killSiblingsOfFailed stops the other tasks once a task failed for good,
// as Nomad does; a dead leader task stops its siblings too.
func (ar *allocRunner) killSiblingsOfFailed() {
	ar.mu.Lock()
	kill := false
	for _, tr := range ar.runners {
		ts := ar.status.TaskStates[tr.task.Name]
		if ts != nil && ts.State == job.TaskDead && (ts.Failed || tr.task.Leader) {
			kill = true
		}
	}
	ar.mu.Unlock()
	if !kill {
		return
	}
	for _, tr := range ar.runners {
		ar.killTask(tr)
	}
}

// finish records the allocation as over: services gone, status complete
// or failed, state kept until the allocation is removed.
func (ar *allocRunner) finish(ctx context.Context, reason string) {
	ar.deregisterAll(ctx)
	ar.mu.Lock()
	failed := false
	for _, ts := range ar.status.TaskStates {
		failed = failed || ts.Failed
	}
	switch {
	case failed:
		ar.status.ClientStatus, ar.status.ClientDescription = job.ClientFailed, "Failed tasks"
	case reason != "":
		ar.status.ClientStatus, ar.status.ClientDescription = job.ClientComplete, "Stopped: "+reason
	default:
		ar.status.ClientStatus, ar.status.ClientDescription = job.ClientComplete, "All tasks have completed"
	}
	if ar.alloc.DeploymentID != "" && ar.status.DeploymentStatus == nil && failed {
		ar.status.DeploymentStatus = &job.AllocHealth{Healthy: false, Timestamp: ar.c.clock.Now(), Canary: ar.alloc.Canary}
	}
	ar.st.Done = true
	ar.mu.Unlock()
	ar.report(ctx)
	ar.save()
	ar.c.ports.release(ar.id)
	ar.over.Store(true)
	ar.log.Info("allocation finished", "status", ar.status.ClientStatus)
}

func (ar *allocRunner) allDead() bool {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	for _, tr := range ar.runners {
		if ts := ar.status.TaskStates[tr.task.Name]; ts == nil || ts.State != job.TaskDead {
			return false
		}
	}
	return true
}

// save writes the local state.
func (ar *allocRunner) save() {
	ar.mu.Lock()
	if ar.st == nil {
		ar.mu.Unlock()
		return
	}
	b, err := json.Marshal(ar.st)
	if err == nil && string(b) == string(ar.lastSave) {
		ar.mu.Unlock()
		return
	}
	ar.mu.Unlock()
	if err == nil {
		tmp := ar.c.statePath(ar.id) + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, ar.c.statePath(ar.id))
		}
	}
	if err != nil {
		ar.log.Error("save allocation state", "err", err)
		return
	}
	ar.mu.Lock()
	ar.lastSave = b
	ar.mu.Unlock()
}

// updateStatus derives the client status from the task states and the
// deployment health, and returns when health must be looked at again.
func (ar *allocRunner) updateStatus() time.Time {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	now := ar.c.clock.Now()
	running, mains, unhealthy := 0, 0, false
	var since time.Time
	for _, tr := range ar.runners {
		ts := ar.status.TaskStates[tr.task.Name]
		if ts == nil {
			continue
		}
		unhealthy = unhealthy || ts.Failed
		if !tr.main() {
			continue
		}
		mains++
		if ts.State == job.TaskRunning {
			running++
			if ts.StartedAt.After(since) {
				since = ts.StartedAt
			}
		}
		unhealthy = unhealthy || ts.Restarts > 0
	}
	all := running == mains
	if all && !ar.allRunning {
		ar.c.metrics.startDelay.Observe(now.Sub(ar.received).Seconds())
	}
	ar.allRunning = all
	if all && ar.status.ClientStatus == job.ClientPending {
		ar.status.ClientStatus, ar.status.ClientDescription = job.ClientRunning, "Tasks are running"
	}
	if !all {
		since = time.Time{}
	}
	return ar.decideHealthLocked(since, unhealthy, now)
}

// decideHealthLocked sets the deployment health once it is decided.
func (ar *allocRunner) decideHealthLocked(runningSince time.Time, unhealthy bool, now time.Time) time.Time {
	if ar.alloc.DeploymentID == "" || ar.status.DeploymentStatus != nil {
		return time.Time{}
	}
	u := ar.job.GroupUpdate(ar.group)
	if u == nil {
		u = job.DefaultUpdate()
	}
	checks, passing := ar.checksPassingLocked()
	if passing && ar.passingSince.IsZero() {
		ar.passingSince = now
	} else if !passing {
		ar.passingSince = time.Time{}
	}
	in := healthInput{Mode: u.HealthCheck, MinHealthy: u.MinHealthyTime, Deadline: u.HealthyDeadline,
		Started: ar.started, RunningSince: runningSince, Unhealthy: unhealthy, HasChecks: checks > 0, PassingSince: ar.passingSince}
	decided, healthy, recheck := decideHealth(in, now)
	if decided {
		ar.status.DeploymentStatus = &job.AllocHealth{Healthy: healthy, Timestamp: now, Canary: ar.alloc.Canary}
		if !ar.hasTemplates() {
			ar.needsView.Store(false)
		}
		ar.log.Info("deployment health decided", "healthy", healthy)
	}
	return recheck
}

// checksPassingLocked counts the checks of the registered services and
// reports whether all of them pass.
func (ar *allocRunner) checksPassingLocked() (int, bool) {
	n, passing := 0, true
	for _, reg := range ar.regs {
		for _, c := range reg.Checks {
			n++
			cur, ok := ar.c.view.Check(ar.c.cfg.NodeName, c.CheckID)
			if !ok || cur.Status != catalog.Passing {
				passing = false
			}
		}
	}
	return n, passing && n > 0
}

// sameInstance reports whether a registered instance already matches.
func sameInstance(a, b *catalog.Instance) bool {
	return a.Name == b.Name && a.Address == b.Address && a.Port == b.Port && a.Owner == b.Owner &&
		slices.Equal(a.Tags, b.Tags)
}

func (ar *allocRunner) hasTemplates() bool {
	for _, tr := range ar.runners {
		if len(tr.task.Templates) > 0 {
			return true
		}
	}
	return false
}
