package metrics

import (
	"testing"
	"time"

	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// TestAllocAnomalies counts the stored anomaly bits of an allocation's
// charts over the last minute only, and leaves out other allocations.
func TestAllocAnomalies(t *testing.T) {
	s, err := New(Config{Hostname: "node1"}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	for _, alloc := range []string{"a1", "a2"} {
		c := tsdb.Chart{ID: "cgroup_" + alloc + ".cpu", Labels: map[string]string{"alloc_id": alloc},
			Dims: []tsdb.Dim{{ID: "user", Enc: tsdb.Gauge}, {ID: "system", Enc: tsdb.Gauge}}}
		if err := s.db.Define(c); err != nil {
			t.Fatal(err)
		}
		// 120 seconds: the older minute all anomalous, the last minute
		// anomalous in one dimension every third second.
		for i := int64(119); i >= 0; i-- {
			sec := now.Unix() - i
			bits := []bool{i >= 60 || i%3 == 0, i >= 60}
			if err := s.db.Append(c.ID, sec, []float64{1, 2}, bits); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := s.AllocAnomalies([]string{"a1", "gone"}, now)
	if len(got) != 1 {
		t.Fatalf("rates %v, want a1's only", got)
	}
	// [now-60, now]: 61 seconds of two dimensions; anomalous: both at
	// i = 60, the first at i = 0, 3, ..., 57 (20).
	if r := got["a1"]; r.Total != 122 || r.Anomalous != 22 {
		t.Errorf("a1: %+v, want 22 of 122", r)
	}
}
