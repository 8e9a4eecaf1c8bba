package migration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"
	napi "github.com/hashicorp/nomad/api"
	mdns "github.com/miekg/dns"

	"github.com/orbit/orbit/internal/orbittest"
)

// orbitCLI runs the orbit CLI against the destination agent.
func orbitCLI(t *testing.T, bin, dest string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ORBIT_ADDR=http://"+dest, "ORBIT_TOKEN="+orbittest.RootToken)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("orbit %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

const sourceJob = `
job "legacy-web" {
  datacenters = ["dc1"]
  group "web" {
    network {
      port "http" { static = 8080 }
    }
    service {
      name = "legacy-web"
      port = "http"
    }
    task "web" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
    }
  }
}
`

// A second orbit agent stands in for a running Consul and Nomad: its
// services and checks, KV pairs, ACL policies and jobs are read with
// Consul's and Nomad's own clients by `orbit import consul|nomad` and
// written into the destination; nginx and hosts files are applied too.
func TestImportIntoOrbit(t *testing.T) {
	bin := orbittest.Build(t, "github.com/orbit/orbit/cmd/orbit")
	acls := orbittest.ACLConfigFile(t)
	srcWait := orbittest.StartAgentProcessAsync(t, bin, "-server", "-node", "legacy", "-bind", "127.0.0.1", "-data-dir", t.TempDir(), "-config", acls)
	dnsAddr := orbittest.FreeAddr(t)
	dst := orbittest.StartAgentProcess(t, bin, "-server", "-edge", "-node", "dst", "-bind", "127.0.0.1", "-data-dir", t.TempDir(), "-config", acls,
		"-dns-addr", dnsAddr)
	src := srcWait()
	sc := consulClient(t, src.Addr, orbittest.RootToken)
	dc := consulClient(t, dst.Addr, orbittest.RootToken)

	t.Run("nginx", func(t *testing.T) {
		// The standard's bad example, with loopback addresses.
		a, b := newTarget(t, "127.0.0.1"), newTarget(t, "127.0.0.2")
		conf := filepath.Join(t.TempDir(), "nginx.conf")
		body := fmt.Sprintf("events {}\nhttp {\n  upstream app {\n    server %s;\n    server %s;\n  }\n}\n", a.addr, b.addr)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		plan := orbitCLI(t, bin, dst.Addr, "import", "nginx", conf)
		if !strings.Contains(plan, "Nothing written") || !strings.Contains(plan, "+ service app") {
			t.Fatalf("plan:\n%s", plan)
		}
		if svcs, _, _ := dc.Catalog().Service("app", "", nil); len(svcs) != 0 {
			t.Fatalf("the plan wrote %d instances", len(svcs))
		}
		out := orbitCLI(t, bin, dst.Addr, "import", "-apply", "nginx", conf)
		if !strings.Contains(out, "Wrote 2 nodes, 2 service instances, 2 checks and 0 KV pairs in one transaction") {
			t.Fatalf("apply:\n%s", out)
		}
		orbittest.Eventually(t, 120*time.Second, "both app instances and their nodes' probes passing", func() bool {
			entries, _, err := dc.Health().Service("app", "", true, nil)
			if err != nil || len(entries) != 2 {
				return false
			}
			for _, e := range entries {
				if len(e.Checks) != 2 { // the service check and externalNodeHealth
					return false
				}
			}
			return true
		})
		req, _ := http.NewRequest("GET", "http://"+dst.Addr+"/v1/edge/routers", nil)
		req.Header.Set("X-Consul-Token", orbittest.RootToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var routers []struct{ Name, Rule, Status string }
		if err := json.NewDecoder(resp.Body).Decode(&routers); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range routers {
			found = found || (r.Name == "app" && r.Rule == "Host(`app.lab.local`)" && r.Status == "enabled")
		}
		if !found {
			t.Fatalf("no enabled app router in %+v", routers)
		}
	})

	t.Run("consul", func(t *testing.T) {
		tg := newTarget(t, "127.0.0.1")
		reg := &capi.AgentServiceRegistration{ID: "grafana-1", Name: "grafana", Port: tg.port, Address: "127.0.0.1",
			Tags:  []string{"traefik.enable=true", "traefik.http.routers.grafana.rule=Host(`grafana.lab.local`)"},
			Check: &capi.AgentServiceCheck{TCP: tg.addr, Interval: "1s", Timeout: "1s"}}
		if err := sc.Agent().ServiceRegister(reg); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.KV().Put(&capi.KVPair{Key: "config/grafana/root_url", Value: []byte("https://grafana.lab.local"), Flags: 7}, nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sc.ACL().PolicyCreate(&capi.ACLPolicy{Name: "grafana-read", Description: "migrated",
			Rules: `service "grafana" { policy = "read" }`}, nil); err != nil {
			t.Fatal(err)
		}
		out := orbitCLI(t, bin, dst.Addr, "import", "-apply", "-source-token", orbittest.RootToken, "consul", "http://"+src.Addr)
		if !strings.Contains(out, "+ service grafana (id grafana-1)") || !strings.Contains(out, "Created ACL policy grafana-read") {
			t.Fatalf("import consul:\n%s", out)
		}
		t.Logf("import consul:\n%s", out)
		defer func() {
			if t.Failed() {
				entries, _, err := dc.Health().Service("grafana", "", false, nil)
				b, _ := json.MarshalIndent(entries, "", " ")
				t.Logf("grafana in the destination: %s %v", b, err)
			}
		}()
		orbittest.Eventually(t, 120*time.Second, "grafana passing in the destination, checked by its agent", func() bool {
			entries, _, err := dc.Health().Service("grafana", "", true, nil)
			return err == nil && len(entries) == 1 && entries[0].Node.Node == "legacy" && entries[0].Service.Port == tg.port
		})
		kv, _, err := dc.KV().Get("config/grafana/root_url", nil)
		if err != nil || kv == nil || string(kv.Value) != "https://grafana.lab.local" || kv.Flags != 7 {
			t.Fatalf("KV: %+v %v", kv, err)
		}
		pol, _, err := dc.ACL().PolicyReadByName("grafana-read", nil)
		if err != nil || pol == nil || !strings.Contains(pol.Rules, `service "grafana"`) {
			t.Fatalf("policy: %+v %v", pol, err)
		}
		// The destination's own agent node is never overwritten.
		if n, _, err := dc.Catalog().Node("dst", nil); err != nil || n == nil || n.Node.Meta["external-node"] == "true" {
			t.Fatalf("dst node: %+v %v", n, err)
		}
	})

	t.Run("nomad", func(t *testing.T) {
		nc, err := napi.NewClient(&napi.Config{Address: "http://" + src.Addr, SecretID: orbittest.RootToken})
		if err != nil {
			t.Fatal(err)
		}
		j, err := nc.Jobs().ParseHCL(sourceJob, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := nc.Jobs().Register(j, nil); err != nil {
			t.Fatal(err)
		}
		out := orbitCLI(t, bin, dst.Addr, "import", "-apply", "-source-token", orbittest.RootToken, "nomad", "http://"+src.Addr)
		for _, want := range []string{"+ job legacy-web", "dynamic-ports", "health-check", "service-identity", "Registered job legacy-web"} {
			if !strings.Contains(out, want) {
				t.Fatalf("import nomad output lacks %q:\n%s", want, out)
			}
		}
		dn, err := napi.NewClient(&napi.Config{Address: "http://" + dst.Addr, SecretID: orbittest.RootToken})
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := dn.Jobs().Info("legacy-web", nil)
		if err != nil || got.TaskGroups[0].Tasks[0].Driver != "raw_exec" {
			t.Fatalf("job in the destination: %+v %v", got, err)
		}
	})

	t.Run("hosts", func(t *testing.T) {
		// Zone data only: the records are served, nothing probes them.
		out := orbitCLI(t, bin, dst.Addr, "import", "-apply", "-zone", "lab.local", "hosts", "../../internal/importer/testdata/hosts/hosts")
		if !strings.Contains(out, "Wrote 7 record sets to zone lab.local in one transaction") || !strings.Contains(out, "hosts:14: router.home.arpa is outside zone lab.local") {
			t.Fatalf("import hosts:\n%s", out)
		}
		orbittest.Eventually(t, 30*time.Second, "truenas.lab.local served by the zone", func() bool {
			m := new(mdns.Msg)
			m.SetQuestion("truenas.lab.local.", mdns.TypeA)
			r, err := mdns.Exchange(m, dnsAddr)
			if err != nil || len(r.Answer) != 1 {
				return false
			}
			a, ok := r.Answer[0].(*mdns.A)
			return ok && a.A.String() == "192.168.30.6" && r.Authoritative
		})
	})
}
