package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/driver/docker/dockertest"
	"github.com/orbit/orbit/internal/driver/drivertest"
)

// newDriver returns the driver on this machine's Engine, or skips when no
// daemon answers.
func newDriver(t *testing.T) *Driver {
	t.Helper()
	d := New(Options{})
	t.Cleanup(func() { d.Close() })
	fp := d.Fingerprint(context.Background())
	if !fp.Healthy {
		t.Skipf("no Docker daemon answers on this machine, the docker driver's real dependency is absent: %s", fp.Reason)
	}
	return d
}

func TestDockerRunsPublishesStopsAndRemoves(t *testing.T) {
	d := newDriver(t)
	tag := dockertest.BuildWebappImage(t, dockertest.Client(t))
	ctx := context.Background()
	port := drivertest.FreePort(t)
	dir := t.TempDir()
	for _, sub := range []string{"alloc", "task/local", "task/secrets"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
	}
	fifo := filepath.Join(dir, "stdout.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	logs, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	cfg := &driver.TaskConfig{
		ID: "a1.web", AllocID: fmt.Sprintf("a%d", time.Now().UnixNano()), TaskName: "web", JobName: "j", GroupName: "g",
		TaskDir: filepath.Join(dir, "task"), AllocDir: filepath.Join(dir, "alloc"), StdoutPath: fifo,
		Config: map[string]any{"image": tag, "args": []any{"-addr", ":8080"}, "ports": []any{"http"},
			"labels": []any{map[string]any{"team": "infra"}}},
		Env:       map[string]string{"GREETING": "hello"},
		Ports:     []driver.PortMapping{{Label: "http", HostIP: "127.0.0.1", Value: port, To: 8080}},
		Resources: driver.Resources{CPUMHz: 100, MemoryMB: 64},
	}
	task, err := d.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	id := task.Handle().ContainerID
	t.Cleanup(func() { task.Destroy(context.Background()) })
	drivertest.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/health", port), 20*time.Second)

	cli, _ := d.client(ctx)
	ins, err := cli.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if ins.Config.Labels["team"] != "infra" || ins.Config.Labels[LabelAllocID] != cfg.AllocID {
		t.Errorf("labels %v", ins.Config.Labels)
	}
	if ins.HostConfig.Memory != 64<<20 {
		t.Errorf("memory limit %d", ins.HostConfig.Memory)
	}
	found := false
	for _, e := range ins.Config.Env {
		found = found || e == "GREETING=hello"
	}
	if !found {
		t.Errorf("env %v lacks GREETING", ins.Config.Env)
	}
	logs.SetReadDeadline(time.Now().Add(10 * time.Second))
	line := make([]byte, 256)
	n, _ := logs.Read(line)
	if !strings.Contains(string(line[:n]), "listening on") {
		t.Errorf("stdout FIFO got %q", line[:n])
	}

	// Re-attach by container id, as a restarted agent does.
	h := task.Handle()
	task.Detach()
	task, err = d.Recover(ctx, cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Stop(ctx, syscall.SIGINT, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if r := task.Result(); !r.Successful() {
		t.Fatalf("container exit %v, want a clean exit on SIGINT", r)
	}
	if err := task.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ContainerInspect(ctx, id); !client.IsErrNotFound(err) {
		t.Fatalf("container still there after destroy: %v", err)
	}
	if _, err := d.Recover(ctx, cfg, h); !errors.Is(err, driver.ErrTaskGone) {
		t.Fatalf("recover removed container: %v", err)
	}
}

func TestDockerMissingImageIsNamed(t *testing.T) {
	d := newDriver(t)
	ref := "orbit-no-such-image:v0"
	_, err := d.Start(context.Background(), &driver.TaskConfig{ID: "x.y", TaskDir: t.TempDir(), Config: map[string]any{"image": ref}})
	if err == nil || !strings.Contains(err.Error(), ref) || !strings.Contains(err.Error(), "could not be pulled") {
		t.Fatalf("err = %v, want one naming %s", err, ref)
	}
}

func TestDockerAbsentDaemon(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "docker.sock")
	d := New(Options{Host: sock})
	defer d.Close()
	fp := d.Fingerprint(context.Background())
	if fp.Detected || !strings.Contains(fp.Reason, "docker daemon not reachable at "+sock) {
		t.Fatalf("fingerprint %+v", fp)
	}
	_, err := d.Start(context.Background(), &driver.TaskConfig{ID: "x.y", Config: map[string]any{"image": "busybox"}})
	if err == nil || !strings.Contains(err.Error(), "docker daemon not reachable") {
		t.Fatalf("start err = %v", err)
	}
}

func TestDockerConfigErrors(t *testing.T) {
	d := New(Options{Host: "unix:///nonexistent"})
	defer d.Close()
	for name, c := range map[string]map[string]any{
		"no image":     {},
		"unknown key":  {"image": "x", "imag": "y"},
		"unknown port": {"image": "x", "ports": []any{"nope"}},
		"bad volume":   {"image": "x", "volumes": []any{"justapath"}},
	} {
		_, err := d.Start(context.Background(), &driver.TaskConfig{ID: "x.y", Config: c})
		if !errors.Is(err, driver.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}
