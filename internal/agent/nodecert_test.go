package agent_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// Every agent gets a node certificate from the internal CA: a server signs
// its own, a client agent has the servers sign it when it joins, with its
// agent token. The signing endpoint refuses requests without a token that
// may write the node, and requests for another node's name.
func TestAgentsGetNodeCertificates(t *testing.T) {
	s1 := testagent.StartConfig(t, serverConfig(t, "s1", ""))
	c1 := testagent.StartConfig(t, &agent.Config{Client: true, Servers: s1.Addr, DataDir: t.TempDir(), NodeName: "c1",
		HTTPAddr: "127.0.0.1:0", BindAddr: "127.0.0.1", DNSAddr: "off", LeaseTTL: "2s", LogLevel: "debug",
		ACL: &agent.ACLConfig{Tokens: &agent.ACLTokens{Agent: rootToken}}})

	for name, a := range map[string]*testagent.Agent{"s1": s1, "c1": c1} {
		nc := a.NodeCert()
		if nc == nil {
			t.Fatalf("%s has no node certificate", name)
		}
		leaf := nc.Current().Leaf
		if leaf.Subject.CommonName != name {
			t.Errorf("%s's certificate names %q", name, leaf.Subject.CommonName)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: s1.CA().RootPool(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("%s's certificate does not verify against the cluster's root: %v", name, err)
		}
	}

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csr := func(cn string) string {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	}
	ask := func(token, node, csr string) (int, string) {
		body, _ := json.Marshal(map[string]string{"Node": node, "CSR": csr})
		req, _ := http.NewRequest("PUT", s1.URL+"/v1/orbit/pki/node-cert", bytes.NewReader(body))
		if token != "" {
			req.Header.Set("X-Consul-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := ask("", "intruder", csr("intruder")); code != http.StatusForbidden {
		t.Errorf("anonymous node certificate request = %d %s, want 403", code, body)
	}
	if code, body := ask(rootToken, "n2", csr("n3")); code != http.StatusBadRequest {
		t.Errorf("request naming another node = %d %s, want 400", code, body)
	}
	if code, body := ask(rootToken, "n2", csr("n2")); code != http.StatusOK || !strings.Contains(body, "BEGIN CERTIFICATE") {
		t.Errorf("request with the management token = %d %s, want 200 and a chain", code, body)
	}
	// A join token authorises a joining node's certificate; a wrong one
	// is refused.
	_, secret, err := s1.Store().CreateJoinToken(context.Background(), "test", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		secret string
		code   int
	}{{secret, http.StatusOK}, {"not-a-join-token", http.StatusForbidden}} {
		body, _ := json.Marshal(map[string]string{"Node": "j1", "CSR": csr("j1")})
		req, _ := http.NewRequest("PUT", s1.URL+"/v1/orbit/pki/node-cert", bytes.NewReader(body))
		req.Header.Set("X-Orbit-Join-Token", tc.secret) // operator.JoinTokenHeader
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("node certificate with join token %q = %d %s, want %d", tc.secret, resp.StatusCode, b, tc.code)
		}
	}
}
