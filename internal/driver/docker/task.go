package docker

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/orbit/orbit/internal/driver"
)

// task is a container being watched: one goroutine waits for its exit,
// one copies its output into the task's FIFOs.
type task struct {
	cli     *client.Client
	id      string
	started time.Time

	ctx    context.Context // ends on Detach
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}

	mu     sync.Mutex // guards result
	result driver.ExitResult
}

func watch(cli *client.Client, cfg *driver.TaskConfig, id string, started, logsSince time.Time) *task {
	ctx, cancel := context.WithCancel(context.Background())
	t := &task{cli: cli, id: id, started: started, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	t.wg.Add(2)
	go t.wait()
	go t.copyLogs(cfg.StdoutPath, cfg.StderrPath, logsSince)
	return t
}

func (t *task) wait() {
	defer t.wg.Done()
	okC, errC := t.cli.ContainerWait(t.ctx, t.id, container.WaitConditionNotRunning)
	var res driver.ExitResult
	select {
	case <-t.ctx.Done():
		return // detached
	case err := <-errC:
		if t.ctx.Err() != nil {
			return
		}
		res = driver.ExitResult{ExitCode: -1, Err: fmt.Errorf("wait for container %s: %w", t.id, err)}
	case w := <-okC:
		res = driver.ExitResult{ExitCode: int(w.StatusCode)}
		if ins, err := t.cli.ContainerInspect(t.ctx, t.id); err == nil && ins.State != nil {
			res.OOMKilled = ins.State.OOMKilled
			res.ExitCode = ins.State.ExitCode
		}
		if res.ExitCode > 128 && res.ExitCode < 128+65 {
			res.Signal = res.ExitCode - 128
		}
	}
	t.mu.Lock()
	t.result = res
	t.mu.Unlock()
	close(t.done)
}

// copyLogs follows the container's output into the FIFOs until the
// container stops or the task is detached.
func (t *task) copyLogs(stdoutPath, stderrPath string, since time.Time) {
	defer t.wg.Done()
	stdout, err := openFIFO(stdoutPath)
	if err != nil {
		return
	}
	defer stdout.Close()
	stderr, err := openFIFO(stderrPath)
	if err != nil {
		return
	}
	defer stderr.Close()
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := t.cli.ContainerLogs(t.ctx, t.id, opts)
	if err != nil {
		return
	}
	defer rc.Close()
	_, _ = stdcopy.StdCopy(stdout, stderr, rc)
}

func openFIFO(path string) (*os.File, error) {
	if path == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	return os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
}

func (t *task) Handle() driver.Handle {
	return driver.Handle{Driver: Name, ContainerID: t.id, StartedAt: t.started}
}

func (t *task) Done() <-chan struct{} { return t.done }

func (t *task) Result() driver.ExitResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.result
}

func (t *task) Signal(sig driver.Signal) error {
	select {
	case <-t.done:
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := t.cli.ContainerKill(ctx, t.id, driver.SignalName(sig)); err != nil && !client.IsErrNotFound(err) {
		select {
		case <-t.done: // exited meanwhile: "is not running"
			return nil
		default:
		}
		return fmt.Errorf("signal container %s: %w", t.id, err)
	}
	return nil
}

// Stop sends sig itself rather than using the Engine's stop, whose signal
// parameter older Engines (API < 1.42) ignore.
func (t *task) Stop(ctx context.Context, sig driver.Signal, timeout time.Duration) error {
	if err := t.Signal(sig); err != nil {
		return err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
	}
	if err := t.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Destroy removes the container (it must have exited) and waits for the
// watchers.
func (t *task) Destroy(ctx context.Context) error {
	err := t.cli.ContainerRemove(ctx, t.id, container.RemoveOptions{Force: true})
	t.cancel()
	t.wg.Wait()
	if err != nil && !client.IsErrNotFound(err) {
		return fmt.Errorf("remove container %s: %w", t.id, err)
	}
	return nil
}

func (t *task) Detach() {
	t.cancel()
	t.wg.Wait()
}
