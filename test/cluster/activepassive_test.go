package cluster_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/orbittest"
)

const activePassiveJob = `
job "db" {
  group "db" {
    count = 2
    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }
    active_passive {
      ttl = "10s"
    }
    network {
      port "http" {}
    }
    service {
      name = "db"
      port = "http"
    }
    task "db" {
      driver = "raw_exec"
      config {
        command = %q
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// srvPorts asks server for name's SRV records' ports.
func srvPorts(t *testing.T, server, name string) []int {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeSRV)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, server)
	if err != nil {
		return nil
	}
	var ports []int
	for _, rr := range r.Answer {
		if srv, ok := rr.(*dns.SRV); ok {
			ports = append(ports, int(srv.Port))
		}
	}
	return ports
}

// TestActivePassiveHolderKilled runs a server and two client agents as
// processes and an active-passive group across both clients; the client
// holding the lock is killed with SIGKILL, and the standby becomes
// primary in DNS once the holder's session TTL has passed.
func TestActivePassiveHolderKilled(t *testing.T) {
	bin := orbittest.Build(t, "github.com/orbit/orbit/cmd/orbit")
	app := orbittest.Webapp(t)
	acls := orbittest.ACLConfigFile(t)
	// DNS answers with the default token: the root one, for this test.
	srvConf := filepath.Join(t.TempDir(), "server.hcl")
	if err := os.WriteFile(srvConf, []byte("acl {\n  tokens {\n    initial_management = \""+orbittest.RootToken+
		"\"\n    default = \""+orbittest.RootToken+"\"\n  }\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dnsAddr := orbittest.FreeAddr(t)
	srv := orbittest.StartAgentProcess(t, bin, "-server", "-node", "srv", "-data-dir", t.TempDir(), "-config", srvConf,
		"-edge", "-dns-addr", dnsAddr, "-entrypoint", "web="+orbittest.FreeAddr(t))
	clients := map[string]*orbittest.Process{}
	for _, n := range []string{"c1", "c2"} {
		clients[n] = orbittest.StartAgentProcess(t, bin, "-client", "-node", n, "-servers", srv.Addr, "-data-dir", t.TempDir(),
			"-config", acls, "-dns-addr", "off")
	}
	file := filepath.Join(t.TempDir(), "db.nomad.hcl")
	if err := os.WriteFile(file, fmt.Appendf(nil, activePassiveJob, app), 0o644); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 30*time.Second, "the job registered once both clients are ready", func() bool {
		cmd := exec.Command(bin, "job", "run", "-detach", "-address", "http://"+srv.Addr, file)
		cmd.Env = append(os.Environ(), "ORBIT_TOKEN="+orbittest.RootToken)
		return cmd.Run() == nil
	})

	var primary, standby []int
	orbittest.Eventually(t, 60*time.Second, "one primary and one standby in DNS", func() bool {
		primary = srvPorts(t, dnsAddr, "primary.db.service.consul.")
		standby = srvPorts(t, dnsAddr, "standby.db.service.consul.")
		ok := len(primary) == 1 && len(standby) == 1 && primary[0] != standby[0]
		return ok
	})
	// The holder's task outlives its killed client: stop it by its pid.
	holder, addr := holderNode(t, srv.Addr, primary[0])
	pid := taskPID(t, addr, primary[0])
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })

	killed := time.Now()
	if err := clients[holder].Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	clients[holder].Cmd.Wait()
	orbittest.Eventually(t, 30*time.Second, "the standby primary in DNS", func() bool {
		p := srvPorts(t, dnsAddr, "primary.db.service.consul.")
		return len(p) == 1 && p[0] == standby[0]
	})
	// The session expires TTL (10s) after its last renewal; the time is
	// logged, not asserted, so a loaded machine does not fail the test.
	t.Logf("standby primary in DNS %v after kill -9 of the holder's client", time.Since(killed).Round(10*time.Millisecond))
}

// taskPID asks the webapp on port for its pid. The instance is in DNS once
// its task has started, which can be before it listens, so a refused
// connection is asked again until a generous deadline.
func taskPID(t *testing.T, addr string, port int) int {
	t.Helper()
	var pid int
	var last error
	orbittest.Eventually(t, 30*time.Second, "the holder's task answers /pid", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://%s:%d/pid", addr, port))
		if err != nil {
			last = err
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		pid, last = strconv.Atoi(string(b))
		return last == nil
	})
	if last != nil {
		t.Fatalf("pid: %v", last)
	}
	return pid
}

// holderNode is the node and address of the db instance on port, from
// the catalog.
func holderNode(t *testing.T, api string, port int) (string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+api+"/v1/catalog/service/db", nil)
	req.Header.Set("X-Consul-Token", orbittest.RootToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var svcs []struct {
		Node           string
		ServiceAddress string
		ServicePort    int
	}
	if err := json.NewDecoder(resp.Body).Decode(&svcs); err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		if s.ServicePort == port {
			return s.Node, s.ServiceAddress
		}
	}
	t.Fatalf("no db instance on port %d: %+v", port, svcs)
	return "", ""
}
