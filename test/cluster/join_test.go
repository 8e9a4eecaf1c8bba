// Package cluster_test runs several agents in one process against one
// server's store: client agents join with -servers.
package cluster_test

import (
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

func TestClientJoinsServer(t *testing.T) {
	// ACLs are on (not -dev): the client joins with the root token as its
	// agent token, the test speaks with it.
	acls := &agent.ACLConfig{Tokens: &agent.ACLTokens{InitialManagement: orbittest.RootToken}}
	srv := testagent.Start(t, func(c *agent.Config) {
		c.Dev, c.ACL = false, acls
		c.Server, c.Client, c.Edge = true, true, false
	})
	cli := testagent.Start(t, func(c *agent.Config) {
		c.Dev, c.NodeName, c.Servers, c.ACL = false, "node2", srv.Addr, acls
	})
	if cli.Store().Embedded() {
		t.Fatal("client agent started its own store instead of joining")
	}
	sc, _ := capi.NewClient(&capi.Config{Address: srv.Addr, Token: orbittest.RootToken})
	cc, _ := capi.NewClient(&capi.Config{Address: cli.Addr, Token: orbittest.RootToken})

	members, err := sc.Agent().Members(false)
	if err != nil || len(members) != 2 {
		t.Fatalf("members seen by the server: %+v %v", members, err)
	}
	// A service registered on the client is in the server's catalog, on node2.
	if err := cc.Agent().ServiceRegister(&capi.AgentServiceRegistration{ID: "w", Name: "worker",
		Check: &capi.AgentServiceCheck{CheckID: "w-ttl", TTL: "1h", Status: "passing"}}); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 5*time.Second, "server sees node2's service", func() bool {
		es, _, err := sc.Health().Service("worker", "", true, nil)
		return err == nil && len(es) == 1 && es[0].Node.Node == "node2"
	})
	// The client stops: its node's liveness goes, its instance turns critical.
	cli.Stop(t)
	orbittest.Eventually(t, 5*time.Second, "node2's instance critical on the server", func() bool {
		es, _, err := sc.Health().Service("worker", "", false, nil)
		return err == nil && len(es) == 1 && es[0].Checks.AggregatedStatus() == "critical"
	})
	members, _ = sc.Agent().Members(false)
	for _, m := range members {
		if m.Name == "node2" && m.Status == 1 {
			t.Fatal("stopped client still reported alive")
		}
	}
}

// TestClientWithoutATokenCannotJoin: with ACLs on a client agent needs a
// token allowed to read the server's agent endpoint.
func TestClientWithoutATokenCannotJoin(t *testing.T) {
	srv := testagent.Start(t, func(c *agent.Config) {
		c.Dev, c.ACL = false, &agent.ACLConfig{Tokens: &agent.ACLTokens{InitialManagement: orbittest.RootToken}}
		c.Server, c.Client, c.Edge = true, false, false
	})
	cfg := &agent.Config{DataDir: t.TempDir(), NodeName: "node2", Servers: srv.Addr, HTTPAddr: "127.0.0.1:0", DNSAddr: "off"}
	a, err := agent.New(cfg, orbittest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "lacks permission 'agent:read'") {
		t.Fatalf("join without a token: %v, want the server's 403", err)
	}
}

func TestJoinErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  agent.Config
	}{
		{"servers and store", agent.Config{DataDir: t.TempDir(), Servers: "127.0.0.1:1", Store: "etcd://127.0.0.1:2"}},
		{"servers with server role", agent.Config{DataDir: t.TempDir(), Servers: "127.0.0.1:1", Server: true}},
	} {
		if _, err := agent.New(&tc.cfg, orbittest.Logger(t)); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
