package consul_test

import (
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// TestAgentServiceContentHash reads a local service through consul/api:
// its ContentHash (body and X-Consul-ContentHash) is the one Consul's agent
// answers for the same service, a read with that hash blocks until the
// service changes, and then answers the new hash.
func TestAgentServiceContentHash(t *testing.T) {
	a := testagent.Start(t)
	ag := newClient(t, a).Agent()
	reg := &capi.AgentServiceRegistration{Name: "foo", Tags: []string{"bar", "baz"}, Port: 8000,
		Checks: capi.AgentServiceChecks{{TTL: "15s"}, {TTL: "30s"}}}
	if err := ag.ServiceRegister(reg); err != nil {
		t.Fatal(err)
	}
	svc, qm, err := ag.Service("foo", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The value consul/api v1.34.5's TestAPI_AgentService pins.
	if svc.ContentHash != "1d5d568c14309fa8" || qm.LastContentHash != svc.ContentHash {
		t.Fatalf("hash %q, header %q", svc.ContentHash, qm.LastContentHash)
	}

	type read struct {
		svc *capi.AgentService
		err error
	}
	done := make(chan read, 1)
	go func() {
		s, _, err := ag.Service("foo", &capi.QueryOptions{WaitHash: svc.ContentHash, WaitTime: time.Minute})
		done <- read{s, err}
	}()
	reg.Port = 8001
	if err := ag.ServiceRegister(reg); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || got.svc.Port != 8001 || got.svc.ContentHash == svc.ContentHash || got.svc.ContentHash == "" {
		t.Fatalf("blocking read: %+v %v", got.svc, got.err)
	}
}
