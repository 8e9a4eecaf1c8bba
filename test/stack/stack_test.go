// Package stack_test runs one whole dev agent and checks that its parts
// work together the way the standard's diagram draws them: a service
// registers through the Consul API, its health drives the edge load
// balancer and DNS, and the edge serves its router host over HTTPS with a
// certificate from the internal CA.
package stack_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"
	mdns "github.com/miekg/dns"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

func query(t *testing.T, server, name string, qtype uint16) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	r, _, err := (&mdns.Client{Timeout: 2 * time.Second}).Exchange(m, server)
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	return r
}

func TestServiceReachesEdgeAndDNS(t *testing.T) {
	a := testagent.Start(t)
	c, _ := capi.NewClient(&capi.Config{Address: a.Addr})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s%s", r.Host, r.URL.Path)
	}))
	defer backend.Close()
	host, portStr, _ := net.SplitHostPort(backend.Listener.Addr().String())
	var port int
	fmt.Sscan(portStr, &port)

	err := c.Agent().ServiceRegister(&capi.AgentServiceRegistration{ID: "myapp-1", Name: "myapp", Address: host, Port: port,
		Tags: []string{"traefik.enable=true", "traefik.http.routers.myapp.rule=Host(`myapp.lab.example`)",
			"traefik.http.routers.myapp-secure.rule=Host(`myapp.lab.example`)",
			"traefik.http.routers.myapp-secure.entrypoints=websecure", "traefik.http.routers.myapp-secure.tls=true"},
		Check: &capi.AgentServiceCheck{HTTP: backend.URL + "/health", Interval: "1s", Timeout: "500ms"}})
	if err != nil {
		t.Fatal(err)
	}
	web := a.EdgeAddrs()["web"].String()
	dnsAddr := a.DNSAddr().String()

	get := func() (int, string) {
		req, _ := http.NewRequest("GET", "http://"+web+"/x", nil)
		req.Host = "myapp.lab.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Before its check passes, the instance gets no traffic and no DNS.
	if code, _ := get(); code == 200 {
		t.Fatal("edge routed to an instance whose check has not passed")
	}
	orbittest.Eventually(t, 10*time.Second, "edge routes to myapp", func() bool {
		code, body := get()
		return code == 200 && body == "hello from myapp.lab.example/x"
	})
	orbittest.Eventually(t, 5*time.Second, "DNS answers myapp.service.consul", func() bool {
		r := query(t, dnsAddr, "myapp.service.consul", mdns.TypeA)
		return len(r.Answer) == 1 && r.Answer[0].(*mdns.A).A.String() == host
	})
	srv := query(t, dnsAddr, "_myapp._tcp.service.consul", mdns.TypeSRV)
	if len(srv.Answer) != 1 || int(srv.Answer[0].(*mdns.SRV).Port) != port {
		t.Fatalf("SRV: %v", srv.Answer)
	}
	orbittest.Eventually(t, 5*time.Second, "router host resolves to the edge node", func() bool {
		r := query(t, dnsAddr, "myapp.lab.example", mdns.TypeA)
		return len(r.Answer) == 1 && r.Answer[0].(*mdns.A).A.String() == "127.0.0.1"
	})

	// HTTPS on the router host with a certificate issued on the fly.
	secure := a.EdgeAddrs()["websecure"].String()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.CA().RootPool()},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, secure)
		}}
	resp, err := (&http.Client{Transport: tr}).Get("https://myapp.lab.example/secure")
	if err != nil {
		t.Fatalf("https through the edge: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "/secure") {
		t.Fatalf("https: %d %s", resp.StatusCode, body)
	}

	// dig, the real client, sees the same answers.
	if dig, err := exec.LookPath("dig"); err == nil {
		h, p, _ := net.SplitHostPort(dnsAddr)
		out, err := exec.Command(dig, "@"+h, "-p", p, "+short", "myapp.service.consul").Output()
		if err != nil || strings.TrimSpace(string(out)) != host {
			t.Fatalf("dig: %q %v", out, err)
		}
	}

	// The check fails: the edge stops routing and DNS drops the instance.
	if err := c.Agent().ServiceRegister(&capi.AgentServiceRegistration{ID: "myapp-1", Name: "myapp", Address: host, Port: port,
		Tags:  []string{"traefik.enable=true", "traefik.http.routers.myapp.rule=Host(`myapp.lab.example`)"},
		Check: &capi.AgentServiceCheck{TCP: "127.0.0.1:1", Interval: "1s", Timeout: "200ms"}}); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 10*time.Second, "edge stops routing to the critical instance", func() bool {
		code, _ := get()
		return code == http.StatusServiceUnavailable || code == http.StatusNotFound
	})
	orbittest.Eventually(t, 5*time.Second, "DNS drops the critical instance", func() bool {
		r := query(t, dnsAddr, "myapp.service.consul", mdns.TypeA)
		return len(r.Answer) == 0
	})
}

// TestMetricsExposition checks that the agent exports every component's
// metrics in Prometheus's format on /metrics.
func TestMetricsExposition(t *testing.T) {
	a := testagent.Start(t)
	c, _ := capi.NewClient(&capi.Config{Address: a.Addr})
	if err := c.Agent().ServiceRegister(&capi.AgentServiceRegistration{Name: "m", Check: &capi.AgentServiceCheck{TTL: "1h"}}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(a.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, name := range []string{"orbit_api_requests_total", "orbit_view_revision", "orbit_view_events_total",
		"orbit_health_", "orbit_dns_", "orbit_proxy_", "orbit_scheduler_", "orbit_client_", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}
