package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// selfSigned is a certificate for name signed by itself, with common name
// cn, and a pool trusting it.
func selfSigned(t *testing.T, cn string, names ...string) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: names,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// fakeACME stands in for internal/acme: resolver "le" has a certificate
// for pub.example.test, and a TLS-ALPN-01 challenge answer and an HTTP-01
// token are pending.
type fakeACME struct {
	pub, alpn *tls.Certificate
}

func (f *fakeACME) Certificate(res string, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == "acme-tls/1" {
		return f.alpn, nil
	}
	if res == "le" && hello.ServerName == "pub.example.test" {
		return f.pub, nil
	}
	return nil, nil
}

func (f *fakeACME) HandleHTTPChallenge(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != "/.well-known/acme-challenge/tok" {
		return false
	}
	io.WriteString(w, "tok.thumbprint")
	return true
}

func (f *fakeACME) Certificates() []CertInfo {
	return []CertInfo{{Resolver: "le", Name: "pub.example.test", Names: []string{"pub.example.test"}, Issuer: "fake"}}
}

// TestCertResolvers: a router's tls.certresolver picks the resolver's
// certificate once it has one (else the internal CA's), TLS-ALPN-01 and
// HTTP-01 challenges are answered before any router (a redirect
// included), and /v1/edge/certs lists the resolver's certificates.
func TestCertResolvers(t *testing.T) {
	pub, pubPool := selfSigned(t, "fake acme", "pub.example.test")
	alpn, _ := selfSigned(t, "alpn answer", "pub.example.test")
	f := &fakeACME{pub: pub, alpn: alpn}
	e := startEdgeDeps(t, Config{}, false, -1, nil, func(d *Deps) { d.Resolvers, d.Challenges, d.Certs = f, f, f })
	b := newBackend(t, "pub")
	e.register("pub", "pub-1", b.port, catalog.Passing, "traefik.enable=true",
		"traefik.http.routers.pub.rule=Host(`pub.example.test`) || Host(`new.example.test`)",
		"traefik.http.routers.pub.entrypoints=websecure", "traefik.http.routers.pub.tls.certresolver=le",
		"traefik.http.routers.pub-http.rule=Host(`pub.example.test`)", "traefik.http.routers.pub-http.entrypoints=web",
		"traefik.http.routers.pub-http.middlewares=https", "traefik.http.middlewares.https.redirectscheme.scheme=https")
	c := e.client()
	e.waitFor(c, "http://pub.example.test/", http.StatusFound)

	resp, _ := get(t, c, "http://pub.example.test/.well-known/acme-challenge/tok")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTP-01 challenge: status %d, want 200 before the redirect", resp.StatusCode)
	}
	if resp, _ := get(t, c, "http://pub.example.test/.well-known/acme-challenge/other"); resp.StatusCode != http.StatusFound {
		t.Errorf("an unknown token: status %d, want the router's redirect", resp.StatusCode)
	}

	dial := func(name string, roots *x509.CertPool) (*tls.ConnectionState, error) {
		conn, err := tls.Dial("tcp", e.addr("websecure"), &tls.Config{ServerName: name, RootCAs: roots})
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		st := conn.ConnectionState()
		return &st, nil
	}
	if st, err := dial("pub.example.test", pubPool); err != nil || st.PeerCertificates[0].Subject.CommonName != "fake acme" {
		t.Errorf("pub.example.test: %v, want the resolver's certificate", err)
	}
	// A name the resolver has no certificate for yet: the internal CA's.
	if _, err := dial("new.example.test", e.ca.RootPool()); err != nil {
		t.Errorf("new.example.test before the resolver has it: %v, want the internal CA's certificate", err)
	}
	conn, err := tls.Dial("tcp", e.addr("websecure"), &tls.Config{ServerName: "pub.example.test", NextProtos: []string{"acme-tls/1"}, InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	st2 := conn.ConnectionState()
	conn.Close()
	if st2.NegotiatedProtocol != "acme-tls/1" || st2.PeerCertificates[0].Subject.CommonName != "alpn answer" {
		t.Errorf("TLS-ALPN-01: protocol %q, certificate %q", st2.NegotiatedProtocol, st2.PeerCertificates[0].Subject.CommonName)
	}

	rec := httptest.NewRecorder()
	e.srv.API().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/edge/certs", nil))
	var certs []CertInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &certs); err != nil || len(certs) != 1 || certs[0].Resolver != "le" || certs[0].Issuer != "fake" {
		t.Errorf("/v1/edge/certs: %s (%v)", rec.Body, err)
	}
}
