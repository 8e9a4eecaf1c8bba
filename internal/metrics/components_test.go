package metrics

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/orbit/orbit/internal/metrics/tsdb"
)

func TestHistoQuantile(t *testing.T) {
	h := histo{count: 10, sum: 1, bounds: []float64{.1, .2, .4}, cum: []float64{5, 9, 10}}
	for _, tc := range []struct {
		name string
		h    histo
		q    float64
		want float64
	}{
		{"half in the first bucket", h, .5, .1},
		{"inside the second bucket", h, .7, .15},
		{"last bucket", h, .95, .3},
		{"no observations", histo{bounds: []float64{1}, cum: []float64{0}}, .5, 0},
		{"past the last bound answers it", histo{count: 4, bounds: []float64{.1}, cum: []float64{1}}, .99, .1},
		{"first bucket interpolates from zero", histo{count: 4, bounds: []float64{.1}, cum: []float64{4}}, .5, .05},
	} {
		if got := tc.h.quantile(tc.q); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: quantile(%v) = %v, want %v", tc.name, tc.q, got, tc.want)
		}
	}
}

func TestHistoMinus(t *testing.T) {
	prev := histo{count: 4, sum: 2, bounds: []float64{1, 2}, cum: []float64{3, 4}}
	now := histo{count: 10, sum: 5, bounds: []float64{1, 2}, cum: []float64{5, 9}}
	d := now.minus(prev)
	if d.count != 6 || d.sum != 3 || d.cum[0] != 2 || d.cum[1] != 5 {
		t.Errorf("minus = %+v", d)
	}
	// A reset (the counter went down) starts over.
	if d := prev.minus(now); d.count != 4 {
		t.Errorf("after a reset: %+v, want prev itself", d)
	}
}

func TestPickAndIDPart(t *testing.T) {
	got := pick(map[string]float64{"A": 2, "HINFO": 1, "ZZZ": 3, "AAAA": 1}, []string{"A", "AAAA", "other"})
	if got[0] != 2 || got[1] != 1 || got[2] != 4 {
		t.Errorf("pick = %v", got)
	}
	if got := pick(map[string]float64{"x": 1}, []string{"a"}); got[0] != 0 {
		t.Errorf("pick without other = %v", got)
	}
	if got := idPart("web@consul/node-1:x"); got != "web_consul_node-1_x" {
		t.Errorf("idPart = %q", got)
	}
}

// TestComponentCharts: features' own Prometheus families, as the proxy
// and the DNS server register them, come out as per-router and per-type
// charts whose latency is that of the observations made in between.
func TestComponentCharts(t *testing.T) {
	reg := prometheus.NewRegistry()
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orbit_proxy_requests_total"}, []string{"router", "service", "code"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "orbit_proxy_request_duration_seconds",
		Buckets: []float64{.01, .1, 1}}, []string{"router", "service"})
	queries := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orbit_dns_queries_total"}, []string{"qtype", "rcode", "source"})
	reg.MustRegister(reqs, dur, queries)
	reqs.WithLabelValues("app@x", "app", "2xx").Add(3)
	reqs.WithLabelValues("app@x", "app", "5xx").Add(1)
	dur.WithLabelValues("app@x", "app").Observe(.05)
	queries.WithLabelValues("A", "NOERROR", "consul").Add(2)
	queries.WithLabelValues("HINFO", "NXDOMAIN", "consul").Add(1)

	cc := newComponentCharts()
	round := func() map[string][]float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		fams := map[string]*dto.MetricFamily{}
		for _, mf := range mfs {
			fams[mf.GetName()] = mf
		}
		out := map[string][]float64{}
		cc.collect(fams, func(c tsdb.Chart, v []float64) {
			if len(c.Dims) != len(v) {
				t.Fatalf("%s: %d dims, %d values", c.ID, len(c.Dims), len(v))
			}
			if c.ID == "orbit.edge_requests_app_x" && (c.Family != "app@x" || c.Context != "orbit.edge_requests" || c.Labels["router"] != "app@x") {
				t.Errorf("edge chart %+v", c)
			}
			out[c.ID] = v
		})
		return out
	}
	first := round()
	if v := first["orbit.edge_requests_app_x"]; len(v) != 1 || v[0] != 4 {
		t.Errorf("edge requests %v, want the counter's 4", v)
	}
	if v := first["orbit.edge_status_codes_app_x"]; len(v) != 5 || v[1] != 3 || v[4] != 1 {
		t.Errorf("status classes %v", v)
	}
	if v := first["orbit.edge_latency_app_x"]; len(v) != 4 || v[0] != 0 {
		t.Errorf("latency before a second collection %v, want zeros", v)
	}
	if v := first["orbit.dns_queries"]; v[0] != 2 || v[len(v)-1] != 1 {
		t.Errorf("dns queries by type %v: want A=2 and other=1", v)
	}
	if v := first["orbit.dns_rcodes"]; v[0] != 2 || v[1] != 1 {
		t.Errorf("dns rcodes %v", v)
	}
	if _, ok := first["orbit.etcd_db_size"]; ok {
		t.Error("etcd charts without etcd's families")
	}
	dur.WithLabelValues("app@x", "app").Observe(.5)
	dur.WithLabelValues("app@x", "app").Observe(.5)
	second := round()
	if v := second["orbit.edge_latency_app_x"]; math.Abs(v[0]-500) > 1e-6 || v[1] < 100 || v[1] > 1000 {
		t.Errorf("latency of the second's two 500ms requests %v: want avg 500 and p50 within (100, 1000]", v)
	}
	third := round()
	if v := third["orbit.edge_latency_app_x"]; v[0] != 0 {
		t.Errorf("latency of a second without requests %v, want 0", v)
	}
}
