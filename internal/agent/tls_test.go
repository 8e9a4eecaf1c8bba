package agent

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
)

func TestTLSDefaults(t *testing.T) {
	cert, key := orbittest.WriteCert(t, "127.0.0.1", time.Hour)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	notPEM := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(notPEM, []byte("no"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		server  bool
		tls     *TLSConfig
		err     string // substring; "" means valid
		serves  bool
		scheme  string
		verifIn bool
	}{
		{name: "no block", scheme: "http"},
		{name: "full", server: true, tls: &TLSConfig{Defaults: &TLSDefaults{CAFile: cert, CertFile: cert, KeyFile: key, VerifyIncoming: true}},
			serves: true, scheme: "https", verifIn: true},
		{name: "client with ca only", tls: &TLSConfig{Defaults: &TLSDefaults{CAFile: cert}}, scheme: "https"},
		{name: "cert without key", tls: &TLSConfig{Defaults: &TLSDefaults{CAFile: cert, CertFile: cert}}, err: "go together"},
		{name: "cert without ca", tls: &TLSConfig{Defaults: &TLSDefaults{CertFile: cert, KeyFile: key}}, err: "ca_file is required"},
		{name: "verify without ca", tls: &TLSConfig{InternalRPC: &TLSInternalRPC{VerifyServerHostname: true}}, err: "ca_file is required"},
		{name: "server without cert", server: true, tls: &TLSConfig{Defaults: &TLSDefaults{CAFile: cert}}, err: "give cert_file"},
		{name: "missing file", tls: &TLSConfig{Defaults: &TLSDefaults{CAFile: missing}}, err: "ca_file"},
		{name: "ca not PEM", tls: &TLSConfig{Defaults: &TLSDefaults{CAFile: notPEM}}, err: "no PEM certificate"},
		{name: "key does not match", server: true, tls: &TLSConfig{Defaults: &TLSDefaults{CAFile: cert, CertFile: cert, KeyFile: cert}},
			err: "cert_file and key_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{Server: tc.server, TLS: tc.tls}
			err := c.tlsDefaults()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.tls.serves() != tc.serves || c.tls.scheme() != tc.scheme || c.tls.verifyIncoming != tc.verifIn {
				t.Fatalf("settings %+v: serves %v scheme %s", c.tls, c.tls.serves(), c.tls.scheme())
			}
		})
	}
}

func TestTLSFlagsOverFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.hcl")
	hcl := "tls {\n  defaults {\n    ca_file = \"file-ca\"\n    cert_file = \"file-cert\"\n    verify_incoming = true\n  }\n}\n"
	if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, err := ParseFlags([]string{"-config", file, "-cert-file", "flag-cert", "-key-file", "flag-key"}, fs)
	if err != nil {
		t.Fatal(err)
	}
	d := c.TLS.Defaults
	if d.CAFile != "file-ca" || d.CertFile != "flag-cert" || d.KeyFile != "flag-key" || !d.VerifyIncoming {
		t.Fatalf("merged tls defaults: %+v", *d)
	}
}

func TestTLSBaseURL(t *testing.T) {
	on, off := tlsSettings{caFile: "x"}, tlsSettings{}
	for _, tc := range []struct {
		s        tlsSettings
		in, want string
	}{
		{on, "127.0.0.1:8500", "https://127.0.0.1:8500"},
		{off, "127.0.0.1:8500", "http://127.0.0.1:8500"},
		{on, "http://a:1/", "http://a:1"},
		{off, " https://a:1 ", "https://a:1"},
	} {
		if got := tc.s.baseURL(tc.in); got != tc.want {
			t.Errorf("baseURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
