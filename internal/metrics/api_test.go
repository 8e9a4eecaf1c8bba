package metrics

import (
	"encoding/json"
	"strings"
	"testing"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

func TestDataFormatsAndOptions(t *testing.T) {
	_, srv, _ := newTestServer(t, fakeRoot(t), 10)
	base := srv.URL + "/api/v1/data?chart=system.load&after=-4&points=4"
	tests := []struct {
		query string
		want  []string // substrings of the answer
	}{
		{"", []string{`"labels": ["time","load1","load5","load15"]`, `[ 1800000009,6.74,2.95,1.17]`, `[ 1800000006,6.74,2.95,1.17]`}},
		{"&format=csv", []string{"time,load1,load5,load15\r\n2027-01-15 08:00:09,6.74,2.95,1.17\r\n"}},
		{"&format=csv&options=seconds", []string{"1800000009,6.74"}},
		{"&format=tsv", []string{"time\tload1\tload5\tload15\r\n"}},
		{"&format=array", []string{"[10.86,10.86,10.86,10.86]"}},
		{"&options=ms", []string{"[ 1800000009000,"}},
		{"&options=flip", []string{`"data":` + "\n [\n [ 1800000006,"}},
		{"&dimensions=load5|load15", []string{`"labels": ["time","load5","load15"]`, `[ 1800000009,2.95,1.17]`}},
		{"&options=percentage", []string{`[ 1800000009,62.0626151,27.1639042,10.7734807]`}},
		{"&options=anomaly-bit", []string{`[ 1800000009,0,0,0]`}},
		{"&after=-2&points=0", []string{`[ 1800000009,`, `[ 1800000008,`}},
		{"&options=jsonwrap", []string{`"api": 1`, `"view_update_every": 1`, `"dimension_ids": ["load1", "load5", "load15"]`,
			`"latest_values": [6.74, 2.95, 1.17]`, `"points": 4`, `"result": {`, `"max": 6.74`}},
		{"&options=jsonwrap&format=csv", []string{`"result": "time,load1`}},
	}
	for _, tt := range tests {
		code, body := get(t, base+tt.query)
		if code != 200 {
			t.Errorf("%s: %d %s", tt.query, code, body)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: answer lacks %q:\n%s", tt.query, w, body)
			}
		}
		if strings.Contains(tt.query, "jsonwrap") || !strings.Contains(tt.query, "format") {
			var v any
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Errorf("%s: not JSON: %v\n%s", tt.query, err, body)
			}
		}
	}
	// Rows with no sample are null; null2zero makes them 0.
	_, body := get(t, srv.URL+"/api/v1/data?chart=system.ctxt&after=1800000000&before=1800000001")
	if !strings.Contains(body, "[ 1800000000,null]") {
		t.Errorf("the first counter sample has no rate: want null, got %s", body)
	}
	_, body = get(t, srv.URL+"/api/v1/data?chart=system.ctxt&after=1800000000&before=1800000001&options=null2zero")
	if !strings.Contains(body, "[ 1800000000,0]") {
		t.Errorf("null2zero: %s", body)
	}
}

func TestNetdataErrors(t *testing.T) {
	_, srv, _ := newTestServer(t, fakeRoot(t), 3)
	for _, tt := range []struct {
		path string
		code int
		msg  string
	}{
		{"/api/v1/data", 400, "No chart or context is given."},
		{"/api/v1/data?chart=nope", 404, "Chart is not found: nope"},
		{"/api/v1/chart?chart=nope", 404, "Chart is not found: nope"},
		{"/api/v1/chart", 400, "No chart id"},
		{"/api/v1/data?chart=system.load&group=p99", 400, `group "p99"`},
		{"/api/v1/data?chart=system.load&format=xml", 400, `format "xml"`},
		{"/api/v1/data?chart=system.load&after=yesterday", 400, `after "yesterday"`},
		{"/api/v1/data?chart=system.load&points=-1", 400, "points -1"},
		{"/api/v1/data?chart=system.load&dimensions=nope", 400, "none of the dimensions"},
		{"/api/v1/allmetrics?format=xml", 400, `format "xml"`},
		{"/api/v1/alarm_log?after=yesterday", 400, `after "yesterday"`},
		{"/host/node2/api/v1/info", 404, `Host "node2" is not known`},
		{"/v1/agent/metrics?format=xml", 400, `format "xml"`},
	} {
		code, body := get(t, srv.URL+tt.path)
		if code != tt.code || !strings.Contains(body, tt.msg) {
			t.Errorf("%s: %d %q, want %d naming %q", tt.path, code, body, tt.code, tt.msg)
		}
	}
}

