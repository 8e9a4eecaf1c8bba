package metrics

import (
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// TestAppsChartsThisMachine: on the real /proc, the apps, users and
// groups charts hold this test's own process under its name and user,
// with CPU time that only grows and at least one thread and descriptor.
func TestAppsChartsThisMachine(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this machine")
	}
	a := newAppsCollector("/")
	got := map[string][]float64{}
	dims := map[string][]string{}
	emit := func(c tsdb.Chart, v []float64) {
		got[c.ID] = v
		dims[c.ID] = nil
		for _, d := range c.Dims {
			dims[c.ID] = append(dims[c.ID], d.ID)
		}
	}
	if err := a.collect(emit); err != nil {
		t.Fatal(err)
	}
	self := a.procs[os.Getpid()]
	if self == nil {
		t.Fatal("this process was not seen")
	}
	app := a.sets[0].names[self.targets[0]]
	if !slices.Contains(dims["apps.cpu"], app) || !slices.Contains(dims["apps.cpu"], "kernel") && len(dims["apps.cpu"]) < 2 {
		t.Fatalf("apps.cpu dimensions %v, want this process' name %q among others", dims["apps.cpu"], app)
	}
	for _, kind := range []string{"apps", "users", "groups"} {
		for _, c := range appsCharts {
			if _, ok := got[kind+"."+c.name]; !ok {
				t.Errorf("chart %s.%s missing", kind, c.name)
			}
		}
	}
	i := slices.Index(dims["apps.threads"], app)
	if got["apps.threads"][i] < 1 || got["apps.processes"][i] < 1 || got["apps.fds"][i] < 3 || got["apps.mem"][i] < 1 {
		t.Errorf("%s: threads %v processes %v fds %v rss pages %v", app, got["apps.threads"][i], got["apps.processes"][i],
			got["apps.fds"][i], got["apps.mem"][i])
	}
	before := got["apps.cpu"][i]
	for range 20000000 {
		i++ // spend CPU time
	}
	i = slices.Index(dims["apps.cpu"], app)
	if err := a.collect(emit); err != nil {
		t.Fatal(err)
	}
	if got["apps.cpu"][i] < before {
		t.Errorf("apps.cpu of %s went back from %v to %v", app, before, got["apps.cpu"][i])
	}
	for k, v := range got["users.cpu"] {
		if v < 0 {
			t.Errorf("users.cpu %s: %v", dims["users.cpu"][k], v)
		}
	}
}

// TestAppsCountersSurviveExits: a process that exits keeps its CPU time
// in its app's sum, so the counter does not go back.
func TestAppsCountersSurviveExits(t *testing.T) {
	a := newAppsCollector("/")
	p := &proc{last: procCounters{utime: 70, stime: 30}}
	p.targets = [3]int{a.sets[0].of("job"), a.sets[1].of("root"), a.sets[2].of("root")}
	a.exited(p)
	for _, ts := range a.sets {
		if ts.gone[0].utime != 70 || ts.gone[0].stime != 30 {
			t.Errorf("%s: gone %+v", ts.kind, ts.gone[0])
		}
	}
	for i := range maxTargets + 5 {
		a.sets[0].of(string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	if len(a.sets[0].names) != maxTargets || a.sets[0].names[maxTargets-1] != "other" {
		t.Errorf("targets past the bound: %d, last %q", len(a.sets[0].names), a.sets[0].names[len(a.sets[0].names)-1])
	}
}

func BenchmarkAppsCollect(b *testing.B) {
	a := newAppsCollector("/")
	emit := func(tsdb.Chart, []float64) {}
	for b.Loop() {
		if err := a.collect(emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(a.procs)), "procs")
}

// BenchmarkAppsCollectCPU reports the CPU time (not the wall time, which
// a loaded machine stretches) one collection takes.
func BenchmarkAppsCollectCPU(b *testing.B) {
	a := newAppsCollector("/")
	emit := func(tsdb.Chart, []float64) {}
	var r0, r1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	n := 0
	for b.Loop() {
		if err := a.collect(emit); err != nil {
			b.Fatal(err)
		}
		n++
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano()) / time.Duration(n)
	b.ReportMetric(float64(cpu.Microseconds()), "cpu-µs/op")
	b.ReportMetric(float64(len(a.procs)), "procs")
}
