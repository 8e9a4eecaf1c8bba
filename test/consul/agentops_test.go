package consul_test

import (
	"strings"
	"testing"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// TestMaintenanceHostJoinForceLeave drives the agent endpoints Consul's
// suite calls: service and node maintenance, host, join and force-leave.
func TestMaintenanceHostJoinForceLeave(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	ag := c.Agent()
	if err := ag.ServiceRegister(&capi.AgentServiceRegistration{Name: "redis"}); err != nil {
		t.Fatal(err)
	}
	maint := func() map[string]*capi.AgentCheck {
		t.Helper()
		checks, err := ag.Checks()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*capi.AgentCheck{}
		for id, ch := range checks {
			if strings.Contains(id, "maintenance") {
				out[id] = ch
			}
		}
		return out
	}
	if err := ag.EnableServiceMaintenance("redis", "broken"); err != nil {
		t.Fatal(err)
	}
	if err := ag.EnableNodeMaintenance("rebooting"); err != nil {
		t.Fatal(err)
	}
	m := maint()
	if ch := m["_service_maintenance:redis"]; ch == nil || ch.Status != capi.HealthCritical || ch.Notes != "broken" || ch.ServiceID != "redis" {
		t.Errorf("service maintenance check: %+v", m)
	}
	if ch := m["_node_maintenance"]; ch == nil || ch.Status != capi.HealthCritical || ch.Notes != "rebooting" {
		t.Errorf("node maintenance check: %+v", m)
	}
	if err := ag.DisableServiceMaintenance("redis"); err != nil {
		t.Fatal(err)
	}
	if err := ag.DisableNodeMaintenance(); err != nil {
		t.Fatal(err)
	}
	if m := maint(); len(m) != 0 {
		t.Errorf("maintenance checks left: %v", m)
	}
	if err := ag.EnableServiceMaintenance("nosuch", ""); err == nil {
		t.Error("maintenance of an unknown service was accepted")
	}

	host, err := ag.Host()
	if err != nil || host["CollectionTime"] == nil {
		t.Errorf("host: %v %v", host, err)
	}

	self, err := ag.Self()
	if err != nil {
		t.Fatal(err)
	}
	lan, _ := self["DebugConfig"]["SerfAdvertiseAddrLAN"].(string)
	if err := ag.Join(strings.TrimPrefix(lan, "tcp://"), false); err != nil {
		t.Errorf("join own address %q: %v", lan, err)
	}
	if err := ag.Join("192.0.2.1:8301", false); err == nil {
		t.Error("joining another address at run time was accepted")
	}
	name := self["Config"]["NodeName"].(string)
	if err := ag.ForceLeavePrune(name); err != nil {
		t.Errorf("force-leave of a live node: %v", err)
	}
	if _, _, err := c.Catalog().Node(name, nil); err != nil {
		t.Errorf("a live node was removed: %v", err)
	}
	if err := ag.ForceLeave("nosuch"); err == nil {
		t.Error("force-leave of an unknown node was accepted")
	}
}

// TestAgentHealthByID reads one local instance's aggregated health: its
// status and answer, and critical with no answer for an unknown id.
func TestAgentHealthByID(t *testing.T) {
	a := testagent.Start(t)
	ag := newClient(t, a).Agent()
	reg := &capi.AgentServiceRegistration{Name: "foo", ID: "foo", Port: 9000,
		Locality: &capi.Locality{Region: "us-west-1", Zone: "us-west-1a"},
		Check:    &capi.AgentServiceCheck{TTL: "15s"}}
	if err := ag.ServiceRegister(reg); err != nil {
		t.Fatal(err)
	}
	state, out, err := ag.AgentHealthServiceByID("foo")
	if err != nil || out == nil || state != capi.HealthCritical || out.Service.Port != 9000 ||
		out.Service.Locality == nil || *out.Service.Locality != *reg.Locality {
		t.Fatalf("critical instance: %s %+v %v", state, out, err)
	}
	if err := ag.PassTTL("service:foo", ""); err != nil {
		t.Fatal(err)
	}
	if state, out, err = ag.AgentHealthServiceByID("foo"); err != nil || out == nil || state != capi.HealthPassing {
		t.Fatalf("passing instance: %s %+v %v", state, out, err)
	}
	if state, out, err = ag.AgentHealthServiceByID("nosuch"); err != nil || out != nil || state != capi.HealthCritical {
		t.Fatalf("unknown instance: %s %+v %v", state, out, err)
	}
}
