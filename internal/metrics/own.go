package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// ownMetrics are the feature's own Prometheus metrics.
type ownMetrics struct {
	duration prometheus.Histogram
}

func newOwnMetrics(reg prometheus.Registerer, db *tsdb.DB) (*ownMetrics, error) {
	m := &ownMetrics{duration: prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "orbit_metrics_collect_duration_seconds", Help: "Time to collect one second of every metric.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25}})}
	stat := func(f func(tsdb.Stats) int64) func() float64 {
		return func() float64 { return float64(f(db.Stats())) }
	}
	cs := []prometheus.Collector{m.duration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "orbit_metrics_dimensions", Help: "Metrics collected every second."},
			stat(func(s tsdb.Stats) int64 { return int64(s.Dims) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "orbit_metrics_samples", Help: "Per-second samples held in memory."},
			stat(func(s tsdb.Stats) int64 { return s.Samples })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "orbit_metrics_memory_bytes", Help: "Memory of the stored samples and aggregates."},
			stat(func(s tsdb.Stats) int64 { return s.Bytes })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "orbit_metrics_sample_bytes", Help: "Memory of the compressed per-second samples."},
			stat(func(s tsdb.Stats) int64 { return s.SampleBytes })),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *ownMetrics) collected(d time.Duration) { m.duration.Observe(d.Seconds()) }
