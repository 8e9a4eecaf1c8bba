package alert

import (
	"testing"
	"time"
)

func TestRules(t *testing.T) {
	cfg := Config{}.WithDefaults()
	now := time.Unix(1_800_000_000, 0)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	type want struct {
		key      Key
		critical bool
		value    float64
		for_     time.Duration
	}
	for _, tc := range []struct {
		name string
		in   Input
		want []want
	}{
		{"nothing to look at", Input{}, nil},
		{"node up and node down", Input{Nodes: []Node{{"a", true}, {"b", false}}}, []want{
			{Key{"a", "orbit.node", "node_down"}, false, 0, 0},
			{Key{"b", "orbit.node", "node_down"}, true, 1, 0},
		}},
		{"disk space and inodes at and under 90 %", Input{Disks: []Disk{
			{Node: "a", Mount: "/", UsedBytes: 90, TotalBytes: 100, UsedInodes: 899, TotalInodes: 1000},
			{Node: "a", Mount: "/var/lib", UsedBytes: 1, TotalBytes: 0, UsedInodes: 950, TotalInodes: 1000},
		}}, []want{
			{Key{"a", "disk_space._", "disk_space_usage"}, true, 90, 0},
			{Key{"a", "disk_inodes._", "disk_inode_usage"}, false, 89.9, 0},
			{Key{"a", "disk_inodes._var_lib", "disk_inode_usage"}, true, 95, 0},
		}},
		{"memory available and pressure", Input{Memory: []Memory{
			{Node: "a", AvailablePercent: 4.9, PressureFull: 10},
			{Node: "b", AvailablePercent: 5, PressureFull: -1},
		}}, []want{
			{Key{"a", "mem.available", "ram_available"}, true, 4.9, 0},
			{Key{"a", "system.memory_full_pressure", "memory_pressure"}, true, 10, 0},
			{Key{"b", "mem.available", "ram_available"}, false, 5, 0},
		}},
		{"services with and without a passing instance", Input{Services: []Service{
			{"web", 3, 1}, {"db", 2, 0}, {"gone", 0, 0},
		}}, []want{
			{Key{"", "orbit.service_web", "service_unavailable"}, false, 1, 0},
			{Key{"", "orbit.service_db", "service_unavailable"}, true, 0, 0},
			{Key{"", "orbit.service_gone", "service_unavailable"}, false, 0, 0},
		}},
		{"a critical check waits five minutes", Input{Checks: []Check{
			{Node: "a", ID: "web-1:http", Service: "web", Critical: true}, {Node: "a", ID: "serfHealth"},
		}}, []want{
			{Key{"a", "orbit.check_web-1:http", "check_critical"}, true, 1, 5 * time.Minute},
			{Key{"a", "orbit.check_serfHealth", "check_critical"}, false, 0, 5 * time.Minute},
		}},
		{"restart loop counts restarts within ten minutes; OOM within ten minutes", Input{Allocations: []Allocation{
			{ID: "x", Node: "a", Job: "j", Group: "g", Task: "t", Restarts: []time.Time{ago(11 * time.Minute), ago(9 * time.Minute), ago(time.Minute), now}, OOMKilled: ago(10 * time.Minute)},
			{ID: "y", Node: "a", Job: "j", Group: "g", Task: "t", Restarts: []time.Time{ago(3 * time.Minute), ago(2 * time.Minute), ago(time.Minute)}, OOMKilled: ago(time.Second)},
		}}, []want{
			{Key{"a", "orbit.alloc_x_t", "alloc_restart_loop"}, true, 3, 0},
			{Key{"a", "orbit.alloc_x_t", "alloc_oom_killed"}, false, 0, 0},
			{Key{"a", "orbit.alloc_y_t", "alloc_restart_loop"}, true, 3, 0},
			{Key{"a", "orbit.alloc_y_t", "alloc_oom_killed"}, true, 1, 0},
		}},
		{"certificates within and beyond seven days", Input{Certificates: []Certificate{
			{Node: "e1", Name: "soon.example", NotAfter: now.Add(7*24*time.Hour - time.Second)}, {Name: "later.example", NotAfter: now.Add(7 * 24 * time.Hour)},
			{Name: "expired.example", NotAfter: ago(time.Hour)},
		}}, []want{
			{Key{"e1", "orbit.cert_soon.example", "certificate_expiry"}, true, 7*24*3600 - 1, 0},
			{Key{"", "orbit.cert_later.example", "certificate_expiry"}, false, 7 * 24 * 3600, 0},
			{Key{"", "orbit.cert_expired.example", "certificate_expiry"}, true, -3600, 0},
		}},
		{"etcd near its quota; unknown quota skipped", Input{Etcd: []Etcd{{"s1", 1900, 2000}, {"s2", 100, 2000}, {"s3", 5, 0}}}, []want{
			{Key{"s1", "orbit.etcd", "etcd_db_quota"}, true, 95, 0},
			{Key{"s2", "orbit.etcd", "etcd_db_quota"}, false, 5, 0},
		}},
		{"anomaly rate high waits five minutes", Input{Anomaly: []NodeAnomaly{{"a", 12}, {"b", 9.9}}}, []want{
			{Key{"a", "anomaly_detection.anomaly_rate", "node_anomaly_rate"}, true, 12, 5 * time.Minute},
			{Key{"b", "anomaly_detection.anomaly_rate", "node_anomaly_rate"}, false, 9.9, 5 * time.Minute},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Rules(cfg, tc.in, now)
			if len(got) != len(tc.want) {
				t.Fatalf("%d findings, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Key != w.key || g.Critical != w.critical || g.For != w.for_ || !near(g.Value, w.value) {
					t.Errorf("finding %d = %v critical=%v value=%v for=%v; want %v %v %v %v", i, g.Key, g.Critical, g.Value, g.For, w.key, w.critical, w.value, w.for_)
				}
				if g.Summary == "" || g.Info == "" || g.Units == "" {
					t.Errorf("finding %d has no summary, info or units: %+v", i, g)
				}
			}
		})
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func TestRulesFollowConfig(t *testing.T) {
	cfg := Config{DiskUsedPercent: 50, CheckCriticalFor: time.Minute, AnomalyRatePercent: 1, AnomalyFor: 30 * time.Second}.WithDefaults()
	got := Rules(cfg, Input{
		Disks:   []Disk{{Node: "a", Mount: "/", UsedBytes: 50, TotalBytes: 100}},
		Checks:  []Check{{Node: "a", ID: "c", Critical: true}},
		Anomaly: []NodeAnomaly{{"a", 1}},
	}, time.Unix(0, 0))
	if !got[0].Critical || got[1].For != time.Minute || !got[2].Critical || got[2].For != 30*time.Second {
		t.Errorf("findings ignore the configuration: %+v", got)
	}
}
