package routefeed

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the feeder's Prometheus collectors.
type metrics struct {
	updateSeconds prometheus.Histogram
	builds        prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		updateSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "orbit_routefeed_update_seconds", Help: "Time from a catalog change reaching the route feeder to every consumer holding the new route table.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		builds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_routefeed_builds_total", Help: "Route tables built and handed to the proxy and DNS.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.updateSeconds, m.builds} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("register route feeder metrics: %w (one feeder per registry)", err)
			}
			return nil, fmt.Errorf("register route feeder metrics: %w", err)
		}
	}
	return m, nil
}
