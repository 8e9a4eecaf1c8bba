package orbittest

import (
	"bufio"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Process is an `orbit agent` running as a child process.
type Process struct {
	Cmd  *exec.Cmd
	Addr string // the HTTP API's host:port
}

// FreeAddr returns a free loopback host:port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// StartAgentProcess runs `bin agent` with loopback defaults (a free API
// port, DNS off, edge entry points on port 0, a 2s lease) followed by args,
// and waits until it logs that it started. The process is killed at cleanup.
func StartAgentProcess(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	addr := FreeAddr(t)
	args = append([]string{"agent", "-http-addr", addr, "-dns-addr", "off",
		"-entrypoint", "web=127.0.0.1:0,websecure=127.0.0.1:0", "-lease-ttl", "2s"}, args...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if !once && strings.Contains(sc.Text(), "orbit agent started") {
				once = true
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("orbit agent %v did not start in 60s", args)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &Process{Cmd: cmd, Addr: addr}
}
