// Package orchestrator_test runs jobs end to end in one dev agent: the job
// file is parsed and registered with the real Nomad API client, the
// scheduler places it, the client runs the task (a small HTTP server the
// test builds) on a dynamic port, registers its service, and its check goes
// passing; count scales, the restart policy revives a killed task, a new
// version rolls out one at a time and a failing one auto-reverts.
package orchestrator_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"
	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/cli"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

func jobHCL(bin string, count int, version string, args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = strconv.Quote(a)
	}
	return fmt.Sprintf(`
job "web" {
  datacenters = ["dc1"]
  group "web" {
    count = %d
    network {
      port "http" {}
    }
    restart {
      attempts = 5
      interval = "1m"
      delay    = "200ms"
      mode     = "fail"
    }
    update {
      max_parallel     = 1
      min_healthy_time = "1s"
      healthy_deadline = "15s"
      progress_deadline = "30s"
      auto_revert      = true
    }
    service {
      name = "web"
      port = "http"
      tags = ["version-%s"]
      check {
        type     = "http"
        path     = "/health"
        interval = "1s"
        timeout  = "500ms"
      }
      identity {
        aud = ["consul.io"]
      }
    }
    task "web" {
      driver = "raw_exec"
      config {
        command = %q
        args    = [%s]
      }
      env {
        APP_VERSION = %q
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`, count, version, bin, strings.Join(quoted, ", "), version)
}

type env struct {
	t      *testing.T
	a      *testagent.Agent
	nomad  *napi.Client
	consul *capi.Client
}

func newEnv(t *testing.T, opts ...testagent.Option) *env {
	a := testagent.Start(t, opts...)
	nc, err := napi.NewClient(&napi.Config{Address: a.URL})
	if err != nil {
		t.Fatal(err)
	}
	cc, _ := capi.NewClient(&capi.Config{Address: a.Addr})
	return &env{t: t, a: a, nomad: nc, consul: cc}
}

func (e *env) register(hcl string) *napi.JobRegisterResponse {
	e.t.Helper()
	j, err := e.nomad.Jobs().ParseHCL(hcl, true)
	if err != nil {
		e.t.Fatalf("parse: %v", err)
	}
	resp, _, err := e.nomad.Jobs().Register(j, nil)
	if err != nil {
		e.t.Fatalf("register: %v", err)
	}
	return resp
}

