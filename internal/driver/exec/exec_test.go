package exec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/driver/drivertest"
)

// newDriver returns the exec driver on this node's cgroups, or skips when
// they cannot be written (not root, no cpu and memory controllers).
func newDriver(t *testing.T) *Driver {
	t.Helper()
	d := New(Options{Parent: "orbit-test"})
	fp := d.Fingerprint(context.Background())
	if !fp.Healthy {
		t.Skipf("exec driver unusable on this machine, its real dependency is absent: %s", fp.Reason)
	}
	t.Logf("cgroup %s", fp.Attributes["driver.exec.cgroup"])
	t.Cleanup(func() {
		for _, root := range []string{d.cg.v2, d.cg.cpu, d.cg.memory} {
			if root != "" {
				os.Remove(filepath.Join(root, d.opts.Parent)) // fails while another test's group is inside
			}
		}
	})
	return d
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestExecLimitsAndCleanup(t *testing.T) {
	d := newDriver(t)
	bin := drivertest.BuildWebapp(t)
	port := drivertest.FreePort(t)
	ctx := context.Background()
	task, err := d.Start(ctx, &driver.TaskConfig{
		ID: fmt.Sprintf("limits-%d.web", os.Getpid()), TaskDir: t.TempDir(),
		Config:    map[string]any{"command": bin, "args": []any{"-addr", fmt.Sprintf("127.0.0.1:%d", port)}, "cpu_hard_limit": true},
		Resources: driver.Resources{CPUMHz: 500, MemoryMB: 64},
	})
	if err != nil {
		t.Fatal(err)
	}
	drivertest.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/health", port), 10*time.Second)
	dirs := CgroupDirs(task)
	pid := strconv.Itoa(task.Handle().PID)
	total, cores, _ := driver.HostCPU()
	quota := int64(500) * int64(cores) * cpuPeriodUS / int64(total)
	if d.cg.v2 != "" {
		dir := dirs[0]
		if got := readFile(t, filepath.Join(dir, "cpu.weight")); got != strconv.Itoa(sharesToWeight(500)) {
			t.Errorf("cpu.weight = %s, want %d", got, sharesToWeight(500))
		}
		if got := readFile(t, filepath.Join(dir, "memory.max")); got != strconv.Itoa(64<<20) {
			t.Errorf("memory.max = %s", got)
		}
		if got := readFile(t, filepath.Join(dir, "cpu.max")); got != fmt.Sprintf("%d %d", quota, cpuPeriodUS) {
			t.Errorf("cpu.max = %s, want %d %d", got, quota, cpuPeriodUS)
		}
	} else {
		if got := readFile(t, filepath.Join(dirs[0], "cpu.shares")); got != "500" {
			t.Errorf("cpu.shares = %s", got)
		}
		if got := readFile(t, filepath.Join(dirs[0], "cpu.cfs_quota_us")); got != strconv.FormatInt(quota, 10) {
			t.Errorf("cpu.cfs_quota_us = %s, want %d", got, quota)
		}
		if got := readFile(t, filepath.Join(dirs[1], "memory.limit_in_bytes")); got != strconv.Itoa(64<<20) {
			t.Errorf("memory.limit_in_bytes = %s", got)
		}
	}
	for _, dir := range dirs {
		if procs := strings.Fields(readFile(t, filepath.Join(dir, "cgroup.procs"))); !slices.Contains(procs, pid) {
			t.Errorf("task pid %s not in %s/cgroup.procs %v", pid, dir, procs)
		}
	}
	if err := task.Stop(ctx, syscall.SIGTERM, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if r := task.Result(); !r.Successful() || r.OOMKilled {
		t.Fatalf("result %v", r)
	}
	if err := task.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("cgroup %s left after destroy: %v", dir, err)
		}
	}
}

func TestExecReportsOOMKill(t *testing.T) {
	d := newDriver(t)
	bin := drivertest.BuildWebapp(t)
	ctx := context.Background()
	task, err := d.Start(ctx, &driver.TaskConfig{
		ID: fmt.Sprintf("oom-%d.hog", os.Getpid()), TaskDir: t.TempDir(),
		Config:    map[string]any{"command": bin, "args": []any{"-alloc-mb", "256", "-addr", "127.0.0.1:0"}},
		Resources: driver.Resources{CPUMHz: 100, MemoryMB: 32},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer task.Destroy(ctx)
	select {
	case <-task.Done():
	case <-time.After(30 * time.Second):
		task.Stop(ctx, syscall.SIGKILL, 0)
		t.Fatal("task allocating 256 MiB under a 32 MiB limit was not killed")
	}
	r := task.Result()
	if !r.OOMKilled || r.Signal != int(syscall.SIGKILL) {
		t.Fatalf("result %v (%+v), want OOM killed", r, r)
	}
}

func TestExecStopKillsEscapedChildren(t *testing.T) {
	d := newDriver(t)
	ctx := context.Background()
	pidFile := filepath.Join(t.TempDir(), "child")
	// The child leaves the task's process group with setsid; only the
	// cgroup still holds it.
	script := `setsid sleep 60 & echo $! > ` + pidFile + `; trap "" TERM; while true; do sleep 0.05; done`
	task, err := d.Start(ctx, &driver.TaskConfig{ID: fmt.Sprintf("escape-%d.sh", os.Getpid()), TaskDir: t.TempDir(),
		Config: map[string]any{"command": "/bin/sh", "args": []any{"-c", script}}, Resources: driver.Resources{CPUMHz: 100, MemoryMB: 64}})
	if err != nil {
		t.Fatal(err)
	}
	var child int
	for i := 0; i < 300 && child == 0; i++ {
		time.Sleep(10 * time.Millisecond)
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if child == 0 {
		t.Fatal("child pid not written")
	}
	if err := task.Stop(ctx, syscall.SIGTERM, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := task.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
	if len(b) > 0 && !strings.Contains(string(b), ") Z ") {
		t.Fatalf("escaped child %d survived the stop: %s", child, b)
	}
}

func TestSharesToWeight(t *testing.T) {
	for shares, want := range map[int]int{2: 1, 1024: 39, 262144: 10000, 0: 1, 500: 19} {
		if got := sharesToWeight(shares); got != want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}
