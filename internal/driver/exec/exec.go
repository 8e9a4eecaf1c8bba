// Package exec is the exec driver: it runs a task's command as a process
// in its own cgroup with the cpu and memory limits of the task's
// resources (cgroup v2 cpu.weight, cpu.max and memory.max; on a node with
// only cgroup v1 hierarchies, cpu.shares, cpu.cfs_quota_us and
// memory.limit_in_bytes), and reports a task the kernel killed for
// exceeding its memory limit as OOM killed. Stopping kills the whole
// cgroup after the kill timeout, so no process of the task survives it.
//
// It is not a filesystem sandbox: the task sees the node's filesystem (no
// chroot), unlike Nomad's exec. The client and the agent import it.
package exec

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/orbit/orbit/internal/driver"
)

// Name is the driver's name in job files.
const Name = "exec"

// Options configures the driver; the zero value uses /sys/fs/cgroup and
// the parent cgroup "orbit".
type Options struct {
	CgroupRoot string
	Parent     string
}

// Config is the task's driver block.
type Config struct {
	Command string   `json:"command"`
	Args    []string `json:"args"`
	// CPUHardLimit caps the task at its cpu MHz share of the node (cpu.max)
	// instead of only weighting it.
	CPUHardLimit bool `json:"cpu_hard_limit"`
}

// Driver is the exec driver.
type Driver struct {
	opts Options

	mu sync.Mutex // guards cg and err
	cg *cgroups
}

var _ driver.Driver = (*Driver)(nil)

// New returns the driver.
func New(opts Options) *Driver {
	if opts.CgroupRoot == "" {
		opts.CgroupRoot = "/sys/fs/cgroup"
	}
	if opts.Parent == "" {
		opts.Parent = "orbit"
	}
	return &Driver{opts: opts}
}

// Name implements driver.Driver.
func (*Driver) Name() string { return Name }

func (d *Driver) cgroups() (*cgroups, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cg != nil {
		return d.cg, nil
	}
	cg, err := detectCgroups(d.opts.CgroupRoot, d.opts.Parent)
	if err != nil {
		return nil, err
	}
	d.cg = cg
	return cg, nil
}

// Fingerprint implements driver.Driver: exec works where orbit can make
// cgroups with the cpu and memory controllers.
func (d *Driver) Fingerprint(context.Context) driver.Fingerprint {
	cg, err := d.cgroups()
	if err != nil {
		return driver.Fingerprint{Driver: Name, Reason: err.Error()}
	}
	return driver.Fingerprint{Driver: Name, Detected: true, Healthy: true,
		Attributes: map[string]string{"driver.exec": "1", "driver.exec.cgroup": cg.version()}}
}

// Start implements driver.Driver.
func (d *Driver) Start(_ context.Context, cfg *driver.TaskConfig) (driver.Task, error) {
	var c Config
	if err := driver.DecodeConfig(Name, cfg.Config, &c); err != nil {
		return nil, err
	}
	path, err := driver.ResolveCommand(c.Command, cfg.TaskDir, cfg.Env)
	if err != nil {
		return nil, err
	}
	cg, err := d.cgroups()
	if err != nil {
		return nil, fmt.Errorf("exec driver: %w", err)
	}
	g := cg.group(cgroupName(cfg.ID))
	total, cores, _ := driver.HostCPU()
	if err := g.create(limitsOf(cfg.Resources, c.CPUHardLimit, total, cores)); err != nil {
		_ = g.destroy()
		return nil, err
	}
	spec := driver.ProcessSpec{Path: path, Args: c.Args, Env: driver.EnvList(cfg.Env), Dir: cfg.TaskDir,
		User: cfg.User, StdoutPath: cfg.StdoutPath, StderrPath: cfg.StderrPath}
	var dirFD int
	if cg.v2 != "" {
		// clone3 puts the child in the cgroup before it runs a single
		// instruction of the task.
		if dirFD, err = unix.Open(g.dirs()[0], unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
			_ = g.destroy()
			return nil, fmt.Errorf("open cgroup: %w", err)
		}
		defer unix.Close(dirFD)
		spec.CgroupFD = dirFD
	} else {
		// v1 has no clone-into-cgroup: a shell joins both hierarchies and
		// then becomes the task with exec, keeping its pid.
		spec.Args = append([]string{"-c", `echo $$ > "$0" && echo $$ > "$1" && shift && exec "$@"`,
			filepath.Join(g.dirs()[0], "cgroup.procs"), filepath.Join(g.dirs()[1], "cgroup.procs"), path}, c.Args...)
		spec.Path = "/bin/sh"
	}
	p, err := driver.StartProcess(spec, func(r *driver.ExitResult) { r.OOMKilled = g.oomKilled() })
	if err != nil {
		_ = g.destroy()
		return nil, err
	}
	return &task{p: p, g: g, started: time.Now()}, nil
}

// Recover implements driver.Driver.
func (d *Driver) Recover(_ context.Context, _ *driver.TaskConfig, h driver.Handle) (driver.Task, error) {
	cg, err := d.cgroups()
	if err != nil {
		return nil, fmt.Errorf("exec driver: %w", err)
	}
	g := cg.group(h.Cgroup)
	p, err := driver.AttachProcess(h.PID, h.StartTicks, func(r *driver.ExitResult) { r.OOMKilled = g.oomKilled() })
	if err != nil {
		_ = g.destroy()
		return nil, err
	}
	return &task{p: p, g: g, started: h.StartedAt}, nil
}

// cgroupName makes a task id safe as a directory name.
func cgroupName(id string) string {
	return strings.NewReplacer("/", "_", "\x00", "_").Replace(id)
}

type task struct {
	p       *driver.Process
	g       *group
	started time.Time
}

func (t *task) Handle() driver.Handle {
	return driver.Handle{Driver: Name, PID: t.p.PID(), StartTicks: t.p.Ticks(), Cgroup: t.g.name, StartedAt: t.started}
}
func (t *task) Done() <-chan struct{}          { return t.p.Done() }
func (t *task) Result() driver.ExitResult      { return t.p.Result() }
func (t *task) Signal(sig driver.Signal) error { return t.p.Signal(sig) }
func (t *task) Detach()                        { t.p.Detach() }
func (t *task) Stop(ctx context.Context, sig driver.Signal, timeout time.Duration) error {
	return t.p.Stop(ctx, sig, timeout, t.g.killAll)
}
func (t *task) Destroy(context.Context) error { return t.g.destroy() }

// CgroupDirs lists the directories of a task's cgroup, for tests and
// diagnostics.
func CgroupDirs(t driver.Task) []string {
	if et, ok := t.(*task); ok {
		return et.g.dirs()
	}
	return nil
}
