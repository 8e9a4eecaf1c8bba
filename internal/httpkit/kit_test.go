package httpkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/zone"
)

func TestStatusOf(t *testing.T) {
	var syn error
	if err := json.Unmarshal([]byte("{"), new(any)); err != nil {
		syn = err
	}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"kit bad request", BadRequest("missing name"), 400},
		{"catalog invalid", fmt.Errorf("register %q: %w", "web", catalog.ErrInvalid), 400},
		{"zone invalid", fmt.Errorf("zone name: %w", zone.ErrInvalid), 400},
		{"json syntax", syn, 400},
		{"acl denied", fmt.Errorf("%w: token lacks job:read", acl.ErrDenied), 403},
		{"kit not found", fmt.Errorf("%w: key %q", ErrNotFound, "a"), 404},
		{"zone not found", fmt.Errorf("zone x.: %w", zone.ErrNotFound), 404},
		{"store not found", fmt.Errorf("read: %w", store.ErrNotFound), 404},
		{"job not found", fmt.Errorf("stop: %w", store.ErrJobNotFound), 404},
		{"zone exists", fmt.Errorf("create: %w", zone.ErrExists), 409},
		{"store conflict", fmt.Errorf("put: %w", store.ErrConflict), 409},
		{"deadline", fmt.Errorf("wait: %w", context.DeadlineExceeded), 503},
		{"cancelled", context.Canceled, 503},
		{"no quorum", fmt.Errorf("kv put: %w", store.ErrNoQuorum), 503},
		{"leader changed", fmt.Errorf("kv put: %w", store.ErrLeaderChanged), 503},
		{"explicit code wins", &Error{Code: 422, Cause: store.ErrNotFound}, 422},
		{"Errorf", Errorf(http.StatusMethodNotAllowed, "no %s here", "PATCH"), 405},
		{"wrapped Error with code", fmt.Errorf("op: %w", &Error{Code: 404, Cause: errors.New("unknown check")}), 404},
		{"unknown", errors.New("disk on fire"), 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatusOf(tt.err); got != tt.want {
				t.Fatalf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestPublic(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"4xx shows the error", BadRequest("missing %q", "Name"), `bad request: missing "Name"`},
		{"public text wins", fmt.Errorf("stop job: %w", &Error{Public: "job not found", Cause: store.ErrJobNotFound}), "job not found"},
		{"5xx hides the cause", fmt.Errorf("read etcd: %w", errors.New("10.0.0.3:2379 connection refused")), "internal error"},
		{"5xx Errorf hides the text", Errorf(500, "decode %s: bad byte", "/orbit/jobs/x"), "internal error"},
		{"503", fmt.Errorf("wait for write 5: %w", context.DeadlineExceeded), "unavailable: the request was cancelled or timed out"},
		{"no quorum is named", fmt.Errorf("kv put: %w: etcdserver: no leader", store.ErrNoQuorum), store.ErrNoQuorum.Error()},
		{"leader change is named", fmt.Errorf("kv put: %w", store.ErrLeaderChanged), store.ErrLeaderChanged.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Public(tt.err, StatusOf(tt.err)); got != tt.want {
				t.Fatalf("Public = %q, want %q", got, tt.want)
			}
		})
	}
}

// logBuffer is a kit whose log lines land in buf.
func logBuffer() (*Kit, *bytes.Buffer) {
	var buf bytes.Buffer
	return New(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), nil, nil), &buf
}

