package cluster_test

import (
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/orbittest"
)

const failoverJob = `
job "pinger" {
  group "pinger" {
    count = 2
    network {
      port "http" {}
    }
    reschedule {
      delay          = "1s"
      delay_function = "constant"
      unlimited      = true
    }
    task "pinger" {
      driver = "raw_exec"
      config {
        command = %q
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`

// TestClientLossReschedules runs a server and two client agents as
// processes, places a job across both clients, kills one client with
// SIGKILL and checks that its allocation is replaced on the other within
// the lease time plus a scheduling pass.
func TestClientLossReschedules(t *testing.T) {
	bin := orbittest.Build(t, "github.com/orbit/orbit/cmd/orbit")
	app := orbittest.Webapp(t)
	t.Cleanup(func() { exec.Command("pkill", "-KILL", "-f", app).Run() }) // tasks orphaned by the killed client

	// ACLs are on (not -dev): the clients join with the root token as
	// their agent token, the test speaks with it.
	acls := orbittest.ACLConfigFile(t)
	srv := orbittest.StartAgentProcess(t, bin, "-server", "-node", "srv", "-data-dir", t.TempDir(), "-config", acls)
	c1 := orbittest.StartAgentProcess(t, bin, "-client", "-node", "c1", "-servers", srv.Addr, "-data-dir", t.TempDir(), "-config", acls)
	orbittest.StartAgentProcess(t, bin, "-client", "-node", "c2", "-servers", srv.Addr, "-data-dir", t.TempDir(), "-config", acls)

	nc, err := napi.NewClient(&napi.Config{Address: "http://" + srv.Addr, SecretID: orbittest.RootToken})
	if err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 30*time.Second, "two client nodes ready", func() bool {
		ns, _, err := nc.Nodes().List(nil)
		ready := 0
		for _, n := range ns {
			if n.Status == "ready" {
				ready++
			}
		}
		return err == nil && ready == 2
	})
	j, err := nc.Jobs().ParseHCL(fmt.Sprintf(failoverJob, app), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := nc.Jobs().Register(j, nil); err != nil {
		t.Fatal(err)
	}
	running := func() map[string]int {
		as, _, err := nc.Jobs().Allocations("pinger", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]int{}
		for _, a := range as {
			if a.ClientStatus == "running" && a.DesiredStatus == "run" {
				by[a.NodeName]++
			}
		}
		return by
	}
	orbittest.Eventually(t, 30*time.Second, "one allocation running on each client", func() bool {
		r := running()
		return r["c1"] == 1 && r["c2"] == 1
	})

	killed := time.Now()
	if err := c1.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c1.Cmd.Wait()
	orbittest.Eventually(t, 30*time.Second, "both allocations running on c2", func() bool {
		return running()["c2"] == 2
	})
	// Lease 2s, reschedule delay 1s, placement and start: well within 10s.
	if d := time.Since(killed); d > 10*time.Second {
		t.Errorf("replacement running %v after the client died; want within lease + reschedule delay + a pass", d)
	}
	t.Logf("replacement running %v after kill -9", time.Since(killed).Round(10*time.Millisecond))
	as, _, _ := nc.Jobs().Allocations("pinger", true, nil)
	lost := 0
	for _, a := range as {
		if a.NodeName == "c1" && a.ClientStatus == "lost" {
			lost++
		}
	}
	if lost != 1 {
		t.Errorf("allocations marked lost on c1: %d, want 1", lost)
	}
}
