package health

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the manager's Prometheus collectors.
type metrics struct {
	running      *prometheus.GaugeVec     // by type
	runs         *prometheus.CounterVec   // by type and result
	written      *prometheus.CounterVec   // by status
	writeErrors  prometheus.Counter       // failed status writes
	duration     *prometheus.HistogramVec // by type
	deregistered prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "orbit_health_checks_running",
			Help: "Checks this agent runs, by type.",
		}, []string{"type"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_health_check_runs_total",
			Help: "Check runs (and TTL expiries), by type and result.",
		}, []string{"type", "result"}),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_health_status_changes_written_total",
			Help: "Check status and output changes written to the store, by new status.",
		}, []string{"status"}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_health_status_write_errors_total",
			Help: "Check status writes that failed (retried on the next result).",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orbit_health_check_run_duration_seconds",
			Help:    "Time one check run took, by type.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"type"}),
		deregistered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_health_services_deregistered_total",
			Help: "Services deregistered by deregister_critical_service_after.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.running, m.runs, m.written, m.writeErrors, m.duration, m.deregistered} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("health: register metrics: %w", err)
		}
	}
	return m, nil
}
