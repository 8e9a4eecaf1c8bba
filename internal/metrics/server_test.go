package metrics

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/orbit/orbit/internal/httpkit"
)

// newTestServer collects the real node n times, a second apart in the
// fake clock's time, and serves the Netdata API.
func newTestServer(t *testing.T, root string, n int) (*Server, *httptest.Server, *clockwork.FakeClock) {
	t.Helper()
	clock := clockwork.NewFakeClockAt(time.Unix(1_800_000_000, 0))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	s, err := New(Config{Root: root, Hostname: "node1", Version: "0.1.0"}, Deps{Registry: reg, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		s.Collect(clock.Now())
		clock.Advance(time.Second)
	}
	kit := httpkit.New(nil, nil, clock)
	mux := http.NewServeMux()
	nd := s.NetdataHandler(kit, nil)
	mux.Handle(NetdataPrefix, nd)
	mux.Handle(HostPrefix, s.HostHandler(kit, nd))
	mux.Handle(StreamPath, s.StreamHandler(kit))
	mux.Handle("/v1/agent/metrics", s.GoMetricsHandler(kit))
	mux.Handle("/v1/metrics", s.GoMetricsHandler(kit))
	mux.Handle("/metrics", s.PrometheusHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return s, srv, clock
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// fakeRoot lays the captured /proc samples out as a root directory.
func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	td := filepath.Join("procfs", "testdata")
	for src, dst := range map[string]string{"stat": "proc/stat", "loadavg": "proc/loadavg", "meminfo": "proc/meminfo",
		"vmstat": "proc/vmstat", "diskstats": "proc/diskstats", "net_dev": "proc/net/dev", "sys_fs_file-nr": "proc/sys/fs/file-nr",
		"interrupts": "proc/interrupts", "softirqs": "proc/softirqs", "net_snmp": "proc/net/snmp",
		"net_netstat": "proc/net/netstat", "net_sockstat": "proc/net/sockstat", "pressure_cpu": "proc/pressure/cpu", "pressure_io": "proc/pressure/io", "pressure_memory": "proc/pressure/memory"} {
		b, err := os.ReadFile(filepath.Join(td, src))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(root, filepath.Dir(dst)), 0o755)
		if err := os.WriteFile(filepath.Join(root, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "sys/block/vda"), 0o755)
	// A mount of the temporary directory itself, so statfs answers.
	os.WriteFile(filepath.Join(root, "proc/mounts"), []byte("/dev/vda / ext4 rw 0 0\nproc /proc proc rw 0 0\n"), 0o644)
	return root
}

func TestNodeChartsFromCapturedProc(t *testing.T) {
	s, _, _ := newTestServer(t, fakeRoot(t), 3)
	want := []string{"system.cpu", "cpu.cpu0", "cpu.cpu1", "system.load", "system.ram", "mem.available", "system.swapio",
		"system.cpu_some_pressure", "system.io_full_pressure", "system.memory_some_pressure_stall_time",
		"disk.vda", "disk_ops.vda", "disk_util.vda", "disk_space._", "disk_inodes._", "net.eth0", "net_packets.lo",
		"net_errors.docker0", "net_drops.docker0", "system.ctxt", "system.forks", "system.processes", "system.file_nr_used",
		"system.interrupts", "cpu.cpu1_interrupts", "system.softirqs", "cpu.cpu0_softirqs", "system.ip", "ipv4.packets",
		"ipv4.tcpsock", "ipv4.udperrors", "ip.tcpconnaborts", "ipv4.sockstat_tcp_sockets"}
	for _, id := range want {
		if _, err := s.db.ChartInfo(id); err != nil {
			t.Errorf("chart %s: %v", id, err)
		}
	}
	for _, gone := range []string{"disk.loop0", "system.cpu_full_pressure", "system.swap"} {
		if _, err := s.db.ChartInfo(gone); err == nil {
			t.Errorf("chart %s: charted, want left out", gone)
		}
	}
	in, _ := s.db.ChartInfo("system.interrupts")
	if in.Dims[0].ID != "24" || in.Dims[0].Name != "Ged_24" {
		t.Errorf("interrupt dimension %+v, want Netdata's id and name", in.Dims[0])
	}
	_, tw, _ := s.db.Latest("ipv4.sockstat_tcp_sockets")
	if tw[3] != 666 {
		t.Errorf("timewait sockets %v, want 666", tw)
	}
	_, load, _ := s.db.Latest("system.load")
	if load[0] != 6.74 || load[2] != 1.17 {
		t.Errorf("load %v, want 6.74 2.95 1.17", load)
	}
	_, ram, _ := s.db.Latest("system.ram")
	if ram[0] <= 0 || ram[1] <= 0 {
		t.Errorf("ram %v: want free and used MiB", ram)
	}
}

// TestRealNodeAnswersData collects this machine's /proc for real and
// reads it back through /api/v1/data: CPU moves, the per-second store
// stays under 2 bytes a sample.
func TestRealNodeAnswersData(t *testing.T) {
	s, srv, _ := newTestServer(t, "/", 120)
	code, body := get(t, srv.URL+"/api/v1/data?chart=system.cpu&after=-60&points=60&format=json")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var res struct {
		Labels []string    `json:"labels"`
		Data   [][]float64 `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if res.Labels[0] != "time" || !strings.Contains(strings.Join(res.Labels, ","), "user") || len(res.Data) != 60 {
		t.Fatalf("labels %v, %d rows", res.Labels, len(res.Data))
	}
	if res.Data[0][0] <= res.Data[59][0] {
		t.Errorf("rows are not newest first: %v ... %v", res.Data[0][0], res.Data[59][0])
	}
	st := s.db.Stats()
	if st.Dims < 50 {
		t.Errorf("%d metrics, want the node's and orbit's own", st.Dims)
	}
	t.Logf("%d charts, %d metrics, %d samples in %d bytes", st.Charts, st.Dims, st.Samples, st.SampleBytes)
	if per := float64(st.SampleBytes) / float64(st.Samples); per > 2 {
		t.Errorf("%.2f bytes per sample over %d samples, want at most 2", per, st.Samples)
	}
	// Go runtime and the feature's own metrics are charted too.
	for _, id := range []string{"go.goroutines", "orbit.metrics_collect_duration_seconds_count"} {
		if _, err := s.db.ChartInfo(id); err != nil {
			t.Errorf("chart %s: %v", id, err)
		}
	}
}
