package metrics

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
)

type fakeTasks []Task

func (f fakeTasks) RunningTasks() []Task { return f }

// writeTree writes files (path → contents) under root; a value naming a
// procfs testdata file ("@cgroup1/memory.stat") copies that capture.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, v := range files {
		if len(v) > 0 && v[0] == '@' {
			b, err := os.ReadFile(filepath.Join("procfs", "testdata", v[1:]))
			if err != nil {
				t.Fatal(err)
			}
			v = string(b)
		}
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCgroupCharts(t *testing.T) {
	v1, v2 := t.TempDir(), t.TempDir()
	// cgroup v1 as orbit's exec driver leaves it: own cpu and memory
	// groups, the rest at the root (not the task's).
	writeTree(t, v1, map[string]string{
		"proc/123/cgroup": "9:pids:/\n8:blkio:/\n4:memory:/orbit/a1.web\n2:cpuacct:/\n1:cpu:/orbit/a1.web\n0::/\n",
		"proc/123/stat":   "123 (web) S 1 1 1 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0 100 1000 300 0 0",
		"sys/fs/cgroup/memory/orbit/a1.web/memory.stat":           "@cgroup1/memory.stat",
		"sys/fs/cgroup/memory/orbit/a1.web/memory.limit_in_bytes": "100663296\n",
		"sys/fs/cgroup/memory/orbit/a1.web/memory.failcnt":        "3\n",
		"sys/fs/cgroup/memory/orbit/a1.web/memory.oom_control":    "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
		"sys/fs/cgroup/memory/orbit/a1.web/cgroup.procs":          "123\n",
		"sys/fs/cgroup/cpu/orbit/a1.web/cpu.stat":                 "nr_periods 10\nnr_throttled 4\nthrottled_time 2000000\n",
		// A docker container, found by its id.
		"sys/fs/cgroup/memory/docker/c0ffee/memory.stat":                    "@cgroup1/memory.stat",
		"sys/fs/cgroup/memory/docker/c0ffee/memory.limit_in_bytes":          "9223372036854771712\n",
		"sys/fs/cgroup/cpuacct/docker/c0ffee/cpuacct.stat":                  "@cgroup1/cpuacct.stat",
		"sys/fs/cgroup/blkio/docker/c0ffee/blkio.throttle.io_service_bytes": "@cgroup1/blkio.throttle.io_service_bytes.busy",
		"sys/fs/cgroup/pids/docker/c0ffee/pids.current":                     "7\n",
		"sys/fs/cgroup/memory/docker/c0ffee/cgroup.procs":                   "777\n",
		"proc/777/net/dev": "@net_dev",
	})
	// The container's process has its own network namespace; the exec
	// task shares the node's.
	for pid, ns := range map[string]string{"self": "net:[1]", "123": "net:[1]", "777": "net:[2]"} {
		os.MkdirAll(filepath.Join(v1, "proc", pid, "ns"), 0o755)
		if err := os.Symlink(ns, filepath.Join(v1, "proc", pid, "ns", "net")); err != nil {
			t.Fatal(err)
		}
	}
	writeTree(t, v2, map[string]string{
		"sys/fs/cgroup/cgroup.controllers":         "cpu io memory pids\n",
		"proc/456/cgroup":                          "0::/orbit/b1.api\n",
		"sys/fs/cgroup/orbit/b1.api/cpu.stat":      "@cgroup2/cpu.stat",
		"sys/fs/cgroup/orbit/b1.api/memory.stat":   "@cgroup2/memory.stat",
		"sys/fs/cgroup/orbit/b1.api/memory.max":    "@cgroup2/memory.max",
		"sys/fs/cgroup/orbit/b1.api/memory.events": "@cgroup2/memory.events",
		"sys/fs/cgroup/orbit/b1.api/io.stat":       "@cgroup2/io.stat",
		"sys/fs/cgroup/orbit/b1.api/pids.current":  "4\n",
	})
	web := Task{AllocID: "a1b2c3d4e5", Job: "shop", Group: "front", Task: "web", Driver: "exec", PID: 123}
	db := Task{AllocID: "f00", Job: "shop", Group: "db", Task: "pg", Driver: "docker", ContainerID: "c0ffee"}
	gone := Task{AllocID: "x", Job: "j", Group: "g", Task: "t", PID: 999}
	api := Task{AllocID: "b1", Job: "shop", Group: "api", Task: "api", Driver: "exec", PID: 456}

	collect := func(root string, tasks ...Task) *Server {
		s, err := New(Config{Root: root}, Deps{Registry: prometheus.NewRegistry(), Clock: clockwork.NewFakeClock(), Tasks: fakeTasks(tasks)})
		if err != nil {
			t.Fatal(err)
		}
		s.Collect(time.Unix(1_800_000_000, 0))
		return s
	}
	latest := func(s *Server, id string) []float64 {
		t.Helper()
		_, v, err := s.db.Latest(id)
		if err != nil {
			t.Fatalf("chart %s: %v", id, err)
		}
		return v
	}
	eq := func(name string, got []float64, want ...float64) {
		t.Helper()
		for i := range want {
			if i >= len(got) || got[i] != want[i] {
				t.Errorf("%s = %v, want %v", name, got, want)
				return
			}
		}
	}

	s := collect(v1, web, db, gone)
	eq("web mem", latest(s, "cgroup_shop_front_web_a1b2c3d4.mem"), 1327104.0/(1<<20), 104140800.0/(1<<20))
	eq("web limit", latest(s, "cgroup_shop_front_web_a1b2c3d4.mem_usage_limit"), 96)
	eq("web oom", latest(s, "cgroup_shop_front_web_a1b2c3d4.oom_kills"), 1)
	eq("web pids", latest(s, "cgroup_shop_front_web_a1b2c3d4.pids_current"), 1)
	in, _ := s.db.ChartInfo("cgroup_shop_front_web_a1b2c3d4.cpu")
	if in.Labels["job"] != "shop" || in.Labels["alloc_id"] != "a1b2c3d4e5" || in.Context != "cgroup.cpu" {
		t.Errorf("cpu chart %+v: want labels naming the task", in)
	}
	if _, err := s.db.ChartInfo("cgroup_shop_front_web_a1b2c3d4.io"); err == nil {
		t.Error("the root blkio group was charted as the task's")
	}
	eq("pg pids", latest(s, "cgroup_shop_db_pg_f00.pids_current"), 7)
	if _, err := s.db.ChartInfo("cgroup_shop_db_pg_f00.mem_usage_limit"); err == nil {
		t.Error("an unlimited container has a limit chart")
	}
	if _, err := s.db.ChartInfo("cgroup_shop_db_pg_f00.io"); err != nil {
		t.Errorf("container io: %v", err)
	}
	if in, err := s.db.ChartInfo("cgroup_shop_db_pg_f00.net_eth0"); err != nil || in.Context != "cgroup.net_net" {
		t.Errorf("container's eth0: %+v %v", in, err)
	}
	if _, err := s.db.ChartInfo("cgroup_shop_db_pg_f00.net_lo"); err == nil {
		t.Error("the container's loopback was charted")
	}
	if _, err := s.db.ChartInfo("cgroup_shop_front_web_a1b2c3d4.net_eth0"); err == nil {
		t.Error("a task in the node's namespace got interface charts")
	}
	if _, err := s.db.ChartInfo("cgroup_j_g_t_x.mem"); err == nil {
		t.Error("a task whose process is gone was charted")
	}

	s = collect(v2, api)
	eq("api mem", latest(s, "cgroup_shop_api_api_b1.mem"), 15540224.0/(1<<20), 110125056.0/(1<<20))
	eq("api oom", latest(s, "cgroup_shop_api_api_b1.oom_kills"), 1)
	eq("api pids", latest(s, "cgroup_shop_api_api_b1.pids_current"), 4)
	if _, err := s.db.ChartInfo("cgroup_shop_api_api_b1.mem_usage_limit"); err == nil {
		t.Error("memory.max of max charted as a limit")
	}
	for _, c := range []string{"cpu", "throttled", "throttled_duration", "io", "serviced_ops", "mem_failcnt"} {
		if _, err := s.db.ChartInfo("cgroup_shop_api_api_b1." + c); err != nil {
			t.Errorf("v2 %s: %v", c, err)
		}
	}
}
