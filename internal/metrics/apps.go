package metrics

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/orbit/orbit/internal/metrics/procfs"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// maxTargets bounds the dimensions of each apps, users and groups chart;
// processes past it count in "other".
const maxTargets = 100

// procCounters are a process's (or a target's) cumulative counters.
type procCounters struct {
	utime, stime, minflt, majflt, rchar, wchar, rbytes, wbytes uint64
}

func (c *procCounters) add(o procCounters) {
	c.utime += o.utime
	c.stime += o.stime
	c.minflt += o.minflt
	c.majflt += o.majflt
	c.rchar += o.rchar
	c.wchar += o.wchar
	c.rbytes += o.rbytes
	c.wbytes += o.wbytes
}

// proc is a process seen at the last collection.
type proc struct {
	start   uint64 // tells a reused pid apart
	targets [3]int // its app, user and group
	last    procCounters
	fds     uint64 // open descriptors when last counted
}

// targetSum is one target's row: counters (those of its exited processes
// included, so they never go back) and gauges.
type targetSum struct {
	procCounters
	rssPages, vsize, threads, procs, fds uint64
}

// targets are the dimensions of one family of charts (apps by process
// name, users by uid, groups by gid), in the order first seen so a chart
// is redefined only when one is added.
type targets struct {
	kind  string // "apps", "users", "groups"
	names []string
	index map[string]int
	gone  []procCounters // counters of exited processes
	cur   []targetSum
}

func newTargets(kind string) *targets { return &targets{kind: kind, index: map[string]int{}} }

func (t *targets) of(name string) int {
	if i, ok := t.index[name]; ok {
		return i
	}
	if len(t.names) >= maxTargets-1 {
		name = "other"
		if i, ok := t.index[name]; ok {
			return i
		}
	}
	t.index[name] = len(t.names)
	t.names = append(t.names, name)
	t.gone = append(t.gone, procCounters{})
	t.cur = append(t.cur, targetSum{})
	return len(t.names) - 1
}

// appsCollector is Netdata's apps.plugin: CPU, memory, threads,
// processes, open descriptors, page faults and I/O of every process,
// summed per application (process name; kernel threads as "kernel"), per
// user and per group, from /proc/PID.
type appsCollector struct {
	root     string
	pageSize uint64
	procs    map[int]*proc
	sets     [3]*targets
	users    map[uint32]string // uid → name from etc/passwd
	groups   map[uint32]string // gid → name from etc/group
	buf      []byte            // a /proc file
	dents    []byte            // directory entries
	round    int               // collections so far: descriptors are counted every fdsEvery
}

// fdsEvery is how often (in collections) open descriptors are counted:
// walking every process's fd directory is the dearest part of a
// collection, and the count moves slowly.
const fdsEvery = 5

func newAppsCollector(root string) *appsCollector {
	return &appsCollector{root: root, pageSize: uint64(os.Getpagesize()), procs: map[int]*proc{},
		sets: [3]*targets{newTargets("apps"), newTargets("users"), newTargets("groups")},
		buf:  make([]byte, 4096), dents: make([]byte, 8192)}
}

// readInto reads a small /proc file into the collector's buffer with
// three system calls (os.Open would also try to register the file with
// the poller).
func (a *appsCollector) readInto(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	n, err := syscall.Read(fd, a.buf)
	if err != nil {
		return nil, err
	}
	return a.buf[:n], nil
}

// countFDs counts a process's open descriptors from its fd directory's
// entries, without making their names (0 when not allowed).
func (a *appsCollector) countFDs(dir string) uint64 {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer syscall.Close(fd)
	var n uint64
	for {
		m, err := syscall.Getdents(fd, a.dents)
		if err != nil || m <= 0 {
			break
		}
		// struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name.
		for off := 0; off+19 <= m; {
			reclen := int(a.dents[off+16]) | int(a.dents[off+17])<<8
			if reclen == 0 {
				break
			}
			if name := a.dents[off+19]; name != '.' {
				n++
			}
			off += reclen
		}
	}
	return n
}

func (a *appsCollector) collect(emit emitFunc) error {
	procDir := filepath.Join(a.root, "proc")
	d, err := os.Open(procDir)
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	if a.users == nil {
		a.users, a.groups = readIDNames(filepath.Join(a.root, "etc/passwd")), readIDNames(filepath.Join(a.root, "etc/group"))
	}
	for _, t := range a.sets {
		for i := range t.cur {
			t.cur[i] = targetSum{procCounters: t.gone[i]}
		}
	}
	seen := make(map[int]bool, len(names))
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		dir := filepath.Join(procDir, name)
		b, err := a.readInto(dir + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		st, err := procfs.ParseProcStat(b)
		if err != nil {
			continue
		}
		p := a.procs[pid]
		if p != nil && p.start != st.Start {
			a.exited(p)
			p = nil
		}
		fresh := p == nil
		if p == nil {
			p = &proc{start: st.Start}
			var fi syscall.Stat_t
			if syscall.Stat(dir, &fi) != nil {
				continue
			}
			app := st.Comm
			if pid == 2 || st.PPID == 2 {
				app = "kernel"
			}
			p.targets = [3]int{a.sets[0].of(app), a.sets[1].of(idName(a.users, fi.Uid)), a.sets[2].of(idName(a.groups, fi.Gid))}
			a.procs[pid] = p
		}
		seen[pid] = true
		c := procCounters{utime: st.UTime, stime: st.STime, minflt: st.MinFlt, majflt: st.MajFlt}
		if b, err := a.readInto(dir + "/io"); err == nil {
			io := procfs.ParseProcIO(b)
			c.rchar, c.wchar, c.rbytes, c.wbytes = io.RChar, io.WChar, io.ReadBytes, io.WriteBytes
		} else {
			// Not allowed to read it: keep what was last known so the
			// sums do not go back.
			c.rchar, c.wchar, c.rbytes, c.wbytes = p.last.rchar, p.last.wchar, p.last.rbytes, p.last.wbytes
		}
		p.last = c
		if fresh || a.round%fdsEvery == 0 {
			p.fds = a.countFDs(dir + "/fd")
		}
		fds := p.fds
		for k, t := range a.sets {
			s := &t.cur[p.targets[k]]
			s.add(c)
			s.rssPages += st.RSSPages
			s.vsize += st.VSize
			s.threads += st.Threads
			s.procs++
			s.fds += fds
		}
	}
	for pid, p := range a.procs {
		if !seen[pid] {
			a.exited(p)
			delete(a.procs, pid)
		}
	}
	for i, t := range a.sets {
		a.emit(emit, t, 140000+i*1000)
	}
	a.round++
	return nil
}

