package consul_test

import (
	"reflect"
	"strings"
	"testing"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// TestNodeFieldsAndConsulService checks what Consul's own suite expects of a
// fresh server: the configured node id and meta, tagged addresses with the
// _ipv4 forms, consul-network-segment and consul-version metadata, a
// `consul` service in the catalog (but not among the agent's services), and
// "No path to datacenter" for another datacenter.
func TestNodeFieldsAndConsulService(t *testing.T) {
	const id = "0a6a0e73-9a4f-4d2b-b3a6-a1f6c3a1e001"
	a := testagent.Start(t, func(c *agent.Config) {
		c.NodeID = id
		c.NodeMeta = map[string]string{"rack": "r1"}
	})
	c := newClient(t, a)
	nodes, _, err := c.Catalog().Nodes(nil)
	if err != nil || len(nodes) != 1 {
		t.Fatalf("nodes: %v %v", nodes, err)
	}
	n := nodes[0]
	if n.ID != id {
		t.Errorf("node id %q, want %q", n.ID, id)
	}
	wantTagged := map[string]string{"lan": n.Address, "lan_ipv4": n.Address, "wan": n.Address, "wan_ipv4": n.Address}
	if !reflect.DeepEqual(n.TaggedAddresses, wantTagged) {
		t.Errorf("tagged addresses %v, want %v", n.TaggedAddresses, wantTagged)
	}
	if v, ok := n.Meta["consul-network-segment"]; !ok || v != "" {
		t.Errorf("meta %v lacks consul-network-segment", n.Meta)
	}
	if n.Meta["consul-version"] != agent.Version || n.Meta["rack"] != "r1" {
		t.Errorf("meta %v, want consul-version %s and rack r1", n.Meta, agent.Version)
	}
	svc, _, err := c.Catalog().Service("consul", "", nil)
	if err != nil || len(svc) != 1 || svc[0].Node != n.Node || svc[0].ServicePort == 0 {
		t.Fatalf("consul service: %+v %v", svc, err)
	}
	local, err := c.Agent().Services()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := local["consul"]; ok {
		t.Errorf("agent services list the server's consul service: %v", local)
	}
	_, err = c.Status().LeaderWithQueryOptions(&capi.QueryOptions{Datacenter: "elsewhere"})
	if err == nil || !strings.Contains(err.Error(), "No path to datacenter") {
		t.Errorf("leader in another dc: %v, want No path to datacenter", err)
	}
}

// TestConnectKindsAsCatalogData registers a sidecar, an external
// connect-proxy, a Connect-native service and a gateway, and reads them
// back through the agent, catalog, health and connect endpoints.
func TestConnectKindsAsCatalogData(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	ag := c.Agent()
	if err := ag.ServiceRegister(&capi.AgentServiceRegistration{Name: "foo", Port: 8000,
		Connect: &capi.AgentServiceConnect{SidecarService: &capi.AgentServiceRegistration{}}}); err != nil {
		t.Fatalf("register with sidecar: %v", err)
	}
	proxy := &capi.AgentServiceConnectProxyConfig{DestinationServiceName: "web", DestinationServiceID: "web1",
		LocalServiceAddress: "127.0.0.2", LocalServicePort: 8080, Mode: capi.ProxyModeTransparent,
		Upstreams: []capi.Upstream{{DestinationName: "db", LocalBindPort: 9191}}}
	if err := ag.ServiceRegister(&capi.AgentServiceRegistration{Kind: capi.ServiceKindConnectProxy, ID: "web-proxy1",
		Name: "web-proxy", Port: 8001, Proxy: proxy}); err != nil {
		t.Fatalf("register proxy: %v", err)
	}
	if err := ag.ServiceRegister(&capi.AgentServiceRegistration{Name: "redis", Port: 6379,
		Connect: &capi.AgentServiceConnect{Native: true}}); err != nil {
		t.Fatalf("register native: %v", err)
	}
	if err := ag.ServiceRegister(&capi.AgentServiceRegistration{Kind: capi.ServiceKindMeshGateway, Name: "mesh", Port: 8443}); err != nil {
		t.Fatalf("register gateway: %v", err)
	}
	if err := ag.ServiceRegister(&capi.AgentServiceRegistration{Kind: capi.ServiceKindConnectProxy, Name: "bad", Port: 1}); err == nil {
		t.Error("a connect-proxy without a destination was accepted")
	}

	svcs, err := ag.Services()
	if err != nil {
		t.Fatal(err)
	}
	sc, ok := svcs["foo-sidecar-proxy"]
	if !ok || sc.Kind != capi.ServiceKindConnectProxy || sc.Proxy == nil || sc.Proxy.DestinationServiceName != "foo" ||
		sc.Proxy.LocalServicePort != 8000 || sc.Port < 21000 || sc.Port > 21255 {
		t.Fatalf("sidecar %+v", sc)
	}
	if got := svcs["web-proxy1"]; got == nil || !reflect.DeepEqual(got.Proxy, proxy) {
		t.Errorf("proxy answered %+v, want %+v", got, proxy)
	}
	if g := svcs["mesh"]; g == nil || g.Kind != capi.ServiceKindMeshGateway {
		t.Errorf("gateway %+v", g)
	}

	conn, _, err := c.Catalog().Connect("web", "", nil)
	if err != nil || len(conn) != 1 || conn[0].ServiceID != "web-proxy1" || conn[0].ServicePort != 8001 ||
		!reflect.DeepEqual(conn[0].ServiceProxy, proxy) {
		t.Errorf("catalog connect web: %+v %v", conn, err)
	}
	native, _, err := c.Catalog().Connect("redis", "", nil)
	if err != nil || len(native) != 1 || native[0].ServiceName != "redis" {
		t.Errorf("catalog connect redis: %+v %v", native, err)
	}
	hc, _, err := c.Health().Connect("foo", "", false, nil)
	if err != nil || len(hc) != 1 || hc[0].Service.ID != "foo-sidecar-proxy" {
		t.Errorf("health connect foo: %+v %v", hc, err)
	}
	gw, _, err := c.Catalog().GatewayServices("mesh", nil)
	if err != nil || len(gw) != 0 {
		t.Errorf("gateway services: %v %v", gw, err)
	}

	if err := ag.ServiceDeregister("foo"); err != nil {
		t.Fatal(err)
	}
	svcs, err = ag.Services()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := svcs["foo-sidecar-proxy"]; ok {
		t.Errorf("the sidecar outlived its service: %v", svcs)
	}
}

// TestCatalogSkipNodeUpdateBeforeNode registers a service with
// SkipNodeUpdate before its node, as Consul's suite does in map order: the
// node is created, and its own registration then sets its address.
func TestCatalogSkipNodeUpdateBeforeNode(t *testing.T) {
	a := testagent.Start(t)
	cat := newClient(t, a).Catalog()
	if _, err := cat.Register(&capi.CatalogRegistration{Node: "foo", SkipNodeUpdate: true,
		Service: &capi.AgentService{ID: "redis2", Service: "redis", Port: 1235, Address: "198.18.1.2"}}, nil); err != nil {
		t.Fatalf("service before its node: %v", err)
	}
	if _, err := cat.Register(&capi.CatalogRegistration{Node: "foo", Address: "198.18.1.1"}, nil); err != nil {
		t.Fatal(err)
	}
	n, _, err := cat.Node("foo", nil)
	if err != nil || n == nil || n.Node.Address != "198.18.1.1" || n.Services["redis2"] == nil {
		t.Fatalf("node: %+v %v", n, err)
	}
	if _, err := cat.Register(&capi.CatalogRegistration{Node: "bar", SkipNodeUpdate: true,
		Service: &capi.AgentService{ID: "x", Service: "x"}}, nil); err == nil {
		t.Error("a new node with no address at all was accepted")
	}
}
