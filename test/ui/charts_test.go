package ui_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// post sends a JSON body to the API and decodes the answer into out.
func post(t *testing.T, url, body string, out any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: %v in %s", url, err, b)
		}
	}
}

// submit parses a job file with the API and runs it.
func submit(t *testing.T, a *testagent.Agent, hcl string) {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"JobHCL": hcl, "Canonicalize": true})
	var job json.RawMessage
	post(t, a.URL+"/v1/jobs/parse", string(in), &job)
	post(t, a.URL+"/v1/jobs", `{"Job":`+string(job)+`}`, nil)
}

// chartIDs lists the metrics API's charts for which keep holds.
func chartIDs(t *testing.T, a *testagent.Agent, keep func(context string, labels map[string]string) bool) []string {
	t.Helper()
	var cs struct {
		Charts map[string]struct {
			Context string            `json:"context"`
			Labels  map[string]string `json:"chart_labels"`
		} `json:"charts"`
	}
	getJSON(t, a.URL+"/api/v1/charts", "", &cs)
	var out []string
	for id, c := range cs.Charts {
		if keep(c.Context, c.Labels) {
			out = append(out, id)
		}
	}
	return out
}

// TestJobVersionDiffAndAllocCharts runs a job, changes it, and reads the
// change on the job's page; the allocation's page charts its tasks.
func TestJobVersionDiffAndAllocCharts(t *testing.T) {
	a := testagent.Start(t)
	submit(t, a, sleepJob)
	changed := strings.Replace(strings.Replace(sleepJob, `args    = ["600"]`, `args    = ["900"]`, 1), "count = 1", "count = 2", 1)
	submit(t, a, changed)
	b := newBrowser(t, a.URL)
	b.open("/ui/jobs/sleeper")
	b.waitFor("the diff of versions 0 and 1", `document.querySelector('#diff-0-1[open] [data-field="TaskGroups[main].Count"] ins')`)
	got := eval[[]string](b, `[...document.querySelectorAll("#diff-0-1 [data-field]")].map(r => [...r.cells].map(c => c.textContent).join(" | "))`)
	want := []string{
		`TaskGroups[main].Count | edited | 1 | 2`,
		`TaskGroups[main].Tasks[sleep].Config.args[0] | edited | "600" | "900"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff of versions 0 and 1 shows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	b.screenshot("job-diff")

	b.waitFor("a running allocation", `document.querySelector('[data-alloc][data-status="running"]')`)
	id := eval[string](b, `document.querySelector('[data-alloc][data-status="running"]').dataset.alloc`)
	var charts []string
	orbittest.Eventually(t, 30*time.Second, "the metrics API to chart the allocation's task", func() bool {
		charts = chartIDs(t, a, func(_ string, l map[string]string) bool { return l["alloc_id"] == id })
		return len(charts) > 0
	})
	b.open("/ui/allocations/" + id)
	for _, c := range charts {
		b.waitFor("the chart "+c, `document.querySelector('svg[data-chart="`+c+`"] polyline')`)
	}
	if n := eval[int](b, `document.querySelectorAll("#content svg[data-chart]").length`); n > len(charts) {
		t.Errorf("the allocation page draws %d charts, the metrics API has %d for it", n, len(charts))
	}
	b.screenshot("allocation-charts")
	if errs := b.takeErrs(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// TestEdgeRouterRatesAndAnomaly sends traffic through a router and sees
// its request rate charted on the Edge page; the overview charts the
// node's anomaly rate.
func TestEdgeRouterRatesAndAnomaly(t *testing.T) {
	a := testagent.Start(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer backend.Close()
	host, portStr, _ := net.SplitHostPort(backend.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	put(t, a.URL+"/v1/agent/service/register", "", `{"Name":"shop","ID":"shop-1","Address":"`+host+`","Port":`+strconv.Itoa(port)+`,
		"Tags":["traefik.enable=true","traefik.http.routers.shop.rule=Host(`+"`shop.example`"+`)"]}`)
	web := a.EdgeAddrs()["web"].String()
	edge := func() int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+web+"/", nil)
		req.Host = "shop.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	orbittest.Eventually(t, time.Minute, "the edge to route shop", func() bool { return edge() == http.StatusOK })
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // traffic while the page is read: a rate needs two samples
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				edge()
			}
		}
	}()
	defer func() { close(stop); <-done }()
	var charts []string
	orbittest.Eventually(t, time.Minute, "the shop router's request chart", func() bool {
		charts = chartIDs(t, a, func(ctx string, l map[string]string) bool {
			return ctx == "orbit.edge_requests" && strings.HasPrefix(l["router"], "shop")
		})
		return len(charts) == 1
	})
	b := newBrowser(t, a.URL)
	b.open("/ui/edge")
	b.waitFor("the router's request rate drawn", `(function(){var s=document.querySelector('svg[data-chart="`+charts[0]+`"]');
		return s && s.querySelector("polyline") && parseFloat(s.nextElementSibling.textContent.split("requests ")[1]) > 0})()`)
	b.screenshot("edge-rates")

	b.open("/ui/")
	b.waitFor("the anomaly rate drawn", `document.querySelector('#content svg[data-chart="anomaly_detection.anomaly_rate"] polyline')`)
	b.screenshot("overview")
	if errs := b.takeErrs(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// TestAlertSettings: the settings page lists every alert the metrics API
// knows, with how often it is evaluated.
func TestAlertSettings(t *testing.T) {
	a := testagent.Start(t)
	var alarms struct {
		Alarms map[string]struct {
			Name        string `json:"name"`
			UpdateEvery int    `json:"update_every"`
		} `json:"alarms"`
	}
	orbittest.Eventually(t, 30*time.Second, "alerts evaluated", func() bool {
		getJSON(t, a.URL+"/api/v1/alarms?all", "", &alarms)
		return len(alarms.Alarms) > 0
	})
	code, doc := fetch(t, a.URL+"/ui/monitoring/settings", "", true)
	if code != http.StatusOK {
		t.Fatalf("settings: %d %s", code, doc)
	}
	if probs := checkHTML(doc); len(probs) > 0 {
		t.Errorf("settings page: %v", probs)
	}
	for _, al := range alarms.Alarms {
		if !strings.Contains(doc, `data-alert="`+al.Name+`"`) {
			t.Errorf("alert %s missing from the settings page", al.Name)
		}
	}
	if !strings.Contains(doc, "only shows them") {
		t.Error("the page does not say the settings cannot be changed here")
	}
}
