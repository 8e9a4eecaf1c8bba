// Package metrics_test checks the agent's per-second metrics end to end: a
// real agent collecting this machine, read back through Netdata's v1 API,
// Consul's and Nomad's metrics endpoints, and compared with the real
// Netdata where it is installed.
package metrics_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type dataAnswer struct {
	Labels []string     `json:"labels"`
	Data   [][]*float64 `json:"data"`
}

// waitRows polls url until its answer has at least n rows whose values
// are all numbers, or fails after a minute.
func waitRows(t *testing.T, url string, n int) dataAnswer {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		code, b := get(t, url)
		var d dataAnswer
		if code == 200 && json.Unmarshal(b, &d) == nil {
			full := 0
			for _, row := range d.Data {
				ok := true
				for _, v := range row {
					ok = ok && v != nil
				}
				if ok {
					full++
				}
			}
			if full >= n {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %d full rows in a minute; last answer %d %s", url, n, code, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAgentCollectsEverySecond: a dev agent, with nothing configured,
// answers /api/v1/data for the node's CPU and orbit's own API requests with
// values that move from one second to the next.
func TestAgentCollectsEverySecond(t *testing.T) {
	a := testagent.Start(t)
	d := waitRows(t, a.URL+"/api/v1/data?chart=system.ctxt&after=-5&points=5&format=json", 4)
	if d.Labels[0] != "time" || d.Labels[1] != "switches" {
		t.Fatalf("labels %v", d.Labels)
	}
	first := *d.Data[0][0]
	later := waitRows(t, a.URL+"/api/v1/data?chart=system.ctxt&after=-5&points=5&format=json", 4)
	for *later.Data[0][0] == first {
		later = waitRows(t, a.URL+"/api/v1/data?chart=system.ctxt&after=-5&points=5&format=json", 4)
	}
	if *later.Data[0][0] <= first || *later.Data[0][0] <= *later.Data[1][0] {
		t.Errorf("the newest row moved from %v to %v; rows must be newest first", first, *later.Data[0][0])
	}
	distinct := map[float64]bool{}
	for _, row := range later.Data {
		distinct[*row[1]] = true
	}
	if len(distinct) < 2 {
		t.Errorf("context switches per second did not move over 5 seconds: %v", distinct)
	}
	cpu := waitRows(t, a.URL+"/api/v1/data?chart=system.cpu&after=-3&points=3", 2)
	total := 0.0
	for _, v := range cpu.Data[0][1:] {
		total += *v
	}
	if total <= 0 || total > 100.001 {
		t.Errorf("system.cpu busy share %v%%, want within (0, 100]", total)
	}
	// orbit's own registry is charted: a Consul API request counts.
	if code, b := get(t, a.URL+"/v1/catalog/nodes"); code != 200 {
		t.Fatalf("catalog: %d %s", code, b)
	}
	waitRows(t, a.URL+"/api/v1/data?chart=orbit.api_requests_total&after=-3&points=1", 1)
	waitRows(t, a.URL+"/api/v1/data?chart=go.goroutines&after=-3&points=1", 1)

	if code, b := get(t, a.URL+"/host/node1/api/v1/chart?chart=system.cpu"); code != 200 || !json.Valid(b) {
		t.Errorf("/host/node1/api/v1/chart: %d %s", code, b)
	}
	_, b := get(t, a.URL+"/api/v1/info")
	var info struct {
		Count int `json:"metrics-count"`
	}
	json.Unmarshal(b, &info)
	if info.Count < 100 {
		t.Errorf("%d metrics collected, want the node's and orbit's", info.Count)
	}
}

// TestConsulAndNomadMetrics: Consul's and Nomad's clients read their
// metrics JSON from the agent, on the API port and on -nomad-addr.
func TestConsulAndNomadMetrics(t *testing.T) {
	a := testagent.Start(t, func(c *agent.Config) { c.NomadAddr = "127.0.0.1:0" })
	cc, err := consul.NewClient(&consul.Config{Address: a.Addr})
	if err != nil {
		t.Fatal(err)
	}
	mi, err := cc.Agent().Metrics()
	if err != nil {
		t.Fatal(err)
	}
	if len(mi.Gauges) == 0 || len(mi.Counters) == 0 || len(mi.Samples) == 0 {
		t.Errorf("consul: %d gauges, %d counters, %d samples", len(mi.Gauges), len(mi.Counters), len(mi.Samples))
	}
	for _, addr := range []string{a.URL, "http://" + a.NomadAddr().String()} {
		nc, err := nomad.NewClient(&nomad.Config{Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		ms, _, err := nc.Operator().MetricsSummary(nil)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if len(ms.Gauges) == 0 || len(ms.Samples) == 0 {
			t.Errorf("%s: nomad metrics %d gauges, %d samples", addr, len(ms.Gauges), len(ms.Samples))
		}
		code, b := get(t, addr+"/v1/metrics?format=prometheus")
		if code != 200 || !strings.Contains(string(b), "# TYPE go_goroutines gauge") {
			t.Errorf("%s ?format=prometheus: %d %.200s", addr, code, b)
		}
	}
}
