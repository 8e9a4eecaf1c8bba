package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestResolveToken(t *testing.T) {
	tests := []struct {
		name         string
		flag, global string
		env          map[string]string
		want         string
	}{
		{"none: anonymous", "", "", nil, ""},
		{"command flag wins", "cmd", "glob", map[string]string{"ORBIT_TOKEN": "env"}, "cmd"},
		{"global flag over env", "", "glob", map[string]string{"ORBIT_TOKEN": "env"}, "glob"},
		{"ORBIT_TOKEN first", "", "", map[string]string{"ORBIT_TOKEN": "o", "CONSUL_HTTP_TOKEN": "c", "NOMAD_TOKEN": "n"}, "o"},
		{"then CONSUL_HTTP_TOKEN", "", "", map[string]string{"CONSUL_HTTP_TOKEN": "c", "NOMAD_TOKEN": "n"}, "c"},
		{"then NOMAD_TOKEN", "", "", map[string]string{"NOMAD_TOKEN": "n"}, "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Env{Token: tt.global, Getenv: func(k string) string { return tt.env[k] }}
			if got := resolveToken(tt.flag, e); got != tt.want {
				t.Fatalf("token %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEveryRequestCarriesTheToken runs commands of several families, the
// token given each way, and checks each request the agent saw carried it
// as X-Consul-Token (the server here only records headers; the commands'
// answers are not judged).
func TestEveryRequestCarriesTheToken(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Consul-Token"))
		mu.Unlock()
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("Permission denied: token with AccessorID 'x' lacks permission 'service:read'"))
	}))
	defer srv.Close()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"global flag", nil, []string{"-token", "g1", "services"}, "g1"},
		{"global flag, --form", nil, []string{"--token=g2", "kv", "get", "a"}, "g2"},
		{"command flag", nil, []string{"job", "status", "-token", "c1"}, "c1"},
		{"ORBIT_TOKEN", map[string]string{"ORBIT_TOKEN": "o1"}, []string{"node", "status"}, "o1"},
		{"CONSUL_HTTP_TOKEN", map[string]string{"CONSUL_HTTP_TOKEN": "c2"}, []string{"kv", "put", "a", "b"}, "c2"},
		{"NOMAD_TOKEN", map[string]string{"NOMAD_TOKEN": "n1"}, []string{"alloc", "logs", "abcd"}, "n1"},
		{"dns", map[string]string{"ORBIT_TOKEN": "o2"}, []string{"dns", "zone", "list"}, "o2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			var out, errb bytes.Buffer
			e := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
				if k == "ORBIT_ADDR" {
					return srv.URL
				}
				return tt.env[k]
			}}
			if code := runEnv(context.Background(), e, tt.args); code == 0 {
				t.Fatalf("%v exited 0 on a 403", tt.args)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 {
				t.Fatalf("%v sent no request: %s", tt.args, errb.String())
			}
			for _, s := range seen {
				if !strings.HasSuffix(s, " "+tt.want) {
					t.Fatalf("request %q lacks token %q", s, tt.want)
				}
			}
			if !strings.Contains(errb.String(), "-token or ORBIT_TOKEN") {
				t.Fatalf("a denial does not say what to do next: %q", errb.String())
			}
		})
	}
}
