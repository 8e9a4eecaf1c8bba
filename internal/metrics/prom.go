package metrics

import (
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// promCollector samples the agent's Prometheus registry into charts: one
// chart per metric family (orbit_dns_queries_total is orbit.dns_queries_total),
// one dimension per label set; histograms and summaries give a _count and a
// _sum chart. Counters are shown as rates.
type promCollector struct {
	g       prometheus.Gatherer
	maxDims int // label sets kept per chart; more are dropped
	// comp charts the components' families again as Netdata-style
	// charts (components.go); byName is its scratch index.
	comp   *componentCharts
	byName map[string]*dto.MetricFamily
}

func (p *promCollector) collect(emit emitFunc) error {
	mfs, err := p.g.Gather()
	if err != nil && len(mfs) == 0 {
		return fmt.Errorf("gather prometheus metrics: %w", err)
	}
	for i, mf := range mfs {
		prio := 50000 + i*2
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			p.emitFamily(emit, mf.GetName(), mf.GetHelp(), prio, tsdb.FloatCounter, mf.Metric,
				func(m *dto.Metric) float64 { return m.GetCounter().GetValue() })
		case dto.MetricType_GAUGE:
			p.emitFamily(emit, mf.GetName(), mf.GetHelp(), prio, tsdb.Float, mf.Metric,
				func(m *dto.Metric) float64 { return m.GetGauge().GetValue() })
		case dto.MetricType_UNTYPED:
			p.emitFamily(emit, mf.GetName(), mf.GetHelp(), prio, tsdb.Float, mf.Metric,
				func(m *dto.Metric) float64 { return m.GetUntyped().GetValue() })
		case dto.MetricType_HISTOGRAM:
			p.emitFamily(emit, mf.GetName()+"_count", mf.GetHelp(), prio, tsdb.FloatCounter, mf.Metric,
				func(m *dto.Metric) float64 { return float64(m.GetHistogram().GetSampleCount()) })
			p.emitFamily(emit, mf.GetName()+"_sum", mf.GetHelp(), prio+1, tsdb.FloatCounter, mf.Metric,
				func(m *dto.Metric) float64 { return m.GetHistogram().GetSampleSum() })
		case dto.MetricType_SUMMARY:
			p.emitFamily(emit, mf.GetName()+"_count", mf.GetHelp(), prio, tsdb.FloatCounter, mf.Metric,
				func(m *dto.Metric) float64 { return float64(m.GetSummary().GetSampleCount()) })
			p.emitFamily(emit, mf.GetName()+"_sum", mf.GetHelp(), prio+1, tsdb.FloatCounter, mf.Metric,
				func(m *dto.Metric) float64 { return m.GetSummary().GetSampleSum() })
		}
	}
	clear(p.byName)
	for _, mf := range mfs {
		p.byName[mf.GetName()] = mf
	}
	p.comp.collect(p.byName, emit)
	return nil
}

func (p *promCollector) emitFamily(emit emitFunc, name, help string, prio int, enc tsdb.Encoding,
	ms []*dto.Metric, value func(*dto.Metric) float64) {
	typ, rest, ok := strings.Cut(name, "_")
	if !ok {
		typ, rest = "prometheus", name
	}
	family, _, _ := strings.Cut(rest, "_")
	c := tsdb.Chart{ID: typ + "." + rest, Family: family, Context: typ + "." + rest, Title: help,
		Units: unitsOf(name, enc), ChartType: "line", Priority: prio}
	type dv struct {
		id string
		v  float64
	}
	dims := make([]dv, 0, len(ms))
	for _, m := range ms {
		dims = append(dims, dv{labelID(m.GetLabel()), value(m)})
	}
	sort.Slice(dims, func(i, j int) bool { return dims[i].id < dims[j].id })
	if len(dims) > p.maxDims {
		dims = dims[:p.maxDims]
	}
	if len(dims) == 0 {
		return
	}
	values := make([]float64, len(dims))
	for i, d := range dims {
		c.Dims = append(c.Dims, tsdb.Dim{ID: d.id, Enc: enc})
		values[i] = d.v
	}
	emit(c, values)
}

// labelID names a label set as a dimension: "code=200,route=/v1/kv", or
// "value" without labels.
func labelID(ls []*dto.LabelPair) string {
	if len(ls) == 0 {
		return "value"
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.GetName() + "=" + l.GetValue()
	}
	return strings.Join(parts, ",")
}

func unitsOf(name string, enc tsdb.Encoding) string {
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_total"), "_count"), "_sum")
	unit := "value"
	for _, u := range []string{"seconds", "bytes", "ratio", "entries", "requests", "queries"} {
		if strings.HasSuffix(base, "_"+u) {
			unit = u
		}
	}
	if strings.HasSuffix(name, "_count") || (strings.HasSuffix(name, "_total") && unit == "value") {
		unit = "events"
	}
	if enc.Incremental() {
		return unit + "/s"
	}
	return unit
}
