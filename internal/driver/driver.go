package driver

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrTaskGone is returned by Recover when the task a handle names no longer
// exists (the process exited or the container was removed while the agent
// was down).
var ErrTaskGone = errors.New("task no longer exists")

// ErrConfig marks an invalid driver configuration in a task.
var ErrConfig = errors.New("invalid driver config")

// Driver runs tasks of one kind on this node.
type Driver interface {
	// Name is the name jobs use in `driver = "..."`.
	Name() string
	// Fingerprint reports whether the driver works on this node.
	Fingerprint(ctx context.Context) Fingerprint
	// Start starts a task and returns once it runs (or failed to start).
	Start(ctx context.Context, cfg *TaskConfig) (Task, error)
	// Recover re-attaches to a task started by an earlier agent process,
	// from the handle that agent stored. It returns ErrTaskGone when the
	// task no longer exists.
	Recover(ctx context.Context, cfg *TaskConfig, h Handle) (Task, error)
}

// Task is one running (or exited) task.
type Task interface {
	// Handle is what the agent stores to re-attach after a restart.
	Handle() Handle
	// Done is closed once the task has exited; Result is valid then.
	Done() <-chan struct{}
	// Result is how the task exited.
	Result() ExitResult
	// Signal sends sig to the task (its whole process group or container).
	Signal(sig Signal) error
	// Stop sends sig, waits up to timeout for the task to exit, then kills
	// it, and returns once it has exited or ctx ends.
	Stop(ctx context.Context, sig Signal, timeout time.Duration) error
	// Destroy releases what the task held (cgroup, container); the task
	// must have exited. Destroy is idempotent.
	Destroy(ctx context.Context) error
	// Detach stops watching the task without stopping it, so the agent can
	// exit and a later agent can Recover it. Done is not closed by Detach.
	Detach()
}

// Handle identifies a started task across agent restarts.
type Handle struct {
	Driver      string    `json:"driver"`
	PID         int       `json:"pid,omitempty"`
	StartTicks  uint64    `json:"startTicks,omitempty"` // /proc/<pid>/stat starttime: guards against pid reuse
	ContainerID string    `json:"container,omitempty"`
	Cgroup      string    `json:"cgroup,omitempty"`
	StartedAt   time.Time `json:"startedAt"`
}

// ExitResult is how a task exited.
type ExitResult struct {
	ExitCode int
	Signal   int // the signal that killed it, 0 when it exited
	// OOMKilled reports that the kernel killed it for exceeding its
	// memory limit.
	OOMKilled bool
	// Err is set when the exit could not be observed (for example after a
	// re-attach to a process the agent is not the parent of, whose exit
	// code the kernel does not tell).
	Err error
}

// Successful reports a clean exit with code 0.
func (r ExitResult) Successful() bool {
	return r.ExitCode == 0 && r.Signal == 0 && !r.OOMKilled && r.Err == nil
}

func (r ExitResult) String() string {
	switch {
	case r.OOMKilled:
		return fmt.Sprintf("OOM killed (exit code %d)", r.ExitCode)
	case r.Err != nil:
		return "exit not observed: " + r.Err.Error()
	case r.Signal != 0:
		return fmt.Sprintf("killed by signal %d", r.Signal)
	default:
		return fmt.Sprintf("exit code %d", r.ExitCode)
	}
}

// TaskConfig is everything a driver needs to start one task. The client
// has already interpolated every string in it.
type TaskConfig struct {
	// ID is unique on the node: "<alloc id>.<task name>".
	ID        string
	AllocID   string
	JobName   string
	GroupName string
	TaskName  string
	// Config is the task's driver block as plain values (string, int64,
	// float64, bool, []any, map[string]any).
	Config map[string]any
	Env    map[string]string
	User   string
	// TaskDir is the task's working directory; AllocDir is shared by the
	// allocation's tasks.
	TaskDir  string
	AllocDir string
	// StdoutPath and StderrPath are FIFOs the task's output goes into.
	// Empty discards the output.
	StdoutPath string
	StderrPath string
	Resources  Resources
	Ports      []PortMapping
	Mounts     []Mount
	// Labels are extra labels for drivers that support them (docker).
	Labels map[string]string
}

// Resources are the limits a task asks for.
type Resources struct {
	CPUMHz      int
	MemoryMB    int
	MemoryMaxMB int
}

// PortMapping is one allocated port: the host port Value on HostIP, and
// To, the port inside the task's network namespace (0: the same).
type PortMapping struct {
	Label  string
	HostIP string
	Value  int
	To     int
}

// Mount is a host path made visible to the task.
type Mount struct {
	HostPath string
	TaskPath string
	ReadOnly bool
}

// Fingerprint says whether a driver works on this node and why not.
type Fingerprint struct {
	Driver   string
	Detected bool
	Healthy  bool
	// Reason explains an undetected or unhealthy driver.
	Reason     string
	Attributes map[string]string
}

// FingerprintAll asks every driver, in order.
func FingerprintAll(ctx context.Context, ds []Driver) []Fingerprint {
	out := make([]Fingerprint, 0, len(ds))
	for _, d := range ds {
		fp := d.Fingerprint(ctx)
		fp.Driver = d.Name()
		out = append(out, fp)
	}
	return out
}

// Healthy returns the names of the drivers whose fingerprint is healthy.
func Healthy(fps []Fingerprint) []string {
	var out []string
	for _, fp := range fps {
		if fp.Detected && fp.Healthy {
			out = append(out, fp.Driver)
		}
	}
	return out
}
