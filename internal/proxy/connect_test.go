package proxy

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/pki"
)

// connectBackend is a Go TLS server presenting cert and requiring a client
// certificate from the internal CA; it answers the client certificate's
// SPIFFE ID.
func connectBackend(t *testing.T, ca *pki.CA, cert *tls.Certificate) int {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uri := ""
		if peers := r.TLS.PeerCertificates; len(peers) > 0 && len(peers[0].URIs) > 0 {
			uri = peers[0].URIs[0].String()
		}
		json.NewEncoder(w).Encode(map[string]string{"client": uri})
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.RootPool()}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// TestConnectBackend: a service tagged traefik.consulcatalog.connect=true
// is reached over mutual TLS: the edge presents its own Connect
// certificate (SPIFFE ID of "traefik") and accepts only a backend whose
// certificate names the routed service.
func TestConnectBackend(t *testing.T) {
	var certs *pki.ServiceCerts
	e := startEdgeDeps(t, Config{}, true, -1, nil, func(d *Deps) {
		certs = d.CA.(*pki.CA).ServiceCerts("dc1")
		d.Connect = certs
	})
	mesh, err := certs.Leaf("mesh", 0)
	if err != nil {
		t.Fatal(err)
	}
	e.register("mesh", "mesh-1", connectBackend(t, e.ca, mesh), catalog.Passing, "traefik.consulcatalog.connect=true")
	// An impostor: registered as billing, it presents mesh's certificate.
	e.register("billing", "billing-1", connectBackend(t, e.ca, mesh), catalog.Passing, "traefik.consulcatalog.connect=true")
	// A foreign CA's certificate for the right name.
	other, err := pki.New(t.Context(), pki.Config{}, &pki.MemStorage{})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.ServiceCerts("dc1").Leaf("ledger", 0)
	if err != nil {
		t.Fatal(err)
	}
	e.register("ledger", "ledger-1", connectBackend(t, e.ca, foreign), catalog.Passing, "traefik.consulcatalog.connect=true")

	c := e.client()
	e.waitFor(c, "http://mesh/", http.StatusOK)
	resp, err := c.Get("http://mesh/")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := pki.ServiceURI(e.ca.TrustDomain(), "dc1", "traefik").String(); got["client"] != want {
		t.Fatalf("backend saw client %q, want %q", got["client"], want)
	}
	for _, host := range []string{"billing", "ledger"} {
		e.waitFor(c, "http://"+host+"/", http.StatusBadGateway)
	}
}

// TestConnectBackendWithoutCerts: an edge without Connect certificates
// refuses to reach a Connect backend instead of reaching it without TLS.
func TestConnectBackendWithoutCerts(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	b := newBackend(t, "plain")
	e.register("mesh", "mesh-1", b.port, catalog.Passing, "traefik.consulcatalog.connect=true")
	e.waitFor(e.client(), "http://mesh/", http.StatusBadGateway)
	if n := b.hits.Load(); n != 0 {
		t.Fatalf("the backend was reached %d times without mutual TLS", n)
	}
}
