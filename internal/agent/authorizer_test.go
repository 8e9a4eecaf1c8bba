package agent

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/acl"
)

// readJobsOnly allows the token "reader" to read jobs and denies the rest.
type readJobsOnly struct{}

func (readJobsOnly) Authorize(_ context.Context, token string, rule acl.Rule) error {
	if token == "reader" && rule == (acl.Rule{Resource: acl.Job, Access: acl.Read}) {
		return nil
	}
	return acl.ErrDenied
}

// TestEveryListenerAsksTheAuthorizer: the -nomad-addr listener, the API
// listener's own handlers and what it mounts (the Nomad API, zones, edge)
// all go through the agent's authorizer.
func TestEveryListenerAsksTheAuthorizer(t *testing.T) {
	cfg := &Config{Dev: true, DataDir: t.TempDir(), NodeName: "node1", HTTPAddr: "127.0.0.1:0", DNSAddr: "127.0.0.1:0",
		NomadAddr: "127.0.0.1:0", LeaseTTL: "2s", EntryPoints: map[string]string{"web": "127.0.0.1:0"},
		Authorizer: readJobsOnly{}}
	a := startAgent(t, cfg)
	nomad, consul := "http://"+a.NomadAddr().String(), "http://"+a.HTTPAddr().String()
	tests := []struct {
		name, method, url, token string
		code                     int
	}{
		{"nomad listener, no token", "GET", nomad + "/v1/jobs", "", 403},
		{"nomad listener, status", "GET", nomad + "/v1/status/leader", "", 403},
		{"nomad listener, write with a read token", "DELETE", nomad + "/v1/job/web", "reader", 403},
		{"nomad listener, read token", "GET", nomad + "/v1/jobs", "reader", 200},
		{"api listener, nomad mount", "GET", consul + "/v1/jobs", "", 403},
		{"api listener, nomad mount, read token", "GET", consul + "/v1/jobs", "reader", 200},
		{"api listener, consul handler", "GET", consul + "/v1/catalog/service/web", "reader", 403},
		{"api listener, zones", "GET", consul + "/v1/dns/zones", "reader", 403},
		{"api listener, edge", "GET", consul + "/v1/edge/routers", "reader", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("X-Nomad-Token", tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("%s %s: %d %s, want %d", tt.method, tt.url, resp.StatusCode, body, tt.code)
			}
			if tt.code == 403 && !strings.Contains(string(body), "Permission denied") {
				t.Fatalf("403 body %q", body)
			}
		})
	}
}