func TestHandleAnswersErrors(t *testing.T) {
	tests := []struct {
		name       string
		h          HandlerFunc
		code       int
		body       string // the answer must contain it
		hidden     string // the answer must not contain it
		logged     string // the error log must contain it
		requestID  bool
		wantLogged bool
	}{
		{name: "bad request", h: func(http.ResponseWriter, *http.Request) error { return BadRequest("invalid index %q", "x") },
			code: 400, body: `bad request: invalid index "x"`},
		{name: "internal", h: func(http.ResponseWriter, *http.Request) error {
			return fmt.Errorf("decode /orbit/jobs/web: %w", errors.New("unexpected EOF"))
		}, code: 500, body: "internal error (request id ", hidden: "/orbit/jobs", logged: "decode /orbit/jobs/web: unexpected EOF",
			requestID: true, wantLogged: true},
		{name: "panic", h: func(http.ResponseWriter, *http.Request) error { panic("nil map") },
			code: 500, body: "internal error", hidden: "nil map", logged: "handler panic: nil map", requestID: true, wantLogged: true},
		{name: "ok", h: func(w http.ResponseWriter, r *http.Request) error { return WriteJSON(w, r, 200, "fine") },
			code: 200, body: `"fine"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, logs := logBuffer()
			rec := httptest.NewRecorder()
			k.Handle(tt.h).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/x", nil))
			body := rec.Body.String()
			if rec.Code != tt.code || !strings.Contains(body, tt.body) {
				t.Fatalf("answer %d %q, want %d containing %q", rec.Code, body, tt.code, tt.body)
			}
			if tt.hidden != "" && strings.Contains(body, tt.hidden) {
				t.Fatalf("answer %q leaks %q", body, tt.hidden)
			}
			if tt.wantLogged != strings.Contains(logs.String(), "level=ERROR") {
				t.Fatalf("error logged = %v, want %v: %s", !tt.wantLogged, tt.wantLogged, logs)
			}
			if !strings.Contains(logs.String(), tt.logged) {
				t.Fatalf("log %q lacks %q", logs, tt.logged)
			}
			if tt.requestID {
				_, id, _ := strings.Cut(body, "request id ")
				id = strings.TrimSuffix(strings.TrimSpace(id), ")")
				if id == "" || !strings.Contains(logs.String(), "request_id="+id) {
					t.Fatalf("request id %q of the answer is not in the log %q", id, logs)
				}
			}
		})
	}
}

// recorder is an authorizer that records the rules asked and denies those
// not in allow.
type recorder struct {
	allow  map[acl.Rule]bool
	asked  []acl.Rule
	tokens []string
}

func (a *recorder) Authorize(_ context.Context, token string, rule acl.Rule) error {
	a.asked = append(a.asked, rule)
	a.tokens = append(a.tokens, token)
	if !a.allow[rule] {
		return acl.ErrDenied
	}
	return nil
}

func TestGuard(t *testing.T) {
	read := acl.Rule{Resource: acl.Job, Access: acl.Read}
	tests := []struct {
		method, header, value string
		wantRule              acl.Rule
		wantToken             string
		code                  int
	}{
		{"GET", "X-Nomad-Token", "n1", read, "n1", 200},
		{"HEAD", "X-Consul-Token", "c1", read, "c1", 200},
		{"PUT", "Authorization", "Bearer b1", acl.Rule{Resource: acl.Job, Access: acl.Write}, "b1", 403},
		{"DELETE", "", "", acl.Rule{Resource: acl.Job, Access: acl.Write}, "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			auth := &recorder{allow: map[acl.Rule]bool{read: true}}
			k := New(nil, auth, nil)
			h := k.Guard(acl.Job, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			req := httptest.NewRequest(tt.method, "/v1/jobs", nil)
			if tt.header != "" {
				req.Header.Set(tt.header, tt.value)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Fatalf("code %d, want %d (%s)", rec.Code, tt.code, rec.Body)
			}
			if len(auth.asked) != 1 || auth.asked[0] != tt.wantRule || auth.tokens[0] != tt.wantToken {
				t.Fatalf("asked %v with %q, want %v with %q", auth.asked, auth.tokens, tt.wantRule, tt.wantToken)
			}
			if tt.code == 403 && !strings.Contains(rec.Body.String(), "Permission denied: token lacks job:write") {
				t.Fatalf("403 body %q does not name the missing permission", rec.Body)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, httptest.NewRequest("GET", "/x?pretty", nil), 201, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != "{\n    \"a\": 1\n}\n" {
		t.Fatalf("pretty answer %d %q %q", rec.Code, rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteJSON(rec, httptest.NewRequest("GET", "/x", nil), 200, []int{1, 2})
	if rec.Body.String() != "[1,2]\n" {
		t.Fatalf("compact answer %q", rec.Body)
	}
	rec = httptest.NewRecorder()
	if err := WriteJSON(rec, httptest.NewRequest("GET", "/x", nil), 200, math.NaN()); err == nil || rec.Body.Len() != 0 || rec.Code != 200 || len(rec.Header()) != 0 {
		t.Fatalf("unencodable value: err %v, wrote %d %q %v", err, rec.Code, rec.Body, rec.Header())
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		d       Dialect
		query   string
		max     time.Duration
		want    Query
		wantErr string
	}{
		{Consul, "", 0, Query{Wait: DefaultWait}, ""},
		{Consul, "index=7&wait=10s", 0, Query{Index: 7, Wait: 10 * time.Second}, ""},
		{Consul, "index=7&wait=1h", 0, Query{Index: 7, Wait: MaxWait}, ""},
		{Consul, "wait=10", 0, Query{}, `invalid wait "10"`},
		{Consul, "wait=-1s", 0, Query{}, `invalid wait "-1s"`},
		{Consul, "index=-1", 0, Query{}, `invalid index "-1"`},
		{Nomad, "index=3&wait=10", 0, Query{Index: 3, Wait: 10 * time.Second}, ""},
		{Nomad, "index=3&wait=2m", time.Minute, Query{Index: 3, Wait: time.Minute}, ""},
		{Nomad, "index=x", 0, Query{}, `invalid index "x"`},
	}
	for _, tt := range tests {
		t.Run(string(tt.d)+" "+tt.query, func(t *testing.T) {
			got, err := ParseQuery(httptest.NewRequest("GET", "/x?"+tt.query, nil), tt.d, tt.max)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || StatusOf(err) != 400 {
					t.Fatalf("err %v, want a 400 containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseQuery = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestSetMeta(t *testing.T) {
	tests := []struct {
		d    Dialect
		m    Meta
		want map[string]string
	}{
		{Consul, Meta{Index: 42, KnownLeader: true}, map[string]string{
			"X-Consul-Index": "42", "X-Consul-Knownleader": "true", "X-Consul-Lastcontact": "0"}},
		{Nomad, Meta{Index: 0, KnownLeader: false, LastContact: 1500 * time.Millisecond}, map[string]string{
			"X-Nomad-Index": "1", "X-Nomad-Knownleader": "false", "X-Nomad-Lastcontact": "1500"}},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		SetMeta(rec, tt.d, tt.m)
		for k, v := range tt.want {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%s %s = %q, want %q", tt.d, k, got, v)
			}
		}
		if len(rec.Header()) != len(tt.want) {
			t.Errorf("%s headers %v, want only %v", tt.d, rec.Header(), tt.want)
		}
	}
}

// fakeState is a watched index that a test moves.
type fakeState struct {
	changed chan uint64
}

// wait returns when the index passes index or ctx ends.
func (f *fakeState) wait(ctx context.Context, index uint64) {
	for {
		select {
		case <-ctx.Done():
			return
		case i := <-f.changed:
			if i > index {
				return
			}
		}
	}
}

func TestBlock(t *testing.T) {
	ctx := context.Background()
	t.Run("no index answers at once", func(t *testing.T) {
		k := New(nil, nil, clockwork.NewFakeClock())
		called := false
		if err := k.Block(ctx, Query{Wait: time.Minute}, func(context.Context, uint64) { called = true }); err != nil || called {
			t.Fatalf("Block without index: err %v, waited %v", err, called)
		}
	})
	t.Run("a change past the index wakes it", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		k := New(nil, nil, clock)
		st := &fakeState{changed: make(chan uint64)}
		done := make(chan error, 1)
		go func() { done <- k.Block(ctx, Query{Index: 5, Wait: time.Minute}, st.wait) }()
		st.changed <- 5 // not past the index: keeps waiting
		select {
		case err := <-done:
			t.Fatalf("returned at index 5: %v", err)
		default:
		}
		st.changed <- 6
		if err := <-done; err != nil {
			t.Fatalf("Block: %v", err)
		}
	})
	t.Run("the wait ends on the clock", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		k := New(nil, nil, clock)
		st := &fakeState{changed: make(chan uint64)}
		done := make(chan error, 1)
		go func() { done <- k.Block(ctx, Query{Index: 5, Wait: 16 * time.Second}, st.wait) }()
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(15 * time.Second)
		select {
		case err := <-done:
			t.Fatalf("returned before the wait ended: %v", err)
		default:
		}
		clock.Advance(2*time.Second + time.Nanosecond) // 16s plus at most 1/16 jitter
		if err := <-done; err != nil {
			t.Fatalf("Block after the wait: %v", err)
		}
	})
	t.Run("a client that leaves ends it with an error", func(t *testing.T) {
		k := New(nil, nil, clockwork.NewFakeClock())
		cctx, cancel := context.WithCancel(ctx)
		st := &fakeState{changed: make(chan uint64)}
		done := make(chan error, 1)
		go func() { done <- k.Block(cctx, Query{Index: 5, Wait: time.Minute}, st.wait) }()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Block after the client left: %v", err)
		}
	})
}

// TestServeDrains: once its context ends Serve refuses new connections,
// lets the request in flight finish, and returns nil.
func TestServeDrains(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, "test", ln, h, nil, Audit{}) }()
	type answer struct {
		body string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- answer{string(b), err}
	}()
	<-started
	cancel()
	// Shutdown closes the listener first: wait until a dial is refused.
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		runtime.Gosched()
	}
	close(release)
	if a := <-got; a.err != nil || a.body != "finished" {
		t.Fatalf("in-flight request: %q, %v", a.body, a.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after drain: %v", err)
	}
}

// compiledTokens resolves "" to the anonymous token under default deny and
// nothing else.
type compiledTokens struct{}

func (compiledTokens) Resolve(_ context.Context, secret string) (*acl.Compiled, error) {
	if secret == "" {
		return acl.CompileRules(acl.AnonymousTokenID, acl.DefaultDeny), nil
	}
	return nil, acl.ErrNotFound
}

// TestAuthorizeKeepsConsulsWording: a compiled authorizer's denial and an
// unknown token are answered 403 with Consul's text, nothing appended.
func TestAuthorizeKeepsConsulsWording(t *testing.T) {
	k := New(nil, acl.Enforcer{Tokens: compiledTokens{}}, nil)
	h := k.Guard(acl.ACL, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, tt := range []struct{ token, body string }{
		{"", "Permission denied: anonymous token lacks permission 'acl:read'. The anonymous token is used implicitly when a request does not specify a token.\n"},
		{"nope", "ACL not found\n"},
	} {
		req := httptest.NewRequest("GET", "/v1/acl/tokens", nil)
		req.Header.Set("X-Consul-Token", tt.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 403 || rec.Body.String() != tt.body {
			t.Errorf("token %q: %d %q, want 403 %q", tt.token, rec.Code, rec.Body, tt.body)
		}
	}
}
