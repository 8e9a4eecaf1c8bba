package orchestrator_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/cli"
	"github.com/orbit/orbit/internal/orbittest"
)

// activePassiveHCL is two instances of the webapp contending for a lock;
// a killed task is not restarted, so its allocation ends.
func activePassiveHCL(bin string) string {
	return fmt.Sprintf(`
job "web" {
  group "web" {
    count = 2
    active_passive {
      lock = "locks/web"
      ttl  = "10s"
    }
    network {
      port "http" {}
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    service {
      name = "web"
      port = "http"
      tags = ["app"]
    }
    task "web" {
      driver = "raw_exec"
      config { command = %q }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, bin)
}

// srvPorts asks the agent's DNS server for name's SRV records.
func srvPorts(t *testing.T, server, name string) []int {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeSRV)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, server)
	if err != nil {
		t.Fatalf("SRV %s: %v", name, err)
	}
	var ports []int
	for _, rr := range r.Answer {
		if srv, ok := rr.(*dns.SRV); ok {
			ports = append(ports, int(srv.Port))
		}
	}
	return ports
}

// TestActivePassiveFailover runs an active-passive group of two: one
// instance is primary in DNS and the other standby; killing the primary's
// task moves primary to the standby within the session TTL.
func TestActivePassiveFailover(t *testing.T) {
	bin := orbittest.Webapp(t)
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "web.nomad.hcl")
	if err := writeFile(file, activePassiveHCL(bin)); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), []string{"job", "run", "--detach", "--address", e.a.URL, file}, &out, &errb); code != 0 {
		t.Fatalf("orbit job run: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	server := e.a.DNSAddr().String()
	var primary, standby []int
	orbittest.Eventually(t, 60*time.Second, "one primary and one standby in DNS", func() bool {
		primary = srvPorts(t, server, "primary.web.service.consul.")
		standby = srvPorts(t, server, "standby.web.service.consul.")
		return len(primary) == 1 && len(standby) == 1 && primary[0] != standby[0]
	})
	if all := srvPorts(t, server, "app.web.service.consul."); len(all) != 2 {
		t.Fatalf("app.web.service.consul: %v, want both instances", all)
	}

	pid, err := strconv.Atoi(get(t, fmt.Sprintf("http://127.0.0.1:%d/pid", primary[0])))
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The session TTL is 10s; the deadline is generous so a loaded machine
	// does not fail the test (bench/ measures failover times).
	orbittest.Eventually(t, 60*time.Second, "the standby becomes primary", func() bool {
		p := srvPorts(t, server, "primary.web.service.consul.")
		return len(p) == 1 && p[0] == standby[0]
	})
	t.Logf("primary moved %v after the holder's task was killed", time.Since(killed).Round(time.Millisecond))
}
