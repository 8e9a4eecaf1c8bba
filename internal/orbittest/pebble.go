package orbittest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// PebbleConfig places Let's Encrypt's test ACME server: the ports its
// validator connects to for HTTP-01 and TLS-ALPN-01 (the edge's entry
// points) and the DNS server it resolves names and DNS-01 records with.
type PebbleConfig struct {
	HTTPPort, TLSPort int
	DNSServer         string // host:port
	// Validity of the certificates issued; 0 is pebble's default (90 days).
	Validity time.Duration
}

// Pebble is a running pebble (github.com/letsencrypt/pebble/v2, the
// version pinned as a tool in go.mod).
type Pebble struct {
	// Directory is the ACME directory URL.
	Directory string
	// CARoot is the PEM root of the directory's own HTTPS certificate.
	CARoot []byte
	mgmt   string
	client *http.Client
}

// StartPebble builds pebble, writes its configuration and its HTTPS
// certificate under t.TempDir(), starts it on free loopback ports with
// the validator's sleeps and nonce rejections off, and waits until its
// directory answers. It is stopped at cleanup.
func StartPebble(t testing.TB, cfg PebbleConfig) *Pebble {
	t.Helper()
	bin := Build(t, "github.com/letsencrypt/pebble/v2/cmd/pebble")
	dir := t.TempDir()
	rootPEM, certFile, keyFile := pebbleTLS(t, dir)
	listen, mgmt := FreeAddr(t), FreeAddr(t)
	conf := map[string]map[string]any{"pebble": {
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": cfg.HTTPPort, "tlsPort": cfg.TLSPort,
		"ocspResponderURL": "", "externalAccountBindingRequired": false,
	}}
	if cfg.Validity > 0 {
		conf["pebble"]["profiles"] = map[string]any{"default": map[string]any{
			"description": "orbit's test profile", "validityPeriod": int(cfg.Validity / time.Second)}}
	}
	b, _ := json.Marshal(conf)
	confFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(confFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-config", confFile}
	if cfg.DNSServer != "" {
		args = append(args, "-dnsserver", cfg.DNSServer)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			t.Log("pebble: " + sc.Text())
		}
	})
	t.Cleanup(func() {
		cmd.Process.Kill()
		wg.Wait()
		cmd.Wait()
	})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rootPEM)
	p := &Pebble{Directory: "https://" + listen + "/dir", CARoot: rootPEM, mgmt: mgmt,
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	Eventually(t, 30*time.Second, "pebble's directory", func() bool {
		resp, err := p.client.Get(p.Directory)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// IssuedRoots returns a pool holding the root pebble issues certificates
// under (from its management endpoint), as a client trusting pebble has.
func (p *Pebble) IssuedRoots(t testing.TB) *x509.CertPool {
	t.Helper()
	resp, err := p.client.Get("https://" + p.mgmt + "/roots/0")
	if err != nil {
		t.Fatalf("pebble root: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("pebble root: %d %v", resp.StatusCode, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("pebble root: no PEM in %q", b)
	}
	return pool
}

// PortOf returns the port of a host:port address.
func PortOf(t testing.TB, addr string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// pebbleTLS writes a root and a certificate for 127.0.0.1 and localhost
// signed by it (pebble's HTTPS) into dir; it returns the root's PEM and
// the certificate's and key's files.
func pebbleTLS(t testing.TB, dir string) (rootPEM []byte, certFile, keyFile string) {
	t.Helper()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	root := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orbit test pebble root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ = x509.ParseCertificate(rootDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, root, &key.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	rootPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER})
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(path string, typ string, der []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(certFile, "CERTIFICATE", leafDER)
	write(keyFile, "EC PRIVATE KEY", keyDER)
	if err := os.WriteFile(filepath.Join(dir, "root.pem"), rootPEM, 0o600); err != nil {
		t.Fatal(fmt.Errorf("write root: %w", err))
	}
	return rootPEM, certFile, keyFile
}
