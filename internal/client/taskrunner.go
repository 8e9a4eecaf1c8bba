package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/job"
)

// ContainerPaths is implemented by drivers whose tasks see the allocation
// directories at other paths (docker: /alloc, /local, /secrets).
type ContainerPaths interface {
	ContainerPaths() (allocDir, taskDir, secretsDir string)
}

// taskRunner runs one task: it renders its templates, starts it through
// its driver (or re-attaches), restarts it by the restart policy, applies
// template changes, and kills it when asked.
type taskRunner struct {
	ar   *allocRunner
	task *job.Task
	log  *slog.Logger

	viewCh   chan struct{} // the view changed: re-render templates (capacity 1)
	killCh   chan struct{} // closed to stop the task for good
	killOnce sync.Once

	env      map[string]string // guarded by ar.mu; nil until first built
	launched bool              // guarded by ar.mu; its run goroutine was started

	// Owned by the run goroutine.
	drv     driver.Driver
	tracker restartTracker
	tpls    []*tplState
	tplEnv  map[string]string
	// identEnv are the identity tokens' variables (NOMAD_TOKEN...),
	// guarded by ar.mu as tplEnv.
	identEnv map[string]string
	// consulToken is the task's derived Consul token ("" without one);
	// its templates read with its rights.
	consulToken string
	missing     string // the last "missing keys" event, to report once
}

type tplState struct {
	tpl     *job.Template
	path    string
	content string
}

type outcome int

const (
	exited outcome = iota
	killed
	detached
	restartRequested
)

func newTaskRunner(ar *allocRunner, t *job.Task) *taskRunner {
	return &taskRunner{ar: ar, task: t, log: ar.log.With("task", t.Name),
		viewCh: make(chan struct{}, 1), killCh: make(chan struct{})}
}

// kill asks the task to stop for good (idempotent).
func (tr *taskRunner) kill() { tr.killOnce.Do(func() { close(tr.killCh) }) }

func (tr *taskRunner) now() time.Time { return tr.ar.c.clock.Now() }

func (tr *taskRunner) event(typ, msg string, fn func(ts *job.TaskState)) {
	now := tr.now()
	tr.ar.setTask(tr.task.Name, func(ts *job.TaskState) {
		addEvent(ts, job.TaskEvent{Type: typ, Time: now, Message: msg})
		if fn != nil {
			fn(ts)
		}
	})
}

func (tr *taskRunner) run() {
	dir := filepath.Join(tr.ar.c.allocDir(tr.ar.id), "alloc", "logs")
	logs, err := tr.startLogs(dir)
	if err != nil {
		tr.dead("Setup Failure", err.Error(), true)
		return
	}
	defer func() {
		for _, l := range logs {
			l.stop(200 * time.Millisecond)
		}
	}()
	tr.ar.mu.Lock()
	handle := tr.ar.st.Handles[tr.task.Name]
	tr.ar.mu.Unlock()
	for {
		task, err := tr.start(handle)
		handle = nil
		if err != nil {
			if errors.Is(err, errStopped) {
				return
			}
			typ := "Driver Failure"
			if errors.Is(err, driver.ErrTaskGone) {
				typ = "Terminated"
			}
			tr.log.Warn("task did not start", "err", err)
			if !tr.afterExit(typ, err.Error(), false) {
				return
			}
			continue
		}
		switch tr.supervise(task) {
		case exited:
			if !tr.afterExit("", "", task.Result().Successful()) {
				return
			}
		case killed, detached:
			return
		case restartRequested:
		}
	}
}

// errStopped means the task runner was killed or detached while waiting.
var errStopped = errors.New("task runner stopped")

