package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// lockSessionTTL is the TTL of the session `orbit lock` holds its lock
// with (consul lock's): the lock goes TTL after the process holding it
// stops renewing.
const lockSessionTTL = 15 * time.Second

// cmdLock is `consul lock`: run a command while holding PREFIX/.lock.
func cmdLock(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "lock")
	client := addressFlags(fs, e)
	name := fs.String("name", "", "session name (default: names the command and the prefix)")
	timeout := fs.Duration("timeout", 0, "give up waiting for the lock after this `duration` (0: wait for ever)")
	shell := fs.Bool("shell", true, "run the command through sh -c")
	childExit := fs.Bool("child-exit-code", false, "exit 2 when the command exits with an error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 2 {
		fmt.Fprintln(e.Stderr, "usage: orbit lock [-name NAME] [-timeout D] [-shell=false] [-child-exit-code] PREFIX COMMAND...")
		return 2
	}
	prefix, argv := strings.TrimSuffix(fs.Arg(0), "/"), fs.Args()[1:]
	if *name == "" {
		*name = fmt.Sprintf("orbit lock for %q at %q", strings.Join(argv, " "), prefix)
	}
	l := &locker{c: client(), key: prefix + "/.lock", name: *name, stderr: e.Stderr}
	wctx := ctx
	if *timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	if err := l.acquire(ctx, wctx); err != nil {
		l.destroy()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			fmt.Fprintf(e.Stderr, "Error: lock %s not acquired within %v\n", l.key, *timeout)
			return 1
		}
		return fail(e, err)
	}
	code, err := l.run(ctx, e, argv, *shell)
	switch {
	case err != nil:
		return fail(e, err)
	case code != 0 && *childExit:
		return 2
	}
	return 0
}

// errLockLost: the lock was taken away while the command ran (its session
// was destroyed or expired, or the key was deleted).
var errLockLost = errors.New("lock lost; the command was stopped")

// locker holds one lock key through one session.
type locker struct {
	c       *apiClient
	key     string
	name    string
	session string
	stderr  io.Writer
}

// acquire creates the session and waits (until wctx ends) for the lock.
func (l *locker) acquire(ctx, wctx context.Context) error {
	var created struct{ ID string }
	body := map[string]any{"Name": l.name, "TTL": lockSessionTTL.String(), "NodeChecks": []string{}}
	if _, err := l.c.do(ctx, "PUT", "/v1/session/create", body, &created); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	l.session = created.ID
	path := kvPath(l.key)
	index := "0"
	for {
		// The session must outlive the wait: renew it before each try.
		if _, err := l.c.do(ctx, "PUT", "/v1/session/renew/"+l.session, nil, nil); err != nil {
			return fmt.Errorf("renew session: %w", err)
		}
		var ok bool
		if _, err := l.c.do(wctx, "PUT", path+"?acquire="+url.QueryEscape(l.session), []byte(l.name), &ok); err != nil {
			return fmt.Errorf("acquire %s: %w", l.key, err)
		}
		if ok {
			return nil
		}
		// Held by another session, or within a lock delay: wait for the
		// key to change (a blocking read, at most a third of the TTL so
		// the session is renewed in time).
		var entries []struct{ Session string }
		h, err := l.c.do(wctx, "GET", path+"?index="+index+"&wait="+(lockSessionTTL/3).String(), nil, &entries)
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("watch %s: %w", l.key, err)
		}
		next := h.Get("X-Consul-Index")
		if next == index || (len(entries) == 1 && entries[0].Session == "") {
			// Unchanged, or free but refused (a lock delay runs): wait a
			// second before trying again.
			select {
			case <-wctx.Done():
				return wctx.Err()
			case <-time.After(time.Second):
			}
		}
		index = next
	}
}

func isNotFound(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == 404
}

// run runs the command while renewing the session and watching the lock;
// it returns the command's exit code, or errLockLost when the lock was lost
// and the command stopped, or ctx's error when it ended first.
func (l *locker) run(ctx context.Context, e *Env, argv []string, shell bool) (int, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	if shell {
		cmd = exec.Command("/bin/sh", "-c", strings.Join(argv, " "))
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, e.Stdout, e.Stderr
	if err := cmd.Start(); err != nil {
		l.release()
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	hctx, stop := context.WithCancel(ctx)
	lost := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if l.hold(hctx) {
			close(lost)
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	lockLost := false
	select {
	case err = <-exited:
	case <-lost:
		lockLost = true
	case <-ctx.Done():
	}
	if !lockLost && ctx.Err() == nil {
		stop()
		wg.Wait()
		l.release()
		return exitCode(err), nil
	}
	// The lock is lost or we are told to stop: end the command, gently
	// first.
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	stop()
	wg.Wait()
	l.release()
	if lockLost {
		return 0, fmt.Errorf("%s: %w", l.key, errLockLost)
	}
	return 0, ctx.Err()
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if c := ee.ExitCode(); c > 0 {
			return c
		}
		return 1
	}
	if err != nil {
		return 1
	}
	return 0
}

// hold renews the session every third of its TTL and watches the lock key
// with blocking reads, until ctx ends (false) or the lock is no longer the
// session's (true).
func (l *locker) hold(ctx context.Context) bool {
	path := kvPath(l.key)
	index := "0"
	renewed := time.Now()
	for {
		if time.Since(renewed) >= lockSessionTTL/3 {
			if _, err := l.c.do(ctx, "PUT", "/v1/session/renew/"+l.session, nil, nil); err != nil {
				if ctx.Err() != nil {
					return false
				}
				if isNotFound(err) {
					return true
				}
				fmt.Fprintf(l.stderr, "orbit lock: renew session: %v\n", err)
			} else {
				renewed = time.Now()
			}
		}
		var entries []struct{ Session string }
		h, err := l.c.do(ctx, "GET", path+"?index="+index+"&wait="+(lockSessionTTL/3).String(), nil, &entries)
		if ctx.Err() != nil {
			return false
		}
		switch {
		case isNotFound(err):
			return true // the key was deleted
		case err != nil:
			fmt.Fprintf(l.stderr, "orbit lock: watch %s: %v\n", l.key, err)
			select {
			case <-ctx.Done():
				return false
			case <-time.After(time.Second):
			}
			continue
		case len(entries) != 1 || entries[0].Session != l.session:
			return true
		}
		index = h.Get("X-Consul-Index")
	}
}

// release frees the lock and destroys the session, with a context of its
// own: it runs when the command's context may have ended.
func (l *locker) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ok bool
	if _, err := l.c.do(ctx, "PUT", kvPath(l.key)+"?release="+url.QueryEscape(l.session), []byte(l.name), &ok); err != nil {
		fmt.Fprintf(l.stderr, "orbit lock: release %s: %v\n", l.key, err)
	}
	l.destroy()
}

// destroy destroys the session, if one was created.
func (l *locker) destroy() {
	if l.session == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.c.do(ctx, "PUT", "/v1/session/destroy/"+l.session, nil, nil); err != nil {
		fmt.Fprintf(l.stderr, "orbit lock: destroy session: %v\n", err)
	}
	l.session = ""
}
