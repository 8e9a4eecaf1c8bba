package external_test

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/external"
	"github.com/orbit/orbit/internal/health"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

type agentSim struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	lease  int64
}

// startAgent registers an agent node bound to a lease and runs its
// external runner against the shared store and view.
func startAgent(t *testing.T, st *store.Store, v *view.View, name string) *agentSim {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	lease, err := st.GrantLease(ctx, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegisterNode(ctx, &catalog.Node{Name: name, Address: "127.0.0.1", Agent: true}, lease.ID); err != nil {
		t.Fatal(err)
	}
	newChecks := func(node string, src external.CheckSource) (external.CheckRunner, error) {
		return health.New(health.Config{Node: node, Workers: 2, MinInterval: -1, Logger: orbittest.Logger(t)}, src, st)
	}
	r, err := external.New(external.Config{Node: name, NewChecks: newChecks, Logger: orbittest.Logger(t)}, v, st)
	if err != nil {
		t.Fatal(err)
	}
	a := &agentSim{name: name, cancel: cancel, done: make(chan struct{}), lease: lease.ID}
	go func() { defer close(a.done); r.Run(ctx) }()
	t.Cleanup(a.stop)
	return a
}

func (a *agentSim) stop() {
	a.cancel()
	<-a.done
}

// tcpTarget accepts connections until closed.
func tcpTarget(t *testing.T) (addr string, closeFn func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closeFn = func() { once.Do(func() { ln.Close() }) }
	t.Cleanup(closeFn)
	return ln.Addr().String(), closeFn
}

// The check of an external node runs on exactly the agent that owns it;
// when that agent dies (its lease is revoked), the other one takes the
// check over: the check follows the target going down.
func TestRunnerHandsOverWhenOwnerDies(t *testing.T) {
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ctx := context.Background()
	agents := map[string]*agentSim{}
	for _, n := range []string{"agent-a", "agent-b"} {
		agents[n] = startAgent(t, st, v, n)
	}
	addr, closeTarget := tcpTarget(t)
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	decl := []external.Declared{{Name: "truenas", Address: host, Services: []external.DeclaredService{{
		Name: "nfs", Port: port, Checks: []external.DeclaredCheck{{TCP: addr, Interval: "200ms", Timeout: "1s"}}}}}}
	if err := external.RegisterDeclared(ctx, v, st, decl); err != nil {
		t.Fatal(err)
	}
	status := func(id string) catalog.Status {
		c, ok := v.Check("truenas", id)
		if !ok {
			return ""
		}
		return c.Status
	}
	orbittest.Eventually(t, 30*time.Second, "the nfs check passing", func() bool { return status("service:nfs") == catalog.Passing })
	orbittest.Eventually(t, 30*time.Second, "the TCP probe added and passing", func() bool { return status(external.ProbeCheckID) == catalog.Passing })

	owner := external.Owner(external.CheckKey("truenas", "service:nfs"), []string{"agent-a", "agent-b"})
	dead := agents[owner]
	dead.stop()
	if err := st.RevokeLease(ctx, dead.lease); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 30*time.Second, "the dead agent's liveness gone", func() bool { return !v.Alive(owner) })
	closeTarget()
	orbittest.Eventually(t, 30*time.Second, "the surviving agent seeing the target down", func() bool {
		return status("service:nfs") == catalog.Critical && status(external.ProbeCheckID) == catalog.Critical
	})
	// A re-registration of the same block rewrites nothing: the statuses stay.
	before, _ := v.Check("truenas", "service:nfs")
	if err := external.RegisterDeclared(ctx, v, st, decl); err != nil {
		t.Fatal(err)
	}
	after, _ := v.Check("truenas", "service:nfs")
	if before.ModifyIndex != after.ModifyIndex {
		t.Fatalf("re-registering rewrote the check (%d -> %d)", before.ModifyIndex, after.ModifyIndex)
	}
}

func TestDeclaredBuildErrors(t *testing.T) {
	cases := []struct {
		name string
		d    external.Declared
		err  string
	}{
		{"no address", external.Declared{Name: "nas"}, `external "nas": address is required`},
		{"bad port", external.Declared{Name: "nas", Address: "192.168.30.6", Services: []external.DeclaredService{{Name: "nfs", Port: 0}}},
			`external "nas": service "nfs": port 0 is not in 1-65535`},
		{"two kinds", external.Declared{Name: "nas", Address: "192.168.30.6", Services: []external.DeclaredService{{Name: "nfs", Port: 2049,
			Checks: []external.DeclaredCheck{{TCP: "192.168.30.6:2049", HTTP: "http://192.168.30.6/"}}}}},
			`external "nas": service "nfs" check 1: set one of tcp and http, not both`},
		{"bad interval", external.Declared{Name: "nas", Address: "192.168.30.6", Services: []external.DeclaredService{{Name: "nfs", Port: 2049,
			Checks: []external.DeclaredCheck{{Interval: "often"}}}}},
			`external "nas": service "nfs" check 1: interval "often" is not a positive duration`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, _, err := tc.d.Build(); err == nil || err.Error() != tc.err {
				t.Fatalf("err = %v, want %s", err, tc.err)
			}
		})
	}
	n, ins, checks, err := (&external.Declared{Name: "pbs", Address: "192.168.30.200", Services: []external.DeclaredService{{Name: "pbs", Port: 8007}}}).Build()
	if err != nil || n.Meta[external.MetaExternalNode] != "true" || len(ins) != 1 || len(checks) != 0 {
		t.Fatalf("build = %+v %+v %+v %v", n, ins, checks, err)
	}
}
