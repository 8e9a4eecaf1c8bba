package migration

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/external"
	"github.com/orbit/orbit/internal/orbittest"
)

// target is a loopback TCP server a check connects to; close takes it down.
type target struct {
	addr  string
	port  int
	close func()
}

func newTarget(t *testing.T, host string) target {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var once sync.Once
	closeFn := func() { once.Do(func() { ln.Close() }) }
	t.Cleanup(closeFn)
	return target{addr: ln.Addr().String(), port: ln.Addr().(*net.TCPAddr).Port, close: closeFn}
}

func consulClient(t *testing.T, addr, token string) *capi.Client {
	t.Helper()
	c, err := capi.NewClient(&capi.Config{Address: "http://" + addr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkStatus returns the status of an external node's check, "" if absent.
func checkStatus(c *capi.Client, node, id string) string {
	checks, _, err := c.Health().Node(node, nil)
	if err != nil {
		return ""
	}
	for _, hc := range checks {
		if hc.CheckID == id {
			return hc.Status
		}
	}
	return ""
}

// Three real agents run the checks of external services declared in the
// server's config, spread over them, each on one agent. A client agent
// that runs checks is killed: once its lease expires the other agents take
// its checks over, which the test sees as the checks following their
// targets going down.
func TestExternalChecksMoveWhenTheirAgentDies(t *testing.T) {
	bin := orbittest.Build(t, "github.com/orbit/orbit/cmd/orbit")
	const services = 6
	var targets []target
	var conf strings.Builder
	acl, err := os.ReadFile(orbittest.ACLConfigFile(t))
	if err != nil {
		t.Fatal(err)
	}
	conf.Write(acl)
	for i := range services {
		tg := newTarget(t, "127.0.0.1")
		targets = append(targets, tg)
		fmt.Fprintf(&conf, `
external "nas-%d" {
  address = "127.0.0.1"
  probe   = false
  service "share-%d" {
    port = %d
    tags = ["storage"]
    check {
      tcp      = %q
      interval = "1s"
      timeout  = "1s"
    }
  }
}
`, i, i, tg.port, tg.addr)
	}
	srvConf := filepath.Join(t.TempDir(), "server.hcl")
	if err := os.WriteFile(srvConf, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	acls := orbittest.ACLConfigFile(t)
	srv := orbittest.StartAgentProcess(t, bin, "-server", "-node", "srv", "-bind", "127.0.0.1", "-data-dir", t.TempDir(), "-config", srvConf)
	clients := map[string]*orbittest.Process{}
	for _, n := range []string{"c1", "c2"} {
		clients[n] = orbittest.StartAgentProcess(t, bin, "-client", "-node", n, "-bind", "127.0.0.1", "-servers", srv.Addr, "-data-dir", t.TempDir(), "-config", acls)
	}
	c := consulClient(t, srv.Addr, orbittest.RootToken)
	checkID := func(i int) (node, id string) { return fmt.Sprintf("nas-%d", i), fmt.Sprintf("service:share-%d", i) }
	orbittest.Eventually(t, 120*time.Second, "every external check passing", func() bool {
		for i := range services {
			if checkStatus(c, "nas-"+fmt.Sprint(i), fmt.Sprintf("service:share-%d", i)) != "passing" {
				return false
			}
		}
		return true
	})
	// The services are in the catalog like any other.
	entries, _, err := c.Health().Service("share-0", "storage", true, nil)
	if err != nil || len(entries) != 1 || entries[0].Node.Meta[external.MetaExternalNode] != "true" {
		t.Fatalf("share-0 in the health API: %+v, %v", entries, err)
	}

	agents := []string{"c1", "c2", "srv"}
	owned := map[string][]int{}
	for i := range services {
		node, id := checkID(i)
		owner := external.Owner(external.CheckKey(node, id), agents)
		owned[owner] = append(owned[owner], i)
	}
	if len(owned) < 2 {
		t.Fatalf("checks not spread over the agents: %v", owned)
	}
	victim := "c1"
	if len(owned["c1"]) == 0 {
		victim = "c2"
	}
	if len(owned[victim]) == 0 {
		t.Fatalf("no client owns a check: %v", owned)
	}
	// The owner says so in its log, the others do not run the node.
	for _, i := range owned[victim] {
		node, _ := checkID(i)
		orbittest.Eventually(t, 120*time.Second, victim+" logging that it runs "+node, func() bool {
			return strings.Contains(clients[victim].Log(), `msg="running external checks"`) &&
				strings.Contains(clients[victim].Log(), "external="+node)
		})
	}
	clients[victim].Cmd.Process.Kill()
	orbittest.Eventually(t, 120*time.Second, victim+"'s liveness check critical", func() bool {
		return checkStatus(c, victim, "serfHealth") == "critical"
	})
	for _, i := range owned[victim] {
		targets[i].close()
	}
	orbittest.Eventually(t, 120*time.Second, "the dead agent's checks taken over and following their targets down", func() bool {
		for _, i := range owned[victim] {
			node, id := checkID(i)
			if checkStatus(c, node, id) != "critical" {
				return false
			}
		}
		return true
	})
	for i := range services {
		node, id := checkID(i)
		if owner := external.Owner(external.CheckKey(node, id), agents); owner != victim {
			if st := checkStatus(c, node, id); st != "passing" {
				t.Errorf("%s/%s on live %s is %s", node, id, owner, st)
			}
		}
	}
}