// passing returns the passing instances' ports and tags.
func (e *env) passing() (ports []int, tags []string) {
	es, _, err := e.consul.Health().Service("web", "", true, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range es {
		ports = append(ports, s.Service.Port)
		tags = append(tags, s.Service.Tags...)
	}
	sort.Ints(ports)
	return ports, tags
}

func (e *env) waitPassing(n int, tag string) []int {
	e.t.Helper()
	var ports []int
	orbittest.Eventually(e.t, 60*time.Second, fmt.Sprintf("%d passing instances tagged %s", n, tag), func() bool {
		var tags []string
		ports, tags = e.passing()
		if len(ports) != n {
			return false
		}
		for _, t := range tags {
			if t != tag {
				return false
			}
		}
		return true
	})
	return ports
}

// get answers url's body. An instance is in the catalog and DNS once its
// task has started, which can be before the task listens, so a refused
// connection is asked again until a generous deadline.
func get(t *testing.T, url string) string {
	t.Helper()
	var last error
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil {
				return string(b)
			}
			err = rerr
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestJobLifecycle(t *testing.T) {
	bin := orbittest.Webapp(t)
	e := newEnv(t)

	e.register(jobHCL(bin, 2, "v1"))
	ports := e.waitPassing(2, "version-v1")
	for _, p := range ports {
		if p < 20000 || p > 32000 {
			t.Fatalf("dynamic port %d outside 20000-32000", p)
		}
		// The task sees Nomad's environment with its own port.
		envJSON := get(t, fmt.Sprintf("http://127.0.0.1:%d/env", p))
		if !strings.Contains(envJSON, fmt.Sprintf(`"NOMAD_PORT_http":"%d"`, p)) || !strings.Contains(envJSON, `"APP_VERSION":"v1"`) {
			t.Fatalf("task environment: %s", envJSON)
		}
	}
	allocs, _, err := e.nomad.Jobs().Allocations("web", false, nil)
	if err != nil || len(allocs) != 2 {
		t.Fatalf("allocations: %d %v", len(allocs), err)
	}

	// Scale up and down.
	e.register(jobHCL(bin, 3, "v1"))
	e.waitPassing(3, "version-v1")
	e.register(jobHCL(bin, 1, "v1"))
	ports = e.waitPassing(1, "version-v1")

	// Kill the task: the restart policy brings it back (same allocation).
	pid, _ := strconv.Atoi(get(t, fmt.Sprintf("http://127.0.0.1:%d/pid", ports[0])))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 30*time.Second, "task restarted with a new pid", func() bool {
		ps, _ := e.passing()
		if len(ps) != 1 {
			return false
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/pid", ps[0]))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		np, _ := strconv.Atoi(string(b))
		return np != 0 && np != pid
	})

	// A new version rolls out one at a time and becomes stable; then a
	// failing one auto-reverts to it.
	e.register(jobHCL(bin, 2, "v2"))
	e.waitDeployment("successful")
	e.waitPassing(2, "version-v2")
	e.register(jobHCL(bin, 2, "v3", "-exit-after", "300ms", "-exit-code", "1"))
	defer func() {
		if t.Failed() {
			e.dump()
		}
	}()
	orbittest.Eventually(t, 90*time.Second, "failing v3 auto-reverted to a v2 job version", func() bool {
		j, _, err := e.nomad.Jobs().Info("web", nil)
		if err != nil || j.TaskGroups[0].Tasks[0].Env["APP_VERSION"] != "v2" {
			return false
		}
		return *j.Version >= 3
	})
	e.waitPassing(2, "version-v2")

	// Stop: the services leave the catalog with the allocations.
	if _, _, err := e.nomad.Jobs().Deregister("web", false, nil); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 30*time.Second, "services deregistered after stop", func() bool {
		es, _, _ := e.consul.Health().Service("web", "", false, nil)
		return len(es) == 0
	})
}

func TestJobRunCLI(t *testing.T) {
	bin := orbittest.Webapp(t)
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "web.nomad.hcl")
	if err := writeFile(file, jobHCL(bin, 1, "v1")); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := cli.Main(ctx, []string{"job", "run", "--address", e.a.URL, file}, &out, &errb)
	if code != 0 {
		t.Fatalf("orbit job run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(strings.ToLower(out.String()), "healthy") && !strings.Contains(strings.ToLower(out.String()), "running") {
		t.Fatalf("orbit job run showed no progress:\n%s", out.String())
	}
	e.waitPassing(1, "version-v1")
	out.Reset()
	if code := cli.Main(ctx, []string{"job", "status", "--address", e.a.URL, "web"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "web") {
		t.Fatalf("orbit job status: %d %s %s", code, out.String(), errb.String())
	}
}

const staticPortJob = `
job "legacy" {
  group "legacy" {
    network {
      port "http" { static = 8080 }
    }
    task "legacy" {
      driver = "raw_exec"
      config { command = "/bin/sleep" }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

func TestAdmission(t *testing.T) {
	t.Run("strict refuses", func(t *testing.T) {
		e := newEnv(t, func(c *agent.Config) { c.Policy = &agent.PolicyConfig{Enforce: agent.EnforceStrict} })
		j, err := e.nomad.Jobs().ParseHCL(staticPortJob, true)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.nomad.Jobs().Register(j, nil)
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "dynamic-ports") {
			t.Fatalf("strict register: %v", err)
		}
		if js, _, _ := e.nomad.Jobs().List(nil); len(js) != 0 {
			t.Fatalf("refused job stored: %+v", js)
		}
		// The CLI says the same and exits non-zero.
		file := filepath.Join(t.TempDir(), "legacy.nomad.hcl")
		writeFile(file, staticPortJob)
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), []string{"job", "run", "-detach", "--address", e.a.URL, file}, &out, &errb)
		if code == 0 || !strings.Contains(errb.String()+out.String(), "dynamic-ports") {
			t.Fatalf("CLI strict: exit %d\n%s\n%s", code, out.String(), errb.String())
		}
	})
	t.Run("warn accepts with warnings", func(t *testing.T) {
		e := newEnv(t, func(c *agent.Config) { c.Policy = &agent.PolicyConfig{Enforce: agent.EnforceWarn} })
		resp := e.register(staticPortJob)
		if !strings.Contains(resp.Warnings, "dynamic-ports") {
			t.Fatalf("warn mode warnings: %q", resp.Warnings)
		}
		file := filepath.Join(t.TempDir(), "legacy.nomad.hcl")
		writeFile(file, staticPortJob)
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), []string{"job", "run", "-detach", "--address", e.a.URL, file}, &out, &errb)
		if code != 0 || !strings.Contains(errb.String()+out.String(), "dynamic-ports") {
			t.Fatalf("CLI warn: exit %d\n%s\n%s", code, out.String(), errb.String())
		}
	})
}

// waitDeployment waits until the deployment of the job's current version
// reaches status.
func (e *env) waitDeployment(status string) {
	e.t.Helper()
	j, _, err := e.nomad.Jobs().Info("web", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	orbittest.Eventually(e.t, 60*time.Second, fmt.Sprintf("deployment of version %d %s", *j.Version, status), func() bool {
		d, _, err := e.nomad.Jobs().LatestDeployment("web", nil)
		return err == nil && d != nil && d.JobVersion == *j.Version && d.Status == status
	})
}

// dump logs the job's deployments and allocations when a test fails.
func (e *env) dump() {
	ds, _, _ := e.nomad.Jobs().Deployments("web", true, nil)
	for _, d := range ds {
		for g, s := range d.TaskGroups {
			e.t.Logf("deployment %s v%d %s (%s) group %s: desired %d placed %d healthy %d unhealthy %d autorevert %v",
				d.ID[:8], d.JobVersion, d.Status, d.StatusDescription, g, s.DesiredTotal, s.PlacedAllocs, s.HealthyAllocs, s.UnhealthyAllocs, s.AutoRevert)
		}
	}
	as, _, _ := e.nomad.Jobs().Allocations("web", true, nil)
	for _, a := range as {
		healthy := "nil"
		if a.DeploymentStatus != nil && a.DeploymentStatus.Healthy != nil {
			healthy = fmt.Sprint(*a.DeploymentStatus.Healthy)
		}
		e.t.Logf("alloc %s v%d desired %s client %s healthy %s", a.ID[:8], a.JobVersion, a.DesiredStatus, a.ClientStatus, healthy)
	}
}

// TestPurgeAndReregister registers a job again right after purging it: the
// new job gets new allocations, and the purged ones are stopped, not adopted
// (job versions restart at 0 after a purge).
func TestPurgeAndReregister(t *testing.T) {
	bin := orbittest.Webapp(t)
	e := newEnv(t)
	e.register(jobHCL(bin, 1, "v1"))
	e.waitPassing(1, "version-v1")
	old, _, err := e.nomad.Jobs().Allocations("web", false, nil)
	if err != nil || len(old) != 1 {
		t.Fatalf("allocations: %v %v", old, err)
	}
	if _, _, err := e.nomad.Jobs().Deregister("web", true, nil); err != nil {
		t.Fatal(err)
	}
	e.register(jobHCL(bin, 1, "v1"))
	orbittest.Eventually(t, 30*time.Second, "a new allocation running, the purged one stopped", func() bool {
		as, _, err := e.nomad.Jobs().Allocations("web", true, nil)
		if err != nil {
			return false
		}
		running, oldStopped := 0, false
		for _, a := range as {
			if a.ID == old[0].ID {
				oldStopped = a.DesiredStatus == "stop"
				continue
			}
			if a.ClientStatus == "running" && a.DesiredStatus == "run" {
				running++
			}
		}
		oldGone := true
		for _, a := range as {
			if a.ID == old[0].ID {
				oldGone = false
			}
		}
		return running == 1 && (oldStopped || oldGone)
	})
	e.waitPassing(1, "version-v1")
}

// TestNomadAddr serves the Nomad API alone on -nomad-addr as well, where
// Nomad's own /v1/status/leader answers too.
func TestNomadAddr(t *testing.T) {
	a := testagent.Start(t, func(c *agent.Config) { c.NomadAddr = "127.0.0.1:0" })
	nc, err := napi.NewClient(&napi.Config{Address: "http://" + a.NomadAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	leader, err := nc.Status().Leader()
	if err != nil || leader == "" {
		t.Fatalf("leader on -nomad-addr: %q %v", leader, err)
	}
	nodes, _, err := nc.Nodes().List(nil)
	if err != nil || len(nodes) != 1 || nodes[0].Name != "node1" {
		t.Fatalf("nodes on -nomad-addr: %+v %v", nodes, err)
	}
	// The Consul API keeps its own /v1/status/leader on the main listener.
	cc, _ := capi.NewClient(&capi.Config{Address: a.Addr})
	if l, err := cc.Status().Leader(); err != nil || l == "" {
		t.Fatalf("consul leader: %q %v", l, err)
	}
}
