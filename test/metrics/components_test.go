package metrics_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"
	mdns "github.com/miekg/dns"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

type chartsAnswer struct {
	Charts map[string]struct {
		Family     string            `json:"family"`
		Context    string            `json:"context"`
		Units      string            `json:"units"`
		Labels     map[string]string `json:"chart_labels"`
		Dimensions map[string]any    `json:"dimensions"`
	} `json:"charts"`
}

// chartOf waits for a chart of context whose family is family and returns
// its id.
func chartOf(t *testing.T, url, context, family string) string {
	t.Helper()
	var id string
	orbittest.Eventually(t, time.Minute, "a "+context+" chart of "+family, func() bool {
		code, b := get(t, url+"/api/v1/charts")
		var cs chartsAnswer
		if code != 200 || json.Unmarshal(b, &cs) != nil {
			return false
		}
		for k, c := range cs.Charts {
			if c.Context == context && c.Family == family {
				id = k
				return true
			}
		}
		return false
	})
	return id
}

// seen waits until some row of the last two minutes of chart has dim
// matching ok, and returns that value; drive (if any) makes traffic
// before each look.
func seen(t *testing.T, url, chart, dim string, drive func(), ok func(float64) bool) float64 {
	t.Helper()
	var found float64
	orbittest.Eventually(t, time.Minute, fmt.Sprintf("%s's %s to show", chart, dim), func() bool {
		if drive != nil {
			drive()
		}
		time.Sleep(100 * time.Millisecond)
		code, b := get(t, url+"/api/v1/data?chart="+chart+"&after=-120&dimensions="+dim+"&format=json")
		var d dataAnswer
		if code != 200 || json.Unmarshal(b, &d) != nil || len(d.Labels) != 2 {
			return false
		}
		for _, row := range d.Data {
			if row[1] != nil && ok(*row[1]) {
				found = *row[1]
				return true
			}
		}
		return false
	})
	return found
}

func positive(v float64) bool { return v > 0 }

// TestComponentCharts: a dev agent charts its components as Netdata does,
// read back through the API: an edge router's requests, status classes
// and latency and its backend instance's, DNS queries by type and rcode,
// health check runs, the scheduler, the embedded etcd and the Go runtime.
func TestComponentCharts(t *testing.T) {
	a := testagent.Start(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "failing on purpose", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer backend.Close()
	host, portStr, _ := net.SplitHostPort(backend.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	c, err := capi.NewClient(&capi.Config{Address: a.Addr})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Agent().ServiceRegister(&capi.AgentServiceRegistration{ID: "shop-1", Name: "shop", Address: host, Port: port,
		Tags:  []string{"traefik.enable=true", "traefik.http.routers.shop.rule=Host(`shop.lab.example`)"},
		Check: &capi.AgentServiceCheck{HTTP: backend.URL + "/health", Interval: "1s", Timeout: "2s"}}); err != nil {
		t.Fatal(err)
	}
	web := a.EdgeAddrs()["web"].String()
	edge := func(path string) int {
		req, _ := http.NewRequest("GET", "http://"+web+path, nil)
		req.Host = "shop.lab.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	orbittest.Eventually(t, time.Minute, "the edge to route shop", func() bool { return edge("/") == 200 })
	dnsAddr := a.DNSAddr().String()
	// Traffic goes on while the charts are read: a counter's first sample
	// gives no rate, so what happened before it would not show.
	traffic := func() {
		if code := edge("/"); code != 200 {
			t.Errorf("/ through the edge: %d", code)
		}
		if code := edge("/fail"); code != 503 {
			t.Errorf("/fail through the edge: %d", code)
		}
		for _, name := range []string{"shop.service.consul", "nosuch.service.consul"} {
			m := new(mdns.Msg)
			m.SetQuestion(mdns.Fqdn(name), mdns.TypeA)
			if _, _, err := (&mdns.Client{Timeout: 5 * time.Second}).Exchange(m, dnsAddr); err != nil {
				t.Errorf("dig %s: %v", name, err)
			}
		}
	}

	// Per router: requests, status classes, latency.
	var router string
	orbittest.Eventually(t, time.Minute, "an edge_requests chart of the shop router", func() bool {
		_, b := get(t, a.URL+"/api/v1/charts")
		var cs chartsAnswer
		json.Unmarshal(b, &cs)
		for _, ch := range cs.Charts {
			if ch.Context == "orbit.edge_requests" && strings.HasPrefix(ch.Family, "shop") && ch.Labels["router"] == ch.Family {
				router = ch.Family
				return true
			}
		}
		return false
	})
	seen(t, a.URL, chartOf(t, a.URL, "orbit.edge_requests", router), "requests", traffic, positive)
	codes := chartOf(t, a.URL, "orbit.edge_status_codes", router)
	seen(t, a.URL, codes, "5xx", traffic, positive)
	seen(t, a.URL, codes, "2xx", traffic, positive)
	ms := seen(t, a.URL, chartOf(t, a.URL, "orbit.edge_latency", router), "avg", traffic, positive)
	t.Logf("router %s: an average edge latency of %.3f ms", router, ms)

	// Per backend instance, under its service.
	inst := chartOf(t, a.URL, "orbit.edge_instance_requests", "shop")
	seen(t, a.URL, inst, "5xx", traffic, positive)
	seen(t, a.URL, chartOf(t, a.URL, "orbit.edge_instance_latency", "shop"), "avg", traffic, positive)

	// DNS by type and rcode.
	seen(t, a.URL, "orbit.dns_queries", "A", traffic, positive)
	seen(t, a.URL, "orbit.dns_rcodes", "NXDOMAIN", traffic, positive)
	seen(t, a.URL, "orbit.dns_rcodes", "NOERROR", traffic, positive)
	seen(t, a.URL, "orbit.dns_sources", "consul", traffic, positive)

	// Health checks: the shop check runs every second and passed once.
	seen(t, a.URL, "orbit.health_check_runs", "passing", traffic, positive)
	seen(t, a.URL, "orbit.health_status_changes", "passing", traffic, positive)

	// The scheduler, the embedded etcd, the runtime.
	chartOf(t, a.URL, "orbit.scheduler_evaluations", "scheduler")
	chartOf(t, a.URL, "orbit.scheduler_placements", "scheduler")
	seen(t, a.URL, "orbit.etcd_db_size", "size", traffic, positive)
	seen(t, a.URL, "orbit.etcd_db_size", "quota", traffic, func(v float64) bool { return v == 512 })
	seen(t, a.URL, "orbit.etcd_leader", "has_leader", traffic, func(v float64) bool { return v == 1 })
	seen(t, a.URL, "orbit.etcd_proposals", "committed", traffic, positive)
	seen(t, a.URL, "orbit.go_goroutines", "goroutines", traffic, positive)
	seen(t, a.URL, "orbit.go_memory", "heap_inuse", traffic, positive)

	// The etcd families are on /metrics too.
	if code, b := get(t, a.URL+"/metrics"); code != 200 || !strings.Contains(string(b), "etcd_server_has_leader") ||
		!strings.Contains(string(b), "orbit_proxy_instance_requests_total") {
		t.Errorf("/metrics: %d, without etcd's or the per-instance families", code)
	}
}
