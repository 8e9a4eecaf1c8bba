package ha_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest"
)

// Two of three servers are lost for good: `orbit operator cluster-reset`
// turns the survivor into a one-member cluster with all its data, and the
// two others rejoin it with empty data directories, as the README says.
func TestClusterResetAfterQuorumLoss(t *testing.T) {
	ss := newServers(t, 3)
	startAll(t, 3, ss...)
	if code, body := call(t, "PUT", ss[0].url()+"/v1/kv/reset/kept", "yes"); code != 200 {
		t.Fatalf("write: %d %s", code, body)
	}
	ss[1].kill(t)
	ss[2].kill(t)
	if code, _ := call(t, "PUT", ss[0].url()+"/v1/kv/reset/lost", "no"); code != 503 {
		t.Fatalf("write without quorum answered %d, want 503", code)
	}

	// The survivor is stopped, reset offline, and started as before.
	ss[0].kill(t)
	out, err := exec.Command(orbitBin, "operator", "cluster-reset", "-data-dir", ss[0].dir, "-node", ss[0].name).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "cluster of one member") {
		t.Fatalf("cluster-reset: %v\n%s", err, out)
	}
	startAll(t, 3, ss[0])
	orbittest.Eventually(t, 30*time.Second, "the kept key through the reset survivor", func() bool {
		code, body := call(t, "GET", ss[0].url()+"/v1/kv/reset/kept?raw", "")
		return code == 200 && body == "yes"
	})
	if code, body := call(t, "PUT", ss[0].url()+"/v1/kv/reset/alone", "1"); code != 200 {
		t.Fatalf("write to the one-member cluster: %d %s", code, body)
	}

	// The lost servers come back as new members: empty data directories,
	// joining the survivor.
	for _, s := range ss[1:] {
		s.dir, s.join = t.TempDir(), ss[0].http
	}
	startAll(t, 3, ss[1:]...)
	c, err := capi.NewClient(&capi.Config{Address: ss[2].http, Token: orbittest.RootToken})
	if err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 60*time.Second, "three voting servers", func() bool {
		cfg, err := c.Operator().RaftGetConfiguration(nil)
		if err != nil || len(cfg.Servers) != 3 {
			return false
		}
		for _, rs := range cfg.Servers {
			if !rs.Voter || rs.Node == "(unknown)" {
				return false
			}
		}
		return true
	})
	code, body := call(t, "GET", ss[2].url()+"/v1/kv/reset/kept?raw", "")
	if code != 200 || body != "yes" {
		t.Fatalf("kept key through a rejoined server: %d %s", code, body)
	}
	code, body = call(t, "GET", ss[1].url()+"/v1/status/peers", "")
	var peers []string
	if code != 200 || json.Unmarshal([]byte(body), &peers) != nil || len(peers) != 3 {
		t.Fatalf("peers after the rejoin: %d %s", code, body)
	}
	awaitOneLeader(t, ss, 30*time.Second)
}
