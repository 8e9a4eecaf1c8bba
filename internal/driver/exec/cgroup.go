package exec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orbit/orbit/internal/driver"
)

// cgroups is the node's cgroup layout: a cgroup v2 hierarchy with the cpu
// and memory controllers, or else cgroup v1's cpu and memory hierarchies.
type cgroups struct {
	v2     string // v2 mount with cpu and memory; "" on v1
	cpu    string // v1 cpu hierarchy
	memory string // v1 memory hierarchy
	parent string // orbit's cgroup below each root
}

// detectCgroups finds a usable layout under root (normally /sys/fs/cgroup)
// and makes orbit's parent cgroup; the error says why exec cannot work.
func detectCgroups(root, parent string) (*cgroups, error) {
	for _, dir := range []string{root, filepath.Join(root, "unified")} {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
		if err != nil {
			continue
		}
		ctrls := strings.Fields(string(b))
		if has(ctrls, "cpu") && has(ctrls, "memory") {
			c := &cgroups{v2: dir, parent: parent}
			return c, c.setupV2()
		}
	}
	cpu, mem := filepath.Join(root, "cpu"), filepath.Join(root, "memory")
	if exists(filepath.Join(cpu, "cpu.shares")) && exists(filepath.Join(mem, "memory.limit_in_bytes")) {
		c := &cgroups{cpu: cpu, memory: mem, parent: parent}
		for _, d := range []string{cpu, mem} {
			if err := os.MkdirAll(filepath.Join(d, parent), 0o755); err != nil {
				return nil, fmt.Errorf("cgroup v1 at %s is not writable: %w", d, err)
			}
		}
		return c, nil
	}
	return nil, fmt.Errorf("no cgroup v2 hierarchy with the cpu and memory controllers and no cgroup v1 cpu and memory hierarchies under %s", root)
}

// setupV2 makes the parent cgroup and delegates cpu and memory to it.
func (c *cgroups) setupV2() error {
	p := filepath.Join(c.v2, c.parent)
	if err := os.MkdirAll(p, 0o755); err != nil {
		return fmt.Errorf("cgroup v2 at %s is not writable: %w", c.v2, err)
	}
	for _, d := range []string{c.v2, p} {
		if err := os.WriteFile(filepath.Join(d, "cgroup.subtree_control"), []byte("+cpu +memory"), 0); err != nil {
			return fmt.Errorf("enable cpu and memory controllers in %s: %w", d, err)
		}
	}
	return nil
}

func (c *cgroups) version() string {
	if c.v2 != "" {
		return "v2"
	}
	return "v1"
}

// group is one task's cgroup.
type group struct {
	c    *cgroups
	name string
}

func (c *cgroups) group(name string) *group { return &group{c: c, name: name} }

// dirs are the group's directories: one on v2, cpu and memory on v1.
func (g *group) dirs() []string {
	if g.c.v2 != "" {
		return []string{filepath.Join(g.c.v2, g.c.parent, g.name)}
	}
	return []string{filepath.Join(g.c.cpu, g.c.parent, g.name), filepath.Join(g.c.memory, g.c.parent, g.name)}
}

func (g *group) memDir() string { return g.dirs()[len(g.dirs())-1] }

// limits are the files a task's resources write.
type limits struct {
	shares   int   // cpu shares (MHz); weight on v2 is derived from it
	quotaUS  int64 // cpu quota per 100ms period; 0: no hard limit
	memBytes int64 // hard memory limit; 0: none
	lowBytes int64 // soft limit when a memory_max above memory is set
}

const cpuPeriodUS = 100000

func limitsOf(r driver.Resources, hard bool, totalMHz, cores int) limits {
	l := limits{shares: max(r.CPUMHz, 2)}
	if hard && r.CPUMHz > 0 && totalMHz > 0 {
		l.quotaUS = int64(r.CPUMHz) * int64(cores) * cpuPeriodUS / int64(totalMHz)
		l.quotaUS = max(l.quotaUS, 1000)
	}
	mem := r.MemoryMB
	if r.MemoryMaxMB > mem {
		mem = r.MemoryMaxMB
		l.lowBytes = int64(r.MemoryMB) << 20
	}
	l.memBytes = int64(mem) << 20
	return l
}

