package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ProcessSpec describes a process to start in its own process group.
type ProcessSpec struct {
	Path string
	Args []string // argv[1:]
	Env  []string
	Dir  string
	// User runs the process as that user (name or uid) when set.
	User string
	// StdoutPath and StderrPath are FIFOs (or files) for the output;
	// empty discards it. FIFOs are opened read-write so the task never
	// gets EPIPE while the agent that reads them restarts.
	StdoutPath, StderrPath string
	// CgroupFD, when positive, starts the process directly inside that
	// cgroup v2 directory (clone3 with CLONE_INTO_CGROUP).
	CgroupFD int
}

// Process is a started or re-attached process, watched through a pidfd.
type Process struct {
	pid   int
	ticks uint64
	cmd   *exec.Cmd // nil when re-attached
	pidfd *os.File

	// OnExit, when set before the exit is observed, may amend the result
	// (the exec driver marks OOM kills) before Done is closed.
	onExit func(*ExitResult)

	done     chan struct{}
	watching sync.WaitGroup

	mu     sync.Mutex // guards result
	result ExitResult
}

// StartProcess starts spec in a new process group and watches it.
func StartProcess(spec ProcessSpec, onExit func(*ExitResult)) (*Process, error) {
	stdout, err := openOutput(spec.StdoutPath)
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	stderr, err := openOutput(spec.StderrPath)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = spec.Env, spec.Dir, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if spec.CgroupFD > 0 {
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, spec.CgroupFD
	}
	if spec.User != "" {
		cred, err := credential(spec.User)
		if err != nil {
			return nil, err
		}
		cmd.SysProcAttr.Credential = cred
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Path, err)
	}
	pid := cmd.Process.Pid
	ticks, _ := StartTicks(pid)
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	p := newProcess(pid, ticks, fd, onExit)
	p.cmd = cmd
	p.watch()
	return p, nil
}

// AttachProcess re-attaches to a process started by an earlier agent. It
// returns ErrTaskGone when pid no longer runs the process that started at
// ticks.
func AttachProcess(pid int, ticks uint64, onExit func(*ExitResult)) (*Process, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("attach: no pid: %w", ErrTaskGone)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil, fmt.Errorf("attach pid %d: %w", pid, ErrTaskGone)
	} else if err != nil {
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	// Compared after the pidfd is open, so the pid cannot be reused between
	// the check and the watch.
	if t, err := StartTicks(pid); err != nil || (ticks != 0 && t != ticks) {
		unix.Close(fd)
		return nil, fmt.Errorf("attach pid %d: %w", pid, ErrTaskGone)
	}
	p := newProcess(pid, ticks, fd, onExit)
	p.watch()
	return p, nil
}

func newProcess(pid int, ticks uint64, fd int, onExit func(*ExitResult)) *Process {
	// Non-blocking, so os.NewFile registers the pidfd with the runtime's
	// poller: waiting for the exit parks a goroutine, not a thread.
	_ = unix.SetNonblock(fd, true)
	return &Process{pid: pid, ticks: ticks, pidfd: os.NewFile(uintptr(fd), "pidfd"),
		onExit: onExit, done: make(chan struct{})}
}

func (p *Process) watch() {
	p.watching.Add(1)
	go func() {
		defer p.watching.Done()
		if !waitExit(p.pidfd) {
			return // detached
		}
		res := p.reap()
		if p.onExit != nil {
			p.onExit(&res)
		}
		p.mu.Lock()
		p.result = res
		p.mu.Unlock()
		p.pidfd.Close()
		close(p.done)
	}()
}

// waitExit blocks until the pidfd is readable (the process exited) and
// reports true, or until Detach set a deadline and reports false.
func waitExit(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	err = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, _ := unix.Poll(fds, 0)
		return n > 0
	})
	return err == nil
}

func (p *Process) reap() ExitResult {
	if p.cmd != nil {
		_ = p.cmd.Wait()
		return resultOf(p.cmd.ProcessState.Sys().(syscall.WaitStatus))
	}
	var ws unix.WaitStatus
	got, err := unix.Wait4(p.pid, &ws, unix.WNOHANG, nil)
	if err == nil && got == p.pid {
		return resultOf(syscall.WaitStatus(ws))
	}
	return ExitResult{ExitCode: -1, Err: errors.New("the task was re-attached after an agent restart, so its exit code is unknown")}
}

func resultOf(ws syscall.WaitStatus) ExitResult {
	if ws.Signaled() {
		return ExitResult{ExitCode: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	return ExitResult{ExitCode: ws.ExitStatus()}
}

// PID is the process id (and process group id).
func (p *Process) PID() int { return p.pid }

// Ticks is the process start time in clock ticks since boot.
func (p *Process) Ticks() uint64 { return p.ticks }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Result is how the process exited; valid after Done.
func (p *Process) Result() ExitResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.result
}

// Signal sends sig to the process group.
func (p *Process) Signal(sig Signal) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := unix.Kill(-p.pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		// Not a group leader (should not happen): signal the process.
		if err := unix.Kill(p.pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("signal %d to pid %d: %w", sig, p.pid, err)
		}
	}
	return nil
}

// Stop sends sig, waits up to timeout, then SIGKILLs the group (and calls
// kill, when set, to reach processes that left it), and waits for the exit.
func (p *Process) Stop(ctx context.Context, sig Signal, timeout time.Duration, kill func()) error {
	if err := p.Signal(sig); err != nil {
		return err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	if kill != nil {
		kill()
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Detach stops watching without touching the process and waits for the
// watcher to return.
func (p *Process) Detach() {
	_ = p.pidfd.SetReadDeadline(time.Now())
	p.watching.Wait()
	select {
	case <-p.done:
	default:
		p.pidfd.Close()
	}
}

// StartTicks reads a process's start time (clock ticks after boot) from
// /proc/<pid>/stat, which tells a process from a later one reusing its pid.
func StartTicks(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after it follow
	// the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 {
		return 0, errors.New("short stat")
	}
	return strconv.ParseUint(f[19], 10, 64)
}

func openOutput(path string) (*os.File, error) {
	if path == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("open task output %s: %w", path, err)
	}
	return f, nil
}

func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if u, err = user.LookupId(name); err != nil {
			return nil, fmt.Errorf("user %q: %w", name, err)
		}
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
