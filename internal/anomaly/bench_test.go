package anomaly

import (
	"testing"
	"time"
)

// BenchmarkTrain is one metric's training on Netdata's default window
// (6 h of 1 s samples, 20 % of the feature vectors): the cost paid per
// metric every train_every (3 h).
func BenchmarkTrain(b *testing.B) {
	cfg := Config{}.WithDefaults()
	next := noisy(1, 100, 5)
	values := make([]float64, cfg.samples(cfg.TrainingWindow))
	for i := range values {
		values[i] = next()
	}
	now := time.Unix(1_700_000_000, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(values, now, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObserve is one sample of a trained metric scored against its
// models: the cost paid per metric per second. Normal samples are the
// common case and stop at the first model that disagrees; the anomalous
// case consults all 18.
func BenchmarkObserve(b *testing.B) {
	for _, tc := range []struct {
		name  string
		shift float64
	}{{"normal", 0}, {"anomalous-18-models", 1e6}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := Config{}.WithDefaults()
			d := NewDimension(&cfg)
			next := noisy(2, 100, 5)
			values := make([]float64, 3600)
			for i := range values {
				values[i] = next()
				d.Observe(values[i])
			}
			m, err := Fit(values, time.Unix(0, 0), Config{MinTrainingWindow: 15 * time.Minute}.WithDefaults())
			if err != nil {
				b.Fatal(err)
			}
			for range cfg.Models {
				d.keep(m)
			}
			d.status = Trained
			d.cfg.SuppressionThreshold = 1 << 30 // never silenced here
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v := next()
				if i%2 == 1 {
					v += tc.shift
				}
				i++
				d.Observe(v)
			}
		})
	}
}
