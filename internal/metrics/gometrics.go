package metrics

import (
	"net/http"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/orbit/orbit/internal/httpkit"
)

// The JSON that Consul's /v1/agent/metrics and Nomad's /v1/metrics answer
// (go-metrics' in-memory sink summary): the agent's Prometheus registry
// as gauges, counters and samples.
type (
	goMetricsSummary struct {
		Timestamp string
		Gauges    []goGauge
		Points    []goPoint
		Counters  []goSampled
		Samples   []goSampled
	}
	goGauge struct {
		Name   string
		Value  float32
		Labels map[string]string
	}
	goPoint struct {
		Name   string
		Points []float32
	}
	goSampled struct {
		Name   string
		Count  int
		Rate   float64
		Sum    float64
		Min    float64
		Max    float64
		Mean   float64
		Stddev float64
		Labels map[string]string
	}
)

// PrometheusHandler serves the registry as Prometheus text (/metrics).
func (s *Server) PrometheusHandler() http.Handler {
	return promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{})
}

// GoMetricsHandler serves Consul's /v1/agent/metrics and Nomad's
// /v1/metrics: their JSON by default, Prometheus text with
// ?format=prometheus. The caller guards it.
func (s *Server) GoMetricsHandler(kit *httpkit.Kit) http.Handler {
	prom := promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{})
	return kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		switch r.URL.Query().Get("format") {
		case "prometheus":
			prom.ServeHTTP(w, r)
			return nil
		case "", "json":
		default:
			return httpkit.BadRequest("format %q: want prometheus or nothing (JSON)", r.URL.Query().Get("format"))
		}
		mfs, err := s.gather.Gather()
		if err != nil && len(mfs) == 0 {
			return err
		}
		return httpkit.WriteJSON(w, r, http.StatusOK, s.summary(mfs))
	})
}

func (s *Server) summary(mfs []*dto.MetricFamily) goMetricsSummary {
	out := goMetricsSummary{Timestamp: s.clock.Now().UTC().Truncate(10e9).Format("2006-01-02 15:04:05 -0700 MST"),
		Gauges: []goGauge{}, Points: []goPoint{}, Counters: []goSampled{}, Samples: []goSampled{}}
	for _, mf := range mfs {
		name := strings.ReplaceAll(mf.GetName(), "_", ".")
		for _, m := range mf.Metric {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetType() {
			case dto.MetricType_GAUGE, dto.MetricType_UNTYPED:
				v := m.GetGauge().GetValue()
				if mf.GetType() == dto.MetricType_UNTYPED {
					v = m.GetUntyped().GetValue()
				}
				out.Gauges = append(out.Gauges, goGauge{Name: name, Value: float32(v), Labels: labels})
			case dto.MetricType_COUNTER:
				v := m.GetCounter().GetValue()
				out.Counters = append(out.Counters, goSampled{Name: name, Count: int(v), Sum: v, Min: v, Max: v, Mean: v, Labels: labels})
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				out.Samples = append(out.Samples, sampled(name, h.GetSampleCount(), h.GetSampleSum(), labels))
			case dto.MetricType_SUMMARY:
				sm := m.GetSummary()
				out.Samples = append(out.Samples, sampled(name, sm.GetSampleCount(), sm.GetSampleSum(), labels))
			}
		}
	}
	sort.SliceStable(out.Gauges, func(i, j int) bool { return out.Gauges[i].Name < out.Gauges[j].Name })
	return out
}

func sampled(name string, count uint64, sum float64, labels map[string]string) goSampled {
	mean := 0.0
	if count > 0 {
		mean = sum / float64(count)
	}
	return goSampled{Name: name, Count: int(count), Sum: sum, Mean: mean, Min: mean, Max: mean, Labels: labels}
}
