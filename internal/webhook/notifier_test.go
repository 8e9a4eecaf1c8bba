package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/alert"
)

// receiver is a webhook endpoint that records what it is sent and answers
// with the codes it is given, in turn (then 200).
type receiver struct {
	srv *httptest.Server

	mu    sync.Mutex // guards the fields below
	got   []request_
	codes []int
	seen  chan struct{}
}

type request_ struct {
	path, contentType string
	body              map[string]any
}

func newReceiver(t *testing.T, codes ...int) *receiver {
	r := &receiver{codes: codes, seen: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("body is not a JSON object: %q", b)
		}
		r.mu.Lock()
		r.got = append(r.got, request_{req.URL.Path, req.Header.Get("Content-Type"), m})
		code := http.StatusOK
		if len(r.codes) > 0 {
			code, r.codes = r.codes[0], r.codes[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(code)
		r.seen <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []request_ {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request_(nil), r.got...)
}

var t0 = time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)

func event(kind alert.Kind) alert.Event {
	return alert.Event{Kind: kind, When: t0.Add(90 * time.Second), Since: t0, UniqueID: 7, Finding: alert.Finding{
		Key: alert.Key{Node: "n1", Chart: "disk_space._", Name: "disk_space_usage"}, Critical: kind != alert.KindResolved,
		Value: 93.5, Units: "%", Summary: "disk / on n1 is 93.5% full", Info: "disk space used on /"}}
}

func TestBodies(t *testing.T) {
	for _, tc := range []struct {
		format, path string
		kind         alert.Kind
		check        func(t *testing.T, b map[string]any)
	}{
		{FormatJSON, "/hook", alert.KindCritical, func(t *testing.T, b map[string]any) {
			want := map[string]any{"kind": "critical", "status": "CRITICAL", "alert": "disk_space_usage", "chart": "disk_space._", "node": "n1",
				"host": "dc1", "summary": "disk / on n1 is 93.5% full", "info": "disk space used on /", "value": 93.5, "units": "%",
				"when": "2026-12-03T14:01:30Z", "since": "2026-12-03T14:00:00Z", "unique_id": 7.0}
			for k, v := range want {
				if b[k] != v {
					t.Errorf("%s = %v, want %v", k, b[k], v)
				}
			}
		}},
		{FormatJSON, "/hook", alert.KindResolved, func(t *testing.T, b map[string]any) {
			if b["kind"] != "resolved" || b["status"] != "CLEAR" {
				t.Errorf("resolved body %v", b)
			}
		}},
		{FormatNtfy, "/", alert.KindCritical, func(t *testing.T, b map[string]any) {
			if b["topic"] != "orbit-alerts" || b["title"] != "CRITICAL: disk_space_usage on n1" || b["message"] != "disk / on n1 is 93.5% full" ||
				b["priority"] != 5.0 || b["tags"].([]any)[0] != "rotating_light" {
				t.Errorf("ntfy body %v", b)
			}
		}},
		{FormatNtfy, "/", alert.KindResolved, func(t *testing.T, b map[string]any) {
			if b["title"] != "RESOLVED: disk_space_usage on n1" || b["priority"] != 3.0 || b["message"] != "disk / on n1 is 93.5% full (was critical for 1m30s)" {
				t.Errorf("ntfy resolved body %v", b)
			}
		}},
		{FormatSlack, "/services/T/B/X", alert.KindRepeat, func(t *testing.T, b map[string]any) {
			att := b["attachments"].([]any)[0].(map[string]any)
			if b["text"] != "STILL CRITICAL: disk_space_usage on n1" || att["color"] != "danger" || att["text"] != "disk / on n1 is 93.5% full (critical for 1m30s)" {
				t.Errorf("slack body %v", b)
			}
		}},
		{FormatDiscord, "/api/webhooks/1/x", alert.KindResolved, func(t *testing.T, b map[string]any) {
			emb := b["embeds"].([]any)[0].(map[string]any)
			if b["content"] != "RESOLVED: disk_space_usage on n1" || emb["color"] != float64(0x2ECC71) || emb["timestamp"] != "2026-12-03T14:01:30Z" {
				t.Errorf("discord body %v", b)
			}
		}},
	} {
		t.Run(tc.format+"/"+string(tc.kind), func(t *testing.T) {
			r := newReceiver(t)
			url := r.srv.URL + tc.path
			if tc.format == FormatNtfy {
				url = r.srv.URL + "/orbit-alerts"
			}
			n, err := New(Config{Host: "dc1", Hooks: []Hook{{Name: "h", URL: url, Format: tc.format}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Send(context.Background(), n.cfg.Hooks[0], event(tc.kind)); err != nil {
				t.Fatal(err)
			}
			got := r.requests()
			if len(got) != 1 || got[0].path != tc.path || got[0].contentType != "application/json" {
				t.Fatalf("requests %+v, want one POST to %s", got, tc.path)
			}
			tc.check(t, got[0].body)
		})
	}
}

func TestRetriesWithBackoff(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClock()
	r := newReceiver(t, 503, 429, 200)
	n, err := New(Config{Clock: clock, Hooks: []Hook{{Name: "h", URL: r.srv.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Send(ctx, n.cfg.Hooks[0], event(alert.KindCritical)) }()
	for i, wait := range []time.Duration{time.Second, 2 * time.Second} {
		<-r.seen
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		// not yet: the backoff has not passed
		clock.Advance(wait - time.Millisecond)
		select {
		case <-r.seen:
			t.Fatalf("attempt %d came before its %s backoff", i+2, wait)
		case err := <-done:
			t.Fatalf("Send returned early: %v", err)
		default:
		}
		clock.Advance(time.Millisecond)
	}
	<-r.seen
	if err := <-done; err != nil {
		t.Fatalf("third attempt answered 200, Send = %v", err)
	}
	if len(r.requests()) != 3 {
		t.Errorf("%d attempts, want 3", len(r.requests()))
	}
}

func TestGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name     string
		codes    []int
		attempts int
		want     string
	}{
		{"a 4xx is not retried", []int{400}, 1, "attempt 1: POST"},
		{"5xx until the attempts run out", []int{500, 500, 500}, 3, "attempt 3: POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReceiver(t, tc.codes...)
			n, err := New(Config{Attempts: 3, Backoff: time.Nanosecond, Hooks: []Hook{{Name: "h", URL: r.srv.URL}}})
			if err != nil {
				t.Fatal(err)
			}
			err = n.Send(t.Context(), n.cfg.Hooks[0], event(alert.KindCritical))
			if err == nil || !strings.Contains(err.Error(), tc.want) || len(r.requests()) != tc.attempts {
				t.Errorf("err %v after %d requests; want %q after %d", err, len(r.requests()), tc.want, tc.attempts)
			}
		})
	}
	t.Run("a closed endpoint and an ended context", func(t *testing.T) {
		r := newReceiver(t)
		url := r.srv.URL
		r.srv.Close()
		clock := clockwork.NewFakeClock()
		n, _ := New(Config{Clock: clock, Hooks: []Hook{{Name: "h", URL: url}}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- n.Send(ctx, n.cfg.Hooks[0], event(alert.KindCritical)) }()
		if err := clock.BlockUntilContext(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Send = %v, want the context's end", err)
		}
	})
}

type recorder struct {
	mu   sync.Mutex
	got  map[uint32]error
	done chan struct{}
}

func (r *recorder) Delivered(id uint32, _ time.Time, err error) {
	r.mu.Lock()
	r.got[id] = err
	r.mu.Unlock()
	r.done <- struct{}{}
}

func TestRunDeliversToEveryHookAndRecords(t *testing.T) {
	ok, broken := newReceiver(t), newReceiver(t, 400)
	rec := &recorder{got: map[uint32]error{}, done: make(chan struct{}, 10)}
	n, err := New(Config{Recorder: rec, Hooks: []Hook{
		{Name: "ok", URL: ok.srv.URL, Format: FormatSlack}, {Name: "broken", URL: broken.srv.URL},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan error, 1)
	go func() { stopped <- n.Run(ctx) }()

	critical, repeat := event(alert.KindCritical), event(alert.KindRepeat)
	repeat.UniqueID = 0
	n.Notify(critical, repeat)
	<-rec.done // the critical one: recorded; the repeat has no log entry
	<-ok.seen
	<-ok.seen
	cancel()
	if err := <-stopped; err != nil {
		t.Fatalf("Run = %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) != 1 || rec.got[7] == nil || !strings.Contains(rec.got[7].Error(), `webhook "broken"`) {
		t.Errorf("recorded %v, want entry 7 failed by the broken hook", rec.got)
	}
	if len(ok.requests()) != 2 {
		t.Errorf("the working hook got %d notices, want 2", len(ok.requests()))
	}
}

func TestNotifyNeverBlocks(t *testing.T) {
	n, err := New(Config{QueueSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(event(alert.KindCritical), event(alert.KindCritical), event(alert.KindResolved))
	if len(n.queue) != 1 {
		t.Errorf("queue holds %d, want 1 (the rest dropped)", len(n.queue))
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		hooks []Hook
		want  string
	}{
		{[]Hook{{Name: "a", URL: "ftp://x"}}, `webhook "a": url "ftp://x": want an http or https URL`},
		{[]Hook{{Name: "a", URL: "http://x", Format: "teams"}}, `webhook "a": format "teams": want json, ntfy, slack or discord`},
		{[]Hook{{Name: "a", URL: "https://ntfy.sh/", Format: FormatNtfy}}, `webhook "a": ntfy url "https://ntfy.sh/": want the topic`},
		{[]Hook{{Name: "a", URL: "http://x"}, {Name: "a", URL: "http://y"}}, `webhook "a": defined twice`},
	} {
		if _, err := New(Config{Hooks: tc.hooks}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want %q", tc.hooks, err, tc.want)
		}
	}
}
