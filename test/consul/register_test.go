package consul_test

import (
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// A registration that leaves check IDs, names and timeouts out gets
// Consul's defaults (catalog.Registration.Build), the same a Nomad job's
// service block gets from the node client.
func TestRegistrationDefaults(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	reg := &capi.AgentServiceRegistration{Name: "web", Port: 8080, Address: "127.0.0.1",
		Checks: capi.AgentServiceChecks{
			{TCP: "127.0.0.1:1", Interval: "10s"},
			{HTTP: "http://127.0.0.1:1/health", Interval: "10s", Timeout: "2s"},
			{TTL: "30s"},
		}}
	if err := c.Agent().ServiceRegister(reg); err != nil {
		t.Fatalf("register: %v", err)
	}
	svc, _, err := c.Agent().Service("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if svc.ID != "web" || svc.Weights.Passing != 1 || svc.Weights.Warning != 1 {
		t.Fatalf("service = %+v, want ID web and weights 1/1", svc)
	}
	checks, err := c.Agent().Checks()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"service:web:1": 10 * time.Second, "service:web:2": 2 * time.Second, "service:web:3": 0}
	for id, timeout := range want {
		chk, ok := checks[id]
		if !ok {
			t.Fatalf("check %s missing; have %v", id, checks)
		}
		if chk.Name != "Service 'web' check" || chk.ServiceID != "web" || chk.Status != capi.HealthCritical {
			t.Errorf("check %s = name %q service %q status %q", id, chk.Name, chk.ServiceID, chk.Status)
		}
		if chk.Definition.TimeoutDuration != timeout {
			t.Errorf("check %s timeout = %v, want %v", id, chk.Definition.TimeoutDuration, timeout)
		}
	}
	if len(checks) != len(want) {
		t.Errorf("checks = %v, want %d", checks, len(want))
	}
}
