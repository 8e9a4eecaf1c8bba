package driver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestProcessExitCodeAndSignal(t *testing.T) {
	p, err := StartProcess(ProcessSpec{Path: "/bin/sh", Args: []string{"-c", "exit 7"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, p.Done())
	if r := p.Result(); r.ExitCode != 7 || r.Successful() {
		t.Fatalf("result %+v, want exit code 7", r)
	}

	p, err = StartProcess(ProcessSpec{Path: "/bin/sleep", Args: []string{"60"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(context.Background(), syscall.SIGTERM, 5*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	if r := p.Result(); r.Signal != int(syscall.SIGTERM) {
		t.Fatalf("result %+v, want killed by SIGTERM", r)
	}
}

// A process that ignores its kill signal is killed after the timeout, with
// its whole process group.
func TestProcessStopEscalatesToKill(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	script := `trap "" TERM; sleep 60 & echo $! > ` + pidFile + `; while true; do sleep 0.05; done`
	p, err := StartProcess(ProcessSpec{Path: "/bin/sh", Args: []string{"-c", script}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var child int
	for i := 0; i < 200 && child == 0; i++ {
		time.Sleep(10 * time.Millisecond)
		b, _ := os.ReadFile(pidFile)
		child = atoi(string(b))
	}
	if child == 0 {
		t.Fatal("child pid not written")
	}
	start := time.Now()
	if err := p.Stop(context.Background(), syscall.SIGTERM, 300*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("stopped after %v although SIGTERM is ignored", d)
	}
	if r := p.Result(); r.Signal != int(syscall.SIGKILL) {
		t.Fatalf("result %+v, want SIGKILL", r)
	}
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(child, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the process group survived", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Detach leaves the process running; AttachProcess finds it again by pid
// and start time and sees its exit.
func TestProcessDetachAndAttach(t *testing.T) {
	p, err := StartProcess(ProcessSpec{Path: "/bin/sleep", Args: []string{"60"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid, ticks := p.PID(), p.Ticks()
	p.Detach()
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("process gone after detach: %v", err)
	}
	if _, err := AttachProcess(pid, ticks+1, nil); !errors.Is(err, ErrTaskGone) {
		t.Fatalf("attach with wrong start time: %v, want ErrTaskGone", err)
	}
	q, err := AttachProcess(pid, ticks, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Stop(context.Background(), syscall.SIGTERM, 5*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	// We are still the parent here, so the status is known.
	if r := q.Result(); r.Signal != int(syscall.SIGTERM) {
		t.Fatalf("result %+v", r)
	}
	if _, err := AttachProcess(pid, ticks, nil); !errors.Is(err, ErrTaskGone) {
		t.Fatalf("attach to exited process: %v", err)
	}
}

func TestProcessOutputToFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "out")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := StartProcess(ProcessSpec{Path: "/bin/echo", Args: []string{"hello"}, StdoutPath: fifo}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, p.Done())
	buf := make([]byte, 64)
	r.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "hello\n" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{"": syscall.SIGTERM, "SIGINT": syscall.SIGINT, "hup": syscall.SIGHUP, "9": syscall.SIGKILL} {
		if got, err := ParseSignal(in); err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSignal("SIGNOPE"); err == nil {
		t.Error("unknown signal accepted")
	}
	if SignalName(syscall.SIGUSR1) != "SIGUSR1" {
		t.Error("SignalName(SIGUSR1)")
	}
}

func waitDone(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("process did not exit in 10s")
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n = n*10 + int(c-'0')
		}
	}
	return n
}
