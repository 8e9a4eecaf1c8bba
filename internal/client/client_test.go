package client

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/driver/drivertest"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/orbittest"
)

// An allocation runs on a dynamic port, with Nomad's environment; its
// service is registered with that port and goes passing; killing the
// process makes the restart policy bring it back; stopping deregisters the
// service shutdown_delay before the task gets its signal.
func TestAllocationLifecycle(t *testing.T) {
	h := newHarness(t)
	c, _ := h.startClient(true)
	j := h.webJob("web")
	h.putJob(j, 0)
	a := newAlloc(j, "alloc-1", 0)
	h.putAlloc(a)

	st := h.waitStatus(a.ID, job.ClientRunning, 20*time.Second)
	p := port(st, "http")
	if p < job.DynamicPortMin || p > job.DynamicPortMax {
		t.Fatalf("dynamic port %d outside %d-%d", p, job.DynamicPortMin, job.DynamicPortMax)
	}
	if st.Ports[0].HostIP != "127.0.0.1" {
		t.Fatalf("port host ip %q", st.Ports[0].HostIP)
	}
	url := baseURL(p)
	drivertest.WaitHTTP(t, url+"/health", 10*time.Second)

	env := map[string]string{}
	getJSON(t, url+"/env", &env)
	allocDir := filepath.Join(h.dataDir, "alloc", a.ID)
	want := map[string]string{
		"NOMAD_PORT_http": strconv.Itoa(p), "NOMAD_HOST_PORT_http": strconv.Itoa(p), "NOMAD_IP_http": "127.0.0.1",
		"NOMAD_ADDR_http": "127.0.0.1:" + strconv.Itoa(p), "ORBIT_ADDR_http": "127.0.0.1:" + strconv.Itoa(p),
		"NOMAD_ALLOC_ID": a.ID, "ORBIT_ALLOC_ID": a.ID, "NOMAD_JOB_NAME": "web", "NOMAD_GROUP_NAME": "g",
		"NOMAD_TASK_NAME": "server", "NOMAD_ALLOC_INDEX": "0", "NOMAD_CPU_LIMIT": "100", "NOMAD_MEMORY_LIMIT": "64",
		"NOMAD_ALLOC_DIR":   filepath.Join(allocDir, "alloc"),
		"NOMAD_TASK_DIR":    filepath.Join(allocDir, "server", "local"),
		"NOMAD_SECRETS_DIR": filepath.Join(allocDir, "server", "secrets"),
		"WHERE":             testNode + ":" + strconv.Itoa(p),
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("task env %s = %q, want %q", k, env[k], v)
		}
	}

	var inst *catalog.Instance
	orbittest.Eventually(t, 15*time.Second, "service passing", func() bool {
		es := h.v.Entries("web")
		if len(es) != 1 {
			return false
		}
		inst = es[0].Instance
		return es[0].Status == catalog.Passing
	})
	if inst.Port != p || inst.Address != "127.0.0.1" || inst.Owner != a.ID {
		t.Fatalf("instance %+v, want port %d owned by %s", inst, p, a.ID)
	}
	if !inst.HasTag("port-" + strconv.Itoa(p)) {
		t.Errorf("tags %v not interpolated", inst.Tags)
	}
	if inst.ID != "_nomad-task-alloc-1-group-g-web-http" {
		t.Errorf("instance id %q", inst.ID)
	}

	// Kill the process behind the agent's back: the restart policy brings
	// it back on the same port, and the service passes again.
	pid := getPID(t, url)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 15*time.Second, "task restarted", func() bool {
		st := h.status(a.ID)
		ts := st.TaskStates["server"]
		return ts.Restarts == 1 && ts.State == job.TaskRunning
	})
	drivertest.WaitHTTP(t, url+"/health", 10*time.Second)
	if getPID(t, url) == pid {
		t.Fatal("same pid after restart")
	}
	orbittest.Eventually(t, 15*time.Second, "service passing after restart", func() bool {
		es := h.v.Entries("web")
		return len(es) == 1 && es[0].Status == catalog.Passing
	})

	// Logs are collected into rotated files and readable through OpenLog.
	r, err := c.OpenLog(context.Background(), a.ID, "server", "stdout", 0, "start", false)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	r.Close()
	if n := len(regexp.MustCompile(`listening on`).FindAll(out, -1)); n != 2 {
		t.Fatalf("stdout log has %d 'listening on' lines, want 2 (start and restart):\n%s", n, out)
	}

	// Stop: the service must be gone before the task is signalled, by at
	// least the shutdown delay.
	deregistered := make(chan time.Time, 1)
	go func() {
		for len(h.v.Entries("web")) > 0 {
			time.Sleep(2 * time.Millisecond)
		}
		deregistered <- time.Now()
	}()
	a.DesiredStatus = job.DesiredStop
	h.putAlloc(a)
	st = h.waitStatus(a.ID, job.ClientComplete, 20*time.Second)
	if ts := st.TaskStates["server"]; ts.State != job.TaskDead || ts.Failed {
		t.Fatalf("task state %+v", ts)
	}
	gone := <-deregistered
	logs, _ := os.ReadFile(filepath.Join(allocDir, "alloc", "logs", "server.stdout.0"))
	m := regexp.MustCompile(`got terminated at (\d+)`).FindSubmatch(logs)
	if m == nil {
		t.Fatalf("task never got SIGTERM; stdout:\n%s", logs)
	}
	ns, _ := strconv.ParseInt(string(m[1]), 10, 64)
	signalled := time.Unix(0, ns)
	if gap := signalled.Sub(gone); gap < 600*time.Millisecond {
		t.Fatalf("task signalled %v after its service was deregistered, want at least the 700ms shutdown delay", gap)
	}
	if _, err := os.Stat(allocDir); err != nil {
		t.Fatalf("allocation dir removed while the allocation exists: %v", err)
	}

	// The scheduler garbage-collects the allocation: its directory goes.
	h.deleteAlloc(a.ID)
	orbittest.Eventually(t, 10*time.Second, "allocation dir removed", func() bool {
		_, err := os.Stat(allocDir)
		return os.IsNotExist(err)
	})
}
