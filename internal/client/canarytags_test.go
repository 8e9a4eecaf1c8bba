package client

import (
	"slices"
	"testing"

	"github.com/orbit/orbit/internal/job"
)

func TestServiceTagsOfCanaries(t *testing.T) {
	withCanary := &job.Service{Name: "web", Tags: []string{"live"}, CanaryTags: []string{"canary"}}
	plain := &job.Service{Name: "web", Tags: []string{"live"}}
	cases := []struct {
		name  string
		svc   *job.Service
		alloc *job.Allocation
		want  []string
	}{
		{"canary uses canary_tags", withCanary, &job.Allocation{Canary: true}, []string{"canary"}},
		{"promoted uses tags", withCanary, &job.Allocation{}, []string{"live"}},
		{"canary without canary_tags uses tags", plain, &job.Allocation{Canary: true}, []string{"live"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := serviceTags(tc.svc, tc.alloc); !slices.Equal(got, tc.want) {
				t.Fatalf("tags %v, want %v", got, tc.want)
			}
		})
	}
	// Through the whole conversion: the catalog instance carries them.
	regs, err := buildServices(svcInput{Alloc: &job.Allocation{ID: "a1", Canary: true}, Job: &job.Job{ID: "j"},
		Group: &job.Group{Name: "g"}, Services: []*job.Service{withCanary}, Node: "n", Address: "127.0.0.1"})
	if err != nil || len(regs) != 1 || !slices.Equal(regs[0].Instance.Tags, []string{"canary"}) {
		t.Fatalf("registrations %+v, err %v", regs, err)
	}
}
