package ui

import (
	"cmp"
	"slices"
	"strings"
)

// chartInfo is a chart as the metrics API's /api/v1/charts lists it.
type chartInfo struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Family   string            `json:"family"`
	Context  string            `json:"context"`
	Priority int               `json:"priority"`
	Labels   map[string]string `json:"chart_labels"`
}

// chartList reads the charts of a node's metrics API (host "" is this
// agent, /host/NAME another node); nil when it cannot be read.
func (s *Server) chartList(rc *reqCtx, host string) map[string]chartInfo {
	var charts struct {
		Charts map[string]chartInfo `json:"charts"`
	}
	if err := rc.get(host+"/api/v1/charts", &charts); err != nil {
		return nil
	}
	return charts.Charts
}

// chartsMatching keeps the charts keep accepts, at most limit of them, in
// the metrics API's order (priority, then id), titled by title.
func chartsMatching(cs map[string]chartInfo, limit int, keep func(chartInfo) bool, title func(chartInfo) string) []chartRef {
	var kept []chartInfo
	for _, c := range cs {
		if keep(c) {
			kept = append(kept, c)
		}
	}
	slices.SortFunc(kept, func(a, b chartInfo) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), strings.Compare(a.ID, b.ID))
	})
	out := make([]chartRef, 0, min(len(kept), limit))
	for _, c := range kept[:min(len(kept), limit)] {
		out = append(out, chartRef{ID: c.ID, Title: title(c)})
	}
	return out
}

// allocCharts are a task's cgroup charts (CPU, memory, I/O, processes,
// network), which the metrics API labels with the allocation's id.
func allocCharts(cs map[string]chartInfo, allocID string) []chartRef {
	return chartsMatching(cs, 40, func(c chartInfo) bool { return c.Labels["alloc_id"] == allocID },
		func(c chartInfo) string { return cmp.Or(c.Labels["task"], c.Family) + ": " + c.Title })
}

// maxRouterCharts bounds the per-router charts of the Edge page: each
// chart asks the metrics API once a second.
const maxRouterCharts = 24

// routerCharts are the request-rate charts (context orbit.edge_requests,
// label router) of the routers shown, in their order.
func routerCharts(cs map[string]chartInfo, routers []edgeRouter) []chartRef {
	byRouter := map[string]string{}
	for _, c := range cs {
		if c.Context == "orbit.edge_requests" {
			byRouter[c.Labels["router"]] = c.ID
		}
	}
	var out []chartRef
	for _, r := range routers {
		base, _, _ := strings.Cut(r.Name, "@")
		id := cmp.Or(byRouter[r.Name], byRouter[base])
		if id == "" || len(out) == maxRouterCharts {
			continue
		}
		out = append(out, chartRef{ID: id, Title: r.Name})
	}
	return out
}
