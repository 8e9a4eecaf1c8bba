package tsdb

import (
	"errors"
	"math"
	"testing"
	"time"
)

func newTestDB(t *testing.T, cfg Config) *DB {
	t.Helper()
	db, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

const t0 = 1_700_000_040 // a minute boundary

func cpuChart() Chart {
	return Chart{ID: "system.cpu", Units: "percentage", ChartType: "stacked", PercentOfRow: true,
		Dims: []Dim{{ID: "user", Enc: Counter}, {ID: "idle", Enc: Counter, Hidden: true}}}
}

func TestQueryCountersAsRates(t *testing.T) {
	db := newTestDB(t, Config{})
	if err := db.Define(Chart{ID: "net.eth0", Dims: []Dim{
		{ID: "received", Enc: Counter, Multiplier: 8, Divisor: 1000},
		{ID: "sent", Enc: Counter, Multiplier: -8, Divisor: 1000},
		{ID: "seconds", Enc: FloatCounter}}}); err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 10; i++ {
		if err := db.Append("net.eth0", t0+i, []float64{float64(1000 * i), float64(500 * i), 0.25 * float64(i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	r, err := db.Query(Query{Chart: "net.eth0", After: t0 + 5, Before: t0 + 9})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 5 || r.Rows[0].T != t0+9 || r.Rows[4].T != t0+5 {
		t.Fatalf("rows %+v: want 5, newest (t0+9) first", r.Rows)
	}
	for _, row := range r.Rows {
		if row.V[0] != 8 || row.V[1] != -4 || row.V[2] != 0.25 {
			t.Fatalf("row %+v: want kilobits per second 8 and -4, and 0.25 seconds per second", row)
		}
	}
	// The first sample has no rate: its row is null.
	r, _ = db.Query(Query{Chart: "net.eth0", After: t0, Before: t0})
	if len(r.Rows) != 1 || !math.IsNaN(r.Rows[0].V[0]) {
		t.Fatalf("first second: %+v, want one null row", r.Rows)
	}
}

func TestQueryPointsGroupsAndDims(t *testing.T) {
	db := newTestDB(t, Config{})
	db.Define(Chart{ID: "mem", Dims: []Dim{{ID: "used"}, {ID: "free", Name: "avail"}}})
	for i := int64(0); i < 60; i++ {
		db.Append("mem", t0+i, []float64{float64(i), 100}, []bool{i%10 == 0, false})
	}
	tests := []struct {
		q     Query
		rows  int
		first []float64 // newest row
	}{
		{Query{Points: 6}, 6, []float64{54.5, 100}},
		{Query{Points: 6, Group: "max"}, 6, []float64{59, 100}},
		{Query{Points: 6, Group: "min"}, 6, []float64{50, 100}},
		{Query{Points: 6, Group: "sum"}, 6, []float64{545, 1000}},
		{Query{Points: 3, Group: "median"}, 3, []float64{49.5, 100}},
		{Query{Points: 6, Dims: []string{"avail"}}, 6, []float64{100}},
		{Query{Points: 6, Anomaly: true}, 6, []float64{10, 0}},
		{Query{}, 60, []float64{59, 100}},
	}
	for _, tt := range tests {
		q := tt.q
		q.Chart, q.After, q.Before = "mem", t0, t0+59
		r, err := db.Query(q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		if len(r.Rows) != tt.rows || r.Rows[0].T != t0+59 {
			t.Fatalf("%+v: %d rows, newest at %d; want %d, newest at %d", q, len(r.Rows), r.Rows[0].T, tt.rows, t0+59)
		}
		for i, w := range tt.first {
			if r.Rows[0].V[i] != w {
				t.Errorf("%+v: newest row %v, want %v", q, r.Rows[0].V, tt.first)
			}
		}
	}
	for _, bad := range []Query{{Chart: "nope", After: 1, Before: 2}, {Chart: "mem", Group: "p99", After: 1, Before: 2},
		{Chart: "mem", After: 5, Before: 2}, {Chart: "mem", Dims: []string{"x"}, After: 1, Before: 2}} {
		if _, err := db.Query(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if _, err := db.Query(Query{Chart: "nope"}); !errors.Is(err, ErrNoChart) {
		t.Errorf("missing chart: %v, want ErrNoChart", err)
	}
}

func TestPercentOfRow(t *testing.T) {
	db := newTestDB(t, Config{})
	db.Define(cpuChart())
	for i := int64(0); i < 5; i++ {
		db.Append("system.cpu", t0+i, []float64{float64(25 * i), float64(75 * i)}, nil)
	}
	_, v, err := db.Latest("system.cpu")
	if err != nil || v[0] != 25 || v[1] != 75 {
		t.Fatalf("latest %v %v: want 25 and 75 percent", v, err)
	}
	r, err := db.Query(Query{Chart: "system.cpu", After: t0 + 4, Before: t0 + 4})
	if err != nil || len(r.Dims) != 1 || r.Rows[0].V[0] != 25 {
		t.Fatalf("without the hidden idle: %+v %v, want user alone at 25 %%", r, err)
	}
}

// TestTiersAndBound feeds three days at one sample a second into small
// tiers: memory stops growing once the tiers are full, and old spans are
// answered from the coarser tiers.
func TestTiersAndBound(t *testing.T) {
	db := newTestDB(t, Config{Seconds: 10 * time.Minute, Minutes: 2 * time.Hour, Hours: 48 * time.Hour, ChunkSamples: 64})
	db.Define(Chart{ID: "c", Dims: []Dim{{ID: "v", Enc: Counter}}})
	var peak int64
	day := int64(86400)
	for i := int64(0); i < 3*day; i++ {
		db.Append("c", t0+i, []float64{float64(3 * i)}, []bool{i%100 == 0})
		if i == day {
			peak = db.Stats().Bytes
		}
	}
	st := db.Stats()
	if st.Bytes > peak+256 {
		t.Errorf("memory grew from %d to %d bytes after the tiers filled", peak, st.Bytes)
	}
	if st.Samples > 600+64 {
		t.Errorf("%d per-second samples held, want at most 10 minutes and a chunk", st.Samples)
	}
	now := t0 + 3*day - 1
	for _, tt := range []struct {
		after int64
		step  int64
	}{{now - 300, 1}, {now - 3600, 60}, {now - 40*3600, 3600}} {
		r, err := db.Query(Query{Chart: "c", After: tt.after, Before: now, Points: 5})
		if err != nil {
			t.Fatal(err)
		}
		if r.Step != tt.step {
			t.Errorf("after now-%d: step %d, want %d", now-tt.after, r.Step, tt.step)
		}
		if r.Rows[1].V[0] != 3 {
			t.Errorf("after now-%d: rate %v, want 3", now-tt.after, r.Rows[1].V)
		}
		ar, _ := db.Query(Query{Chart: "c", After: tt.after, Before: now, Points: 1, Anomaly: true})
		if got := ar.Rows[0].V[0]; math.Abs(got-1) > 0.5 {
			t.Errorf("after now-%d: anomaly rate %v, want about 1 %%", now-tt.after, got)
		}
	}
	// A span reaching years back is cut at the oldest data held.
	r, err := db.Query(Query{Chart: "c", After: now - 10*365*86400, Before: now + 10*365*86400})
	if err != nil || len(r.Rows) > 49 || r.Step != 3600 || len(r.Rows) < 47 || r.Rows[0].T != now {
		t.Errorf("ten years back: %d rows of step %d, %v; want about two days of hours", len(r.Rows), r.Step, err)
	}
	in, _ := db.ChartInfo("c")
	if in.First > now-47*3600 || in.Last != now {
		t.Errorf("first %d last %d: want about two days back and %d", in.First, in.Last, now)
	}
}

func TestDefineKeepsAndPrunes(t *testing.T) {
	db := newTestDB(t, Config{})
	db.Define(Chart{ID: "a", Dims: []Dim{{ID: "x"}}})
	db.Append("a", t0, []float64{1}, nil)
	db.Define(Chart{ID: "a", Dims: []Dim{{ID: "y"}, {ID: "x"}}})
	if _, v, _ := db.Latest("a"); !math.IsNaN(v[0]) || v[1] != 1 {
		t.Fatalf("after adding a dimension: %v, want [NaN 1]", v)
	}
	if err := db.Append("a", t0+1, []float64{1}, nil); err == nil {
		t.Error("a row of the wrong width was taken")
	}
	db.Define(Chart{ID: "b", Dims: []Dim{{ID: "x"}}})
	db.Append("b", t0+100, []float64{1}, nil)
	if gone := db.Prune(t0 + 50); len(gone) != 1 || gone[0] != "a" {
		t.Fatalf("pruned %v, want [a]", gone)
	}
	if len(db.Charts()) != 1 {
		t.Fatalf("charts %v", db.Charts())
	}
	if err := db.Define(Chart{ID: "c"}); err == nil {
		t.Error("a chart without dimensions was defined")
	}
	if _, err := New(Config{Seconds: time.Second}); err == nil {
		t.Error("a one-second retention was accepted")
	}
}
