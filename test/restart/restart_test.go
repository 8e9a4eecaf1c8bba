// Package restart_test checks that state survives an agent restart on the
// same data directory, after a graceful stop and after kill -9, and that an
// agent works against an external etcd cluster (Debian's etcd-server).
package restart_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// register and verify carry the root token: a non-dev agent has ACLs on
// (a dev one ignores it).
func register(t *testing.T, addr string) {
	t.Helper()
	c, _ := capi.NewClient(&capi.Config{Address: addr, Token: orbittest.RootToken})
	if err := c.Agent().ServiceRegister(&capi.AgentServiceRegistration{ID: "web-1", Name: "web", Port: 8080,
		Check: &capi.AgentServiceCheck{CheckID: "web-ttl", TTL: "1h"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Agent().PassTTL("web-ttl", "ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.KV().Put(&capi.KVPair{Key: "persist/me", Value: []byte("yes"), Flags: 3}, nil); err != nil {
		t.Fatal(err)
	}
}

func verify(t *testing.T, addr string) {
	t.Helper()
	c, _ := capi.NewClient(&capi.Config{Address: addr, Token: orbittest.RootToken})
	p, _, err := c.KV().Get("persist/me", nil)
	if err != nil || p == nil || string(p.Value) != "yes" || p.Flags != 3 {
		t.Fatalf("kv after restart: %+v %v", p, err)
	}
	orbittest.Eventually(t, 10*time.Second, "web-1 passing after restart", func() bool {
		es, _, err := c.Health().Service("web", "", true, nil)
		return err == nil && len(es) == 1 && es[0].Service.Port == 8080
	})
}

func TestRestartGraceful(t *testing.T) {
	dir := t.TempDir()
	opt := func(c *agent.Config) { c.DataDir = dir }
	a := testagent.Start(t, opt)
	register(t, a.Addr)
	a.Stop(t)
	b := testagent.Start(t, opt)
	verify(t, b.Addr)
}

func buildOrbit(t *testing.T) string { return orbittest.Build(t, "github.com/orbit/orbit/cmd/orbit") }

func freePort(t *testing.T) string { return orbittest.FreeAddr(t) }

// startProcess runs `orbit agent` as a child process named proc1.
func startProcess(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	p := orbittest.StartAgentProcess(t, bin, append([]string{"-node", "proc1"}, args...)...)
	return p.Cmd, p.Addr
}

func TestRestartAfterKill9(t *testing.T) {
	bin := buildOrbit(t)
	dir := t.TempDir()
	acls := orbittest.ACLConfigFile(t)
	cmd, addr := startProcess(t, bin, "-data-dir", dir, "-config", acls)
	register(t, addr)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	_, addr = startProcess(t, bin, "-data-dir", dir, "-config", acls)
	verify(t, addr)
}

func TestSIGTERMStopsGracefully(t *testing.T) {
	bin := buildOrbit(t)
	cmd, _ := startProcess(t, bin, "-dev")
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("agent did not exit within 15s of SIGTERM")
	}
}

// TestExternalEtcd runs a real etcd (Debian's etcd-server package) and an
// agent that uses it with -store.
func TestExternalEtcd(t *testing.T) {
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		t.Skip("etcd binary not found: install Debian's etcd-server package (.ci/run does)")
	}
	client, peer := freePort(t), freePort(t)
	dir := t.TempDir()
	cmd := exec.Command(etcd, "--name", "ext", "--data-dir", dir,
		"--listen-client-urls", "http://"+client, "--advertise-client-urls", "http://"+client,
		"--listen-peer-urls", "http://"+peer, "--initial-advertise-peer-urls", "http://"+peer,
		"--initial-cluster", "ext=http://"+peer, "--log-level", "error")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	orbittest.Eventually(t, 20*time.Second, "etcd listening", func() bool {
		c, err := net.Dial("tcp", client)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	store := "etcd://" + client
	a := testagent.Start(t, func(c *agent.Config) { c.Store = store })
	if a.Store().Embedded() {
		t.Fatal("agent started an embedded store despite -store")
	}
	register(t, a.Addr)
	a.Stop(t)
	// A second agent on another data dir sees the same state from etcd.
	// It is a server too: it holds the servers' seal key (as every server
	// of a cluster on an external store must) to open the sealed CA.
	bDir := t.TempDir()
	key, err := os.ReadFile(filepath.Join(a.DataDir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bDir, "seal.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	b := testagent.Start(t, func(c *agent.Config) { c.Store, c.DataDir = store, bDir })
	verify(t, b.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := b.Store().Get(ctx, "/orbit/kv/persist/me")
	if err != nil || len(kv.Value) == 0 {
		t.Fatalf("key not in external etcd: %v", err)
	}
}
