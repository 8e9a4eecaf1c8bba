package client

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/job"
)

func TestPortAllocatorSkipsBoundAndHeldPorts(t *testing.T) {
	// canBind is the real host check: a port someone listens on is refused.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	bound := l.Addr().(*net.TCPAddr).Port
	if canBind("127.0.0.1", bound) {
		t.Fatalf("port %d is bound but canBind says it is free", bound)
	}
	// A range of three ports where the host holds the middle one.
	p := newPortAllocator(30000, 30002, "127.0.0.1")
	p.bindable = func(_ string, port int) bool { return port != 30001 }
	got := map[int]bool{}
	for i := 0; i < 2; i++ {
		ports, err := p.allocate("a"+strconv.Itoa(i), []job.AllocPort{{Label: "http", To: 8080}}, nil)
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		port := ports[0].Value
		if port == 30001 || got[port] {
			t.Fatalf("port %d handed out (host holds 30001, allocations hold %v)", port, got)
		}
		if ports[0].To != 8080 || ports[0].HostIP != "127.0.0.1" {
			t.Fatalf("port %+v", ports[0])
		}
		got[port] = true
	}
	if _, err := p.allocate("c", []job.AllocPort{{Label: "x"}}, nil); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("full range: err %v, want ErrNoPorts", err)
	}
	p.release("a0")
	if _, err := p.allocate("c", []job.AllocPort{{Label: "x"}}, nil); err != nil {
		t.Fatalf("after release: %v", err)
	}
	// Static ports are given as asked, but never twice on one node.
	q := newPortAllocator(20000, 32000, "127.0.0.1")
	if ps, err := q.allocate("s1", []job.AllocPort{{Label: "dns", Static: 5353}}, nil); err != nil || ps[0].Value != 5353 {
		t.Fatalf("static: %v %v", ps, err)
	}
	if _, err := q.allocate("s2", []job.AllocPort{{Label: "dns", Static: 5353}, {Label: "http"}}, nil); err == nil {
		t.Fatal("static port given to two allocations")
	}
	if len(q.used) != 1 {
		t.Fatalf("a failed allocation kept ports: %v", q.used)
	}
}

func TestDecideRestart(t *testing.T) {
	t0 := time.Unix(1000, 0)
	fail := &job.Restart{Attempts: 2, Interval: time.Minute, Delay: time.Second, Mode: job.RestartFail}
	delay := &job.Restart{Attempts: 1, Interval: time.Minute, Delay: time.Second, Mode: job.RestartDelay}
	var tr restartTracker
	var d restartDecision
	tr, d = decideRestart(fail, tr, job.TypeService, false, t0)
	if !d.Restart || d.Delay != time.Second {
		t.Fatalf("first failure: %+v", d)
	}
	tr, d = decideRestart(fail, tr, job.TypeService, true, t0.Add(time.Second))
	if !d.Restart {
		t.Fatalf("a service task that exits 0 is restarted too: %+v", d)
	}
	_, d = decideRestart(fail, tr, job.TypeService, false, t0.Add(2*time.Second))
	if d.Restart || !d.Failed {
		t.Fatalf("third exit in the interval: %+v", d)
	}
	// After the interval the count starts again.
	_, d = decideRestart(fail, tr, job.TypeService, false, t0.Add(2*time.Minute))
	if !d.Restart {
		t.Fatalf("exit after the interval: %+v", d)
	}
	// Mode delay waits for the interval's end instead of failing.
	tr = restartTracker{}
	tr, _ = decideRestart(delay, tr, job.TypeService, false, t0)
	_, d = decideRestart(delay, tr, job.TypeService, false, t0.Add(10*time.Second))
	if !d.Restart || d.Failed || d.Delay != 50*time.Second {
		t.Fatalf("mode delay: %+v", d)
	}
	// A batch task that succeeds is done.
	_, d = decideRestart(fail, restartTracker{}, job.TypeBatch, true, t0)
	if d.Restart || d.Failed {
		t.Fatalf("batch success: %+v", d)
	}
}

