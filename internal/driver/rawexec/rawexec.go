// Package rawexec is the raw_exec driver: it runs a task's command as a
// plain process of the agent's user, in its own process group, without
// isolation or resource limits; stopping sends the task's kill signal to
// the group and SIGKILL after its kill timeout. A restarted agent
// re-attaches to the process by pid and start time.
//
// It is not a sandbox (see the exec driver for cgroup limits). The client
// and the agent import it.
package rawexec

import (
	"context"
	"time"

	"github.com/orbit/orbit/internal/driver"
)

// Name is the driver's name in job files.
const Name = "raw_exec"

// Config is the task's driver block.
type Config struct {
	Command string   `json:"command"`
	Args    []string `json:"args"`
}

// Driver is the raw_exec driver. The zero value is ready to use.
type Driver struct{}

var _ driver.Driver = (*Driver)(nil)

// New returns the driver.
func New() *Driver { return &Driver{} }

// Name implements driver.Driver.
func (*Driver) Name() string { return Name }

// Fingerprint implements driver.Driver: raw_exec works wherever processes
// can be started.
func (*Driver) Fingerprint(context.Context) driver.Fingerprint {
	return driver.Fingerprint{Driver: Name, Detected: true, Healthy: true,
		Attributes: map[string]string{"driver.raw_exec": "1"}}
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
	p, err := driver.StartProcess(driver.ProcessSpec{
		Path: path, Args: c.Args, Env: driver.EnvList(cfg.Env), Dir: cfg.TaskDir, User: cfg.User,
		StdoutPath: cfg.StdoutPath, StderrPath: cfg.StderrPath,
	}, nil)
	if err != nil {
		return nil, err
	}
	return &task{p: p, started: time.Now()}, nil
}

// Recover implements driver.Driver.
func (d *Driver) Recover(_ context.Context, _ *driver.TaskConfig, h driver.Handle) (driver.Task, error) {
	p, err := driver.AttachProcess(h.PID, h.StartTicks, nil)
	if err != nil {
		return nil, err
	}
	return &task{p: p, started: h.StartedAt}, nil
}

type task struct {
	p       *driver.Process
	started time.Time
}

func (t *task) Handle() driver.Handle {
	return driver.Handle{Driver: Name, PID: t.p.PID(), StartTicks: t.p.Ticks(), StartedAt: t.started}
}
func (t *task) Done() <-chan struct{}          { return t.p.Done() }
func (t *task) Result() driver.ExitResult      { return t.p.Result() }
func (t *task) Signal(sig driver.Signal) error { return t.p.Signal(sig) }
func (t *task) Destroy(context.Context) error  { return nil }
func (t *task) Detach()                        { t.p.Detach() }
func (t *task) Stop(ctx context.Context, sig driver.Signal, timeout time.Duration) error {
	return t.p.Stop(ctx, sig, timeout, nil)
}
