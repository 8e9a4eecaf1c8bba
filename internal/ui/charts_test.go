package ui

import (
	"reflect"
	"testing"
)

func TestAllocCharts(t *testing.T) {
	cs := map[string]chartInfo{
		"cgroup_web_g_t_abcd1234.mem": {ID: "cgroup_web_g_t_abcd1234.mem", Title: "Memory Usage", Priority: 10003, Labels: map[string]string{"alloc_id": "abcd1234-full", "task": "t"}},
		"cgroup_web_g_t_abcd1234.cpu": {ID: "cgroup_web_g_t_abcd1234.cpu", Title: "CPU Usage", Priority: 10000, Labels: map[string]string{"alloc_id": "abcd1234-full", "task": "t"}},
		"cgroup_web_g_t_ffff0000.cpu": {ID: "cgroup_web_g_t_ffff0000.cpu", Title: "CPU Usage", Priority: 10020, Labels: map[string]string{"alloc_id": "ffff0000-full", "task": "t"}},
		"system.cpu":                  {ID: "system.cpu", Priority: 100},
	}
	got := allocCharts(cs, "abcd1234-full")
	want := []chartRef{{ID: "cgroup_web_g_t_abcd1234.cpu", Title: "t: CPU Usage"}, {ID: "cgroup_web_g_t_abcd1234.mem", Title: "t: Memory Usage"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("allocCharts = %+v, want %+v", got, want)
	}
	if got := allocCharts(cs, "none"); len(got) != 0 {
		t.Errorf("charts of an allocation without any: %+v", got)
	}
}

func TestRouterCharts(t *testing.T) {
	cs := map[string]chartInfo{
		"orbit.edge_requests_web":      {ID: "orbit.edge_requests_web", Context: "orbit.edge_requests", Labels: map[string]string{"router": "web"}},
		"orbit.edge_requests_api_file": {ID: "orbit.edge_requests_api_file", Context: "orbit.edge_requests", Labels: map[string]string{"router": "api@file"}},
		"orbit.edge_latency_web":       {ID: "orbit.edge_latency_web", Context: "orbit.edge_latency", Labels: map[string]string{"router": "web"}},
	}
	rs := []edgeRouter{{Name: "web@orbit"}, {Name: "api@file"}, {Name: "quiet@orbit"}}
	got := routerCharts(cs, rs)
	want := []chartRef{{ID: "orbit.edge_requests_web", Title: "web@orbit"}, {ID: "orbit.edge_requests_api_file", Title: "api@file"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("routerCharts = %+v, want %+v", got, want)
	}
	many := make([]edgeRouter, 0, 30)
	for range 30 {
		many = append(many, edgeRouter{Name: "web"})
	}
	if n := len(routerCharts(cs, many)); n != maxRouterCharts {
		t.Errorf("%d charts for 30 routers, want the bound %d", n, maxRouterCharts)
	}
}