func TestDecideHealth(t *testing.T) {
	t0 := time.Unix(1000, 0)
	base := healthInput{Mode: job.HealthChecks, MinHealthy: 10 * time.Second, Deadline: time.Minute, Started: t0}
	tests := []struct {
		name             string
		in               healthInput
		now              time.Time
		decided, healthy bool
		recheck          time.Time
	}{
		{"not running", base, t0.Add(time.Second), false, false, t0.Add(time.Minute)},
		{"running, no checks, too soon", with(base, func(i *healthInput) { i.RunningSince = t0 }), t0.Add(5 * time.Second), false, false, t0.Add(10 * time.Second)},
		{"running, no checks, long enough", with(base, func(i *healthInput) { i.RunningSince = t0 }), t0.Add(10 * time.Second), true, true, time.Time{}},
		{"checks not passing", with(base, func(i *healthInput) { i.RunningSince, i.HasChecks = t0, true }), t0.Add(20 * time.Second), false, false, t0.Add(time.Minute)},
		{"checks passing since later", with(base, func(i *healthInput) { i.RunningSince, i.HasChecks, i.PassingSince = t0, true, t0.Add(5*time.Second) }), t0.Add(12 * time.Second), false, false, t0.Add(15 * time.Second)},
		{"checks passing long enough", with(base, func(i *healthInput) { i.RunningSince, i.HasChecks, i.PassingSince = t0, true, t0.Add(5*time.Second) }), t0.Add(15 * time.Second), true, true, time.Time{}},
		{"task_states ignores checks", with(base, func(i *healthInput) { i.Mode, i.RunningSince, i.HasChecks = job.HealthTaskStates, t0, true }), t0.Add(10 * time.Second), true, true, time.Time{}},
		{"restarted", with(base, func(i *healthInput) { i.Unhealthy = true }), t0, true, false, time.Time{}},
		{"deadline passed", base, t0.Add(time.Minute), true, false, time.Time{}},
		{"manual never decides", with(base, func(i *healthInput) { i.Mode, i.RunningSince = job.HealthManual, t0 }), t0.Add(time.Hour), false, false, time.Time{}},
	}
	for _, tt := range tests {
		d, h, r := decideHealth(tt.in, tt.now)
		if d != tt.decided || h != tt.healthy || !r.Equal(tt.recheck) {
			t.Errorf("%s: decided %v healthy %v recheck %v, want %v %v %v", tt.name, d, h, r, tt.decided, tt.healthy, tt.recheck)
		}
	}
}

func with(in healthInput, fn func(*healthInput)) healthInput { fn(&in); return in }