// exited keeps a gone process's counters in its targets' sums.
func (a *appsCollector) exited(p *proc) {
	for k, t := range a.sets {
		t.gone[p.targets[k]].add(p.last)
	}
}

// appsChart is one chart of a family, its dimensions the targets.
type appsChart struct {
	name, title, units, chartType string
	enc                           tsdb.Encoding
	mul, div                      int64
	value                         func(s *targetSum) uint64
}

var appsCharts = []appsChart{
	{"cpu", "CPU Time (100% = 1 core)", "percentage", "stacked", tsdb.Counter, 100, 100, func(s *targetSum) uint64 { return s.utime + s.stime }},
	{"cpu_user", "CPU User Time (100% = 1 core)", "percentage", "stacked", tsdb.Counter, 100, 100, func(s *targetSum) uint64 { return s.utime }},
	{"cpu_system", "CPU System Time (100% = 1 core)", "percentage", "stacked", tsdb.Counter, 100, 100, func(s *targetSum) uint64 { return s.stime }},
	{"mem", "Real Memory (resident)", "MiB", "stacked", tsdb.Gauge, 0, 0, func(s *targetSum) uint64 { return s.rssPages }},
	{"vmem", "Virtual Memory Size", "MiB", "stacked", tsdb.Gauge, 1, 1 << 20, func(s *targetSum) uint64 { return s.vsize }},
	{"threads", "Threads", "threads", "stacked", tsdb.Gauge, 1, 1, func(s *targetSum) uint64 { return s.threads }},
	{"processes", "Processes", "processes", "stacked", tsdb.Gauge, 1, 1, func(s *targetSum) uint64 { return s.procs }},
	{"fds", "Open File Descriptors", "fds", "stacked", tsdb.Gauge, 1, 1, func(s *targetSum) uint64 { return s.fds }},
	{"minor_faults", "Minor Page Faults", "page faults/s", "stacked", tsdb.Counter, 1, 1, func(s *targetSum) uint64 { return s.minflt }},
	{"major_faults", "Major Page Faults (swap read)", "page faults/s", "stacked", tsdb.Counter, 1, 1, func(s *targetSum) uint64 { return s.majflt }},
	{"lreads", "Disk Logical Reads", "KiB/s", "stacked", tsdb.Counter, 1, 1024, func(s *targetSum) uint64 { return s.rchar }},
	{"lwrites", "Disk Logical Writes", "KiB/s", "stacked", tsdb.Counter, 1, 1024, func(s *targetSum) uint64 { return s.wchar }},
	{"preads", "Disk Reads", "KiB/s", "stacked", tsdb.Counter, 1, 1024, func(s *targetSum) uint64 { return s.rbytes }},
	{"pwrites", "Disk Writes", "KiB/s", "stacked", tsdb.Counter, 1, 1024, func(s *targetSum) uint64 { return s.wbytes }},
}

func (a *appsCollector) emit(emit emitFunc, t *targets, prio int) {
	if len(t.names) == 0 {
		return
	}
	for i, ac := range appsCharts {
		c := tsdb.Chart{ID: t.kind + "." + ac.name, Family: ac.name, Context: t.kind + "." + ac.name,
			Title: kindTitle(t.kind) + " " + ac.title, Units: ac.units, ChartType: ac.chartType, Priority: prio + i}
		mul, div := ac.mul, ac.div
		if ac.name == "mem" {
			mul, div = int64(a.pageSize), 1<<20
		}
		c.Dims = make([]tsdb.Dim, len(t.names))
		vals := make([]float64, len(t.names))
		for j, n := range t.names {
			c.Dims[j] = tsdb.Dim{ID: n, Enc: ac.enc, Multiplier: mul, Divisor: div}
			vals[j] = float64(ac.value(&t.cur[j]))
		}
		emit(c, vals)
	}
}

func kindTitle(kind string) string {
	switch kind {
	case "users":
		return "Users"
	case "groups":
		return "User Groups"
	}
	return "Apps"
}

// readIDNames reads name:x:id:... lines (etc/passwd, etc/group).
func readIDNames(path string) map[uint32]string {
	m := map[uint32]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.SplitN(sc.Bytes(), []byte(":"), 4)
		if len(f) < 3 {
			continue
		}
		if id, err := strconv.ParseUint(string(f[2]), 10, 32); err == nil {
			if _, dup := m[uint32(id)]; !dup {
				m[uint32(id)] = string(f[0])
			}
		}
	}
	return m
}

func idName(m map[uint32]string, id uint32) string {
	if n, ok := m[id]; ok {
		return n
	}
	return strconv.FormatUint(uint64(id), 10)
}
