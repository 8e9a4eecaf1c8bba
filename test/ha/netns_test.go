package ha_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// netnsOf maps a server's IP address to the network namespace it runs in,
// so the tests' HTTP client dials it from inside (see dialContext).
var netnsOf sync.Map

// dialContext dials addr from inside its host's network namespace when the
// host runs in one of the tests' namespaces, else as usual.
func dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	ns, ok := netnsOf.Load(host)
	if !ok {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// The thread enters the namespace and is never handed back to the
		// scheduler: a goroutine that ends locked takes its thread with it.
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join("/var/run/netns", ns.(string)))
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("enter network namespace %s: %w", ns, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// lab is a set of network namespaces, one per server, joined by a bridge
// in a hub namespace: 10.231.0.N is server N. Cutting a server's link on
// the bridge partitions it from the others.
type lab struct {
	t      *testing.T
	prefix string
	hosts  int
}

// newLab creates the namespaces, or skips the test when they cannot be
// made (not root, no iproute2).
func newLab(t *testing.T, hosts int) *lab {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("network namespaces need iproute2's ip command")
	}
	l := &lab{t: t, prefix: fmt.Sprintf("orbitha%d", os.Getpid()%100000), hosts: hosts}
	t.Cleanup(l.remove)
	hub := l.prefix + "h"
	if err := l.ip("netns", "add", hub); err != nil {
		t.Skipf("cannot create network namespaces: %v", err)
	}
	l.must("-n", hub, "link", "add", "br0", "type", "bridge")
	l.must("-n", hub, "link", "set", "br0", "up")
	for n := 1; n <= hosts; n++ {
		ns := l.ns(n)
		l.must("netns", "add", ns)
		l.must("-n", hub, "link", "add", fmt.Sprintf("h%d", n), "type", "veth", "peer", "name", "eth0", "netns", ns)
		l.must("-n", hub, "link", "set", fmt.Sprintf("h%d", n), "master", "br0", "up")
		l.must("-n", ns, "addr", "add", l.addr(n)+"/24", "dev", "eth0")
		l.must("-n", ns, "link", "set", "eth0", "up")
		l.must("-n", ns, "link", "set", "lo", "up")
		netnsOf.Store(l.addr(n), ns)
	}
	return l
}

func (l *lab) ns(n int) string   { return fmt.Sprintf("%s%d", l.prefix, n) }
func (l *lab) addr(n int) string { return fmt.Sprintf("10.231.0.%d", n) }

// bin is a command that runs orbit inside host n's namespace.
func (l *lab) bin(n int) string {
	file := filepath.Join(l.t.TempDir(), "orbit")
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", l.ns(n), orbitBin)
	if err := os.WriteFile(file, []byte(script), 0o755); err != nil {
		l.t.Fatal(err)
	}
	return file
}

// cut takes host n off the bridge (up=false) or puts it back.
func (l *lab) cut(n int, off bool) {
	state := "up"
	if off {
		state = "down"
	}
	l.must("-n", l.prefix+"h", "link", "set", fmt.Sprintf("h%d", n), state)
}

func (l *lab) ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (l *lab) must(args ...string) {
	l.t.Helper()
	if err := l.ip(args...); err != nil {
		l.t.Fatal(err)
	}
}

// remove deletes the namespaces (their links go with them).
func (l *lab) remove() {
	for n := 1; n <= l.hosts; n++ {
		netnsOf.Delete(l.addr(n))
		l.ip("netns", "del", l.ns(n))
	}
	l.ip("netns", "del", l.prefix+"h")
}
