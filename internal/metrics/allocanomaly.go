package metrics

import (
	"time"

	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// AllocAnomalies counts the anomaly bits of the given allocations' charts
// (their cgroup charts, labelled alloc_id) over the last
// anomaly.GateWindow before now, from this agent's store and its
// children's: the input of a deployment's anomaly gate. Allocations of
// nodes that stream elsewhere are absent.
func (s *Server) AllocAnomalies(allocIDs []string, now time.Time) map[string]anomaly.Rate {
	want := make(map[string]bool, len(allocIDs))
	for _, id := range allocIDs {
		want[id] = true
	}
	out := map[string]anomaly.Rate{}
	from, to := now.Add(-anomaly.GateWindow).Unix(), now.Unix()
	count := func(db *tsdb.DB) {
		for _, in := range db.Charts() {
			id := in.Labels["alloc_id"]
			if !want[id] {
				continue
			}
			a, n, err := db.AnomalyBits(in.ID, from, to)
			if err != nil || n == 0 {
				continue
			}
			r := out[id]
			r.Merge(anomaly.Rate{Anomalous: a, Total: n})
			out[id] = r
		}
	}
	count(s.db)
	for _, m := range s.children.list() {
		count(m.db)
	}
	return out
}
