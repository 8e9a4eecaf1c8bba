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
	cmd    *exec.Cmd
	logs   sync.WaitGroup // the log reader
}

// StartPebble builds pebble, runs it (RunPebble) in t.TempDir() and stops
// it at cleanup; its output goes to the test log.
func StartPebble(t testing.TB, cfg PebbleConfig) *Pebble {
	t.Helper()
	bin := Build(t, "github.com/letsencrypt/pebble/v2/cmd/pebble")
	p, err := RunPebble(bin, t.TempDir(), cfg, func(line string) { t.Log("pebble: " + line) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// RunPebble writes pebble's configuration and its HTTPS certificate into
// dir, starts bin on free loopback ports with the validator's sleeps and
// nonce rejections off, and waits until its directory answers. Each line
// it prints goes to logf. Stop ends it.
func RunPebble(bin, dir string, cfg PebbleConfig, logf func(string)) (*Pebble, error) {
	rootPEM, certFile, keyFile, err := pebbleTLS(dir)
	if err != nil {
		return nil, fmt.Errorf("pebble certificate: %w", err)
	}
	listen, err := freeLoopback()
	if err != nil {
		return nil, err
	}
	mgmt, err := freeLoopback()
	if err != nil {
		return nil, err
	}
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
		return nil, err
	}
	args := []string{"-config", confFile}
	if cfg.DNSServer != "" {
		args = append(args, "-dnsserver", cfg.DNSServer)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start pebble: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rootPEM)
	p := &Pebble{Directory: "https://" + listen + "/dir", CARoot: rootPEM, mgmt: mgmt, cmd: cmd,
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	p.logs.Go(func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			logf(sc.Text())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := p.client.Get(p.Directory)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("pebble's directory did not answer in 30s: %v", err)
		}
	}
}

// Stop kills pebble and waits for it.
func (p *Pebble) Stop() {
	p.cmd.Process.Kill()
	p.logs.Wait()
	p.cmd.Wait()
}

// IssuedRoots returns a pool holding the root pebble issues certificates
// under, as a client trusting pebble has.
func (p *Pebble) IssuedRoots(t testing.TB) *x509.CertPool {
	t.Helper()
	pool, err := p.Roots()
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

// Roots fetches the root pebble issues certificates under from its
// management endpoint.
func (p *Pebble) Roots() (*x509.CertPool, error) {
	resp, err := p.client.Get("https://" + p.mgmt + "/roots/0")
	if err != nil {
		return nil, fmt.Errorf("pebble root: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("pebble root: %d %v", resp.StatusCode, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("pebble root: no PEM in %q", b)
	}
	return pool, nil
}

// freeLoopback returns a free loopback host:port.
func freeLoopback() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
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
func pebbleTLS(dir string) (rootPEM []byte, certFile, keyFile string, err error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", "", err
	}
	now := time.Now()
	root := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orbit test pebble root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		return nil, "", "", err
	}
	if root, err = x509.ParseCertificate(rootDER); err != nil {
		return nil, "", "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", "", err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, root, &key.PublicKey, rootKey)
	if err != nil {
		return nil, "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, "", "", err
	}
	rootPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER})
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{certFile, "CERTIFICATE", leafDER}, {keyFile, "EC PRIVATE KEY", keyDER}, {filepath.Join(dir, "root.pem"), "CERTIFICATE", rootDER}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			return nil, "", "", err
		}
	}
	return rootPEM, certFile, keyFile, nil
}
