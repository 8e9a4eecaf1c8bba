package acl_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/pki"
)

// certFiles are a node's PEM files signed by a test CA.
type certFiles struct{ ca, cert, key string }

// testCA is an internal CA in memory whose root is written to a file.
type testCA struct {
	ca     *pki.CA
	caFile string
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	ca, err := pki.New(context.Background(), pki.Config{}, &pki.MemStorage{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, ca.RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return testCA{ca: ca, caFile: file}
}

// node signs a node certificate for name (with 127.0.0.1) as a joining
// agent gets it, and writes the key and chain.
func (c testCA) node(t *testing.T, name string) certFiles {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}, key)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := c.ca.SignNode(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}), name)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := certFiles{ca: c.caFile, cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	if err := os.WriteFile(f.cert, chain, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// tlsConfigFile is an agent configuration with ACLs (the test's root
// token as initial management and agent token) and a tls block.
func tlsConfigFile(t *testing.T, f certFiles, verifyIncoming bool) string {
	t.Helper()
	hcl := fmt.Sprintf(`acl {
  tokens {
    initial_management = %q
  }
}
tls {
  defaults {
    ca_file         = %q
    cert_file       = %q
    key_file        = %q
    verify_incoming = %t
    verify_outgoing = true
  }
  internal_rpc {
    verify_server_hostname = true
  }
}
`, orbittest.RootToken, f.ca, f.cert, f.key, verifyIncoming)
	file := filepath.Join(t.TempDir(), "tls.hcl")
	if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// tlsConsul is a consul/api client of an HTTPS agent.
func tlsConsul(t *testing.T, addr string, f certFiles) *capi.Client {
	t.Helper()
	c, err := capi.NewClient(&capi.Config{Address: addr, Scheme: "https", Token: orbittest.RootToken,
		TLSConfig: capi.TLSConfig{CAFile: f.ca, CertFile: f.cert, KeyFile: f.key}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// etcdClient dials endpoint with cert (nil: none), trusting ca.
func etcdClient(t *testing.T, endpoint, ca string, cert *tls.Certificate) *clientv3.Client {
	t.Helper()
	b, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	tc := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	if cert != nil {
		tc.Certificates = []tls.Certificate{*cert}
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, TLS: tc, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestTLSAgentsAndStore: a server and a client agent with a tls block
// (certificates from one CA) serve the API over HTTPS, and the client
// reaches the server's store over mutual TLS. consul/api works over
// HTTPS; plain HTTP gets no answer; etcd's own client is refused at the
// handshake without a certificate or with one from another CA, and served
// with one from the cluster's CA.
func TestTLSAgentsAndStore(t *testing.T) {
	bin := orbittest.Build(t, "github.com/orbit/orbit/cmd/orbit")
	ca := newTestCA(t)
	srvCert, cliCert := ca.node(t, "srv"), ca.node(t, "cli")
	srv := orbittest.StartAgentProcess(t, bin, "-server", "-node", "srv", "-bind", "127.0.0.1", "-data-dir", t.TempDir(),
		"-config", tlsConfigFile(t, srvCert, false))
	cli := orbittest.StartAgentProcess(t, bin, "-client", "-node", "cli", "-bind", "127.0.0.1", "-data-dir", t.TempDir(),
		"-servers", srv.Addr, "-config", tlsConfigFile(t, cliCert, true))

	// The API over HTTPS, with consul/api.
	sc := tlsConsul(t, srv.Addr, cliCert)
	self, err := sc.Agent().Self()
	if err != nil {
		t.Fatalf("agent self over HTTPS: %v", err)
	}
	cc := tlsConsul(t, cli.Addr, cliCert)
	if err := cc.Agent().ServiceRegister(&capi.AgentServiceRegistration{Name: "web", Port: 8080, Address: "127.0.0.1"}); err != nil {
		t.Fatalf("register through the client agent over HTTPS: %v", err)
	}
	// The client agent wrote through the store over mTLS: the server sees it.
	orbittest.Eventually(t, 30*time.Second, "web registered through the client agent", func() bool {
		ss, _, err := sc.Catalog().Service("web", "", nil)
		return err == nil && len(ss) == 1 && ss[0].Node == "cli"
	})
	if _, err := sc.KV().Put(&capi.KVPair{Key: "tls/k", Value: []byte("v")}, nil); err != nil {
		t.Fatalf("kv put over HTTPS: %v", err)
	}

	// Plain HTTP is not answered as the API.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + srv.Addr + "/v1/agent/self")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP answered 200 by an HTTPS agent")
		}
	}
	// The client agent asks for client certificates (verify_incoming):
	// consul/api without one is refused.
	noCert, err := capi.NewClient(&capi.Config{Address: cli.Addr, Scheme: "https", Token: orbittest.RootToken,
		TLSConfig: capi.TLSConfig{CAFile: ca.caFile}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noCert.Agent().Self(); err == nil {
		t.Fatal("the verify_incoming agent answered a client without a certificate")
	}

	// etcd's own client against the server's store.
	eps, _ := self["Config"]["StoreEndpoints"].([]any)
	if len(eps) == 0 {
		t.Fatalf("no store endpoints in agent self: %v", self["Config"])
	}
	endpoint := eps[0].(string)
	if !strings.HasPrefix(endpoint, "https://") {
		t.Fatalf("store endpoint %q is not https", endpoint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := etcdClient(t, endpoint, ca.caFile, nil).Get(ctx, "/orbit/kv/tls/k"); err == nil {
		t.Fatal("etcd answered a client without a certificate")
	} else {
		t.Logf("no certificate: %v", err)
	}
	foreign := newTestCA(t).node(t, "cli")
	fc, err := tls.LoadX509KeyPair(foreign.cert, foreign.key)
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if _, err := etcdClient(t, endpoint, ca.caFile, &fc).Get(ctx2, "/orbit/kv/tls/k"); err == nil {
		t.Fatal("etcd answered a client whose certificate another CA signed")
	} else {
		t.Logf("foreign certificate: %v", err)
	}
	good, err := tls.LoadX509KeyPair(cliCert.cert, cliCert.key)
	if err != nil {
		t.Fatal(err)
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel3()
	r, err := etcdClient(t, endpoint, ca.caFile, &good).Get(ctx3, "/orbit/kv/tls/k")
	if err != nil {
		t.Fatalf("etcd with the cluster's client certificate: %v", err)
	}
	b, _ := json.Marshal(r.Kvs)
	t.Logf("read with the cluster's certificate: %d keys %s", len(r.Kvs), b)
}
