package dns

import (
	"slices"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/routing"
)

// tableHosts serves RouterHosts from a real routing table, as the proxy
// does with the table it swaps in.
type tableHosts struct{ t atomic.Pointer[routing.Table] }

func (h *tableHosts) RouterHosts() map[string]bool { return h.t.Load().Hosts() }

func build(status routing.Status) *routing.Table {
	return routing.Build(routing.Config{EntryPoints: []routing.EntryPoint{{Name: "web"}}}, []routing.ServiceInstances{{
		Name: "app",
		Instances: []routing.Instance{{ID: "app-1", Node: "n1", Address: "10.0.0.1", Port: 20100, Status: status,
			Tags: []string{"traefik.enable=true", "traefik.http.routers.app.rule=Host(`app.lab.example`) || Host(`www.app.test`)"}}},
	}})
}

func TestRouterHostsFromRoutingTable(t *testing.T) {
	var hosts tableHosts
	hosts.t.Store(build(routing.StatusPassing))
	e := start(t, Config{RouterPoll: 20e6}, &hosts)
	if _, err := e.st.RegisterNode(t.Context(), &catalog.Node{Name: "edge1", Address: "127.0.0.51", Roles: []string{"edge"}}, 0); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app.lab.example.", "www.app.test."} {
		orbittestEventually(t, name+" answered from the routing table", func() bool {
			return slices.Equal(answers(e.query(t, name, dns.TypeA, "udp")), []string{"127.0.0.51"})
		})
	}
	// The router's only instance turns critical: the proxy swaps in a new
	// table and the names leave DNS.
	hosts.t.Store(build(routing.StatusCritical))
	orbittestEventually(t, "router host gone with its backend", func() bool {
		return e.query(t, "app.lab.example.", dns.TypeA, "udp").Rcode == dns.RcodeRefused
	})
}
