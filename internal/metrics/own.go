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
	for _, c := range []prometheus.Collector{m.duration, &storeCollector{db: db}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *ownMetrics) collected(d time.Duration) { m.duration.Observe(d.Seconds()) }

var (
	dimsDesc        = prometheus.NewDesc("orbit_metrics_dimensions", "Metrics collected every second.", nil, nil)
	samplesDesc     = prometheus.NewDesc("orbit_metrics_samples", "Per-second samples held in memory.", nil, nil)
	memoryDesc      = prometheus.NewDesc("orbit_metrics_memory_bytes", "Memory of the stored samples and aggregates.", nil, nil)
	sampleBytesDesc = prometheus.NewDesc("orbit_metrics_sample_bytes", "Memory of the compressed per-second samples.", nil, nil)
)

// storeCollector reports the store's size, summed once per gather (the
// sum walks every series).
type storeCollector struct{ db *tsdb.DB }

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- dimsDesc
	ch <- samplesDesc
	ch <- memoryDesc
	ch <- sampleBytesDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.db.Stats()
	ch <- prometheus.MustNewConstMetric(dimsDesc, prometheus.GaugeValue, float64(st.Dims))
	ch <- prometheus.MustNewConstMetric(samplesDesc, prometheus.GaugeValue, float64(st.Samples))
	ch <- prometheus.MustNewConstMetric(memoryDesc, prometheus.GaugeValue, float64(st.Bytes))
	ch <- prometheus.MustNewConstMetric(sampleBytesDesc, prometheus.GaugeValue, float64(st.SampleBytes))
}
