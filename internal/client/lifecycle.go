package client

import "github.com/orbit/orbit/internal/job"

// Lifecycle hooks, as Nomad names them.
const (
	hookPrestart  = "prestart"
	hookPoststart = "poststart"
	hookPoststop  = "poststop"
)

func (tr *taskRunner) hook() string {
	if tr.task.Lifecycle == nil {
		return ""
	}
	return tr.task.Lifecycle.Hook
}

// ephemeral reports a hook task that runs to completion (not a sidecar):
// it is done, not restarted, once it exits successfully.
func (tr *taskRunner) ephemeral() bool {
	return tr.task.Lifecycle != nil && !tr.task.Lifecycle.Sidecar
}

// main reports a task that must be running for the allocation to run:
// a task without a hook, or a sidecar.
func (tr *taskRunner) main() bool { return tr.hook() == "" || !tr.ephemeral() }

// restartType is the job type the restart policy treats the task as:
// ephemeral hooks complete like batch tasks.
func (tr *taskRunner) restartType() string {
	if tr.ephemeral() {
		return job.TypeBatch
	}
	return tr.ar.job.Type
}

// startTasks launches the tasks whose turn has come: prestart hooks
// first; the others once every prestart hook completed (or, for a
// sidecar, runs); poststop hooks once every other task is dead. Tasks that
// completed before an agent restart are not run again. Called from the
// runner's goroutine only.
func (ar *allocRunner) startTasks() {
	ar.mu.Lock()
	state := func(tr *taskRunner) *job.TaskState {
		ts := ar.status.TaskStates[tr.task.Name]
		if ts == nil {
			return &job.TaskState{}
		}
		return ts
	}
	var launch []*taskRunner
	prestartDone, othersDead := true, true
	for _, tr := range ar.runners {
		ts := state(tr)
		if !tr.launched && tr.ephemeral() && ts.State == job.TaskDead && !ts.Failed {
			tr.launched = true // completed before an agent restart
		}
		if tr.hook() == hookPrestart {
			if !tr.launched {
				launch = append(launch, tr)
			}
			if (tr.ephemeral() && (ts.State != job.TaskDead || ts.Failed)) || (!tr.ephemeral() && ts.State != job.TaskRunning) {
				prestartDone = false
			}
		}
		if tr.hook() != hookPoststop && ts.State != job.TaskDead {
			othersDead = false
		}
	}
	for _, tr := range ar.runners {
		switch {
		case tr.launched || tr.hook() == hookPrestart:
		case tr.hook() == hookPoststop:
			if othersDead {
				launch = append(launch, tr)
			}
		case prestartDone:
			launch = append(launch, tr)
		}
	}
	for _, tr := range launch {
		tr.launched = true
	}
	ar.mu.Unlock()
	for _, tr := range launch {
		ar.tasks.Go(tr.run)
	}
}

// killTask stops a launched task, or marks one that never ran dead.
func (ar *allocRunner) killTask(tr *taskRunner) {
	ar.mu.Lock()
	launched := tr.launched
	if !launched {
		tr.launched = true
		if ts := ar.status.TaskStates[tr.task.Name]; ts != nil && ts.State != job.TaskDead {
			ts.State, ts.FinishedAt = job.TaskDead, ar.c.clock.Now()
		}
	}
	ar.mu.Unlock()
	if launched {
		tr.kill()
	}
}
