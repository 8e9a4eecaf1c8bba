package rawexec_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/driver/drivertest"
	"github.com/orbit/orbit/internal/driver/rawexec"
)

func TestRawExecRunsStopsAndRecovers(t *testing.T) {
	bin := drivertest.BuildWebapp(t)
	port := drivertest.FreePort(t)
	d := rawexec.New()
	if fp := d.Fingerprint(context.Background()); !fp.Detected || !fp.Healthy {
		t.Fatalf("fingerprint %+v", fp)
	}
	cfg := &driver.TaskConfig{
		ID: "a1.web", TaskDir: t.TempDir(),
		Config: map[string]any{"command": bin, "args": []any{"-addr", fmt.Sprintf("127.0.0.1:%d", port)}},
		Env:    map[string]string{"GREETING": "hello"},
	}
	ctx := context.Background()
	task, err := d.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	drivertest.WaitHTTP(t, url+"/health", 10*time.Second)
	env := getEnv(t, url)
	if env["GREETING"] != "hello" {
		t.Fatalf("task env %v lacks GREETING", env)
	}
	if pgid, _ := syscall.Getpgid(task.Handle().PID); pgid != task.Handle().PID {
		t.Fatalf("task is not its own process group leader: pgid %d pid %d", pgid, task.Handle().PID)
	}

	// The agent goes away; a new one re-attaches by handle.
	h := task.Handle()
	task.Detach()
	drivertest.WaitHTTP(t, url+"/health", time.Second)
	again, err := d.Recover(ctx, cfg, h)
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	if err := again.Stop(ctx, syscall.SIGINT, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if r := again.Result(); !r.Successful() {
		t.Fatalf("webapp did not exit cleanly on SIGINT: %v", r)
	}
	if _, err := d.Recover(ctx, cfg, h); !errors.Is(err, driver.ErrTaskGone) {
		t.Fatalf("recover after exit: %v, want ErrTaskGone", err)
	}
}

func TestRawExecConfigErrors(t *testing.T) {
	d := rawexec.New()
	for name, c := range map[string]map[string]any{
		"no command":  {},
		"unknown key": {"command": "/bin/true", "comand": "x"},
		"missing bin": {"command": "no-such-binary-anywhere"},
	} {
		_, err := d.Start(context.Background(), &driver.TaskConfig{ID: "x", TaskDir: t.TempDir(), Config: c})
		if err == nil {
			t.Errorf("%s: started", name)
		}
	}
}

func getEnv(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, err := http.Get(url + "/env")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	env := map[string]string{}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return env
}
