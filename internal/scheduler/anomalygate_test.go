package scheduler

import (
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/job"
)

// TestAnomalyGate: a rolling update whose new allocation turns anomalous
// while the old one is calm fails and reverts; anomalies on both, or a
// group without the gate, change nothing.
func TestAnomalyGate(t *testing.T) {
	calm, wild := anomaly.Rate{Anomalous: 1, Total: 120}, anomaly.Rate{Anomalous: 40, Total: 120}
	for _, tc := range []struct {
		name           string
		gate           bool
		newRate, older anomaly.Rate
		fail           bool
	}{
		{"new anomalous, old calm", true, wild, calm, true},
		{"both anomalous", true, wild, wild, false},
		{"new calm", true, calm, calm, false},
		{"too few bits yet", true, anomaly.Rate{Anomalous: 10, Total: 10}, calm, false},
		{"no gate", false, wild, calm, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, node("a"))
			h.register(rollingJob("1", 2, true))
			h.eval()
			h.runAll(true)
			h.eval() // version 0 stable
			v1 := rollingJob("2", 2, true)
			v1.Groups[0].Update.AnomalyGate = tc.gate
			h.register(v1)
			r := h.eval()
			if len(r.Place) != 1 || r.Deployment == nil || r.Deployment.TaskGroups["web"].AnomalyGate != tc.gate {
				t.Fatalf("placed %d, deployment %+v", len(r.Place), r.Deployment)
			}
			newID := r.Place[0].ID
			h.setStatus(newID, job.ClientRunning) // running, not yet healthy
			h.anomalies = map[string]anomaly.Rate{newID: tc.newRate}
			for _, a := range h.live() {
				if a.JobVersion == 0 {
					h.anomalies[a.ID] = tc.older
				}
			}
			r = h.eval()
			d := h.deps[len(h.deps)-1]
			failed := d.Status == job.DeploymentFailed
			if failed != tc.fail {
				t.Fatalf("deployment %s (%s), want failed=%v", d.Status, d.StatusDescription, tc.fail)
			}
			if tc.fail && (r.RevertTo == nil || *r.RevertTo != 0 || !strings.Contains(d.StatusDescription, "anomalous allocations (group web: new allocations 33.3% anomalous")) {
				t.Fatalf("revert %v, description %q", r.RevertTo, d.StatusDescription)
			}
		})
	}
}
