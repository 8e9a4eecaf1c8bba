package tsdb

import (
	"math"
	"testing"
)

// TestRawReplaysIntoAnotherStore: the rows Raw hands out, appended to an
// empty store, give the same per-second values and anomaly bits as the
// original, across chunk boundaries, gaps and a dimension that misses
// samples; a range limits the rows.
func TestRawReplaysIntoAnotherStore(t *testing.T) {
	cfg := Config{ChunkSamples: 16}
	src, dst := newTestDB(t, cfg), newTestDB(t, cfg)
	c := Chart{ID: "disk.sda", Dims: []Dim{{ID: "reads", Enc: Counter}, {ID: "util", Enc: Float}, {ID: "queue", Enc: Gauge}}}
	for _, db := range []*DB{src, dst} {
		if err := db.Define(c); err != nil {
			t.Fatal(err)
		}
	}
	for i := int64(0); i < 100; i++ {
		if i >= 40 && i < 45 {
			continue // a gap
		}
		queue := float64(i % 7)
		if i%10 == 3 {
			queue = math.NaN() // one dimension misses a sample
		}
		if err := src.Append(c.ID, t0+i, []float64{float64(i * i), float64(i) / 3, queue}, []bool{i == 50, false, i%9 == 0}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []int64
	err := src.Raw(c.ID, t0+10, t0+99, func(ts int64, v []float64, a []bool) {
		seen = append(seen, ts)
		if err := dst.Append(c.ID, ts, v, a); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 85 || seen[0] != t0+10 || seen[len(seen)-1] != t0+99 {
		t.Fatalf("raw rows: %d from %d to %d, want 85 from %d to %d", len(seen), seen[0], seen[len(seen)-1], t0+10, t0+99)
	}
	for d := range c.Dims {
		want, _ := src.Seconds(c.ID, d, t0+11, t0+99)
		got, _ := dst.Seconds(c.ID, d, t0+11, t0+99)
		for i := range want {
			if !(want[i] == got[i] || math.IsNaN(want[i]) && math.IsNaN(got[i])) {
				t.Fatalf("dimension %d second %d: replayed %v, original %v", d, t0+11+int64(i), got[i], want[i])
			}
		}
	}
	q := Query{Chart: c.ID, After: t0 + 11, Before: t0 + 99, Points: 89, Anomaly: true}
	a, _ := src.Query(q)
	b, _ := dst.Query(q)
	if len(a.Rows) != len(b.Rows) {
		t.Fatalf("rows %d vs %d", len(b.Rows), len(a.Rows))
	}
	for i := range a.Rows {
		for j := range a.Rows[i].V {
			x, y := a.Rows[i].V[j], b.Rows[i].V[j]
			if !(x == y || math.IsNaN(x) && math.IsNaN(y)) {
				t.Fatalf("row %d dim %d: replayed %v, original %v", i, j, y, x)
			}
		}
	}
	if err := src.Raw("nope", 0, 1, func(int64, []float64, []bool) {}); err == nil {
		t.Error("raw rows of an unknown chart: no error")
	}
}