// sharesToWeight maps cgroup v1 cpu shares [2, 262144] to cgroup v2
// cpu.weight [1, 10000], as runc and crun do.
func sharesToWeight(shares int) int {
	shares = min(max(shares, 2), 262144)
	return 1 + ((shares-2)*9999)/262142
}

// create makes the group's directories and writes its limits.
func (g *group) create(l limits) error {
	for _, d := range g.dirs() {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", d, err)
		}
	}
	var files [][2]string
	if g.c.v2 != "" {
		files = append(files, [2]string{"cpu.weight", strconv.Itoa(sharesToWeight(l.shares))})
		if l.quotaUS > 0 {
			files = append(files, [2]string{"cpu.max", fmt.Sprintf("%d %d", l.quotaUS, cpuPeriodUS)})
		}
		if l.memBytes > 0 {
			files = append(files, [2]string{"memory.max", strconv.FormatInt(l.memBytes, 10)}, [2]string{"memory.swap.max", "0"})
		}
		if l.lowBytes > 0 {
			files = append(files, [2]string{"memory.low", strconv.FormatInt(l.lowBytes, 10)})
		}
		return writeAll(g.dirs()[0], files)
	}
	cpu := [][2]string{{"cpu.shares", strconv.Itoa(l.shares)}}
	if l.quotaUS > 0 {
		cpu = append(cpu, [2]string{"cpu.cfs_period_us", strconv.Itoa(cpuPeriodUS)}, [2]string{"cpu.cfs_quota_us", strconv.FormatInt(l.quotaUS, 10)})
	}
	if err := writeAll(g.dirs()[0], cpu); err != nil {
		return err
	}
	if l.memBytes > 0 {
		files = append(files, [2]string{"memory.limit_in_bytes", strconv.FormatInt(l.memBytes, 10)},
			[2]string{"memory.memsw.limit_in_bytes", strconv.FormatInt(l.memBytes, 10)})
	}
	if l.lowBytes > 0 {
		files = append(files, [2]string{"memory.soft_limit_in_bytes", strconv.FormatInt(l.lowBytes, 10)})
	}
	return writeAll(g.dirs()[1], files)
}

func writeAll(dir string, files [][2]string) error {
	for _, f := range files {
		p := filepath.Join(dir, f[0])
		if err := os.WriteFile(p, []byte(f[1]), 0); err != nil {
			if f[0] == "memory.swap.max" || f[0] == "memory.memsw.limit_in_bytes" {
				if errors.Is(err, os.ErrNotExist) {
					continue // no swap accounting on this kernel
				}
			}
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// oomKilled reports whether the kernel's OOM killer killed a process of
// the group (memory.events on v2, memory.oom_control on v1).
func (g *group) oomKilled() bool {
	file := "memory.oom_control"
	if g.c.v2 != "" {
		file = "memory.events"
	}
	b, err := os.ReadFile(filepath.Join(g.memDir(), file))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n > 0
		}
	}
	return false
}

// pids lists the processes in the group.
func (g *group) pids() []int {
	b, err := os.ReadFile(filepath.Join(g.memDir(), "cgroup.procs"))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// killAll SIGKILLs every process in the group, also those that left the
// task's process group.
func (g *group) killAll() {
	if g.c.v2 != "" {
		if err := os.WriteFile(filepath.Join(g.dirs()[0], "cgroup.kill"), []byte("1"), 0); err == nil {
			return
		}
	}
	for range 10 {
		pids := g.pids()
		if len(pids) == 0 {
			return
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// destroy kills what is left and removes the group's directories.
func (g *group) destroy() error {
	g.killAll()
	var last error
	for _, d := range g.dirs() {
		for range 100 {
			last = os.Remove(d)
			if last == nil || errors.Is(last, os.ErrNotExist) {
				last = nil
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if last != nil {
			return fmt.Errorf("remove cgroup %s: %w", d, last)
		}
	}
	return nil
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
