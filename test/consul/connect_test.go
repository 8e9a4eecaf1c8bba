package consul_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// TestConnectCA: a whole agent answers Consul's Connect CA endpoints to the
// real client: an active root on both roots paths (what Consul's own test
// servers wait for), the "consul" provider configuration, and a service
// certificate that chains to the listed root and names the service's
// SPIFFE ID in the agent's datacenter.
func TestConnectCA(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	roots, meta, err := c.Agent().ConnectCARoots(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(roots.Roots) != 1 || !roots.Roots[0].Active || roots.ActiveRootID != roots.Roots[0].ID || meta.LastIndex == 0 {
		t.Fatalf("agent roots: %+v index %d", roots, meta.LastIndex)
	}
	same, _, err := c.Connect().CARoots(nil)
	if err != nil || same.ActiveRootID != roots.ActiveRootID || same.TrustDomain != roots.TrustDomain {
		t.Fatalf("connect roots differ from the agent's: %+v %v", same, err)
	}
	conf, _, err := c.Connect().CAGetConfig(nil)
	if err != nil || conf.Provider != "consul" {
		t.Fatalf("CA configuration: %+v %v", conf, err)
	}
	leaf, _, err := c.Agent().ConnectCALeaf("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair([]byte(leaf.CertPEM), []byte(leaf.PrivateKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(roots.Roots[0].RootCertPEM)) {
		t.Fatal("RootCert is not PEM")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Fatalf("leaf does not chain to the listed root: %v", err)
	}
	self, err := c.Agent().Self()
	if err != nil {
		t.Fatal(err)
	}
	want := "spiffe://" + roots.TrustDomain + "/ns/default/dc/" + self["Config"]["Datacenter"].(string) + "/svc/web"
	if len(cert.URIs) != 1 || cert.URIs[0].String() != want || leaf.ServiceURI != want {
		t.Fatalf("URI SAN %v, ServiceURI %q, want %s", cert.URIs, leaf.ServiceURI, want)
	}
}