func (tr *taskRunner) startLogs(dir string) ([]*logCollector, error) {
	lc := tr.task.Logs
	if lc == nil {
		lc = job.DefaultLogs()
	}
	var out []*logCollector
	for _, stream := range []string{"stdout", "stderr"} {
		rot, err := newRotator(dir, tr.task.Name+"."+stream, lc.MaxFiles, int64(lc.MaxFileSizeMB)<<20)
		if err != nil {
			return nil, err
		}
		c, err := startCollector(tr.fifo(stream), rot)
		if err != nil {
			rot.Close()
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (tr *taskRunner) fifo(stream string) string {
	return filepath.Join(tr.ar.c.allocDir(tr.ar.id), "alloc", "logs", "."+tr.task.Name+"."+stream+".fifo")
}

// start resolves the driver, renders the templates (waiting for missing
// keys) and starts the task, or re-attaches to it with handle.
func (tr *taskRunner) start(handle *driver.Handle) (driver.Task, error) {
	drv, err := tr.ar.c.driver(tr.task.Driver)
	if err != nil {
		return nil, err
	}
	tr.drv = drv
	if err := tr.signIdentities(); err != nil {
		return nil, err
	}
	if err := tr.renderFirst(); err != nil {
		return nil, err
	}
	cfg := tr.taskConfig()
	ctx, cancel := context.WithTimeout(tr.ar.detach, 5*time.Minute)
	defer cancel()
	var task driver.Task
	if handle != nil {
		task, err = drv.Recover(ctx, cfg, *handle)
		if err == nil {
			tr.log.Info("re-attached to task", "driver", drv.Name())
			tr.saveHandle(task)
			tr.event("Reattached", "Re-attached to the running task after an agent restart", func(ts *job.TaskState) {
				ts.State = job.TaskRunning
			})
			return task, nil
		}
		tr.clearHandle()
		return nil, fmt.Errorf("task exited while the agent was down: %w", err)
	}
	task, err = drv.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	tr.ar.c.metrics.starts.WithLabelValues(drv.Name()).Inc()
	tr.saveHandle(task)
	now := tr.now()
	tr.event("Started", "Task started by client", func(ts *job.TaskState) {
		ts.State, ts.StartedAt, ts.FinishedAt = job.TaskRunning, now, time.Time{}
	})
	return task, nil
}

func (tr *taskRunner) saveHandle(t driver.Task) {
	h := t.Handle()
	tr.ar.mu.Lock()
	tr.ar.st.Handles[tr.task.Name] = &h
	tr.ar.mu.Unlock()
	tr.ar.save()
}

func (tr *taskRunner) clearHandle() {
	tr.ar.mu.Lock()
	delete(tr.ar.st.Handles, tr.task.Name)
	tr.ar.mu.Unlock()
}

// supervise waits for the task to exit, a kill, a detach or a template
// change.
func (tr *taskRunner) supervise(task driver.Task) outcome {
	for {
		select {
		case <-task.Done():
			res := task.Result()
			tr.destroy(task)
			tr.ar.setTask(tr.task.Name, func(ts *job.TaskState) {
				addEvent(ts, job.TaskEvent{Type: "Terminated", Time: tr.now(), Message: res.String(),
					ExitCode: res.ExitCode, Signal: res.Signal, OOM: res.OOMKilled})
			})
			return exited
		case <-tr.killCh:
			tr.killTask(task)
			return killed
		case <-tr.ar.detach.Done():
			task.Detach()
			return detached
		case <-tr.viewCh:
			mode, sig := tr.rerender()
			switch mode {
			case job.ChangeModeRestart:
				tr.event("Restart Signaled", "Template with change_mode restart re-rendered", nil)
				tr.stopTask(task)
				tr.destroy(task)
				tr.ar.c.metrics.restarts.Inc()
				now := tr.now()
				tr.ar.setTask(tr.task.Name, func(ts *job.TaskState) {
					ts.State, ts.Restarts, ts.LastRestart = job.TaskPending, ts.Restarts+1, now
					addEvent(ts, job.TaskEvent{Type: "Restarting", Time: now, Message: "Task restarting in 0s"})
				})
				return restartRequested
			case job.ChangeModeSignal:
				tr.event("Signaling", "Template re-rendered", nil)
				if err := task.Signal(sig); err != nil {
					tr.log.Warn("signal task after template change", "err", err)
				}
			}
		}
	}
}

// stopTask sends the kill signal and kills after the kill timeout.
func (tr *taskRunner) stopTask(task driver.Task) {
	sig, err := driver.ParseSignal(tr.task.KillSignal)
	if err != nil {
		sig = driver.Signal(15)
	}
	timeout := tr.task.KillTimeout
	if timeout <= 0 {
		timeout = job.DefaultKillTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	if err := task.Stop(ctx, sig, timeout); err != nil {
		tr.log.Error("stop task", "err", err)
	}
}

func (tr *taskRunner) destroy(task driver.Task) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := task.Destroy(ctx); err != nil {
		tr.log.Warn("destroy task", "err", err)
	}
	tr.clearHandle()
}

// killTask stops the task for good: its services are already gone; it
// waits the task's shutdown delay, then signals it.
func (tr *taskRunner) killTask(task driver.Task) {
	timeout := tr.task.KillTimeout
	if timeout <= 0 {
		timeout = job.DefaultKillTimeout
	}
	tr.event("Killing", fmt.Sprintf("Sent interrupt. Waiting %v before force killing", timeout), nil)
	if d := tr.task.ShutdownDelay; d > 0 {
		<-tr.ar.c.clock.After(d)
	}
	tr.stopTask(task)
	res := task.Result()
	tr.destroy(task)
	now := tr.now()
	tr.ar.setTask(tr.task.Name, func(ts *job.TaskState) {
		addEvent(ts, job.TaskEvent{Type: "Killed", Time: now, Message: "Task successfully killed",
			ExitCode: res.ExitCode, Signal: res.Signal})
		ts.State, ts.FinishedAt = job.TaskDead, now
	})
}

// afterExit applies the restart policy to an exit (or a failed start) and
// waits the restart delay; it reports whether the task runs again.
func (tr *taskRunner) afterExit(typ, msg string, success bool) bool {
	if typ != "" {
		tr.event(typ, msg, nil)
	}
	p := tr.ar.job.TaskRestart(tr.ar.group, tr.task)
	if p == nil {
		p = job.DefaultRestart(tr.ar.job.Type)
	}
	now := tr.now()
	var d restartDecision
	tr.tracker, d = decideRestart(p, tr.tracker, tr.restartType(), success, now)
	switch {
	case d.Failed:
		tr.ar.c.metrics.failures.Inc()
		tr.dead("Not Restarting", d.Reason, true)
		return false
	case !d.Restart:
		tr.dead("", "", false)
		return false
	}
	tr.ar.c.metrics.restarts.Inc()
	tr.ar.setTask(tr.task.Name, func(ts *job.TaskState) {
		ts.State, ts.Restarts, ts.LastRestart = job.TaskPending, ts.Restarts+1, now
		addEvent(ts, job.TaskEvent{Type: "Restarting", Time: now, Message: fmt.Sprintf("%s; task restarting in %v", d.Reason, d.Delay)})
	})
	select {
	case <-tr.ar.c.clock.After(d.Delay):
		return true
	case <-tr.killCh:
		tr.dead("Killed", "Task killed while waiting to restart", false)
		return false
	case <-tr.ar.detach.Done():
		return false
	}
}

// dead marks the task dead for good.
func (tr *taskRunner) dead(typ, msg string, failed bool) {
	now := tr.now()
	tr.ar.setTask(tr.task.Name, func(ts *job.TaskState) {
		if typ != "" {
			addEvent(ts, job.TaskEvent{Type: typ, Time: now, Message: msg})
		}
		ts.State, ts.FinishedAt = job.TaskDead, now
		ts.Failed = ts.Failed || failed
	})
}

// paths are the directories as the task sees them.
func (tr *taskRunner) paths() taskPaths {
	if cp, ok := tr.drv.(ContainerPaths); ok {
		a, t, s := cp.ContainerPaths()
		return taskPaths{AllocDir: a, TaskDir: t, SecretsDir: s}
	}
	dir := tr.ar.c.allocDir(tr.ar.id)
	return taskPaths{AllocDir: filepath.Join(dir, "alloc"), TaskDir: filepath.Join(dir, tr.task.Name, "local"),
		SecretsDir: filepath.Join(dir, tr.task.Name, "secrets")}
}

func (tr *taskRunner) resources() job.AllocResources {
	tr.ar.mu.Lock()
	defer tr.ar.mu.Unlock()
	if r, ok := tr.ar.alloc.Tasks[tr.task.Name]; ok {
		return r
	}
	if r := tr.task.Resources; r != nil {
		return job.AllocResources{CPU: r.CPU, MemoryMB: r.MemoryMB, MemoryMaxMB: r.MemoryMaxMB, DiskMB: r.DiskMB}
	}
	return job.AllocResources{CPU: 100, MemoryMB: 300}
}

// buildEnv computes the task's environment with the current template
// variables and stores it for service registration.
func (tr *taskRunner) buildEnv() map[string]string {
	var host []string
	if _, container := tr.drv.(ContainerPaths); !container {
		host = os.Environ()
	}
	facts := tr.ar.c.nodeFacts() // before ar.mu: the lock order is c.mu, then ar.mu
	tr.ar.mu.Lock()
	in := envInput{Alloc: tr.ar.alloc, Job: tr.ar.job, Group: tr.ar.group, Task: tr.task, Ports: tr.ar.st.Ports,
		Paths: tr.paths(), Node: facts, Templates: tr.tplEnv, Identities: tr.identEnv, Host: host}
	tr.ar.mu.Unlock()
	in.Res = tr.resources()
	env := buildEnv(in)
	tr.ar.mu.Lock()
	tr.env = env
	tr.ar.mu.Unlock()
	return env
}

// taskConfig is what the driver gets.
func (tr *taskRunner) taskConfig() *driver.TaskConfig {
	env := tr.buildEnv()
	facts := tr.ar.c.nodeFacts()
	conf, _ := interpolateAny(tr.task.Config.Plain(), env, facts).(map[string]any)
	res := tr.resources()
	dir := tr.ar.c.allocDir(tr.ar.id)
	cfg := &driver.TaskConfig{
		ID: tr.ar.id + "." + tr.task.Name, AllocID: tr.ar.id, JobName: tr.ar.job.ID, GroupName: tr.ar.group.Name,
		TaskName: tr.task.Name, Config: conf, Env: env, User: tr.task.User,
		TaskDir: filepath.Join(dir, tr.task.Name), AllocDir: filepath.Join(dir, "alloc"),
		StdoutPath: tr.fifo("stdout"), StderrPath: tr.fifo("stderr"),
		Resources: driver.Resources{CPUMHz: res.CPU, MemoryMB: res.MemoryMB, MemoryMaxMB: res.MemoryMaxMB},
	}
	tr.ar.mu.Lock()
	for _, p := range tr.ar.st.Ports {
		cfg.Ports = append(cfg.Ports, driver.PortMapping{Label: p.Label, HostIP: p.HostIP, Value: p.Value, To: p.To})
	}
	tr.ar.mu.Unlock()
	for _, vm := range tr.task.VolumeMounts {
		for _, v := range tr.ar.group.Volumes {
			if v.Name != vm.Volume {
				continue
			}
			if hv, ok := tr.ar.c.cfg.HostVolumes[v.Source]; ok {
				cfg.Mounts = append(cfg.Mounts, driver.Mount{HostPath: hv.Path, TaskPath: vm.Destination,
					ReadOnly: vm.ReadOnly || v.ReadOnly || hv.ReadOnly})
			}
		}
	}
	return cfg
}

// taskSignal parses a change_signal, defaulting to SIGHUP.
func taskSignal(name string) driver.Signal {
	if strings.TrimSpace(name) == "" {
		name = "SIGHUP"
	}
	s, err := driver.ParseSignal(name)
	if err != nil {
		return driver.Signal(1)
	}
	return s
}
