package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestParseAddresses(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"127.0.0.1:8500", []string{"http://127.0.0.1:8500"}, ""},
		{"a:1, http://b:2/ ,https://c:3", []string{"http://a:1", "http://b:2", "https://c:3"}, ""},
		{" , ", nil, "no agent address"},
		{"ftp://a:1", nil, `"ftp://a:1"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			us, err := parseAddresses(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			var got []string
			for _, u := range us {
				got = append(got, u.String())
			}
			if err != nil || strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("parseAddresses = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A client of several agents reaches a live one past a dead one, a write's
// body arrives whole, and it keeps using the agent that answered; with
// every agent down the error names them all.
func TestFailoverBetweenAgents(t *testing.T) {
	var mu sync.Mutex // guards got
	var got []string
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	}))
	defer live.Close()
	dead := deadAddr(t)
	c := newAPIClient(dead+","+live.URL, "")
	ctx := context.Background()
	var out struct{ OK bool }
	if _, err := c.do(ctx, "PUT", "/v1/kv/a", []byte("body"), &out); err != nil || !out.OK {
		t.Fatalf("put past a dead agent: %v %+v", err, out)
	}
	if _, err := c.do(ctx, "GET", "/v1/kv/a", nil, &out); err != nil {
		t.Fatalf("get: %v", err)
	}
	mu.Lock()
	if strings.Join(got, "|") != "PUT /v1/kv/a body|GET /v1/kv/a " {
		t.Fatalf("live agent got %q", got)
	}
	mu.Unlock()
	if f := c.http.Transport.(*failover); f.cur.Load() != 1 {
		t.Fatalf("client does not stay with the agent that answered (current %d)", f.cur.Load())
	}

	other := deadAddr(t)
	c = newAPIClient(dead+","+other, "")
	_, err := c.do(ctx, "GET", "/v1/kv/a", nil, nil)
	if err == nil || !strings.Contains(err.Error(), dead) || !strings.Contains(err.Error(), other) {
		t.Fatalf("all agents down: %v, want an error naming both", err)
	}
	if _, err := newAPIClient("ftp://x", "").do(ctx, "GET", "/", nil, nil); err == nil || !strings.Contains(err.Error(), "ftp://x") {
		t.Fatalf("bad address: %v", err)
	}
}
