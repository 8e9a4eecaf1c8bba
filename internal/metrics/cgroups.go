package metrics

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/metrics/procfs"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// Task is one task running on this node, as the client knows it: where
// its processes are (PID) or its container (ContainerID).
type Task struct {
	AllocID, Job, Group, Task string
	Driver                    string
	PID                       int
	ContainerID               string
}

// TaskLister lists the node's running tasks (the client; nil without the
// client role).
type TaskLister interface {
	RunningTasks() []Task
}

// cgroupStats is one task's cgroup accounting, from v1 or v2 files.
type cgroupStats struct {
	userUS, systemUS            uint64 // CPU time in microseconds
	periods, throttled          uint64 // CFS periods and throttled ones
	throttledUS                 uint64
	rss, cache, limit           uint64 // bytes; limit 0: none
	failcnt, oomKills           uint64
	readBytes, writeBytes       uint64
	reads, writes               uint64
	pids                        uint64
	hasCPU, hasMem, hasIO, hasP bool
	pid                         string // one of its processes, for its network namespace
}

// cgroupCollector charts every running task's cgroup.
type cgroupCollector struct {
	root  string
	tasks TaskLister
}

func (c *cgroupCollector) path(p ...string) string {
	return filepath.Join(append([]string{c.root}, p...)...)
}

func (c *cgroupCollector) read(p ...string) ([]byte, error) { return os.ReadFile(c.path(p...)) }

// unlimited is what cgroup v1 reports for no memory limit (a page-rounded
// max int64).
const unlimited = 1 << 62

func (c *cgroupCollector) collect(emit emitFunc) error {
	if c.tasks == nil {
		return nil
	}
	for i, t := range c.tasks.RunningTasks() {
		st, ok := c.stats(t)
		if !ok {
			continue
		}
		emitTask(emit, t, st, 10000+i*20)
		c.taskNet(emit, t, st.pid, 10010+i*20)
	}
	return nil
}

// taskNet charts a task's interfaces when it has its own network
// namespace (a container's), from /proc/PID/net/dev inside it.
func (c *cgroupCollector) taskNet(emit emitFunc, t Task, pid string, prio int) {
	if pid == "" {
		return
	}
	ns, err := os.Readlink(c.path("proc", pid, "ns", "net"))
	if err != nil {
		return
	}
	if self, err := os.Readlink(c.path("proc", "self", "ns", "net")); err != nil || self == ns {
		return // the node's own namespace: the node's charts show it
	}
	b, err := c.read("proc", pid, "net", "dev")
	if err != nil {
		return
	}
	devs, err := procfs.ParseNetDev(b)
	if err != nil {
		return
	}
	name := "cgroup_" + taskName(t)
	labels := taskLabels(t)
	for j, d := range devs {
		if d.Name == "lo" {
			continue
		}
		bw := counter(name+".net_"+d.Name, taskName(t), "Bandwidth", "kilobits/s", prio+2*j, "received", "sent")
		bw.Context, bw.ChartType, bw.Labels = "cgroup.net_net", "area", labels
		bw.Dims[0].Multiplier, bw.Dims[0].Divisor = 8, 1000
		bw.Dims[1].Multiplier, bw.Dims[1].Divisor = -8, 1000
		emit(bw, []float64{float64(d.RxBytes), float64(d.TxBytes)})
		pk := counter(name+".net_packets_"+d.Name, taskName(t), "Packets", "pps", prio+2*j+1, "received", "sent")
		pk.Context, pk.Labels = "cgroup.net_packets", labels
		pk.Dims[1].Multiplier = -1
		emit(pk, []float64{float64(d.RxPackets), float64(d.TxPackets)})
	}
}

func taskLabels(t Task) map[string]string {
	return map[string]string{"job": t.Job, "group": t.Group, "task": t.Task, "alloc_id": t.AllocID, "driver": t.Driver}
}

// stats finds a task's cgroups from its process (/proc/PID/cgroup) or its
// container id and reads them; ok is false when none is found.
func (c *cgroupCollector) stats(t Task) (cgroupStats, bool) {
	paths := map[string]string{}
	if t.PID > 0 {
		b, err := c.read("proc", strconv.Itoa(t.PID), "cgroup")
		if err != nil {
			return cgroupStats{}, false
		}
		paths = procfs.ParseProcCgroup(b)
	} else if t.ContainerID != "" {
		paths = c.containerPaths(t.ContainerID)
	}
	if v2 := paths[""]; v2 != "" && v2 != "/" && c.isV2() {
		st := c.statsV2(c.path("sys/fs/cgroup", v2))
		st.pid = firstPID(t, st.pid)
		return st, true
	}
	st := c.statsV1(paths)
	st.pid = firstPID(t, st.pid)
	return st, st.hasMem || st.hasCPU
}

