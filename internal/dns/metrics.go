package dns

import (
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors. The per-query ones are
// lock-free: counts are atomics in a fixed array, latency observers are
// resolved per source up front.
type metrics struct {
	queries   *queryCounter
	latency   *prometheus.HistogramVec // by source
	observers map[string]prometheus.Observer
	cache     *prometheus.CounterVec // by result: hit, miss
	loops     prometheus.Counter
	notifies  *prometheus.CounterVec // by result
	transfers *prometheus.CounterVec // by result
	rebuilds  prometheus.Counter
	names     *prometheus.CounterVec // kind: service, node
	// cached counts answers replayed from the packet cache (exported as
	// orbit_dns_packet_cache_hits_total).
	cached atomic.Uint64
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
		queries: newQueryCounter(),
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
		names: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_dns_names_built_total", Help: "Services and nodes whose records were rebuilt because they changed."},
			[]string{"kind"}),
	}
	m.observers = map[string]prometheus.Observer{}
	for _, src := range sources {
		m.observers[src] = m.latency.WithLabelValues(src)
	}
	if reg == nil {
		return m, nil
	}
	hits := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "orbit_dns_packet_cache_hits_total", Help: "Queries answered from the packet cache of the current answer table (not in orbit_dns_queries_total)."},
		func() float64 { return float64(m.cached.Load()) })
	for _, c := range []prometheus.Collector{hits, m.queries, m.latency, m.cache, m.loops, m.notifies, m.transfers, m.rebuilds, m.names} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

var (
	sources    = []string{srcConsul, srcRouter, srcZone, srcForward, srcLocal, srcTransfer}
	qtypeNames = []string{"A", "AAAA", "SRV", "PTR", "MX", "TXT", "NS", "SOA", "CNAME", "CAA", "ANY", "AXFR", "IXFR", "none", "other"}
)

const maxRcode = 24 // rcodes 0-23 by name, the rest as "other"

// queryCounter counts queries by source, rcode and qtype.
type queryCounter struct {
	desc   *prometheus.Desc
	srcIdx map[string]int
	qtIdx  map[string]int
	counts [6][maxRcode + 1][15]atomic.Uint64
}

func newQueryCounter() *queryCounter {
	q := &queryCounter{
		desc: prometheus.NewDesc("orbit_dns_queries_total",
			"DNS queries answered, by query type, response code and source of the answer.",
			[]string{"qtype", "rcode", "source"}, nil),
		srcIdx: map[string]int{}, qtIdx: map[string]int{},
	}
	for i, s := range sources {
		q.srcIdx[s] = i
	}
	for i, t := range qtypeNames {
		q.qtIdx[t] = i
	}
	return q
}

func (q *queryCounter) Describe(ch chan<- *prometheus.Desc) { ch <- q.desc }

func (q *queryCounter) Collect(ch chan<- prometheus.Metric) {
	for s := range q.counts {
		for r := range q.counts[s] {
			for t := range q.counts[s][r] {
				n := q.counts[s][r][t].Load()
				if n == 0 {
					continue
				}
				rcode := "other"
				if r < maxRcode {
					if name, ok := dns.RcodeToString[r]; ok {
						rcode = name
					}
				}
				ch <- prometheus.MustNewConstMetric(q.desc, prometheus.CounterValue, float64(n), qtypeNames[t], rcode, sources[s])
			}
		}
	}
}

// count records one answered query.
func (m *metrics) count(qtype string, rcode int, source string) {
	t, ok := m.queries.qtIdx[qtype]
	if !ok {
		t = m.queries.qtIdx["other"]
	}
	m.queries.counts[m.queries.srcIdx[source]][min(max(rcode, 0), maxRcode)][t].Add(1)
}

// observe records one query's latency.
func (m *metrics) observe(source string, d time.Duration) {
	m.observers[source].Observe(d.Seconds())
}

// built counts one service's or node's records rebuilt.
func (m *metrics) built(kind string) { m.names.WithLabelValues(kind).Inc() }
