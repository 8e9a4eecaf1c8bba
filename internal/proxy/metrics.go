package proxy

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the proxy's Prometheus collectors.
type metrics struct {
	requests  *prometheus.CounterVec   // router, service, code (1xx..5xx)
	duration  *prometheus.HistogramVec // router, service
	openConns *prometheus.GaugeVec     // entrypoint
	rebuilds  prometheus.Counter
	ejections *prometheus.CounterVec // service
	retries   *prometheus.CounterVec // service
}

// routeMetrics are one router's children, resolved once per table so the
// hot path only increments.
type routeMetrics struct {
	router, service string
	codes           [6]prometheus.Counter // index status/100; 0 unused
	duration        prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_proxy_requests_total", Help: "Requests served by the edge proxy, by router, service and status class.",
		}, []string{"router", "service", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "orbit_proxy_request_duration_seconds", Help: "Time from a request's arrival to the end of its response.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"router", "service"}),
		openConns: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "orbit_proxy_open_connections", Help: "Client connections open on each entry point.",
		}, []string{"entrypoint"}),
		rebuilds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_proxy_table_rebuilds_total", Help: "Route tables built and swapped in.",
		}),
		ejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_proxy_backend_ejections_total", Help: "Backends ejected after consecutive failures.",
		}, []string{"service"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_proxy_retries_total", Help: "Requests re-sent to another backend after a connection failure.",
		}, []string{"service"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.openConns, m.rebuilds, m.ejections, m.retries} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("register proxy metrics: %w (one proxy per registry)", err)
			}
			return nil, fmt.Errorf("register proxy metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) forRoute(router, service string) *routeMetrics {
	rm := &routeMetrics{router: router, service: service, duration: m.duration.WithLabelValues(router, service)}
	for i, class := range []string{"", "1xx", "2xx", "3xx", "4xx", "5xx"} {
		if i > 0 {
			rm.codes[i] = m.requests.WithLabelValues(router, service, class)
		}
	}
	return rm
}

// dropRoute forgets a router that left the table.
func (m *metrics) dropRoute(rm *routeMetrics) {
	m.requests.DeletePartialMatch(prometheus.Labels{"router": rm.router, "service": rm.service})
	m.duration.DeleteLabelValues(rm.router, rm.service)
}

var (
	instanceRequestsDesc = prometheus.NewDesc("orbit_proxy_instance_requests_total",
		"Requests answered by each backend instance of the current route table, by service and status class.",
		[]string{"service", "instance", "code"}, nil)
	instanceSecondsDesc = prometheus.NewDesc("orbit_proxy_instance_request_seconds_total",
		"Time spent on the requests each backend instance answered, from arrival to the end of the response.",
		[]string{"service", "instance"}, nil)
)

// instanceCollector reports the per-instance counts the balancer keeps
// (backendState.served, nanos) for the instances of the current table:
// counting stays two atomic adds per request, and gone instances
// disappear with the table.
type instanceCollector struct{ s *Server }

func (c *instanceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- instanceRequestsDesc
	ch <- instanceSecondsDesc
}

func (c *instanceCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.s.table.Load()
	if t == nil {
		return
	}
	seen := map[*backendState]bool{}
	for _, r := range t.routes {
		if r.pool == nil {
			continue
		}
		for _, b := range r.pool.backends {
			if seen[b.st] {
				continue
			}
			seen[b.st] = true
			for class := 1; class <= 5; class++ {
				ch <- prometheus.MustNewConstMetric(instanceRequestsDesc, prometheus.CounterValue,
					float64(b.st.served[class].Load()), r.pool.name, b.key, strconv.Itoa(class)+"xx")
			}
			ch <- prometheus.MustNewConstMetric(instanceSecondsDesc, prometheus.CounterValue,
				float64(b.st.nanos.Load())/1e9, r.pool.name, b.key)
		}
	}
}
