package job

import (
	"strings"
	"testing"
)

func TestValidateUpdate(t *testing.T) {
	cases := []struct {
		name    string
		u       *Update
		wantErr string
	}{
		{"none", nil, ""},
		{"canary", &Update{MaxParallel: 1, Canary: 2, AutoPromote: true, HealthCheck: HealthChecks}, ""},
		{"negative canary", &Update{Canary: -1}, "update canary -1 is negative"},
		{"negative max_parallel", &Update{MaxParallel: -2}, "update max_parallel -2 is negative"},
		{"unknown health_check", &Update{HealthCheck: "http"}, `update health_check "http" is not one of checks, task_states, manual`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, where := range []string{"job", "group"} {
				j := &Job{ID: "j", Groups: []*Group{{Name: "g", Count: 1, Tasks: []*Task{{Name: "t", Driver: "raw_exec"}}}}}
				if where == "job" {
					j.Update = tc.u
				} else {
					j.Groups[0].Update = tc.u
				}
				err := j.Validate()
				switch {
				case tc.wantErr == "" && err != nil:
					t.Fatalf("%s update: %v", where, err)
				case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
					t.Fatalf("%s update: err %v, want %q", where, err, tc.wantErr)
				}
			}
		})
	}
}
