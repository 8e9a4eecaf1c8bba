package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// sim plays a collector: it keeps a metric's whole history, feeds every
// sample to the detector and trains it whenever it is due, as the metrics
// feature does.
type sim struct {
	t       *testing.T
	cfg     Config
	d       *Dimension
	now     time.Time
	history []float64
	trained int
}

func newSim(t *testing.T, cfg Config) *sim {
	t.Helper()
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, cfg: cfg, now: time.Unix(1_700_000_000, 0)}
	s.d = NewDimension(&s.cfg)
	return s
}

func (s *sim) step(v float64) bool {
	s.now = s.now.Add(s.cfg.Step)
	s.history = append(s.history, v)
	bit := s.d.Observe(v)
	if s.d.TrainDue(s.now) {
		if err := s.d.Train(s.now, s.history); err != nil {
			s.t.Fatalf("train at %d samples: %v", len(s.history), err)
		}
		s.trained++
	}
	return bit
}

// noisy returns a steady series: level plus Gaussian noise, seeded.
func noisy(seed uint64, level, sd float64) func() float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	return func() float64 { return level + sd*r.NormFloat64() }
}

// testConfig is what tests set in the agent: a short history, retrained
// often, so several models are kept within a test's hour.
var testConfig = Config{TrainingWindow: 30 * time.Minute, MinTrainingWindow: 15 * time.Minute, TrainEvery: 10 * time.Minute}

func TestSteadyNoiseIsRarelyAnomalous(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		s := newSim(t, testConfig)
		next := noisy(seed, 100, 5)
		for range 3600 {
			s.step(next())
		}
		var r Rate
		for range 600 {
			r.Add(s.step(next()))
		}
		t.Logf("seed %d: %d of %d samples anomalous (%.2f %%), %d models", seed, r.Anomalous, r.Total, r.Percent(), len(s.d.Models()))
		if r.Percent() >= 1 {
			t.Errorf("seed %d: %.2f %% of ten minutes of steady noise anomalous, want < 1 %%", seed, r.Percent())
		}
	}
}

func TestSteadyNoiseWithNetdataDefaults(t *testing.T) {
	// Netdata's defaults: one model after 15 minutes, retrained after 3 h.
	s := newSim(t, Config{})
	next := noisy(7, 40, 2)
	for range 1800 {
		s.step(next())
	}
	var r Rate
	for range 600 {
		r.Add(s.step(next()))
	}
	if s.trained != 1 || r.Percent() >= 1 {
		t.Errorf("%d trainings, %.2f %% anomalous; want 1 and < 1 %%", s.trained, r.Percent())
	}
}

// flaggedWithin feeds after() for n samples and returns how many samples
// passed before the first anomaly bit (-1: none).
func flaggedWithin(s *sim, n int, after func(i int) float64) int {
	for i := range n {
		if s.step(after(i)) {
			return i
		}
	}
	return -1
}

func TestLevelShiftAndSpikeAreFlaggedWithinSeconds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func(next func() float64) func(i int) float64
	}{
		{"level shift up", func(next func() float64) func(int) float64 {
			return func(int) float64 { return next() + 50 }
		}},
		{"level shift down", func(next func() float64) func(int) float64 {
			return func(int) float64 { return next() - 50 }
		}},
		{"spike", func(next func() float64) func(int) float64 {
			return func(i int) float64 {
				if i == 0 {
					return next() + 80
				}
				return next()
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, testConfig)
			next := noisy(11, 100, 5)
			for range 3600 {
				if s.step(next()) {
					// a rare false positive before the change is allowed;
					// what is asserted is the change being caught.
					continue
				}
			}
			at := flaggedWithin(s, 30, tc.after(next))
			if at < 0 || at > 5 {
				t.Fatalf("first anomaly bit %d s after the change, want within 5 s", at)
			}
		})
	}
}

func TestShiftIsFlaggedThenForgotten(t *testing.T) {
	// After the shift the differences are back to noise: the bits stop
	// within the span of a feature vector.
	s := newSim(t, testConfig)
	next := noisy(3, 100, 5)
	for range 3600 {
		s.step(next())
	}
	var bits []int
	for i := range 120 {
		if s.step(next() + 50) {
			bits = append(bits, i)
		}
	}
	if len(bits) == 0 || bits[len(bits)-1] > 2*Span {
		t.Errorf("anomalous seconds after the shift: %v; want some, none after %d s", bits, 2*Span)
	}
}

func TestUntrainedAndConstantMetricsAreNeverAnomalous(t *testing.T) {
	s := newSim(t, testConfig)
	for i := range 10 * 60 { // under min_training_window
		if s.step(float64(i%5) * 1000) {
			t.Fatal("anomalous before any model")
		}
	}
	if s.d.Status() != Untrained || s.trained != 0 || s.d.Counted() {
		t.Errorf("status %v after %d trainings, counted %v; want untrained, 0, not counted", s.d.Status(), s.trained, s.d.Counted())
	}

	c := newSim(t, testConfig)
	for range 3600 {
		c.step(42)
	}
	if c.trained != 0 || !c.d.Counted() {
		t.Errorf("a constant metric trained %d times, counted %v; want 0 and counted as normal", c.trained, c.d.Counted())
	}
}

