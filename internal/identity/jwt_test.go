package identity

import (
	"slices"
	"testing"
)

func TestWorkloadClaims(t *testing.T) {
	tests := []struct {
		name string
		w    Workload
		sub  string
		aud  []string
	}{
		{"default task identity", Workload{JobID: "web", Group: "g", Task: "server"},
			"global:default:web:g:server:default", []string{"nomadproject.io"}},
		{"named identity keeps its audience", Workload{Region: "eu", Namespace: "prod", JobID: "web", Group: "g", Task: "server",
			Identity: "vault", Audience: []string{"vault.io"}}, "eu:prod:web:g:server:vault", []string{"vault.io"}},
		{"named identity without audience gets none", Workload{JobID: "web", Group: "g", Task: "server", Identity: "x"},
			"global:default:web:g:server:x", nil},
		{"service identity", Workload{JobID: "web", Group: "g", Service: "web-http", Identity: "consul-service_web-http",
			Audience: []string{"consul.io"}}, "global:default:web:g:web-http:consul-service_web-http", []string{"consul.io"}},
	}
	for _, tt := range tests {
		c := tt.w.Claims()
		if c.Subject != tt.sub || !slices.Equal(c.Audience, tt.aud) {
			t.Errorf("%s: sub %q aud %v, want %q %v", tt.name, c.Subject, c.Audience, tt.sub, tt.aud)
		}
	}
}
