package httpkit

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
)

// sink records what it is given.
type sink struct {
	mu   sync.Mutex
	recs []AuditRecord
}

func (s *sink) Audit(r AuditRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
}

func (s *sink) all() []AuditRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AuditRecord(nil), s.recs...)
}

// accessors names the tokens it knows.
type accessors map[string]string

func (a accessors) AccessorID(_ context.Context, secret string) (string, bool) {
	acc, ok := a[secret]
	return acc, ok
}

func TestAudits(t *testing.T) {
	tests := []struct {
		method string
		status int
		want   bool
	}{
		{"GET", 200, false},
		{"HEAD", 404, false},
		{"OPTIONS", 204, false},
		{"GET", 403, true},
		{"GET", 401, true},
		{"PUT", 200, true},
		{"POST", 400, true},
		{"DELETE", 500, true},
		{"PATCH", 403, true},
	}
	for _, tt := range tests {
		if got := Audits(tt.method, tt.status); got != tt.want {
			t.Errorf("Audits(%s, %d) = %v, want %v", tt.method, tt.status, got, tt.want)
		}
	}
}

// TestAuditedRecords serves writes, reads and denials through Audited
// with the kit's handlers and checks what was recorded.
func TestAuditedRecords(t *testing.T) {
	now := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(now)
	k := New(nil, readsUnless("nope"), clock)
	inner := k.Guard(acl.Key, k.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Query().Has("boom") {
			return errors.New("disk on fire")
		}
		return WriteJSON(w, r, 200, true)
	}))
	tests := []struct {
		name    string
		method  string
		target  string
		header  [2]string
		code    int
		want    bool   // recorded
		token   string // the recorded Token
		noToken string // must not appear anywhere in the record
	}{
		{"read allowed: not recorded", "GET", "/v1/kv/a", [2]string{}, 200, false, "", ""},
		{"write denied, anonymous", "PUT", "/v1/kv/a", [2]string{}, 403, true, "anonymous", ""},
		{"HEAD allowed: not recorded", "HEAD", "/v1/kv/a", [2]string{}, 200, false, "", ""},
		{"read denied: recorded", "GET", "/v1/kv/a", [2]string{"X-Nomad-Token", "nope"}, 403, true, SecretHash("nope"), "nope"},
		{"write by a known token", "PUT", "/v1/kv/a", [2]string{"X-Consul-Token", "s3cret"}, 403, true, "acc-1", "s3cret"},
		{"unknown token: a hash, never the secret", "DELETE", "/v1/kv/a?token=t0psecret", [2]string{}, 403, true, SecretHash("t0psecret"), "t0psecret"},
		{"bearer token", "POST", "/v1/kv/a", [2]string{"Authorization", "Bearer b34rer"}, 403, true, SecretHash("b34rer"), "b34rer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sink{}
			h := Audited("api", inner, Audit{Sink: s, Accessor: accessors{"s3cret": "acc-1"}, Clock: clock})
			req := httptest.NewRequest(tt.method, tt.target, nil)
			req.RemoteAddr = "192.0.2.7:4444"
			if tt.header[0] != "" {
				req.Header.Set(tt.header[0], tt.header[1])
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Fatalf("answer %d, want %d", rec.Code, tt.code)
			}
			got := s.all()
			if !tt.want {
				if len(got) != 0 {
					t.Fatalf("recorded %+v", got)
				}
				return
			}
			want := AuditRecord{Time: now, Listener: "api", Token: tt.token, Method: tt.method, Path: "/v1/kv/a",
				RemoteAddr: "192.0.2.7:4444", Status: tt.code, RequestID: got[0].RequestID}
			if len(got) != 1 || got[0] != want || len(got[0].RequestID) != 16 {
				t.Fatalf("recorded %+v, want %+v", got, want)
			}
			if tt.noToken != "" && strings.Contains(fmt.Sprintf("%+v", got[0]), tt.noToken) {
				t.Fatalf("record %+v holds the secret", got[0])
			}
		})
	}
}

// TestAuditedRequestIDMatchesTheAnswer: a failed write's answer names the
// same request id as its audit record, so an operator finds one from the
// other.
func TestAuditedRequestIDMatchesTheAnswer(t *testing.T) {
	s := &sink{}
	k := New(nil, nil, nil)
	h := Audited("api", k.Handle(func(http.ResponseWriter, *http.Request) error { return errors.New("disk on fire") }), Audit{Sink: s})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("PUT", "/v1/kv/a", nil))
	got := s.all()
	if rec.Code != 500 || len(got) != 1 || got[0].Status != 500 || !strings.Contains(rec.Body.String(), "request id "+got[0].RequestID+")") {
		t.Fatalf("answer %d %q, records %+v", rec.Code, rec.Body, got)
	}
}

// TestServeAuditsOverTheNetwork serves through Serve on a real listener
// with TLS client certificates: a node's write is recorded under its
// certificate's name, a streamed answer is still flushed through the
// audit's writer.
func TestServeAuditsOverTheNetwork(t *testing.T) {
	s := &sink{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the audit's writer hides http.Flusher")
		}
		io.WriteString(w, "part")
		w.(http.Flusher).Flush()
		w.WriteHeader(http.StatusTeapot) // too late: 200 was sent
	})
	srv := httptest.NewUnstartedServer(nil)
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	srv.Close() // only its certificate is used; Serve serves
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tln := tls.NewListener(ln, srv.TLS)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, "nomad-api", tln, h, nil, Audit{Sink: s}) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	cert := selfSigned(t, "node7")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{cert}}}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("POST", "https://"+ln.Addr().String()+"/v1/jobs", strings.NewReader("{}"))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "part" {
		t.Fatalf("body %q", b)
	}
	got := s.all()
	if len(got) != 1 || got[0].Token != "node:node7" || got[0].Listener != "nomad-api" || got[0].Status != 200 || got[0].Method != "POST" {
		t.Fatalf("records %+v", got)
	}
}

// selfSigned is a client certificate whose subject is cn.
func selfSigned(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// readsUnless allows reads to every token but denied, and no writes.
type readsUnless string

func (d readsUnless) Authorize(_ context.Context, token string, rule acl.Rule) error {
	if rule.Access == acl.Read && token != string(d) {
		return nil
	}
	return acl.ErrDenied
}
