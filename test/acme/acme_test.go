// Package acme_test runs two edge agents on one store against pebble,
// Let's Encrypt's test ACME server, validating through orbit's own DNS.
package acme_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
	"github.com/orbit/orbit/internal/zone"
)

// served connects to addr for name, trusting roots only, and returns the
// leaf's serial (hex) and the page behind it.
func served(addr, name string, roots *x509.CertPool) (string, string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
	defer c.CloseIdleConnections()
	resp, err := c.Get("https://" + name + "/")
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.ToLower(resp.TLS.PeerCertificates[0].SerialNumber.Text(16)), string(b), nil
}

// orders reads the agent's count of successful first orders.
func orders(t *testing.T, a *testagent.Agent) string {
	resp, err := http.Get(a.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "orbit_acme_orders_total{") && strings.Contains(l, `result="obtain_ok"`) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// TestTwoEdgesOneOrderEach: a wildcard through DNS-01 (the challenge
// record written to orbit's zone and served by its DNS) and a name
// through HTTP-01 are each ordered once for two edge agents on one store,
// and both serve both certificates, which a client trusting pebble's root
// accepts; /v1/edge/certs lists them.
func TestTwoEdgesOneOrderEach(t *testing.T) {
	webA, tlsA, dnsA := orbittest.FreeAddr(t), orbittest.FreeAddr(t), orbittest.FreeAddr(t)
	pebble := orbittest.StartPebble(t, orbittest.PebbleConfig{
		HTTPPort: orbittest.PortOf(t, webA), TLSPort: orbittest.PortOf(t, tlsA), DNSServer: dnsA})
	root := filepath.Join(t.TempDir(), "pebble-root.pem")
	if err := os.WriteFile(root, pebble.CARoot, 0o600); err != nil {
		t.Fatal(err)
	}
	resolver := func(name, challenge string) agent.ResolverConfig {
		return agent.ResolverConfig{Name: name, ACME: &agent.ACMEConfig{Email: "ops@lab.test", CAServer: pebble.Directory,
			CARoot: root, Challenge: challenge}}
	}
	edgeCfg := &agent.EdgeConfig{Resolvers: []agent.ResolverConfig{resolver("le", "dns-01"), resolver("web", "http-01")}}
	a := testagent.Start(t, func(c *agent.Config) {
		c.NodeName, c.DNSAddr, c.EdgeCfg = "edge1", dnsA, edgeCfg
		c.EntryPoints = map[string]string{"web": webA, "websecure": tlsA}
	})
	b := testagent.Start(t, func(c *agent.Config) {
		// On loopback, as edge1: pebble reaches either edge's name on
		// edge1's ports, wherever the order runs.
		c.Dev, c.NodeName, c.Servers, c.Edge, c.EdgeCfg, c.BindAddr = false, "edge2", a.Addr, true, edgeCfg, "127.0.0.1"
		// The cluster's server is -dev, so it has no ACLs: neither does
		// this client of it.
		c.ACL = &agent.ACLConfig{Enabled: new(bool)}
	})
	ctx := context.Background()
	if _, _, err := a.Store().ChangeZone(ctx, "lab.test.", zone.Change{Create: true, Put: []zone.RRSet{
		{Name: "*.lab.test.", Type: "A", TTL: 5, Records: []string{"127.0.0.1"}}}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello "+r.Host) }))
	t.Cleanup(backend.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(backend.URL, "http://"))
	cc, _ := capi.NewClient(&capi.Config{Address: a.Addr})
	p, _ := net.LookupPort("tcp", port)
	if err := cc.Agent().ServiceRegister(&capi.AgentServiceRegistration{Name: "app", Port: p, Address: "127.0.0.1",
		Tags: []string{"traefik.enable=true",
			"traefik.http.routers.app.rule=Host(`app.lab.test`)", "traefik.http.routers.app.tls.certresolver=le",
			"traefik.http.routers.app.tls.domains[0].main=*.lab.test",
			"traefik.http.routers.www.rule=Host(`www.lab.test`)", "traefik.http.routers.www.tls.certresolver=web",
			"traefik.http.routers.www.service=app"},
		Check: &capi.AgentServiceCheck{TTL: "1h", Status: "passing"}}); err != nil {
		t.Fatal(err)
	}
	roots := pebble.IssuedRoots(t)
	edges := map[string]string{"edge1": a.EdgeAddrs()["websecure"].String(), "edge2": b.EdgeAddrs()["websecure"].String()}
	for _, name := range []string{"app.lab.test", "www.lab.test"} {
		serials := map[string]string{}
		orbittest.Eventually(t, 120*time.Second, name+" served by both edges with a certificate from pebble", func() bool {
			for node, addr := range edges {
				serial, page, err := served(addr, name, roots)
				if err != nil || page != "hello "+name {
					return false
				}
				serials[node] = serial
			}
			return true
		})
		if serials["edge1"] != serials["edge2"] {
			t.Errorf("%s: edge1 serves serial %s, edge2 %s: ordered twice", name, serials["edge1"], serials["edge2"])
		}
	}
	// One order per name across the two agents.
	got := orders(t, a) + "; " + orders(t, b)
	for _, res := range []string{"le", "web"} {
		if n := strings.Count(got, `resolver="`+res+`",result="obtain_ok"} 1`); n != 1 {
			t.Errorf("orders of %s: %s, want one in all", res, got)
		}
	}
	// The challenge record is gone from the zone.
	_, sets, _, err := a.Store().ReadZone(ctx, "lab.test.")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets {
		if s.Type == "TXT" {
			t.Errorf("challenge record left behind: %+v", s)
		}
	}
	// Both edges list both certificates.
	for _, ag := range []*testagent.Agent{a, b} {
		resp, err := http.Get(ag.URL + "/v1/edge/certs")
		if err != nil {
			t.Fatal(err)
		}
		var certs []struct {
			Resolver, Name, Issuer, LastError string
			Names                             []string
			NotAfter                          time.Time
		}
		err = json.NewDecoder(resp.Body).Decode(&certs)
		resp.Body.Close()
		if err != nil || len(certs) != 2 || certs[0].Name != "*.lab.test" || certs[1].Name != "www.lab.test" ||
			certs[0].NotAfter.IsZero() || certs[1].Issuer == "" {
			t.Errorf("%s /v1/edge/certs: %+v %v", ag.Addr, certs, err)
		}
	}
}
