package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// cliJob runs the test webapp; -var args adds arguments (a failing
// version passes -exit-after), -var min_healthy the time a new
// allocation must stay healthy before the deployment counts it.
const cliJob = `
variable "count" {
  type    = number
  default = 1
}
variable "bin" {
  type = string
}
variable "args" {
  type    = list(string)
  default = []
}
variable "min_healthy" {
  type    = string
  default = "1s"
}
job "web" {
  datacenters = ["dc1"]
  group "app" {
    count = var.count
    network {
      port "http" {}
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    update {
      max_parallel      = 1
      min_healthy_time  = var.min_healthy
      healthy_deadline  = "20s"
      progress_deadline = "40s"
    }
    task "server" {
      driver = "raw_exec"
      config {
        command = var.bin
        args    = concat(["-addr", "127.0.0.1:${NOMAD_PORT_http}"], var.args)
      }
    }
  }
}
`

// run runs one CLI command against the agent at addr and returns its exit
// status with what it printed.
func run(t *testing.T, addr string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "ORBIT_ADDR" {
			return addr
		}
		return ""
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var code int
	switch args[0] {
	case "job":
		code = cmdJob(ctx, e, args[1:])
	case "alloc":
		code = cmdAlloc(ctx, e, args[1:])
	case "node":
		code = cmdNode(ctx, e, args[1:])
	}
	return code, out.String() + errb.String()
}

// jobEnv is a real agent (in process, dev mode, running raw_exec tasks) and
// the job file the tests submit to it.
type jobEnv struct {
	t          *testing.T
	url, file  string
	bin, dir   string
	agentClose func()
}

func newJobEnv(t *testing.T) *jobEnv {
	a := testagent.Start(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "web.nomad.hcl")
	if err := os.WriteFile(file, []byte(cliJob), 0o644); err != nil {
		t.Fatal(err)
	}
	return &jobEnv{t: t, url: a.URL, file: file, bin: orbittest.Webapp(t), dir: dir}
}

// job runs `orbit job SUB ... -var bin=... [vars] FILE` for run and plan.
func (e *jobEnv) job(sub string, vars ...string) (int, string) {
	args := []string{"job", sub, "-var", "bin=" + e.bin}
	for _, v := range vars {
		if strings.HasPrefix(v, "-") {
			args = append(args, v)
			continue
		}
		args = append(args, "-var", v)
	}
	return run(e.t, e.url, append(args, e.file)...)
}

