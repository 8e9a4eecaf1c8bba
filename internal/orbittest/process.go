package orbittest

import (
	"bufio"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Process is an `orbit agent` running as a child process.
type Process struct {
	Cmd  *exec.Cmd
	Addr string // the HTTP API's host:port
	log  func() string
}

// Log is what the agent logged last (up to 500 lines).
func (p *Process) Log() string { return p.log() }

// FreeAddr returns a free loopback host:port for a server a test starts
// later (a child process, a restarted member). The port is drawn below
// Linux's ephemeral range (32768-60999) and below orbit's dynamic task
// ports (job.DynamicPortMin-Max, 20000-32000), so that between the pick and
// the server's bind no outgoing connection, no listen on port 0 and no task
// of an agent in a test running beside it can be given it; only another
// FreeAddr caller could, one chance in thousands.
func FreeAddr(t testing.TB) string {
	t.Helper()
	const low, span = 10000, 10000
	for range 200 {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(low+rand.IntN(span))))
		if err != nil {
			continue // in use: draw again
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	t.Fatalf("no free loopback port in %d-%d after 200 draws", low, low+span-1)
	return ""
}

// StartAgentProcess runs `bin agent` with loopback defaults (the API on a
// port the agent picks itself, DNS off, edge entry points on port 0, a 2s
// lease) followed by args, and waits until it logs that it started; Addr
// is the API address from that line. The process is killed at cleanup. If
// it exits first, the test fails at once with what it logged.
func StartAgentProcess(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	return StartAgentProcessAsync(t, bin, args...)()
}

// StartAgentProcessAsync starts the agent as StartAgentProcess does and
// returns at once; the function it returns waits until the agent started
// (call it from the test's goroutine). Agents that need each other to start
// (servers restarting into a cluster that needs a quorum) start this way.
func StartAgentProcessAsync(t testing.TB, bin string, args ...string) (wait func() *Process) {
	t.Helper()
	args = append([]string{"agent", "-http-addr", "127.0.0.1:0", "-dns-addr", "off",
		"-entrypoint", "web=127.0.0.1:0,websecure=127.0.0.1:0", "-lease-ttl", "2s"}, args...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The API address in the started line, logged as text
	// (api=http://host:port) or JSON ("api":"http://host:port").
	apiInLog := regexp.MustCompile(`"?api"?[=:]"?https?://([^\s"]+)`)
	started := make(chan string, 1)
	ended := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Kill()
		select { // the reader ends when the pipe closes, unless a task kept it
		case <-ended:
		case <-time.After(10 * time.Second):
		}
		cmd.Wait()
	})
	var mu sync.Mutex // guards logged
	var logged []string
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			logged = append(logged[max(0, len(logged)-499):], line)
			mu.Unlock()
			if m := apiInLog.FindStringSubmatch(line); m != nil && strings.Contains(line, "orbit agent started") {
				select {
				case started <- m[1]:
				default:
				}
			}
		}
	}()
	all := func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(logged, "\n") }
	tail := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(logged[max(0, len(logged)-50):], "\n")
	}
	return func() *Process {
		t.Helper()
		select {
		case addr := <-started:
			return &Process{Cmd: cmd, Addr: addr, log: all}
		case <-ended:
			select {
			case addr := <-started: // it started, then exited at once
				return &Process{Cmd: cmd, Addr: addr, log: all}
			default:
			}
			t.Fatalf("orbit agent %v exited before it started:\n%s", args, tail())
		case <-time.After(60 * time.Second):
			t.Fatalf("orbit agent %v did not start in 60s:\n%s", args, tail())
		}
		return nil
	}
}

// RootToken is the initial management token of the agents ACLConfigFile
// configures.
const RootToken = "7d3b1f3e-8c1a-4b2e-9f6d-2a5c4e8b1d0f"

// ACLConfigFile writes an agent HCL file that keeps ACLs on (default deny)
// with RootToken as the initial management token (and so as the agent's
// own token), for tests of non-dev agents; pass it with -config.
func ACLConfigFile(t testing.TB) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "acl.hcl")
	hcl := "acl {\n  tokens {\n    initial_management = \"" + RootToken + "\"\n  }\n}\n"
	if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
