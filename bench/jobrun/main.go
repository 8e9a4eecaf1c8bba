// Command jobrun times a job of N raw_exec tasks from `orbit job run
// -detach` until every allocation is running and every task answers HTTP,
// against a running orbit agent. See README.md; run.sh starts the agent.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	napi "github.com/hashicorp/nomad/api"
)

const jobTemplate = `
job "%s" {
  group "bench" {
    count = %d
    network {
      port "http" {}
    }
    task "app" {
      driver = "raw_exec"
      config {
        command = %q
      }
      resources {
        cpu    = 10
        memory = 16
      }
    }
  }
}
`

func main() {
	orbit := flag.String("orbit", "orbit", "orbit binary")
	webapp := flag.String("webapp", "", "the webapp binary (internal/driver/testdata/webapp)")
	api := flag.String("api", "http://127.0.0.1:8500", "agent API")
	n := flag.Int("n", 100, "tasks")
	flag.Parse()
	if err := run(*orbit, *webapp, *api, *n); err != nil {
		fmt.Fprintln(os.Stderr, "jobrun:", err)
		os.Exit(1)
	}
}

func run(orbit, webapp, api string, n int) error {
	dir, err := os.MkdirTemp("", "jobrun")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	id := fmt.Sprintf("bench-%d", time.Now().UnixNano()) // a fresh job each run
	file := filepath.Join(dir, id+".nomad.hcl")
	if err := os.WriteFile(file, fmt.Appendf(nil, jobTemplate, id, n, webapp), 0o644); err != nil {
		return err
	}
	nc, err := napi.NewClient(&napi.Config{Address: api})
	if err != nil {
		return err
	}
	start := time.Now()
	cmd := exec.Command(orbit, "job", "run", "-detach", "--address", api, file)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("orbit job run: %v\n%s", err, out)
	}
	submitted := time.Since(start)
	var running time.Duration
	answered := map[string]bool{}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		as, _, err := nc.Jobs().Allocations(id, false, nil)
		if err != nil {
			return err
		}
		up := 0
		for _, a := range as {
			if a.ClientStatus == "running" {
				up++
			}
		}
		if up == n && running == 0 {
			running = time.Since(start)
		}
		if running > 0 {
			if err := probe(nc, as, answered); err != nil {
				return err
			}
			if len(answered) == n {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if running == 0 || len(answered) < n {
		return fmt.Errorf("after 60s: running=%v, answering %d of %d", running, len(answered), n)
	}
	fmt.Printf("%d raw_exec tasks: submitted in %v, all running %v, all answering HTTP %v after `orbit job run -detach` started\n",
		n, submitted.Round(time.Millisecond), running.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	_, _, err = nc.Jobs().Deregister(id, true, nil)
	return err
}

var probeClient = &http.Client{Timeout: 500 * time.Millisecond}

// probe GETs /health of every allocation not yet answered.
func probe(nc *napi.Client, as []*napi.AllocationListStub, answered map[string]bool) error {
	ids := make([]string, 0, len(as))
	for _, a := range as {
		if !answered[a.ID] {
			ids = append(ids, a.ID)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		a, _, err := nc.Allocations().Info(id, nil)
		if err != nil {
			return err
		}
		if a.AllocatedResources == nil || len(a.AllocatedResources.Shared.Ports) == 0 {
			continue
		}
		p := a.AllocatedResources.Shared.Ports[0]
		resp, err := probeClient.Get(fmt.Sprintf("http://%s:%d/health", p.HostIP, p.Value))
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			answered[id] = true
		}
	}
	return nil
}
