package metrics_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// chartSpan reads a chart's first and last second from url's
// /api/v1/chart answer (0, 0 while the chart is unknown).
func chartSpan(t *testing.T, url string) (first, last int64) {
	t.Helper()
	code, b := get(t, url)
	if code != 200 {
		return 0, 0
	}
	var c struct {
		First int64 `json:"first_entry"`
		Last  int64 `json:"last_entry"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v: %s", url, err, b)
	}
	return c.First, c.Last
}

// waitFor polls cond every 200ms until it holds, failing after two minutes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited two minutes for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// rowsBetween answers chart's per-second rows in [after, before] from
// base (an agent's URL, or a parent's /host/NODE path).
func rowsBetween(t *testing.T, base, chart string, after, before int64) [][]*float64 {
	t.Helper()
	url := fmt.Sprintf("%s/api/v1/data?chart=%s&after=%d&before=%d&points=%d&group=average&format=json",
		base, chart, after, before, before-after+1)
	code, b := get(t, url)
	if code != 200 {
		t.Fatalf("%s: %d %s", url, code, b)
	}
	var d dataAnswer
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return d.Data
}

// TestChildStreamsToParent: a child agent streams its per-second samples
// to a parent agent, which serves them under /host/NODE/api/v1/ and lists
// the child in /api/v1/info; when the parent restarts (losing its
// in-memory samples), the child replicates what the parent missed, so the
// parent's series equal the child's second by second across the outage.
func TestChildStreamsToParent(t *testing.T) {
	parentDir := t.TempDir()
	parent := testagent.Start(t, func(c *agent.Config) { c.NodeName, c.DataDir = "parent", parentDir })
	child := testagent.Start(t, func(c *agent.Config) {
		c.NodeName = "child"
		c.Metrics = &agent.MetricsConfig{Parent: parent.Addr}
	})

	waitFor(t, "the child in the parent's mirrored_hosts", func() bool {
		_, b := get(t, parent.URL+"/api/v1/info")
		var info struct {
			Hosts []string `json:"mirrored_hosts"`
		}
		json.Unmarshal(b, &info)
		return slices.Equal(info.Hosts, []string{"parent", "child"})
	})
	hostBase := parent.URL + "/host/child"
	waitRows(t, hostBase+"/api/v1/data?chart=system.ctxt&after=-5&points=5&format=json", 3)
	if code, b := get(t, parent.URL+"/host/nobody/api/v1/info"); code != 404 {
		t.Errorf("unknown host: %d %s", code, b)
	}

	// Once the parent holds ten seconds of the child, it stops; the child
	// keeps collecting for at least 5 seconds.
	childFirst, _ := chartSpan(t, child.URL+"/api/v1/chart?chart=system.ctxt")
	var before int64
	waitFor(t, "ten seconds of the child on the parent", func() bool {
		_, before = chartSpan(t, hostBase+"/api/v1/chart?chart=system.ctxt")
		return before >= childFirst+10
	})
	parent.Stop(t)
	_, stopped := chartSpan(t, child.URL+"/api/v1/chart?chart=system.ctxt")
	waitFor(t, "the child to collect 5s while the parent is down", func() bool {
		_, last := chartSpan(t, child.URL+"/api/v1/chart?chart=system.ctxt")
		return last >= stopped+5
	})
	parent = testagent.Start(t, func(c *agent.Config) {
		c.NodeName, c.DataDir, c.HTTPAddr = "parent", parentDir, parent.Addr
	})
	_, restarted := chartSpan(t, child.URL+"/api/v1/chart?chart=system.ctxt")
	waitFor(t, "the restarted parent to hold the child's seconds from before the stop to after the restart", func() bool {
		first, last := chartSpan(t, hostBase+"/api/v1/chart?chart=system.ctxt")
		return first > 0 && first <= childFirst && last >= restarted+2
	})

	from, to := before-5, restarted+2
	for _, chart := range []string{"system.ctxt", "system.load", "system.ram"} {
		want := rowsBetween(t, child.URL, chart, from, to)
		got := rowsBetween(t, hostBase, chart, from, to)
		if len(want) != int(to-from+1) {
			t.Fatalf("%s: the child answers %d rows for %d seconds", chart, len(want), to-from+1)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: the parent answers %d rows, the child %d", chart, len(got), len(want))
		}
		for i := range want {
			for j := range want[i] {
				if got[i][j] == nil || want[i][j] == nil || *got[i][j] != *want[i][j] {
					t.Fatalf("%s row %d column %d: parent %v, child %v (a gap or a difference)", chart, i, j, val(got[i][j]), val(want[i][j]))
				}
			}
		}
	}
}

func val(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
