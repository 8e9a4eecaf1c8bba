package ha_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
)

// nodeServices lists the services on node as server s's catalog has them.
func nodeServices(s *server, node string) []string {
	code, _, body, err := do("GET", s.url()+"/v1/catalog/node-services/"+node, "")
	if err != nil || code != 200 {
		return nil
	}
	var out struct{ Services []struct{ Service string } }
	if json.Unmarshal([]byte(body), &out) != nil {
		return nil
	}
	var names []string
	for _, sv := range out.Services {
		names = append(names, sv.Service)
	}
	return names
}

// serfHealthy reports whether node's liveness check passes on s.
func serfHealthy(s *server, node string) bool {
	code, _, body, err := do("GET", s.url()+"/v1/health/node/"+node, "")
	if err != nil || code != 200 {
		return false
	}
	var checks []struct{ CheckID, Status string }
	if json.Unmarshal([]byte(body), &checks) != nil {
		return false
	}
	for _, c := range checks {
		if c.CheckID == "serfHealth" {
			return c.Status == "passing"
		}
	}
	return false
}

// A client agent given every server fails over between them: with the
// server it joined through killed, its node stays alive and a service
// registered through it reaches the others. A client whose first server is
// down starts through the next.
func TestClientAgentFailsOverBetweenServers(t *testing.T) {
	ss := newServers(t, 3)
	startAll(t, 3, ss...)
	all := ss[0].http + "," + ss[1].http + "," + ss[2].http
	c1 := orbittest.StartAgentProcess(t, orbitBin, "-client", "-node", "c1", "-data-dir", t.TempDir(), "-servers", all, "-config", orbittest.ACLConfigFile(t))
	orbittest.Eventually(t, 20*time.Second, "c1 alive on s3", func() bool { return serfHealthy(ss[2], "c1") })

	ss[0].kill(t)
	killed := time.Now()
	orbittest.Eventually(t, 30*time.Second, "a service registered through c1 on s3", func() bool {
		code, _, _, err := do("PUT", "http://"+c1.Addr+"/v1/agent/service/register", `{"Name":"after-kill","Port":80}`)
		if err != nil || code != 200 {
			return false
		}
		return strings.Contains(strings.Join(nodeServices(ss[2], "c1"), ","), "after-kill")
	})
	t.Logf("client registered through the survivors %v after its first server was killed", time.Since(killed).Round(10*time.Millisecond))
	// Past the node lease (2 s) the node is alive: its keep-alives reach
	// the survivors.
	deadline := time.Now().Add(3 * time.Second)
	orbittest.Eventually(t, 10*time.Second, "c1 alive past its lease", func() bool {
		return time.Now().After(deadline) && serfHealthy(ss[1], "c1")
	})

	// The CLI, given every server in ORBIT_ADDR, goes past the dead one.
	cli := func(args ...string) string {
		cmd := exec.Command(orbitBin, args...)
		cmd.Env = append(os.Environ(), "ORBIT_ADDR="+all, "ORBIT_TOKEN="+orbittest.RootToken)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("orbit %v with ORBIT_ADDR=%s: %v\n%s", args, all, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	cli("kv", "put", "ha/cli", "through-the-survivors")
	if got := cli("kv", "get", "ha/cli"); got != "through-the-survivors" {
		t.Fatalf("orbit kv get = %q", got)
	}

	c2 := orbittest.StartAgentProcess(t, orbitBin, "-client", "-node", "c2", "-data-dir", t.TempDir(), "-servers", all, "-config", orbittest.ACLConfigFile(t))
	if code, body := call(t, "PUT", "http://"+c2.Addr+"/v1/agent/service/register", `{"Name":"c2-svc","Port":80}`); code != 200 {
		t.Fatalf("register through c2: %d %s", code, body)
	}
	orbittest.Eventually(t, 20*time.Second, "c2's service on s2", func() bool {
		return strings.Contains(strings.Join(nodeServices(ss[1], "c2"), ","), "c2-svc")
	})
}
