package procfs

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The samples in testdata were captured from a 2-core Debian VM running
// cgroup v1 (its cgroup2/cpu.stat from the same host's unified hierarchy).
// cgroup2's io.stat is the kernel documentation's example; its
// memory.stat, memory.events and the busy blkio file follow the kernel's
// formats (the host has no cgroup v2 memory controller or busy device).
func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseStat(t *testing.T) {
	s, err := ParseStat(read(t, "stat"))
	if err != nil {
		t.Fatal(err)
	}
	want := CPU{Name: "cpu", User: 31326, System: 13602, Idle: 805169, IOWait: 404, SoftIRQ: 213, Steal: 2469}
	if s.Total != want {
		t.Errorf("total %+v, want %+v", s.Total, want)
	}
	if len(s.CPUs) != 2 || s.CPUs[1].Name != "cpu1" || s.CPUs[1].User != 16148 {
		t.Errorf("cpus %+v", s.CPUs)
	}
	if s.Ctxt != 3507407 || s.Forks != 25021 || s.Running != 22 || s.Blocked != 0 || s.Intr != 1640892 {
		t.Errorf("counters %+v", s)
	}
	for _, bad := range []string{"", "intr 1\n", "cpu 1 2\n", "cpu a b c d e\n"} {
		if _, err := ParseStat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseLoadavg(t *testing.T) {
	l, err := ParseLoadavg(read(t, "loadavg"))
	if err != nil || l != (Load{6.74, 2.95, 1.17, 17, 183}) {
		t.Fatalf("%+v %v", l, err)
	}
	for _, bad := range []string{"", "1 2 3", "x 1 1 1/2 3", "1 1 1 12 3"} {
		if _, err := ParseLoadavg([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseKeyValues(t *testing.T) {
	tests := []struct {
		file string
		want map[string]uint64
	}{
		{"meminfo", map[string]uint64{"MemTotal": 24683664, "SwapTotal": 0}},
		{"vmstat", map[string]uint64{"pswpin": 0, "pgmajfault": 1307}},
		{"cgroup1/memory.stat", map[string]uint64{"rss": 1327104, "cache": 104140800, "total_rss": 1327104}},
		{"cgroup1/cpu.stat", map[string]uint64{"nr_periods": 0, "nr_throttled": 0, "throttled_time": 0}},
		{"cgroup1/cpuacct.stat", map[string]uint64{"user": 41709, "system": 17176}},
		{"cgroup2/cpu.stat", map[string]uint64{"usage_usec": 547262898, "user_usec": 387631132}},
		{"cgroup2/memory.stat", map[string]uint64{"anon": 15540224, "file": 110125056}},
		{"cgroup2/memory.events", map[string]uint64{"oom_kill": 1, "max": 12}},
	}
	for _, tt := range tests {
		got := ParseKeyValues(read(t, tt.file))
		for k, v := range tt.want {
			if n, ok := got[k]; !ok || n != v {
				t.Errorf("%s %s = %d (%v), want %d", tt.file, k, n, ok, v)
			}
		}
	}
}

func TestParsePressure(t *testing.T) {
	p, err := ParsePressure(read(t, "pressure_cpu"))
	want := Pressure{Some: PSILine{89.73, 68.61, 32.77, 160579636}}
	if err != nil || p != want {
		t.Fatalf("%+v %v, want %+v", p, err, want)
	}
	p, _ = ParsePressure(read(t, "pressure_io"))
	if p.Full.Total == 0 || p.Some.Total == 0 {
		t.Errorf("io %+v: want some and full totals", p)
	}
	if _, err := ParsePressure([]byte("some avg10=x avg60=0 avg300=0 total=0\n")); err == nil {
		t.Error("a bad number: no error")
	}
}

func TestParseDiskstats(t *testing.T) {
	ds, err := ParseDiskstats(read(t, "diskstats"))
	if err != nil {
		t.Fatal(err)
	}
	var vda Disk
	for _, d := range ds {
		if d.Name == "vda" {
			vda = d
		}
	}
	want := Disk{Major: 254, Name: "vda", Reads: 112651, ReadsMerged: 25198, SectorsRead: 2639058, ReadMs: 19173,
		Writes: 18002, WritesMerged: 54830, SectorsWritten: 3467072, WriteMs: 17525, IOMs: 13252, WeightedIOMs: 37986,
		Discards: 12934, SectorsDiscarded: 7911976}
	if vda != want || len(ds) != 10 {
		t.Fatalf("vda %+v of %d disks, want %+v of 10", vda, len(ds), want)
	}
	if _, err := ParseDiskstats([]byte("8 0 sda x 0 0 0 0 0 0 0 0 0 0 0\n")); err == nil {
		t.Error("a bad number: no error")
	}
}

func TestParseNetDev(t *testing.T) {
	ns, err := ParseNetDev(read(t, "net_dev"))
	if err != nil {
		t.Fatal(err)
	}
	want := NetDev{Name: "eth0", RxBytes: 154841371, RxPackets: 5807, TxBytes: 454864, TxPackets: 4393}
	if len(ns) != 5 || ns[3] != want || ns[4].Name != "docker0" || ns[4].TxDrop != 2 {
		t.Fatalf("%+v", ns)
	}
	if _, err := ParseNetDev([]byte("eth0: 1 2 3\n")); err == nil {
		t.Error("a short line: no error")
	}
}

func TestParseSmallFiles(t *testing.T) {
	if f, err := ParseFileNr(read(t, "sys_fs_file-nr")); err != nil || f != (FileNr{2406, 2466093}) {
		t.Errorf("file-nr %+v %v", f, err)
	}
	ms := ParseMounts(append(read(t, "mounts"), []byte("/dev/sdb /mnt/my\\040disk ext4 rw 0 0\n")...))
	if ms[5] != (Mount{"/dev/vda", "/", "ext4"}) || ms[len(ms)-1].Point != "/mnt/my disk" {
		t.Errorf("mounts %+v", ms)
	}
	if n, err := ParseUint(read(t, "cgroup1/memory.limit_in_bytes")); err != nil || n != 9223372036854771712 {
		t.Errorf("limit %d %v", n, err)
	}
	if n, err := ParseUint(read(t, "cgroup2/memory.max")); err != nil || n != 0 {
		t.Errorf("max %d %v", n, err)
	}
	if _, err := ParseUint([]byte("lots")); err == nil {
		t.Error("ParseUint(lots): no error")
	}
	if io := ParseIOStat(read(t, "cgroup2/io.stat")); io != (IO{91889664, 613781504, 9142, 1605}) {
		t.Errorf("io.stat %+v", io)
	}
	if r, w := ParseBlkio(read(t, "cgroup1/blkio.throttle.io_service_bytes.busy")); r != 1221120 || w != 4096 {
		t.Errorf("blkio %d %d", r, w)
	}
	if r, w := ParseBlkio(read(t, "cgroup1/blkio.throttle.io_service_bytes")); r != 0 || w != 0 {
		t.Errorf("idle blkio %d %d", r, w)
	}
	if p, err := ParseProcStat(read(t, "proc_pid_stat")); err != nil || p.RSSPages != 413 || p.Comm != "cat" || p.PPID != 27383 || p.Threads != 1 || p.VSize != 3133440 {
		t.Errorf("pid stat %+v %v", p, err)
	}
	if p, err := ParseProcStat([]byte("1 (a) b) S 2 0 0 0 0 0 3 0 4 0 7 8 0 0 0 0 5 0 6 10 9 0")); err != nil ||
		p != (ProcStat{Comm: "a) b", PPID: 2, MinFlt: 3, MajFlt: 4, UTime: 7, STime: 8, Threads: 5, Start: 6, VSize: 10, RSSPages: 9}) {
		t.Errorf("a command with ') ': %+v %v", p, err)
	}
	io := ParseProcIO([]byte("rchar: 2012\nwchar: 414\nsyscr: 9\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n"))
	if io != (ProcIO{RChar: 2012, WChar: 414, ReadBytes: 4096, WriteBytes: 8192}) {
		t.Errorf("pid io %+v", io)
	}
	got := ParseProcCgroup(read(t, "cgroup1/proc_pid_cgroup"))
	if got["memory"] != "/process_api/ea0f905d936a5d701c1bc678394ac693" || got["cpu"] != "/" || got["systemd"] != "/" || got[""] != "/" {
		t.Errorf("proc cgroup %v", got)
	}
	v2 := ParseProcCgroup([]byte("0::/orbit/web-1\n"))
	if !reflect.DeepEqual(v2, map[string]string{"": "/orbit/web-1"}) {
		t.Errorf("v2 %v", v2)
	}
}
