package metrics

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// TestAnomalyBitsStored feeds a gauge of the registry through collection:
// steady noise trains the models (short windows for the test), then a
// level shift is flagged within seconds in the stored anomaly bits (what
// /api/v1/data's anomaly-bit option answers) and in the node's count.
func TestAnomalyBitsStored(t *testing.T) {
	reg := prometheus.NewRegistry()
	level := prometheus.NewGauge(prometheus.GaugeOpts{Name: "test_level", Help: "a level"})
	reg.MustRegister(level)
	clock := clockwork.NewFakeClockAt(time.Unix(1_800_000_000, 0))
	s, err := New(Config{Root: t.TempDir(), ML: anomaly.Config{TrainingWindow: 10 * time.Minute,
		MinTrainingWindow: 5 * time.Minute, TrainEvery: 5 * time.Minute}}, Deps{Registry: reg, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	step := func(v float64) {
		level.Set(v)
		s.Collect(clock.Now())
		clock.Advance(time.Second)
	}
	for i := 0; i < 11*60; i++ {
		step(100 + r.NormFloat64())
	}
	quiet, err := s.db.Query(tsdb.Query{Chart: "test.level", After: clock.Now().Unix() - 300, Before: clock.Now().Unix() - 1, Points: 1, Anomaly: true})
	if err != nil {
		t.Fatal(err)
	}
	if rate := quiet.Rows[0].V[0]; rate > 1 {
		t.Errorf("steady noise: %.2f %% anomalous over 5 minutes, want under 1 %%", rate)
	}
	shift := clock.Now().Unix()
	for i := 0; i < 10; i++ {
		step(200 + r.NormFloat64())
	}
	res, err := s.db.Query(tsdb.Query{Chart: "test.level", After: shift, Before: shift + 9, Anomaly: true})
	if err != nil {
		t.Fatal(err)
	}
	flagged := 0
	for _, row := range res.Rows {
		if row.V[0] > 0 {
			flagged++
		}
	}
	if flagged == 0 {
		t.Fatalf("a level shift from 100 to 200 was not flagged in 10 seconds: %+v", res.Rows)
	}
	_, rate, _ := s.db.Latest("anomaly_detection.dimensions")
	if rate[0] < 1 {
		// The node counts anomalous metrics each second; the shifted one
		// may have settled by the last second, so look at the span.
		r, _ := s.db.Query(tsdb.Query{Chart: "anomaly_detection.dimensions", After: shift, Before: shift + 9, Points: 1, Group: "max"})
		if r.Rows[0].V[0] < 1 {
			t.Errorf("the node's anomalous dimensions stayed 0 during the shift")
		}
	}
}
