package metrics

import (
	"math"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// componentCharts turn the families orbit's features report through the
// agent's Prometheus registry (and the embedded etcd's) into Netdata-style
// charts with shared contexts: one chart per edge router and per backend
// instance (family: the router or the service), DNS queries by type, rcode
// and source, health check runs and status changes, scheduler evaluations
// and placements, etcd size, proposals and leaders, and the Go runtime.
// Features keep reporting plain Prometheus metrics and import nothing of
// this package; a component that does not run has no charts. Only the
// collection loop uses it.
type componentCharts struct {
	// prev holds the cumulative histograms of the last collection, by
	// chart id, to chart the latency of each second; rebuilt every
	// collection so gone routers leave nothing behind.
	prev, next map[string]histo
}

func newComponentCharts() *componentCharts {
	return &componentCharts{prev: map[string]histo{}, next: map[string]histo{}}
}

// Priorities of the component charts: after the node's, before the raw
// Prometheus families (50000+).
const (
	prioEdge      = 40000
	prioInstance  = 40500
	prioDNS       = 41000
	prioHealth    = 41100
	prioScheduler = 41200
	prioEtcd      = 41300
	prioRuntime   = 41400
)

var (
	statusClasses = []string{"1xx", "2xx", "3xx", "4xx", "5xx"}
	latencyDims   = []string{"avg", "p50", "p95", "p99"}
	dnsQtypes     = []string{"A", "AAAA", "SRV", "PTR", "MX", "TXT", "NS", "SOA", "CNAME", "CAA", "ANY", "AXFR", "IXFR", "other"}
	dnsRcodes     = []string{"NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "other"}
	dnsSources    = []string{"consul", "router", "zone", "forward", "local", "transfer"}
	checkResults  = []string{"passing", "warning", "critical"}
	checkStatuses = []string{"passing", "warning", "critical", "maintenance"}
)

// collect emits every component chart whose source family is present.
func (cc *componentCharts) collect(fams map[string]*dto.MetricFamily, emit emitFunc) {
	clear(cc.next)
	cc.edge(fams, emit)
	cc.instances(fams, emit)
	cc.dns(fams, emit)
	cc.health(fams, emit)
	cc.scheduler(fams, emit)
	etcdCharts(fams, emit)
	runtimeCharts(fams, emit)
	cc.prev, cc.next = cc.next, cc.prev
}

// edge charts each router: requests, responses by status class, latency.
func (cc *componentCharts) edge(fams map[string]*dto.MetricFamily, emit emitFunc) {
	reqs := fams["orbit_proxy_requests_total"]
	if reqs == nil {
		return
	}
	codes := sumBy(reqs, "router", "code")
	lat := histBy(fams["orbit_proxy_request_duration_seconds"], "router")
	for i, router := range sortedKeys(codes) {
		id := idPart(router)
		labels := map[string]string{"router": router}
		byCode := codes[router]
		total := 0.0
		for _, v := range byCode {
			total += v
		}
		emit(tsdb.Chart{ID: "orbit.edge_requests_" + id, Family: router, Context: "orbit.edge_requests",
			Title: "Edge requests", Units: "requests/s", ChartType: "line", Priority: prioEdge + i*3, Labels: labels,
			Dims: []tsdb.Dim{{ID: "requests", Enc: tsdb.FloatCounter}}}, []float64{total})
		emit(classChart("orbit.edge_status_codes_"+id, router, "orbit.edge_status_codes", "Edge responses by status class",
			prioEdge+i*3+1, labels), pick(byCode, statusClasses))
		cc.latency(emit, "orbit.edge_latency_"+id, router, "orbit.edge_latency", "Edge request latency",
			prioEdge+i*3+2, labels, lat[router])
	}
}

// instances charts each backend instance the edge sends to, by service.
func (cc *componentCharts) instances(fams map[string]*dto.MetricFamily, emit emitFunc) {
	reqs := fams["orbit_proxy_instance_requests_total"]
	if reqs == nil {
		return
	}
	codes := sumBy(reqs, "instance", "code")
	secs := sumBy(fams["orbit_proxy_instance_request_seconds_total"], "instance", "")
	service := map[string]string{}
	for _, m := range reqs.Metric {
		service[label(m, "instance")] = label(m, "service")
	}
	for i, inst := range sortedKeys(codes) {
		svc := service[inst]
		id := idPart(svc + "_" + inst)
		labels := map[string]string{"service": svc, "instance": inst}
		byCode := codes[inst]
		emit(classChart("orbit.edge_instance_requests_"+id, svc, "orbit.edge_instance_requests",
			"Edge requests to a backend instance by status class", prioInstance+i*2, labels), pick(byCode, statusClasses))
		// Latency: the seconds spent and the requests of this second.
		n, s := 0.0, secs[inst][""]
		for _, v := range byCode {
			n += v
		}
		key := "orbit.edge_instance_latency_" + id
		avg := 0.0
		if p, ok := cc.prev[key]; ok && n > p.count && s >= p.sum {
			avg = (s - p.sum) / (n - p.count) * 1000
		}
		cc.next[key] = histo{count: n, sum: s}
		emit(tsdb.Chart{ID: key, Family: svc, Context: "orbit.edge_instance_latency", Title: "Edge request latency to a backend instance",
			Units: "milliseconds", ChartType: "line", Priority: prioInstance + i*2 + 1, Labels: labels,
			Dims: []tsdb.Dim{{ID: "avg", Enc: tsdb.Float}}}, []float64{avg})
	}
}

func (cc *componentCharts) dns(fams map[string]*dto.MetricFamily, emit emitFunc) {
	queries, lat := fams["orbit_dns_queries_total"], fams["orbit_dns_request_duration_seconds"]
	if queries == nil && lat == nil {
		return // no DNS server on this agent
	}
	counted := func(by string, dims []string) []float64 {
		return pick(sumBy(queries, "", by)[""], dims)
	}
	emit(counterChart("orbit.dns_queries", "dns", "DNS queries by type", "queries/s", "stacked", prioDNS, dnsQtypes),
		counted("qtype", dnsQtypes))
	emit(counterChart("orbit.dns_rcodes", "dns", "DNS answers by response code", "queries/s", "stacked", prioDNS+1, dnsRcodes),
		counted("rcode", dnsRcodes))
	emit(counterChart("orbit.dns_sources", "dns", "DNS answers by source", "queries/s", "stacked", prioDNS+2, dnsSources),
		counted("source", dnsSources))
	cc.latency(emit, "orbit.dns_latency", "dns", "orbit.dns_latency", "DNS answer latency", prioDNS+3, nil,
		histBy(lat, "")[""])
}

func (cc *componentCharts) health(fams map[string]*dto.MetricFamily, emit emitFunc) {
	runs, changes := fams["orbit_health_check_runs_total"], fams["orbit_health_status_changes_written_total"]
	if runs == nil && changes == nil && fams["orbit_health_checks_running"] == nil {
		return
	}
	emit(counterChart("orbit.health_check_runs", "health", "Health check runs by result", "runs/s", "stacked", prioHealth, checkResults),
		pick(sumBy(runs, "", "result")[""], checkResults))
	emit(counterChart("orbit.health_status_changes", "health", "Health check status changes by new status", "changes/s", "stacked",
		prioHealth+1, checkStatuses), pick(sumBy(changes, "", "status")[""], checkStatuses))
}

func (cc *componentCharts) scheduler(fams map[string]*dto.MetricFamily, emit emitFunc) {
	placed := fams["orbit_scheduler_placements_total"]
	if placed == nil {
		return // not a server
	}
	// Evaluation statuses are whatever the scheduler reports, complete
	// and failed at least, so the chart exists before the first one.
	byStatus := sumBy(fams["orbit_scheduler_evaluations_total"], "", "status")[""]
	if byStatus == nil {
		byStatus = map[string]float64{}
	}
	for _, s := range []string{"complete", "failed"} {
		byStatus[s] += 0
	}
	statuses := sortedKeys(byStatus)
	emit(counterChart("orbit.scheduler_evaluations", "scheduler", "Scheduler evaluations by resulting status", "evaluations/s",
		"stacked", prioScheduler, statuses), pick(byStatus, statuses))
	emit(counterChart("orbit.scheduler_placements", "scheduler", "Allocations placed and stopped by applied plans",
		"allocations/s", "line", prioScheduler+1, []string{"placed", "stopped"}),
		[]float64{value(fams["orbit_scheduler_placements_total"]), value(fams["orbit_scheduler_stops_total"])})
	cc.latency(emit, "orbit.scheduler_evaluation_latency", "scheduler", "orbit.scheduler_evaluation_latency",
		"Scheduler evaluation time", prioScheduler+2, nil, histBy(fams["orbit_scheduler_evaluation_duration_seconds"], "")[""])
}

// etcdCharts chart the embedded etcd's own metrics.
func etcdCharts(fams map[string]*dto.MetricFamily, emit emitFunc) {
	size := fams["etcd_mvcc_db_total_size_in_bytes"]
	if size == nil {
		return // no embedded etcd here
	}
	mib := func(id string) tsdb.Dim { return tsdb.Dim{ID: id, Enc: tsdb.Float, Divisor: 1 << 20} }
	emit(tsdb.Chart{ID: "orbit.etcd_db_size", Family: "etcd", Context: "orbit.etcd_db_size", Title: "etcd database size",
		Units: "MiB", ChartType: "line", Priority: prioEtcd,
		Dims: []tsdb.Dim{mib("size"), mib("in_use"), mib("quota")}},
		[]float64{value(size), value(fams["etcd_mvcc_db_total_size_in_use_in_bytes"]), value(fams["etcd_server_quota_backend_bytes"])})
	emit(counterChart("orbit.etcd_proposals", "etcd", "etcd raft proposals", "proposals/s", "line", prioEtcd+1,
		[]string{"committed", "applied", "failed"}),
		[]float64{value(fams["etcd_server_proposals_committed_total"]), value(fams["etcd_server_proposals_applied_total"]),
			value(fams["etcd_server_proposals_failed_total"])})
	emit(tsdb.Chart{ID: "orbit.etcd_proposals_pending", Family: "etcd", Context: "orbit.etcd_proposals_pending",
		Title: "etcd proposals pending", Units: "proposals", ChartType: "line", Priority: prioEtcd + 2,
		Dims: []tsdb.Dim{{ID: "pending", Enc: tsdb.Float}}}, []float64{value(fams["etcd_server_proposals_pending"])})
	emit(counterChart("orbit.etcd_leader_changes", "etcd", "etcd leader changes seen", "changes/s", "line", prioEtcd+3,
		[]string{"changes"}), []float64{value(fams["etcd_server_leader_changes_seen_total"])})
	emit(tsdb.Chart{ID: "orbit.etcd_leader", Family: "etcd", Context: "orbit.etcd_leader", Title: "etcd leadership",
		Units: "boolean", ChartType: "line", Priority: prioEtcd + 4,
		Dims: []tsdb.Dim{{ID: "has_leader", Enc: tsdb.Float}, {ID: "is_leader", Enc: tsdb.Float}}},
		[]float64{value(fams["etcd_server_has_leader"]), value(fams["etcd_server_is_leader"])})
}

// runtimeCharts chart the agent's Go runtime (client_golang's Go collector).
func runtimeCharts(fams map[string]*dto.MetricFamily, emit emitFunc) {
	if fams["go_goroutines"] == nil {
		return
	}
	emit(tsdb.Chart{ID: "orbit.go_goroutines", Family: "runtime", Context: "orbit.go_goroutines", Title: "orbit goroutines and threads",
		Units: "goroutines", ChartType: "line", Priority: prioRuntime,
		Dims: []tsdb.Dim{{ID: "goroutines", Enc: tsdb.Float}, {ID: "threads", Enc: tsdb.Float}}},
		[]float64{value(fams["go_goroutines"]), value(fams["go_threads"])})
	mem := []string{"heap_inuse", "heap_idle", "heap_released", "stack_inuse", "sys"}
	c := tsdb.Chart{ID: "orbit.go_memory", Family: "runtime", Context: "orbit.go_memory", Title: "orbit Go memory",
		Units: "MiB", ChartType: "line", Priority: prioRuntime + 1}
	vals := make([]float64, len(mem))
	for i, d := range mem {
		c.Dims = append(c.Dims, tsdb.Dim{ID: d, Enc: tsdb.Float, Divisor: 1 << 20})
		vals[i] = value(fams["go_memstats_"+d+"_bytes"])
	}
	emit(c, vals)
	emit(counterChart("orbit.go_gc", "runtime", "orbit garbage collections", "collections/s", "line", prioRuntime+2,
		[]string{"collections"}), []float64{histBy(fams["go_gc_duration_seconds"], "")[""].count})
	emit(counterChart("orbit.go_allocations", "runtime", "orbit heap allocations", "objects/s", "line", prioRuntime+3,
		[]string{"mallocs", "frees"}), []float64{value(fams["go_memstats_mallocs_total"]), value(fams["go_memstats_frees_total"])})
}

// latency emits a chart of the average and quantiles of the observations
// made since the last collection, in milliseconds (0 without any).
func (cc *componentCharts) latency(emit emitFunc, id, family, context, title string, prio int, labels map[string]string, h histo) {
	c := tsdb.Chart{ID: id, Family: family, Context: context, Title: title, Units: "milliseconds", ChartType: "line",
		Priority: prio, Labels: labels}
	for _, d := range latencyDims {
		c.Dims = append(c.Dims, tsdb.Dim{ID: d, Enc: tsdb.Float})
	}
	vals := make([]float64, len(latencyDims))
	if p, ok := cc.prev[id]; ok {
		d := h.minus(p)
		if d.count > 0 {
			vals[0] = d.sum / d.count * 1000
			for i, q := range []float64{.5, .95, .99} {
				vals[i+1] = d.quantile(q) * 1000
			}
		}
	}
	cc.next[id] = h
	emit(c, vals)
}

func counterChart(id, family, title, units, chartType string, prio int, dims []string) tsdb.Chart {
	c := tsdb.Chart{ID: id, Family: family, Context: id, Title: title, Units: units, ChartType: chartType, Priority: prio}
	for _, d := range dims {
		c.Dims = append(c.Dims, tsdb.Dim{ID: d, Enc: tsdb.FloatCounter})
	}
	return c
}

func classChart(id, family, context, title string, prio int, labels map[string]string) tsdb.Chart {
	c := counterChart(id, family, title, "requests/s", "stacked", prio, statusClasses)
	c.Context, c.Labels = context, labels
	return c
}

// histo is a cumulative histogram: observations, their sum and the
// cumulative count at each upper bound (ascending, +Inf left out).
type histo struct {
	count, sum float64
	bounds     []float64
	cum        []float64
}

// minus is h's observations since p (same bounds; a reset starts over).
func (h histo) minus(p histo) histo {
	if h.count < p.count || len(h.cum) != len(p.cum) {
		return h
	}
	d := histo{count: h.count - p.count, sum: h.sum - p.sum, bounds: h.bounds, cum: make([]float64, len(h.cum))}
	for i := range h.cum {
		d.cum[i] = h.cum[i] - p.cum[i]
	}
	return d
}

// quantile interpolates linearly within the bucket holding rank q, as
// Prometheus' histogram_quantile does; past the last bound it answers the
// last bound.
func (h histo) quantile(q float64) float64 {
	if h.count == 0 || len(h.bounds) == 0 {
		return 0
	}
	rank := q * h.count
	lower, below := 0.0, 0.0
	for i, b := range h.bounds {
		if h.cum[i] >= rank {
			in := h.cum[i] - below
			if in <= 0 {
				return b
			}
			return lower + (b-lower)*(rank-below)/in
		}
		lower, below = b, h.cum[i]
	}
	return h.bounds[len(h.bounds)-1]
}

// histBy sums a histogram family's series by the value of label by ("":
// all into one).
func histBy(mf *dto.MetricFamily, by string) map[string]histo {
	out := map[string]histo{}
	if mf == nil {
		return out
	}
	for _, m := range mf.Metric {
		ph := m.GetHistogram()
		if ph == nil {
			continue
		}
		k := label(m, by)
		h := out[k]
		h.count += float64(ph.GetSampleCount())
		h.sum += ph.GetSampleSum()
		bs := ph.GetBucket()
		if h.bounds == nil {
			h.bounds, h.cum = make([]float64, 0, len(bs)), make([]float64, 0, len(bs))
			for _, b := range bs {
				if !math.IsInf(b.GetUpperBound(), 1) {
					h.bounds = append(h.bounds, b.GetUpperBound())
					h.cum = append(h.cum, 0)
				}
			}
		}
		for i, b := range bs {
			if i < len(h.cum) {
				h.cum[i] += float64(b.GetCumulativeCount())
			}
		}
		out[k] = h
	}
	return out
}

// sumBy sums a counter or gauge family's values by the values of labels
// outer and inner ("" groups everything).
func sumBy(mf *dto.MetricFamily, outer, inner string) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	if mf == nil {
		return out
	}
	for _, m := range mf.Metric {
		o := label(m, outer)
		if out[o] == nil {
			out[o] = map[string]float64{}
		}
		out[o][label(m, inner)] += metricValue(m)
	}
	return out
}

// value is the sum of a family's series (0 when absent).
func value(mf *dto.MetricFamily) float64 {
	if mf == nil {
		return 0
	}
	v := 0.0
	for _, m := range mf.Metric {
		v += metricValue(m)
	}
	return v
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

func label(m *dto.Metric, name string) string {
	if name == "" {
		return ""
	}
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// pick lays out values by dims; a value of no listed dimension counts as
// "other" when that is one.
func pick(vals map[string]float64, dims []string) []float64 {
	out := make([]float64, len(dims))
	idx := make(map[string]int, len(dims))
	for i, d := range dims {
		idx[d] = i
	}
	for k, v := range vals {
		if i, ok := idx[k]; ok {
			out[i] += v
		} else if i, ok := idx["other"]; ok {
			out[i] += v
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// idPart makes a name safe in a chart id: letters, digits, '_' and
// '-' are kept, anything else becomes '_'.
func idPart(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}
