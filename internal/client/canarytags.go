package client

import "github.com/orbit/orbit/internal/job"

// serviceTags are the tags a service of allocation a registers with: its
// canary_tags while a is an unpromoted canary (when it has any), else its
// tags. Promotion clears the allocation's canary flag, and the next sync
// re-registers the service with its tags, as Nomad does.
func serviceTags(s *job.Service, a *job.Allocation) []string {
	if a != nil && a.Canary && len(s.CanaryTags) > 0 {
		return s.CanaryTags
	}
	return s.Tags
}
