package dns

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	queries   *prometheus.CounterVec   // by qtype, rcode, source
	latency   *prometheus.HistogramVec // by source
	cache     *prometheus.CounterVec   // by result: hit, miss
	loops     prometheus.Counter
	notifies  *prometheus.CounterVec // by result
	transfers *prometheus.CounterVec // by result
	rebuilds  prometheus.Counter
}

// Sources label what answered a query.
const (
	srcConsul    = "consul"
	srcRouter    = "router"
	srcZone      = "zone"
	srcForward   = "forward"
	srcLocal     = "local" // refused, malformed, loops
	srcTransfer  = "transfer"
	resultOK     = "ok"
	resultFailed = "failed"
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_dns_queries_total", Help: "DNS queries answered, by query type, response code and source of the answer."},
			[]string{"qtype", "rcode", "source"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "orbit_dns_request_duration_seconds", Help: "Time to answer a DNS query, by source of the answer.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}},
			[]string{"source"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_dns_cache_lookups_total", Help: "Forwarding cache lookups, by result (hit or miss)."},
			[]string{"result"}),
		loops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_dns_forward_loops_total", Help: "Forwarded queries that came back to this server (forwarding loops)."}),
		notifies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_dns_notifies_total", Help: "NOTIFY messages sent to secondaries, by result."},
			[]string{"result"}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_dns_transfers_total", Help: "Zone transfers (AXFR) requested, by result (ok, refused, failed)."},
			[]string{"result"}),
		rebuilds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbit_dns_table_rebuilds_total", Help: "Answer tables built and swapped in."}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.queries, m.latency, m.cache, m.loops, m.notifies, m.transfers, m.rebuilds} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
