package view

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// counters are updated by the watch loop and read by the collectors.
type counters struct {
	events  atomic.Uint64
	batches atomic.Uint64
	resyncs atomic.Uint64
}

// Register exports the view's metrics on reg: the applied revision, the
// watch events and batches applied, and full reloads after a compaction or
// a broken watch.
func (v *View) Register(reg prometheus.Registerer) error {
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "orbit_view_revision",
			Help: "The store revision the agent's view has applied."},
			func() float64 { return float64(v.Revision()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "orbit_view_events_total",
			Help: "Store changes applied to the view."},
			func() float64 { return float64(v.stats.events.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "orbit_view_batches_total",
			Help: "Watch batches applied to the view (each wakes subscribers once)."},
			func() float64 { return float64(v.stats.batches.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "orbit_view_resyncs_total",
			Help: "Full reloads of the view after a compaction or a broken watch."},
			func() float64 { return float64(v.stats.resyncs.Load()) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
