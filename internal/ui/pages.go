package ui

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strings"
	"time"
)

// pageList is every page, in navigation order.
func (s *Server) pageList() []*page {
	return []*page{
		{name: "overview", title: "Overview", nav: true, render: s.overview},
		{name: "services", title: "Services", nav: true, filter: true, render: s.services},
		{name: "nodes", title: "Nodes", nav: true, filter: true, render: s.nodes},
		{name: "kv", title: "Key/Value", nav: true, filter: true, render: s.kv},
		{name: "jobs", title: "Jobs", nav: true, filter: true, render: s.jobs},
		{name: "allocations", title: "Allocations", nav: true, filter: true, render: s.allocations},
		{name: "edge", title: "Edge", nav: true, filter: true, render: s.edge},
		{name: "dns", title: "DNS", nav: true, filter: true, render: s.dns},
		{name: "monitoring", title: "Monitoring", nav: true, render: s.monitoring},
		{name: "acl", title: "ACL", nav: true, filter: true, render: s.aclPage},
	}
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"join":  strings.Join,
	"path":  url.PathEscape,
	"query": url.QueryEscape,
	"status": func(s any) string {
		switch v := strings.ToLower(fmt.Sprint(s)); v {
		case "passing", "running", "complete", "successful", "up", "enabled", "alive", "ready", "ok", "clear":
			return "ok"
		case "warning", "pending", "starting", "blocked", "paused", "degraded", "warn", "initializing":
			return "warn"
		case "critical", "failed", "dead", "lost", "down", "disabled", "error", "cancelled", "crit", "ineligible":
			return "crit"
		default:
			return "info"
		}
	},
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"nanos": func(n int64) string {
		if n == 0 {
			return ""
		}
		return time.Unix(0, n).UTC().Format("2006-01-02 15:04:05Z")
	},
	"sortedKeys": func(m map[string]string) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	},
	"short": func(s string) string {
		if len(s) > 8 {
			return s[:8]
		}
		return s
	},
	"add":  func(a, b int) int { return a + b },
	"list": func(s ...string) []string { return s },
	"unix": func(n int64) string {
		if n == 0 {
			return ""
		}
		return time.Unix(n, 0).UTC().Format("2006-01-02 15:04:05Z")
	},
	"json": func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	},
	"chartsOf": func(host string, cs []chartRef) chartSet { return chartSet{Host: host, Charts: cs} },
	"chartsFor": func(host string, idTitle ...string) chartSet {
		c := chartSet{Host: host}
		for i := 0; i+1 < len(idTitle); i += 2 {
			c.Charts = append(c.Charts, chartRef{ID: idTitle[i], Title: idTitle[i+1]})
		}
		return c
	},
}

// chartSet is the charts of one node (Host "" is this agent).
type chartSet struct {
	Host   string
	Charts []chartRef
}