func TestJobCommands(t *testing.T) {
	e := newJobEnv(t)
	url := e.url
	code, out := e.job("run", "count=2")
	if code != 0 || !strings.Contains(out, `Evaluation status changed: "complete"`) || !strings.Contains(out, "successful") {
		t.Fatalf("job run: exit %d\n%s", code, out)
	}
	if strings.Count(out, "Allocation \"") != 2 {
		t.Fatalf("job run did not list 2 placements:\n%s", out)
	}
	code, out = run(t, url, "job", "status", "web")
	if code != 0 || strings.Count(out, "running") < 3 || !strings.Contains(out, "successful") {
		t.Fatalf("job status: exit %d\n%s", code, out)
	}
	code, out = run(t, url, "job", "status")
	if code != 0 || !strings.Contains(out, "web") || !strings.Contains(out, "service") {
		t.Fatalf("job list: exit %d\n%s", code, out)
	}
	code, out = e.job("plan", "count=3")
	if code != 1 || !strings.Contains(out, `~ TaskGroups[app].Count: "2" => "3"`) || !strings.Contains(out, "1 create") {
		t.Fatalf("job plan: exit %d\n%s", code, out)
	}
	code, out = e.job("run", "-detach", "count=3")
	if code != 0 || !strings.Contains(out, "Evaluation ID:") {
		t.Fatalf("job run -detach: exit %d\n%s", code, out)
	}
	orbittest.Eventually(t, 60*time.Second, "3 running", func() bool {
		_, out := run(t, url, "job", "status", "web")
		return strings.Count(out, " run ") == 3 && strings.Count(out, "running") >= 4
	})
	code, out = run(t, url, "job", "history", "web")
	if code != 0 || !strings.Contains(out, "Version     = 1") || !strings.Contains(out, "Count") {
		t.Fatalf("job history: exit %d\n%s", code, out)
	}
	code, out = run(t, url, "job", "revert", "web", "0")
	if code != 0 {
		t.Fatalf("job revert: exit %d\n%s", code, out)
	}
	code, out = run(t, url, "node", "status")
	if code != 0 || !strings.Contains(out, "node1") || !strings.Contains(out, "raw_exec") || !strings.Contains(out, "ready") {
		t.Fatalf("node status: exit %d\n%s", code, out)
	}
	_, status := run(t, url, "job", "status", "web")
	var prefix string
	for _, line := range strings.Split(status, "\n") {
		if strings.Contains(line, "node1") && strings.Contains(line, " run ") && strings.Contains(line, "running") {
			prefix = strings.Fields(line)[0]
			break
		}
	}
	code, out = run(t, url, "alloc", "status", prefix)
	if code != 0 || !strings.Contains(out, "127.0.0.1:") || !strings.Contains(out, "Task started by client") {
		t.Fatalf("alloc status %s: exit %d\n%s", prefix, code, out)
	}
	code, out = run(t, url, "alloc", "logs", prefix)
	if code != 0 || !strings.Contains(out, "listening on 127.0.0.1:") {
		t.Fatalf("alloc logs: exit %d\n%q", code, out)
	}
	code, out = run(t, url, "job", "stop", "-purge", "web")
	if code != 0 {
		t.Fatalf("job stop: exit %d\n%s", code, out)
	}
	if code, out = run(t, url, "job", "status", "web"); code == 0 {
		t.Fatalf("purged job still has a status:\n%s", out)
	}
	code, out = run(t, url, "job", "run", filepath.Join(e.dir, "missing.hcl"))
	if code == 0 || !strings.Contains(out, "missing.hcl") {
		t.Fatalf("missing file: exit %d\n%s", code, out)
	}
	bad := filepath.Join(e.dir, "bad.hcl")
	os.WriteFile(bad, []byte("job \"x\" {\n  group \"g\" {\n    nonsense = 1\n  }\n}\n"), 0o644)
	if code, out = run(t, url, "job", "run", bad); code == 0 || !strings.Contains(out, "bad.hcl:3:") {
		t.Fatalf("bad file: exit %d\n%s", code, out)
	}
}

// TestJobStopExitStatus: a stop that stopped the job exits 0, as `nomad
// job stop` does, even when it cancels a running deployment or the last
// deployment had failed; the job is then dead with no running allocation.
func TestJobStopExitStatus(t *testing.T) {
	e := newJobEnv(t)
	stopped := func(what string) {
		t.Helper()
		code, out := run(t, e.url, "job", "stop", "web")
		if code != 0 || !strings.Contains(out, `finished with status "complete"`) {
			t.Fatalf("job stop (%s): exit %d, want 0\n%s", what, code, out)
		}
		orbittest.Eventually(t, 60*time.Second, "job dead after stop ("+what+")", func() bool {
			code, out := run(t, e.url, "job", "status", "web")
			return code == 0 && strings.Contains(out, "dead (stopped)") && !strings.Contains(out, "running")
		})
	}

	// A deployment still running: its allocation must stay healthy an hour.
	if code, out := e.job("run", "-detach", "min_healthy=1h"); code != 0 {
		t.Fatalf("job run -detach: exit %d\n%s", code, out)
	}
	orbittest.Eventually(t, 60*time.Second, "the allocation running, its deployment not done", func() bool {
		_, out := run(t, e.url, "job", "status", "web")
		return strings.Contains(out, "running") && strings.Contains(out, " run ")
	})
	stopped("deployment running")
	if _, out := run(t, e.url, "job", "status", "web"); !strings.Contains(out, "cancelled") {
		t.Fatalf("the stop should have cancelled the deployment:\n%s", out)
	}

	// A deployment that failed: the task exits at once and is not
	// restarted, so `job run` reports the failure with exit 1.
	code, out := e.job("run", `args=["-exit-after","100ms","-exit-code","3"]`)
	if code != 1 || !strings.Contains(out, "failed") {
		t.Fatalf("failing job run: exit %d, want 1\n%s", code, out)
	}
	stopped("deployment failed")

	// Stopping a job that does not exist fails.
	if code, out := run(t, e.url, "job", "stop", "nope"); code == 0 {
		t.Fatalf("stop of a missing job: exit 0\n%s", out)
	}
}
