package api

import "testing"

// TestContentHash checks the hash against the values Consul's agent
// answers, as consul/api's own tests pin them.
func TestContentHash(t *testing.T) {
	for _, tc := range []struct {
		name string
		sj   *agentServiceJSON
		want string
	}{
		// TestAPI_AgentService (consul/api v1.34.5, agent_test.go)
		{"agent service", &agentServiceJSON{ID: "foo", Service: "foo", Tags: []string{"bar", "baz"}, Port: 8000,
			Weights: weightsJSON{Passing: 1, Warning: 1}, Meta: map[string]string{}, Datacenter: "dc1"}, "1d5d568c14309fa8"},
	} {
		got, err := contentHash(tc.sj)
		if err != nil || got != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.name, got, err, tc.want)
		}
	}
}
