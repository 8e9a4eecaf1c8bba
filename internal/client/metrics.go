package client

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	allocs     prometheus.Gauge
	starts     *prometheus.CounterVec
	restarts   prometheus.Counter
	failures   prometheus.Counter
	startDelay prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		allocs: prometheus.NewGauge(prometheus.GaugeOpts{Name: "orbit_client_allocations_running",
			Help: "Allocations this client is running."}),
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orbit_client_task_starts_total",
			Help: "Task starts by driver."}, []string{"driver"}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{Name: "orbit_client_task_restarts_total",
			Help: "Task restarts by the restart policy or a template change."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "orbit_client_task_failures_total",
			Help: "Tasks that failed for good (the restart policy gave up or the driver failed)."}),
		startDelay: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "orbit_client_alloc_start_seconds",
			Help:    "Time from receiving an allocation to all its tasks running.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.allocs, m.starts, m.restarts, m.failures, m.startDelay} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
