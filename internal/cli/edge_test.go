package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// writeCert writes a self-signed certificate for name and its key.
func writeCert(t *testing.T, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

// TestEdgeCerts: `orbit edge certs` lists a certificate file and a
// resolver's name whose order fails, with the failure.
func TestEdgeCerts(t *testing.T) {
	cf, kf := writeCert(t, "files.lab.test")
	a := testagent.Start(t, func(c *agent.Config) {
		c.EdgeCfg = &agent.EdgeConfig{Certificates: []agent.CertConfig{{CertFile: cf, KeyFile: kf}},
			Resolvers: []agent.ResolverConfig{{Name: "le", ACME: &agent.ACMEConfig{CAServer: "https://127.0.0.1:1/directory"}}}}
	})
	put(t, a, "/v1/agent/service/register", `{"Name":"pub","Port":20001,"Tags":["traefik.enable=true",
		"traefik.http.routers.pub.rule=Host(`+"`pub.lab.test`"+`)","traefik.http.routers.pub.tls.certresolver=le"],
		"Check":{"TTL":"1h","Status":"passing"}}`)
	var out string
	orbittest.Eventually(t, 30*time.Second, "the failed order in orbit edge certs", func() bool {
		code, o, _ := runCLI(t, a.Addr, "", "edge", "certs")
		out = o
		return code == 0 && strings.Contains(o, "error: ")
	})
	t.Logf("orbit edge certs:\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Name") {
		t.Fatalf("orbit edge certs:\n%s", out)
	}
	if f := strings.Fields(lines[1]); f[0] != "files.lab.test" || f[1] != "file" || f[3] != "files.lab.test" || f[len(f)-1] != "valid" {
		t.Errorf("file row: %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[0] != "pub.lab.test" || f[1] != "le" || f[2] != "-" || !strings.Contains(lines[2], "127.0.0.1:1") {
		t.Errorf("resolver row: %q", lines[2])
	}
}