func TestChartsAndAllmetrics(t *testing.T) {
	_, srv, _ := newTestServer(t, fakeRoot(t), 3)
	_, body := get(t, srv.URL+"/api/v1/charts")
	var charts struct {
		Charts map[string]chartJSON `json:"charts"`
		Count  int                  `json:"charts_count"`
	}
	if err := json.Unmarshal([]byte(body), &charts); err != nil || charts.Count != len(charts.Charts) {
		t.Fatalf("%v %d", err, charts.Count)
	}
	cpu := charts.Charts["system.cpu"]
	if cpu.ChartType != "stacked" || cpu.Units != "percentage" || cpu.Dimensions["user"] == nil || cpu.Dimensions["idle"] != nil {
		t.Errorf("system.cpu %+v: want stacked percentages without idle", cpu)
	}
	_, body = get(t, srv.URL+"/api/v1/chart?chart=disk.vda")
	if !strings.Contains(body, `"data_url":"/api/v1/data?chart=disk.vda"`) {
		t.Errorf("chart: %s", body)
	}
	_, body = get(t, srv.URL+"/api/v1/allmetrics?format=prometheus")
	for _, w := range []string{`netdata_info{instance="node1"`,
		`netdata_system_load_load_average{chart="system.load",family="load",dimension="load1"} 6.7400000 1800000002000`,
		`netdata_system_cpu_percentage_average{chart="system.cpu",family="cpu",dimension="idle"}`} {
		if !strings.Contains(body, w) {
			t.Errorf("allmetrics prometheus lacks %q", w)
		}
	}
	_, body = get(t, srv.URL+"/api/v1/allmetrics?format=shell")
	if !strings.Contains(body, `NETDATA_SYSTEM_LOAD_LOAD1="7"      # load`) || !strings.Contains(body, `NETDATA_SYSTEM_LOAD_VISIBLETOTAL="11"`) {
		t.Errorf("allmetrics shell: %s", body[:min(len(body), 600)])
	}
	_, body = get(t, srv.URL+"/api/v1/allmetrics?format=json")
	var all map[string]struct {
		Dimensions map[string]struct {
			Value *float64 `json:"value"`
		} `json:"dimensions"`
	}
	if err := json.Unmarshal([]byte(body), &all); err != nil || *all["system.load"].Dimensions["load15"].Value != 1.17 {
		t.Errorf("allmetrics json: %v %s", err, body[:min(len(body), 300)])
	}
	for _, p := range []string{"/api/v1/info", "/api/v1/alarms", "/api/v1/alarm_log", "/host/node1/api/v1/charts",
		"/host/localhost/api/v1/data?chart=system.load"} {
		if code, body := get(t, srv.URL+p); code != 200 || !json.Valid([]byte(body)) {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
}

// TestGoMetricsWithRealClients reads Consul's and Nomad's metrics JSON
// with their own clients.
func TestGoMetricsWithRealClients(t *testing.T) {
	_, srv, _ := newTestServer(t, fakeRoot(t), 3)
	c, err := consul.NewClient(&consul.Config{Address: strings.TrimPrefix(srv.URL, "http://")})
	if err != nil {
		t.Fatal(err)
	}
	mi, err := c.Agent().Metrics()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range mi.Gauges {
		found = found || g.Name == "orbit.metrics.dimensions" && g.Value > 50
	}
	if !found || len(mi.Samples) == 0 || mi.Timestamp == "" {
		t.Errorf("consul metrics: gauges %d (orbit.metrics.dimensions found: %v), samples %d", len(mi.Gauges), found, len(mi.Samples))
	}
	n, err := nomad.NewClient(&nomad.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ms, _, err := n.Operator().MetricsSummary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.Gauges) == 0 || len(ms.Samples) == 0 {
		t.Errorf("nomad metrics: %+v", ms)
	}
	code, body := get(t, srv.URL+"/v1/metrics?format=prometheus")
	if code != 200 || !strings.Contains(body, "# TYPE orbit_metrics_dimensions gauge") {
		t.Errorf("prometheus format: %d %.300s", code, body)
	}
	if _, body := get(t, srv.URL+"/metrics"); !strings.Contains(body, "orbit_metrics_collect_duration_seconds_bucket") {
		t.Errorf("/metrics: %.300s", body)
	}
}
