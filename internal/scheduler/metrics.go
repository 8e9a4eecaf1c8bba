package scheduler

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the scheduler's Prometheus collectors.
type metrics struct {
	evals      *prometheus.CounterVec // by trigger and status
	placed     prometheus.Counter
	stopped    prometheus.Counter
	conflicts  prometheus.Counter
	evalTime   prometheus.Histogram
	leader     prometheus.Gauge
	queued     prometheus.Gauge
	collected  prometheus.Counter
	planErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		evals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_scheduler_evaluations_total",
			Help: "Evaluations processed, by trigger and resulting status.",
		}, []string{"trigger", "status"}),
		placed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_scheduler_placements_total",
			Help: "Allocations placed by applied plans.",
		}),
		stopped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_scheduler_stops_total",
			Help: "Allocations stopped by applied plans (lost ones included).",
		}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_scheduler_plan_conflicts_total",
			Help: "Plans rejected because a node changed since it was read (re-planned).",
		}),
		evalTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "orbit_scheduler_evaluation_duration_seconds",
			Help:    "Time from reading the state to the applied plan of one evaluation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "orbit_scheduler_leader",
			Help: "1 while this server's scheduler leads, else 0.",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "orbit_scheduler_queued_allocations",
			Help: "Allocations wanted but not placed for lack of a feasible node.",
		}),
		collected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_scheduler_gc_deleted_total",
			Help: "Keys of terminal allocations, evaluations and deployments garbage collected.",
		}),
		planErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_scheduler_plan_errors_total",
			Help: "Plans that failed to apply for another reason than a conflict.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.evals, m.placed, m.stopped, m.conflicts, m.evalTime, m.leader, m.queued, m.collected, m.planErrors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("scheduler: register metrics: %w", err)
		}
	}
	return m, nil
}