func TestGapRestartsTheFeatureWindow(t *testing.T) {
	s := newSim(t, testConfig)
	next := noisy(5, 100, 5)
	for range 3600 {
		s.step(next())
	}
	s.step(math.NaN())
	// A jump across the gap is not a difference: the window starts again.
	for i := range Span {
		if s.step(next() + 500) {
			t.Fatalf("anomalous %d samples after a gap, while the window refills", i)
		}
	}
}

func TestTrainDue(t *testing.T) {
	cfg := testConfig.WithDefaults()
	t0 := time.Unix(1_700_000_000, 0)
	var history []float64
	for i := range 3600 {
		history = append(history, float64(i%9))
	}
	trained := func() *Dimension {
		d := NewDimension(&cfg)
		for _, v := range history {
			d.Observe(v)
		}
		if err := d.Train(t0, history); err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct {
		name string
		d    func() *Dimension
		now  time.Time
		want bool
	}{
		{"new", func() *Dimension { return NewDimension(&cfg) }, t0, false},
		{"untrained with enough values", func() *Dimension {
			d := NewDimension(&cfg)
			for _, v := range history[:900] {
				d.Observe(v)
			}
			return d
		}, t0, true},
		{"untrained one value short", func() *Dimension {
			d := NewDimension(&cfg)
			for _, v := range history[:899] {
				d.Observe(v)
			}
			return d
		}, t0, false},
		{"untrained, failed a moment ago", func() *Dimension {
			d := NewDimension(&cfg)
			for _, v := range history[:900] {
				d.Observe(v)
			}
			_ = d.Train(t0, history[:10]) // the store had little
			return d
		}, t0.Add(30 * time.Second), false},
		{"untrained, failed a retry ago", func() *Dimension {
			d := NewDimension(&cfg)
			for _, v := range history[:900] {
				d.Observe(v)
			}
			_ = d.Train(t0, history[:10])
			return d
		}, t0.Add(time.Minute), true},
		{"trained, changing, before train_every", func() *Dimension {
			d := trained()
			d.Observe(1)
			d.Observe(2)
			return d
		}, t0.Add(10 * time.Minute), false},
		{"trained, changing, after train_every", func() *Dimension {
			d := trained()
			d.Observe(1)
			d.Observe(2)
			return d
		}, t0.Add(10*time.Minute + time.Second), true},
		{"trained, constant since", func() *Dimension {
			d := trained()
			d.Observe(history[len(history)-1]) // the value it ended on
			d.Observe(history[len(history)-1])
			return d
		}, t0.Add(time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d().TrainDue(tc.now); got != tc.want {
				t.Errorf("TrainDue = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKeepModels(t *testing.T) {
	t0 := time.Unix(0, 0)
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	model := func(after, before int) Model { return Model{After: h(after), Before: h(before)} }
	span := func(ms []Model) [][2]int {
		var out [][2]int
		for _, m := range ms {
			out = append(out, [2]int{int(m.After.Sub(t0).Hours()), int(m.Before.Sub(t0).Hours())})
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		models int
		have   []Model
		add    Model
		want   [][2]int
	}{
		{"room left", 3, []Model{model(0, 6)}, model(3, 9), [][2]int{{0, 6}, {3, 9}}},
		{"full: the oldest goes", 3, []Model{model(0, 6), model(3, 9), model(6, 12)}, model(9, 15),
			[][2]int{{3, 9}, {6, 12}, {9, 15}}},
		{"full, retrained faster than the window: the newest is replaced", 3,
			[]Model{model(0, 6), model(1, 7), model(2, 8)}, model(3, 9),
			[][2]int{{0, 6}, {1, 7}, {3, 9}}},
		{"one model kept", 1, []Model{model(0, 6)}, model(3, 9), [][2]int{{3, 9}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Models: tc.models}.WithDefaults()
			d := NewDimension(&cfg)
			d.models = append([]Model(nil), tc.have...)
			d.keep(tc.add)
			if got := span(d.models); !slices.Equal(got, tc.want) {
				t.Errorf("models %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAlwaysAnomalousMetricIsSilenced(t *testing.T) {
	cfg := testConfig
	cfg.SuppressionWindow = 2 * time.Minute
	cfg.SuppressionThreshold = 30
	s := newSim(t, cfg)
	next := noisy(9, 100, 1)
	for range 1800 {
		s.step(next())
	}
	// A sawtooth far larger than anything trained on: every sample is off.
	n := 0
	for i := range 120 {
		if s.step(float64(i%2) * 1e4) {
			n++
		}
	}
	if s.d.Status() != Silenced || n != 30 {
		t.Errorf("status %v after %d anomalous samples; want silenced after 30", s.d.Status(), n)
	}
	if s.step(1e6) {
		t.Error("a silenced metric is anomalous")
	}
}

func TestRate(t *testing.T) {
	var r, chart Rate
	if r.Percent() != 0 {
		t.Errorf("empty rate %v", r.Percent())
	}
	for i := range 8 {
		r.Add(i%4 == 0)
	}
	chart.Merge(r)
	chart.Merge(Rate{Anomalous: 2, Total: 2})
	if r.Percent() != 25 || chart.Percent() != 40 {
		t.Errorf("rates %v %v, want 25 and 40", r.Percent(), chart.Percent())
	}
}
