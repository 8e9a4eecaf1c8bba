package client

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/driver/rawexec"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/orbittest"
)

func shTask(name, script string, lc *job.Lifecycle) *job.Task {
	return &job.Task{Name: name, Driver: rawexec.Name, Lifecycle: lc, KillTimeout: time.Second,
		Config: job.Value{Kind: job.KindMap, Map: map[string]job.Value{"command": strVal("/bin/sh"), "args": listVal("-c", script)}}}
}

// A prestart hook runs to completion before the main task starts and is
// not restarted; a poststop hook runs once the main task is dead.
func TestLifecycleHooks(t *testing.T) {
	h := newHarness(t)
	h.startClient(true)
	j := h.webJob("hooks")
	g := j.Groups[0]
	g.Tasks = append([]*job.Task{
		shTask("init", `sleep 0.3; echo ready > "$NOMAD_ALLOC_DIR/data/init"`, &job.Lifecycle{Hook: hookPrestart}),
		shTask("cleanup", `echo done > "$NOMAD_ALLOC_DIR/data/cleanup"`, &job.Lifecycle{Hook: hookPoststop}),
	}, g.Tasks...)
	h.putJob(j, 0)
	a := newAlloc(j, "alloc-h", 0)
	h.putAlloc(a)
	st := h.waitStatus(a.ID, job.ClientRunning, 20*time.Second)
	init, main := st.TaskStates["init"], st.TaskStates["server"]
	if init.State != job.TaskDead || init.Failed || init.Restarts != 0 {
		t.Fatalf("prestart task %+v, want completed once", init)
	}
	if main.StartedAt.Before(init.FinishedAt) {
		t.Fatalf("main task started %v before the prestart hook finished %v", main.StartedAt, init.FinishedAt)
	}
	data := filepath.Join(h.dataDir, "alloc", a.ID, "alloc", "data")
	if _, err := os.Stat(filepath.Join(data, "init")); err != nil {
		t.Fatalf("prestart hook output: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "cleanup")); err == nil {
		t.Fatal("poststop hook ran while the main task runs")
	}
	a.DesiredStatus = job.DesiredStop
	h.putAlloc(a)
	st = h.waitStatus(a.ID, job.ClientComplete, 20*time.Second)
	orbittest.Eventually(t, 5*time.Second, "poststop hook output", func() bool {
		_, err := os.Stat(filepath.Join(data, "cleanup"))
		return err == nil
	})
	if cl := st.TaskStates["cleanup"]; cl.State != job.TaskDead || cl.Failed {
		t.Fatalf("poststop task %+v", cl)
	}
}
