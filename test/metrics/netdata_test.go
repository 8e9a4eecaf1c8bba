package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// startNetdata runs Debian's netdata on a free loopback port with its
// state in a temporary directory, or skips when it is not installed.
func startNetdata(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("netdata")
	if err != nil {
		t.Skip("netdata is not installed (apt-get install netdata): Netdata's API shapes not compared")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"lib", "cache", "log"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	conf := fmt.Sprintf(`[global]
  run as user = %s
  memory mode = ram
  history = 600
[web]
  bind to = %s
[registry]
  enabled = no
[cloud]
  enabled = no
[health]
  enabled = no
[ml]
  enabled = no
[plugins]
  apps = no
  python.d = no
  charts.d = no
  go.d = no
  ebpf = no
[directories]
  lib = %[3]s/lib
  cache = %[3]s/cache
  log = %[3]s/log
`, u.Username, addr, dir)
	cf := filepath.Join(dir, "netdata.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-D", "-c", cf)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	return "http://" + addr
}

func keys(t *testing.T, b []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %.300s", err, b)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// missing lists the keys of want that got lacks.
func missing(want, got []string) []string {
	var out []string
	for _, k := range want {
		if !slices.Contains(got, k) {
			out = append(out, k)
		}
	}
	return out
}

func field(t *testing.T, b []byte, path ...string) []byte {
	t.Helper()
	for _, p := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%v at %q: %.200s", err, p, b)
		}
		b = m[p]
	}
	return b
}

// TestNetdataShapes asks the real Netdata and orbit the same questions
// and compares the answers' keys, chart and dimension ids, and row layout.
func TestNetdataShapes(t *testing.T) {
	nd := startNetdata(t)
	a := testagent.Start(t)
	q := "/api/v1/data?chart=system.cpu&after=-3&points=3"
	waitRows(t, nd+q, 2)
	waitRows(t, a.URL+q, 2)

	fetch := func(base, path string) []byte {
		code, b := get(t, base+path)
		if code != 200 {
			t.Fatalf("%s%s: %d %s", base, path, code, b)
		}
		return b
	}
	both := func(path string) ([]byte, []byte) { return fetch(nd, path), fetch(a.URL, path) }

	// Every key Netdata answers, orbit answers.
	for _, path := range []string{"/api/v1/info", "/api/v1/charts", "/api/v1/alarms", "/api/v1/chart?chart=system.cpu",
		q + "&options=jsonwrap", q} {
		n, o := both(path)
		if m := missing(keys(t, n), keys(t, o)); len(m) > 0 {
			t.Errorf("%s: orbit lacks Netdata's keys %v", path, m)
		}
	}
	n, o := both("/api/v1/charts")
	if m := missing(keys(t, field(t, n, "charts", "system.cpu")), keys(t, field(t, o, "charts", "system.cpu"))); len(m) > 0 {
		t.Errorf("charts: system.cpu lacks Netdata's keys %v", m)
	}
	// The charts both collect have the same ids and visible dimensions.
	for _, id := range []string{"system.cpu", "system.load", "system.ram", "system.ctxt", "system.forks", "system.processes",
		"system.intr", "net.lo", "net_packets.lo", "mem.available", "system.io_some_pressure", "system.memory_full_pressure",
		"system.ip", "ipv4.packets", "ipv4.tcpsock", "ipv4.tcppackets", "ipv4.tcperrors", "ipv4.tcpopens", "ipv4.udppackets",
		"ipv4.icmp", "ipv4.icmp_errors", "ip.tcpconnaborts", "ip.mcast", "ip.ecnpkts", "ipv4.sockstat_sockets",
		"ipv4.sockstat_tcp_sockets", "ipv4.sockstat_tcp_mem"} {
		nd, od := field(t, n, "charts", id), field(t, o, "charts", id)
		if nd == nil {
			continue // Netdata does not collect it here
		}
		if od == nil {
			t.Errorf("chart %s: Netdata has it, orbit does not", id)
			continue
		}
		nk, ok := keys(t, field(t, nd, "dimensions")), keys(t, field(t, od, "dimensions"))
		if !slices.Equal(nk, ok) {
			t.Errorf("chart %s: dimensions %v, Netdata's %v", id, ok, nk)
		}
		for _, k := range []string{"family", "units", "chart_type", "context", "type"} {
			if nv, ov := string(field(t, nd, k)), string(field(t, od, k)); nv != ov {
				t.Errorf("chart %s: %s %s, Netdata's %s", id, k, ov, nv)
			}
		}
	}
	// Same labels and row layout: time first, newest first.
	n, o = both(q)
	var nd1, od1 dataAnswer
	json.Unmarshal(n, &nd1)
	json.Unmarshal(o, &od1)
	if !slices.Equal(nd1.Labels, od1.Labels) {
		t.Errorf("data labels %v, Netdata's %v", od1.Labels, nd1.Labels)
	}
	for _, d := range []dataAnswer{nd1, od1} {
		if len(d.Data) < 2 || len(d.Data[0]) != len(d.Labels) || *d.Data[0][0] <= *d.Data[1][0] {
			t.Errorf("rows %v: want time first, newest first", d.Data)
		}
	}
	n, o = both(q + "&format=csv")
	if nh, oh := strings.SplitN(string(n), "\n", 2)[0], strings.SplitN(string(o), "\n", 2)[0]; nh != oh {
		t.Errorf("csv header %q, Netdata's %q", oh, nh)
	}
	n, o = both(q + "&format=array")
	var na, oa []float64
	if json.Unmarshal(n, &na) != nil || json.Unmarshal(o, &oa) != nil || len(na) != len(oa) {
		t.Errorf("array: %s, Netdata's %s", o, n)
	}
	n, o = both("/api/v1/allmetrics?format=json")
	if m := missing(keys(t, field(t, n, "system.load")), keys(t, field(t, o, "system.load"))); len(m) > 0 {
		t.Errorf("allmetrics json system.load lacks %v", m)
	}
	// Netdata's exporter leaves out charts it has just started; ask until
	// the line is there (or a minute passes).
	line := regexp.MustCompile(`(?m)^netdata_system_ctxt_context_switches_persec_average\{chart="system.ctxt",family="processes",dimension="switches"\} [0-9.]+ [0-9]+$`)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		n, o = both("/api/v1/allmetrics?format=prometheus")
		if line.Match(n) || time.Now().After(deadline) {
			break
		}
	}
	if !line.Match(n) || !line.Match(o) {
		t.Errorf("allmetrics prometheus: the system.ctxt line differs (Netdata's matches: %v, orbit's: %v)", line.Match(n), line.Match(o))
	}
	n, o = both("/api/v1/allmetrics?format=shell")
	shell := regexp.MustCompile(`(?m)^NETDATA_SYSTEM_LOAD_LOAD1="[0-9]+"      # load$`)
	if !shell.Match(n) || !shell.Match(o) {
		t.Errorf("allmetrics shell: the system.load line differs (Netdata's matches: %v, orbit's: %v)", shell.Match(n), shell.Match(o))
	}
	n, o = both("/api/v1/alarm_log")
	var nl, ol []any
	if json.Unmarshal(n, &nl) != nil || json.Unmarshal(o, &ol) != nil {
		t.Errorf("alarm_log: want JSON arrays, got %.100s and Netdata's %.100s", o, n)
	}
}