// NOMAD_PORT_<label> is the "to" port when one is set, else the host
// port; NOMAD_ADDR_<label> is always the host address.
func TestEnvPortMeanings(t *testing.T) {
	j := &job.Job{ID: "j", Name: "j", Meta: job.Meta{Values: map[string]string{"team": "a", "tier.x": "job"}}}
	g := &job.Group{Name: "g", Meta: job.Meta{Values: map[string]string{"tier.x": "group"}}}
	task := &job.Task{Name: "t", Env: job.Env{Values: map[string]string{
		"UPSTREAM": "${NOMAD_IP_db}:${NOMAD_HOST_PORT_db}", "ZONE": "${meta.zone}", "IP": "${attr.unique.network.ip-address}",
		"KEEP": "${unknown.thing}"}}}
	env := buildEnv(envInput{
		Alloc: &job.Allocation{ID: "0123456789", Index: 2, Namespace: "default"}, Job: j, Group: g, Task: task,
		Ports: []job.AllocatedPort{{Label: "http", Value: 23456, To: 8080, HostIP: "10.1.1.1"}, {Label: "db", Value: 24000, HostIP: "10.1.1.1"}},
		Res:   job.AllocResources{CPU: 250, MemoryMB: 128, MemoryMaxMB: 256},
		Node:  &nodeFacts{Name: "n1", Meta: map[string]string{"zone": "z1"}, Attributes: map[string]string{"unique.network.ip-address": "10.1.1.1"}},
		Host:  []string{"PATH=/bin", "VAULT_TOKEN=secret", "NOMAD_ADDR=http://x"},
	})
	want := map[string]string{
		"NOMAD_PORT_http": "8080", "NOMAD_HOST_PORT_http": "23456", "NOMAD_ADDR_http": "10.1.1.1:23456",
		"NOMAD_IP_http": "10.1.1.1", "NOMAD_PORT_db": "24000", "ORBIT_PORT_http": "8080",
		"NOMAD_ALLOC_INDEX": "2", "NOMAD_SHORT_ALLOC_ID": "01234567", "NOMAD_CPU_LIMIT": "250",
		"NOMAD_MEMORY_LIMIT": "128", "NOMAD_MEMORY_MAX_LIMIT": "256", "NOMAD_META_team": "a",
		"NOMAD_META_tier_x": "group", "NOMAD_META_TIER_X": "group", "UPSTREAM": "10.1.1.1:24000",
		"ZONE": "z1", "IP": "10.1.1.1", "KEEP": "${unknown.thing}", "PATH": "/bin",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"VAULT_TOKEN", "NOMAD_ADDR"} {
		if _, ok := env[k]; ok {
			t.Errorf("agent variable %s passed to the task", k)
		}
	}
	conf := interpolateAny(map[string]any{"args": []any{"-port", "${NOMAD_PORT_http}"}, "n": int64(3)}, env, nil).(map[string]any)
	if conf["args"].([]any)[1] != "8080" || conf["n"] != int64(3) {
		t.Errorf("config interpolation %v", conf)
	}
}

func TestLogRotationAndReader(t *testing.T) {
	dir := t.TempDir()
	rot, err := newRotator(dir, "web.stdout", 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for i := 0; i < 10; i++ {
		line := strings.Repeat(strconv.Itoa(i), 4) + "\n" // 5 bytes
		all.WriteString(line)
		rot.Write([]byte(line))
	}
	rot.Close()
	idx := logIndexes(dir, "web.stdout")
	if len(idx) != 3 || idx[0] != 2 || idx[2] != 4 {
		t.Fatalf("files %v, want indexes 2..4 (3 kept of 5)", idx)
	}
	for _, i := range idx {
		if st, _ := os.Stat(filepath.Join(dir, "web.stdout."+strconv.Itoa(i))); st.Size() > 10 {
			t.Fatalf("file %d is %d bytes, over the 10-byte limit", i, st.Size())
		}
	}
	kept := all.String()[20:] // the oldest 2 files (20 bytes) were deleted
	r, err := openLogReader(context.Background(), dir, "web.stdout", 0, "start", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != kept {
		t.Fatalf("read %q, want %q", b, kept)
	}
	r, _ = openLogReader(context.Background(), dir, "web.stdout", 7, "end", false, nil)
	b, _ = io.ReadAll(r)
	r.Close()
	if string(b) != kept[len(kept)-7:] {
		t.Fatalf("tail read %q, want %q", b, kept[len(kept)-7:])
	}

	// Following: new output, even in a new file, is returned until the
	// task is dead.
	var dead atomic.Bool
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, _ = openLogReader(ctx, dir, "web.stdout", 0, "end", true, dead.Load)
	rot, _ = newRotator(dir, "web.stdout", 3, 10)
	go func() {
		time.Sleep(150 * time.Millisecond)
		rot.Write([]byte("later-output\n"))
		rot.Close()
		time.Sleep(150 * time.Millisecond)
		dead.Store(true)
	}()
	b, _ = io.ReadAll(r)
	if string(b) != "later-output\n" {
		t.Fatalf("followed %q", b)
	}
}
