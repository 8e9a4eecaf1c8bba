// Package segmentation_test runs a client and edge agent inside a network
// namespace the test creates, with two interfaces (data and dmz): a job's
// port on host network dmz binds on the dmz address, its service registers
// it, and the edge answers its router on the dmz entry point only. The
// namespace holds every address; nothing leaves it.
package segmentation_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"
	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// childEnv marks the test binary re-run inside the namespace.
const childEnv = "ORBIT_SEGMENTATION_NETNS"

const (
	dataAddr = "10.77.1.1"
	dmzAddr  = "10.77.2.1"
)

// TestHostNetworksInNetns creates the namespace and runs
// TestHostNetworksInside in it (the whole agent must see the namespace's
// interfaces, so the test binary itself runs there).
func TestHostNetworksInNetns(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("the namespace's own run")
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root: run as root to test host networks")
	}
	ipBin, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("the ip command (iproute2) is missing: install it to test host networks")
	}
	ns := fmt.Sprintf("orbit-seg-%d-%x", os.Getpid(), rand.Uint32())
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ipBin, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ip("netns", "add", ns)
	t.Cleanup(func() {
		if out, err := exec.Command(ipBin, "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("remove namespace %s: %v\n%s", ns, err, out)
		}
	})
	in := func(args ...string) { t.Helper(); ip(append([]string{"-n", ns}, args...)...) }
	in("link", "set", "lo", "up")
	for _, l := range []struct{ name, addr string }{{"vdata", dataAddr}, {"vdmz", dmzAddr}} {
		in("link", "add", l.name, "type", "veth", "peer", "name", l.name+"-p")
		in("addr", "add", l.addr+"/24", "dev", l.name)
		in("link", "set", l.name, "up")
		in("link", "set", l.name+"-p", "up")
	}
	cmd := exec.Command(ipBin, "netns", "exec", ns, os.Args[0], "-test.run", "^TestHostNetworksInside$",
		"-test.count", "1", "-test.v", "-test.timeout", "8m")
	cmd.Env = append(os.Environ(), childEnv+"="+ns)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if err != nil || !strings.Contains(out.String(), "--- PASS: TestHostNetworksInside") {
		t.Fatalf("inside namespace %s: %v\n%s", ns, err, out.String())
	}
	t.Logf("inside namespace %s:\n%s", ns, lastLines(out.String(), 15))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func TestHostNetworksInside(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs inside the namespace TestHostNetworksInNetns creates")
	}
	bin := orbittest.Webapp(t)
	a := testagent.Start(t, func(c *agent.Config) {
		c.ClientCfg = &agent.ClientBlock{HostNetworks: []agent.HostNetworkBlock{
			{Name: "data", Interface: "vdata"},
			{Name: "dmz", CIDR: "10.77.2.0/24", ReservedPorts: "22"},
		}}
		c.EntryPoints = map[string]string{"web": dataAddr + ":0", "dmz": dmzAddr + ":0"}
	})
	nc, err := napi.NewClient(&napi.Config{Address: a.URL})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := capi.NewClient(&capi.Config{Address: a.Addr})
	if err != nil {
		t.Fatal(err)
	}

	// The node reports its host networks as Nomad does.
	var node *napi.Node
	orbittest.Eventually(t, 30*time.Second, "node fingerprinted with host networks", func() bool {
		stubs, _, err := nc.Nodes().List(nil)
		if err != nil || len(stubs) != 1 {
			return false
		}
		node, _, err = nc.Nodes().Info(stubs[0].ID, nil)
		return err == nil && node.HostNetworks["dmz"] != nil && node.HostNetworks["data"] != nil
	})
	if hn := node.HostNetworks["dmz"]; hn.CIDR != "10.77.2.0/24" || hn.ReservedPorts != "22" {
		t.Fatalf("dmz host network %+v", hn)
	}
	aliases := nodeNetworkAliases(t, a.URL+"/v1/node/"+node.ID)
	if aliases["dmz"] != dmzAddr || aliases["data"] != dataAddr {
		t.Fatalf("NodeResources.NodeNetworks aliases %v, want dmz=%s data=%s", aliases, dmzAddr, dataAddr)
	}

	// A port on dmz binds on the dmz address; its service registers it.
	register(t, nc, jobHCL("web", bin, "dmz"))
	var svc *capi.ServiceEntry
	orbittest.Eventually(t, 60*time.Second, "service web passing", func() bool {
		es, _, err := cc.Health().Service("web", "", true, nil)
		if err != nil || len(es) != 1 {
			return false
		}
		svc = es[0]
		return true
	})
	if svc.Service.Address != dmzAddr {
		t.Fatalf("service address %s, want the dmz address %s", svc.Service.Address, dmzAddr)
	}
	allocs, _, err := nc.Jobs().Allocations("web", false, nil)
	if err != nil || len(allocs) != 1 {
		t.Fatalf("allocations: %d %v", len(allocs), err)
	}
	alloc, _, err := nc.Allocations().Info(allocs[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	hostIPs := map[string]string{}
	for _, p := range alloc.AllocatedResources.Shared.Ports {
		hostIPs[p.Label] = p.HostIP
	}
	if hostIPs["http"] != dmzAddr || hostIPs["admin"] != "127.0.0.1" {
		t.Fatalf("allocated ports' addresses %v, want http on %s and admin on the node's 127.0.0.1", hostIPs, dmzAddr)
	}

	// The edge answers the router on the dmz entry point only.
	eps := a.EdgeAddrs()
	dmzURL, webURL := "http://"+eps["dmz"].String()+"/health", "http://"+eps["web"].String()+"/health"
	if !strings.HasPrefix(eps["dmz"].String(), dmzAddr+":") || !strings.HasPrefix(eps["web"].String(), dataAddr+":") {
		t.Fatalf("entry points bound on %v", eps)
	}
	var body string
	orbittest.Eventually(t, 30*time.Second, "router web answering on dmz", func() bool {
		code, b := get(t, dmzURL, "web.seg.test")
		body = b
		return code == http.StatusOK
	})
	if strings.TrimSpace(body) != "ok" {
		t.Fatalf("dmz entry point answered %q", body)
	}
	if code, b := get(t, webURL, "web.seg.test"); code != http.StatusNotFound {
		t.Fatalf("web entry point answered %d %q for a router on dmz only, want 404", code, b)
	}

	t.Logf("service web at %s:%d; ports %v; router answers on dmz %s, 404 on web %s", svc.Service.Address, svc.Service.Port, hostIPs, eps["dmz"], eps["web"])

	// A port on a network the node lacks cannot be placed.
	resp := register(t, nc, jobHCL("backup", bin, "storage"))
	var ev *napi.Evaluation
	orbittest.Eventually(t, 30*time.Second, "evaluation of backup done", func() bool {
		ev, _, err = nc.Evaluations().Info(resp.EvalID, nil)
		return err == nil && ev.Status == "complete"
	})
	f := ev.FailedTGAllocs["web"]
	if f == nil || f.ConstraintFiltered[`missing host network "storage" for port "http"`] != 1 {
		t.Fatalf("failed allocations %+v, want filtered by the missing host network", f)
	}
	t.Logf("backup not placed: %v", f.ConstraintFiltered)
}

func jobHCL(name, bin, network string) string {
	return fmt.Sprintf(`
job %q {
  datacenters = ["dc1"]
  group "web" {
    network {
      port "http" { host_network = %q }
      port "admin" {}
    }
    service {
      name = %q
      port = "http"
      tags = ["traefik.enable=true",
              "traefik.http.routers.%s.rule=Host(`+"`web.seg.test`"+`)",
              "traefik.http.routers.%s.entrypoints=dmz"]
      check {
        type     = "http"
        path     = "/health"
        interval = "1s"
        timeout  = "500ms"
      }
    }
    task "web" {
      driver = "raw_exec"
      config {
        command = %q
        args    = ["-addr", "${NOMAD_ADDR_http}"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`, name, network, name, name, name, bin)
}

func register(t *testing.T, nc *napi.Client, hcl string) *napi.JobRegisterResponse {
	t.Helper()
	j, err := nc.Jobs().ParseHCL(hcl, true)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	resp, _, err := nc.Jobs().Register(j, nil)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return resp
}

func get(t *testing.T, url, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// nodeNetworkAliases reads NodeResources.NodeNetworks from the node's raw
// JSON (the Nomad client library does not model it): alias → address.
func nodeNetworkAliases(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var n struct {
		NodeResources struct {
			NodeNetworks []struct {
				Device    string
				Addresses []struct{ Alias, Address string }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&n); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, nn := range n.NodeResources.NodeNetworks {
		for _, ad := range nn.Addresses {
			out[ad.Alias] = ad.Address
		}
	}
	return out
}
