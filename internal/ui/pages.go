package ui

import (
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
	"add": func(a, b int) int { return a + b },
}
