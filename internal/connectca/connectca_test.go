package connectca_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/connectca"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/pki"
	"github.com/orbit/orbit/internal/store"
)

var (
	_ connectca.Authority = (*pki.ServiceCerts)(nil)
	_ connectca.Store     = (*store.Store)(nil)
)

// tokens resolves test secrets to policies compiled by the real ACL code.
type tokens map[string]*acl.Compiled

func (m tokens) Resolve(_ context.Context, secret string) (*acl.Compiled, error) {
	if c, ok := m[secret]; ok {
		return c, nil
	}
	return nil, acl.ErrNotFound
}

type fixture struct {
	ca     *pki.CA
	clock  *clockwork.FakeClock
	client *consul.Client
	url    string
}

// start serves the endpoints over a real store, a real CA and a fake
// clock both use; auth nil allows everything.
func start(t *testing.T, cfg connectca.Config, auth acl.Authorizer) *fixture {
	t.Helper()
	st := orbittest.NewStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	ca, err := pki.New(context.Background(), pki.Config{Now: clock.Now, Logger: orbittest.Logger(t)}, st)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Datacenter == "" {
		cfg.Datacenter = "dc1"
	}
	h, err := connectca.New(cfg, connectca.Deps{CA: ca.ServiceCerts(cfg.Datacenter), Store: st, Authorizer: auth,
		Clock: clock, Logger: orbittest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := consul.NewClient(&consul.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{ca: ca, clock: clock, client: c, url: srv.URL}
}

func TestRootsWithConsulClient(t *testing.T) {
	f := start(t, connectca.Config{}, nil)
	for name, get := range map[string]func() (*consul.CARootList, *consul.QueryMeta, error){
		"agent":   func() (*consul.CARootList, *consul.QueryMeta, error) { return f.client.Agent().ConnectCARoots(nil) },
		"connect": func() (*consul.CARootList, *consul.QueryMeta, error) { return f.client.Connect().CARoots(nil) },
	} {
		list, meta, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if meta.LastIndex == 0 || len(list.Roots) != 1 {
			t.Fatalf("%s: index %d, %d roots", name, meta.LastIndex, len(list.Roots))
		}
		root := list.Roots[0]
		if !root.Active || list.ActiveRootID != root.ID || list.TrustDomain != f.ca.TrustDomain() {
			t.Fatalf("%s: active %v, ActiveRootID %q vs ID %q, trust domain %q", name, root.Active, list.ActiveRootID, root.ID, list.TrustDomain)
		}
		if root.NotBefore == nil || root.NotAfter == nil || !root.NotAfter.After(time.Now()) {
			t.Fatalf("%s: validity %v..%v", name, root.NotBefore, root.NotAfter)
		}
		b, _ := pem.Decode([]byte(root.RootCertPEM))
		if b == nil || string(b.Bytes) != string(f.ca.Root().Raw) {
			t.Fatalf("%s: RootCert is not the CA's root", name)
		}
		if root.CreateIndex == 0 || root.ModifyIndex != meta.LastIndex {
			t.Fatalf("%s: indexes %d/%d, header %d", name, root.CreateIndex, root.ModifyIndex, meta.LastIndex)
		}
	}
	resp, err := http.Get(f.url + "/v1/connect/ca/roots?pem=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/pem-certificate-chain" {
		t.Fatalf("?pem=true Content-Type %q", ct)
	}
}

func TestLeafWithConsulClient(t *testing.T) {
	f := start(t, connectca.Config{}, nil)
	agent := f.client.Agent()
	leaf, meta, err := agent.ConnectCALeaf("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "spiffe://" + f.ca.TrustDomain() + "/ns/default/dc/dc1/svc/web"
	if leaf.Service != "web" || leaf.ServiceURI != want || meta.LastIndex != leaf.ModifyIndex {
		t.Fatalf("leaf %q %q index %d/%d, want ServiceURI %s", leaf.Service, leaf.ServiceURI, meta.LastIndex, leaf.ModifyIndex, want)
	}
	// The PEM pair is a usable key pair whose certificate chains to the
	// root listed by the roots endpoint and carries the SPIFFE ID.
	pair, err := tls.X509KeyPair([]byte(leaf.CertPEM), []byte(leaf.PrivateKeyPEM))
	if err != nil {
		t.Fatalf("CertPEM and PrivateKeyPEM: %v", err)
	}
	cert, _ := x509.ParseCertificate(pair.Certificate[0])
	roots, _, err := agent.ConnectCARoots(nil)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(roots.Roots[0].RootCertPEM))
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: f.clock.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("leaf does not chain to the listed root: %v", err)
	}
	if len(cert.URIs) != 1 || cert.URIs[0].String() != want {
		t.Fatalf("certificate URIs %v", cert.URIs)
	}
	if !leaf.ValidBefore.Equal(cert.NotAfter) || leaf.ValidBefore.Sub(leaf.ValidAfter) < 72*time.Hour {
		t.Fatalf("validity %v..%v, certificate %v..%v (want Consul's 72h)", leaf.ValidAfter, leaf.ValidBefore, cert.NotBefore, cert.NotAfter)
	}
	if !strings.EqualFold(strings.ReplaceAll(leaf.SerialNumber, ":", ""), cert.SerialNumber.Text(16)) &&
		!strings.EqualFold(strings.ReplaceAll(leaf.SerialNumber, ":", ""), "0"+cert.SerialNumber.Text(16)) {
		t.Fatalf("SerialNumber %q, certificate %x", leaf.SerialNumber, cert.SerialNumber)
	}
	again, _, err := agent.ConnectCALeaf("web", nil)
	if err != nil || again.SerialNumber != leaf.SerialNumber {
		t.Fatalf("second read: %v, serial %q then %q: want the same certificate until renewal", err, leaf.SerialNumber, again.SerialNumber)
	}

	// A blocking query at the current index returns once the certificate
	// was renewed, with a new certificate and a higher index.
	type result struct {
		leaf *consul.LeafCert
		meta *consul.QueryMeta
		err  error
	}
	done := make(chan result, 1)
	go func() {
		l, m, err := agent.ConnectCALeaf("web", &consul.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: time.Hour})
		done <- result{l, m, err}
	}()
	// Both timers (the query's wait and the renewal) must be armed before
	// the clock moves.
	if err := f.clock.BlockUntilContext(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	renew := cert.NotBefore.Add(cert.NotAfter.Sub(cert.NotBefore) * 2 / 3)
	f.clock.Advance(renew.Sub(f.clock.Now()) + time.Second)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.leaf.SerialNumber == leaf.SerialNumber || r.meta.LastIndex <= meta.LastIndex {
		t.Fatalf("after renewal: serial %q (was %q), index %d (was %d)", r.leaf.SerialNumber, leaf.SerialNumber, r.meta.LastIndex, meta.LastIndex)
	}

	if _, _, err := agent.ConnectCALeaf("bad%20name", nil); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("invalid service name: %v, want a 400", err)
	}
}

func TestCAConfigurationWithConsulClient(t *testing.T) {
	f := start(t, connectca.Config{}, nil)
	conn := f.client.Connect()
	conf, _, err := conn.CAGetConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := consul.ParseConsulCAConfig(conf.Config)
	if err != nil {
		t.Fatal(err)
	}
	if conf.Provider != "consul" || parsed.LeafCertTTL != 72*time.Hour || parsed.IntermediateCertTTL != 8760*time.Hour || parsed.RootCertTTL != 87600*time.Hour {
		t.Fatalf("default configuration %q %+v", conf.Provider, parsed)
	}
	conf.Config["LeafCertTTL"] = 6 * time.Hour
	conf.Config["IntermediateCertTTL"] = 300 * 24 * time.Hour
	conf.Config["test_state"] = map[string]string{"foo": "bar"}
	if _, err := conn.CASetConfig(conf, nil); err != nil {
		t.Fatal(err)
	}
	updated, _, err := conn.CAGetConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err = consul.ParseConsulCAConfig(updated.Config)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.LeafCertTTL != 6*time.Hour || parsed.IntermediateCertTTL != 300*24*time.Hour || updated.State["foo"] != "bar" || updated.ModifyIndex == 0 {
		t.Fatalf("after set: %+v state %v index %d", parsed, updated.State, updated.ModifyIndex)
	}
	// New leaves take the configured lifetime.
	leaf, _, err := f.client.Agent().ConnectCALeaf("api", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := leaf.ValidBefore.Sub(f.clock.Now()); got != 6*time.Hour {
		t.Fatalf("leaf lifetime %v after setting LeafCertTTL 6h", got)
	}
	for name, bad := range map[string]*consul.CAConfig{
		"vault":      {Provider: "vault", Config: map[string]any{}},
		"leaf ttl":   {Provider: "consul", Config: map[string]any{"LeafCertTTL": "10m"}},
		"root key":   {Provider: "consul", Config: map[string]any{"PrivateKey": "-----BEGIN EC PRIVATE KEY-----"}},
		"rsa":        {Provider: "consul", Config: map[string]any{"PrivateKeyType": "rsa"}},
		"bad string": {Provider: "consul", Config: map[string]any{"RootCertTTL": "forever"}},
	} {
		if _, err := conn.CASetConfig(bad, nil); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("%s: %v, want a 400", name, err)
		}
	}
}

func TestAuthorizeAndACLs(t *testing.T) {
	rules, err := acl.Parse("web.hcl", `service "web" { policy = "write" }`)
	if err != nil {
		t.Fatal(err)
	}
	auth := acl.Enforcer{Tokens: tokens{
		"web-token": acl.CompileRules("web", acl.DefaultDeny, rules),
		"":          acl.CompileRules("anonymous", acl.DefaultDeny),
	}}
	f := start(t, connectca.Config{ACLsEnabled: true, DefaultAllow: false}, auth)
	src := "spiffe://" + f.ca.TrustDomain() + "/ns/default/dc/dc1/svc/api"

	// Roots need no token, as in Consul.
	if _, _, err := f.client.Agent().ConnectCARoots(nil); err != nil {
		t.Fatalf("anonymous roots: %v", err)
	}
	if _, _, err := f.client.Agent().ConnectCALeaf("web", nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("anonymous leaf: %v, want 403", err)
	}
	if _, _, err := f.client.Connect().CAGetConfig(nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("anonymous CA configuration: %v, want 403", err)
	}
	web := &consul.QueryOptions{Token: "web-token"}
	if _, _, err := f.client.Agent().ConnectCALeaf("web", web); err != nil {
		t.Fatalf("leaf with service:write: %v", err)
	}
	if _, _, err := f.client.Agent().ConnectCALeaf("db", web); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("leaf of another service: %v, want 403", err)
	}
	c, err := consul.NewClient(&consul.Config{Address: f.url, Token: "web-token"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Agent().ConnectAuthorize(&consul.AgentAuthorizeParams{Target: "web", ClientCertURI: src})
	if err != nil {
		t.Fatal(err)
	}
	if got.Authorized || got.Reason != "Default behavior configured by ACLs" {
		t.Fatalf("default deny: %+v", got)
	}
	if _, err := c.Agent().ConnectAuthorize(&consul.AgentAuthorizeParams{Target: "db", ClientCertURI: src}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("authorize for a service the token cannot write: %v, want 403", err)
	}
	if _, err := c.Agent().ConnectAuthorize(&consul.AgentAuthorizeParams{Target: "web", ClientCertURI: "https://example.test/"}); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("authorize with a non-SPIFFE URI: %v, want 400", err)
	}

	open := start(t, connectca.Config{}, nil)
	got, err = open.client.Agent().ConnectAuthorize(&consul.AgentAuthorizeParams{Target: "web", ClientCertURI: src})
	if err != nil || !got.Authorized || got.Reason != "Default behavior configured by ACLs" {
		t.Fatalf("ACLs off: %+v %v", got, err)
	}
	ixns, _, err := open.client.Connect().Intentions(nil)
	if err != nil || len(ixns) != 0 {
		t.Fatalf("intentions: %v %v, want none", ixns, err)
	}
	allowed, _, err := open.client.Connect().IntentionCheck(&consul.IntentionCheck{Source: "api", Destination: "web"}, nil)
	if err != nil || !allowed {
		t.Fatalf("intention check with ACLs off: %v %v", allowed, err)
	}
}
