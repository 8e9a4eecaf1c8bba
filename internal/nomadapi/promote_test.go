package nomadapi

import (
	"slices"
	"testing"

	"github.com/orbit/orbit/internal/job"
)

func TestPromotable(t *testing.T) {
	dep := func(status string, states map[string]*job.DeploymentState) *job.Deployment {
		return &job.Deployment{ID: "d1", Status: status, TaskGroups: states}
	}
	waiting := func() map[string]*job.DeploymentState {
		return map[string]*job.DeploymentState{
			"web": {DesiredCanaries: 1}, "api": {DesiredCanaries: 2}, "db": {}, "old": {DesiredCanaries: 1, Promoted: true}}
	}
	cases := []struct {
		name    string
		d       *job.Deployment
		all     bool
		groups  []string
		healthy map[string]int
		want    []string
		wantErr string
	}{
		{name: "all healthy", d: dep(job.DeploymentRunning, waiting()), all: true,
			healthy: map[string]int{"web": 1, "api": 2}, want: []string{"api", "web"}},
		{name: "one group", d: dep(job.DeploymentRunning, waiting()), groups: []string{"web", "web"},
			healthy: map[string]int{"web": 1}, want: []string{"web"}},
		{name: "all with an unhealthy group", d: dep(job.DeploymentRunning, waiting()), all: true,
			healthy: map[string]int{"web": 1, "api": 1}, wantErr: `task group "api" has 1/2 healthy allocations`},
		{name: "unknown group", d: dep(job.DeploymentRunning, waiting()), groups: []string{"cache"},
			wantErr: `deployment does not include task group "cache"`},
		{name: "group without canaries", d: dep(job.DeploymentRunning, waiting()), groups: []string{"db", "old"},
			wantErr: "no canaries to promote"},
		{name: "nothing asked", d: dep(job.DeploymentRunning, waiting()),
			wantErr: "no groups to promote: set All or name Groups"},
		{name: "terminal deployment", d: dep(job.DeploymentSuccessful, waiting()), all: true,
			wantErr: "can't promote terminal deployment (status successful)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := promotable(tc.d, tc.all, tc.groups, tc.healthy)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