func (c *cgroupCollector) isV2() bool {
	_, err := os.Stat(c.path("sys/fs/cgroup/cgroup.controllers"))
	return err == nil
}

// firstPID is the task's own process, else one found in its cgroup.
func firstPID(t Task, found string) string {
	if t.PID > 0 {
		return strconv.Itoa(t.PID)
	}
	return found
}

// onePID is the first process listed in a cgroup.procs file.
func onePID(procs []byte) string {
	f := strings.Fields(string(procs))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// containerPaths finds a container's cgroups under the usual layouts:
// cgroupfs (docker/ID) and systemd (system.slice/docker-ID.scope).
func (c *cgroupCollector) containerPaths(id string) map[string]string {
	m := map[string]string{}
	for _, p := range []string{"/docker/" + id, "/system.slice/docker-" + id + ".scope"} {
		if c.isV2() {
			if _, err := os.Stat(c.path("sys/fs/cgroup", p)); err == nil {
				m[""] = p
				return m
			}
			continue
		}
		for _, ctrl := range []string{"cpu", "cpuacct", "memory", "blkio", "pids"} {
			if _, err := os.Stat(c.path("sys/fs/cgroup", ctrl, p)); err == nil {
				m[ctrl] = p
			}
		}
	}
	return m
}

func (c *cgroupCollector) statsV2(dir string) cgroupStats {
	var st cgroupStats
	rd := func(f string) []byte { b, _ := os.ReadFile(filepath.Join(dir, f)); return b }
	if b := rd("cpu.stat"); b != nil {
		kv := procfs.ParseKeyValues(b)
		st.userUS, st.systemUS, st.hasCPU = kv["user_usec"], kv["system_usec"], true
		st.periods, st.throttled, st.throttledUS = kv["nr_periods"], kv["nr_throttled"], kv["throttled_usec"]
	}
	if b := rd("memory.stat"); b != nil {
		kv := procfs.ParseKeyValues(b)
		st.rss, st.cache, st.hasMem = kv["anon"], kv["file"], true
		st.limit, _ = procfs.ParseUint(rd("memory.max"))
		ev := procfs.ParseKeyValues(rd("memory.events"))
		st.failcnt, st.oomKills = ev["max"], ev["oom_kill"]
	}
	if b := rd("io.stat"); b != nil {
		io := procfs.ParseIOStat(b)
		st.readBytes, st.writeBytes, st.reads, st.writes, st.hasIO = io.ReadBytes, io.WriteBytes, io.Reads, io.Writes, true
	}
	if n, err := procfs.ParseUint(rd("pids.current")); err == nil {
		st.pids, st.hasP = n, true
	}
	st.pid = onePID(rd("cgroup.procs"))
	return st
}

// statsV1 reads each v1 controller the task has its own cgroup in (one
// at the root would be the whole machine's). Without its own cpuacct
// group (orbit's exec driver uses cpu and memory only) CPU time is the
// sum over the processes of its memory group.
func (c *cgroupCollector) statsV1(paths map[string]string) cgroupStats {
	var st cgroupStats
	own := func(ctrl string) (string, bool) {
		p, ok := paths[ctrl]
		return c.path("sys/fs/cgroup", ctrl, p), ok && p != "/" && p != ""
	}
	rd := func(dir, f string) []byte { b, _ := os.ReadFile(filepath.Join(dir, f)); return b }
	if dir, ok := own("memory"); ok {
		st.pid = onePID(rd(dir, "cgroup.procs"))
		if b := rd(dir, "memory.stat"); b != nil {
			kv := procfs.ParseKeyValues(b)
			st.rss, st.cache, st.hasMem = kv["total_rss"], kv["total_cache"], true
			st.limit, _ = procfs.ParseUint(rd(dir, "memory.limit_in_bytes"))
			if st.limit >= unlimited {
				st.limit = 0
			}
			st.failcnt, _ = procfs.ParseUint(rd(dir, "memory.failcnt"))
			st.oomKills = procfs.ParseKeyValues(rd(dir, "memory.oom_control"))["oom_kill"]
		}
	}
	if dir, ok := own("cpuacct"); ok {
		if b := rd(dir, "cpuacct.stat"); b != nil {
			kv := procfs.ParseKeyValues(b)
			st.userUS, st.systemUS, st.hasCPU = kv["user"]*10000, kv["system"]*10000, true // USER_HZ 100
		}
	} else if dir, ok := own("memory"); ok {
		st.userUS, st.systemUS, st.hasCPU = c.procTimes(rd(dir, "cgroup.procs"))
	}
	if dir, ok := own("cpu"); ok {
		kv := procfs.ParseKeyValues(rd(dir, "cpu.stat"))
		st.periods, st.throttled, st.throttledUS = kv["nr_periods"], kv["nr_throttled"], kv["throttled_time"]/1000
	}
	if dir, ok := own("blkio"); ok {
		st.readBytes, st.writeBytes = procfs.ParseBlkio(rd(dir, "blkio.throttle.io_service_bytes"))
		st.reads, st.writes = procfs.ParseBlkio(rd(dir, "blkio.throttle.io_serviced"))
		st.hasIO = true
	}
	if dir, ok := own("pids"); ok {
		if n, err := procfs.ParseUint(rd(dir, "pids.current")); err == nil {
			st.pids, st.hasP = n, true
		}
	} else if dir, ok := own("memory"); ok {
		st.pids, st.hasP = uint64(len(strings.Fields(string(rd(dir, "cgroup.procs"))))), true
	}
	return st
}

// procTimes sums user and system time (µs) of the listed processes.
func (c *cgroupCollector) procTimes(procs []byte) (user, system uint64, ok bool) {
	for _, pid := range strings.Fields(string(procs)) {
		b, err := c.read("proc", pid, "stat")
		if err != nil {
			continue
		}
		ps, err := procfs.ParseProcStat(b)
		if err != nil {
			continue
		}
		user, system, ok = user+ps.UTime*10000, system+ps.STime*10000, true
	}
	return user, system, ok
}

// taskName names a task's charts: job_group_task_alloc (the allocation's
// first 8 characters), as Netdata names a container's cgroup_NAME charts.
func taskName(t Task) string {
	short := t.AllocID
	if len(short) > 8 {
		short = short[:8]
	}
	return promName(fmt.Sprintf("%s_%s_%s_%s", t.Job, t.Group, t.Task, short))
}

func emitTask(emit emitFunc, t Task, st cgroupStats, prio int) {
	name := "cgroup_" + taskName(t)
	labels := taskLabels(t)
	chart := func(suffix, title, units, typ string, enc tsdb.Encoding, p int, dims ...string) tsdb.Chart {
		c := chartOf(name+"."+suffix, taskName(t), title, units, prio+p, enc, dims...)
		c.Context, c.ChartType, c.Labels = "cgroup."+suffix, typ, labels
		return c
	}
	if st.hasCPU {
		c := chart("cpu", "CPU Usage (100% = 1 core)", "percentage", "stacked", tsdb.Counter, 0, "user", "system")
		for i := range c.Dims {
			c.Dims[i].Divisor = 10000 // µs per second → percent of a core
		}
		emit(c, []float64{float64(st.userUS), float64(st.systemUS)})
		th := chart("throttled", "CPU Throttled Periods", "periods/s", "line", tsdb.Counter, 1, "throttled", "periods")
		emit(th, []float64{float64(st.throttled), float64(st.periods)})
		td := chart("throttled_duration", "CPU Throttled Time", "ms", "line", tsdb.Counter, 2, "duration")
		td.Dims[0].Divisor = 1000
		emit(td, []float64{float64(st.throttledUS)})
	}
	if st.hasMem {
		m := chart("mem", "Memory Usage", "MiB", "stacked", tsdb.Gauge, 3, "rss", "cache")
		for i := range m.Dims {
			m.Dims[i].Divisor = 1 << 20
		}
		emit(m, []float64{float64(st.rss), float64(st.cache)})
		if st.limit > 0 {
			l := chart("mem_usage_limit", "Memory Limit", "MiB", "line", tsdb.Gauge, 4, "limit")
			l.Dims[0].Divisor = 1 << 20
			emit(l, []float64{float64(st.limit)})
		}
		emit(chart("mem_failcnt", "Memory Limit Failures", "count", "line", tsdb.Counter, 5, "failures"), []float64{float64(st.failcnt)})
		emit(chart("oom_kills", "OOM Kills", "kills", "line", tsdb.Gauge, 6, "oom_kill"), []float64{float64(st.oomKills)})
	}
	if st.hasIO {
		io := chart("io", "I/O Bandwidth (all disks)", "KiB/s", "area", tsdb.Counter, 7, "read", "write")
		io.Dims[0].Divisor, io.Dims[1].Divisor, io.Dims[1].Multiplier = 1024, 1024, -1
		emit(io, []float64{float64(st.readBytes), float64(st.writeBytes)})
		ops := chart("serviced_ops", "Serviced I/O Operations (all disks)", "operations/s", "line", tsdb.Counter, 8, "read", "write")
		ops.Dims[1].Multiplier = -1
		emit(ops, []float64{float64(st.reads), float64(st.writes)})
	}
	if st.hasP {
		emit(chart("pids_current", "Number of processes", "pids", "line", tsdb.Gauge, 9, "pids"), []float64{float64(st.pids)})
	}
}
