package health

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// flipServer answers every request with the status code it is set to.
func flipServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	code := &atomic.Int32{}
	code.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, code
}

func TestHTTPStatusFlips(t *testing.T) {
	srv, code := flipServer(t)
	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "web", ServiceID: "web-1",
		Definition: catalog.CheckDefinition{HTTP: srv.URL + "/health", Interval: 10 * time.Second}})
	h.start()
	h.waitScheduled(1)

	steps := []struct {
		code   int
		want   catalog.Status
		output string
	}{
		{200, catalog.Passing, "HTTP GET " + srv.URL + "/health: 200 OK Output: ok"},
		{500, catalog.Critical, "HTTP GET " + srv.URL + "/health: 500 Internal Server Error Output: ok"},
		{429, catalog.Warning, "HTTP GET " + srv.URL + "/health: 429 Too Many Requests Output: ok"},
		{200, catalog.Passing, "HTTP GET " + srv.URL + "/health: 200 OK Output: ok"},
		{503, catalog.Critical, "503 Service Unavailable"},
	}
	for i, s := range steps {
		code.Store(int32(s.code))
		// Within one interval (one run) the status follows the server.
		h.tick(10*time.Second, 1)
		h.wantStatus("web", s.want, s.output)
		if calls, changes := h.w.counts(); calls != i+1 || changes != i+1 {
			t.Fatalf("step %d: %d writes for %d status changes, want %d of each", i, calls, changes, i+1)
		}
	}
	// Runs that change nothing write nothing.
	h.tick(10*time.Second, 1)
	h.tick(10*time.Second, 1)
	if calls, _ := h.w.counts(); calls != len(steps) {
		t.Fatalf("%d writes after two unchanged runs, want %d", calls, len(steps))
	}
}

func TestHTTPSuccessBeforePassing(t *testing.T) {
	srv, code := flipServer(t)
	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "web", ServiceID: "web-1", Definition: catalog.CheckDefinition{
		HTTP: srv.URL, Interval: 10 * time.Second, SuccessBeforePassing: 3, FailuresBeforeCritical: 2}})
	h.start()
	h.waitScheduled(1)

	h.tick(10*time.Second, 1) // first result after start: reported at once
	h.wantStatus("web", catalog.Passing, "200 OK")
	code.Store(500)
	h.tick(10*time.Second, 1) // one failure: below failures_before_critical
	h.wantStatus("web", catalog.Passing, "200 OK")
	h.tick(10*time.Second, 1)
	h.wantStatus("web", catalog.Critical, "500 Internal Server Error")
	code.Store(200)
	h.tick(10*time.Second, 1)
	h.wantStatus("web", catalog.Critical, "500")
	h.tick(10*time.Second, 1)
	h.wantStatus("web", catalog.Critical, "500")
	h.tick(10*time.Second, 1) // third success
	h.wantStatus("web", catalog.Passing, "200 OK")
	if calls, changes := h.w.counts(); calls != 3 || changes != 3 {
		t.Fatalf("%d writes, %d changes; want 3 and 3", calls, changes)
	}
}

func TestHTTPRequestShape(t *testing.T) {
	type seen struct {
		method, ua, accept, custom, host, body string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.UserAgent(), r.Header.Get("Accept"), r.Header.Get("X-Probe"), r.Host, string(b)}
		io.WriteString(w, strings.Repeat("a", 3*DefaultOutputMaxSize)+strings.Repeat("z", DefaultOutputMaxSize))
	}))
	defer srv.Close()
	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "web", Definition: catalog.CheckDefinition{
		HTTP: srv.URL, Method: "POST", Body: `{"ping":1}`, Interval: 10 * time.Second,
		Header: map[string][]string{"X-Probe": {"yes"}, "Host": {"web.internal"}}}})
	h.start()
	h.waitScheduled(1)
	h.tick(10*time.Second, 1)
	s := <-got
	want := seen{"POST", UserAgent, "text/plain, text/*, */*", "yes", "web.internal", `{"ping":1}`}
	if s != want {
		t.Fatalf("request %+v, want %+v", s, want)
	}
	// The output keeps the last 4 KiB of the body, as Consul's buffer.
	out := h.check("web").Output
	prefix := "HTTP POST " + srv.URL + ": 200 OK Output: "
	if !strings.HasPrefix(out, prefix) || out[len(prefix):] != strings.Repeat("z", DefaultOutputMaxSize) {
		t.Fatalf("output %.80q... (%d bytes), want %q + 4096 bytes of body tail", out, len(out), prefix)
	}
}

func TestHTTPTimeoutAndRefused(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "slow", Status: catalog.Passing, Definition: catalog.CheckDefinition{
		HTTP: slow.URL, Interval: 10 * time.Second, Timeout: 100 * time.Millisecond}})
	h.src.put(catalog.Check{CheckID: "dead", Status: catalog.Passing, Definition: catalog.CheckDefinition{
		HTTP: deadURL, Interval: 10 * time.Second}})
	h.start()
	h.waitScheduled(2)
	began := time.Now()
	h.tick(10*time.Second, 2)
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("timed-out check took %v", took)
	}
	h.wantStatus("slow", catalog.Critical, "context deadline exceeded")
	h.wantStatus("dead", catalog.Critical, "connection refused")
}

func TestHTTPTLS(t *testing.T) {
	var mu sync.Mutex
	var sni []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		sni = append(sni, hello.ServerName)
		mu.Unlock()
		return nil, nil
	}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is the point
	srv.StartTLS()
	defer srv.Close()

	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "verify", Status: catalog.Passing, Definition: catalog.CheckDefinition{
		HTTP: srv.URL, Interval: 10 * time.Second}})
	h.src.put(catalog.Check{CheckID: "skip", Definition: catalog.CheckDefinition{
		HTTP: srv.URL, Interval: 10 * time.Second, TLSSkipVerify: true, TLSServerName: "web.example"}})
	h.start()
	h.waitScheduled(2)
	h.tick(10*time.Second, 2)
	h.wantStatus("verify", catalog.Critical, "certificate")
	h.wantStatus("skip", catalog.Passing, "200 OK")
	mu.Lock()
	defer mu.Unlock()
	if !containsString(sni, "web.example") {
		t.Fatalf("server names seen %q, want web.example from tls_server_name", sni)
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
