package store_test

import (
	"testing"

	"github.com/orbit/orbit/internal/store"
)

func TestJobIDKeysRoundTrip(t *testing.T) {
	for _, id := range []string{"web", "job-id/with\\troublesome:characters", "a/../b", "100%", "%2F", "x%252Fy/", "tab\there"} {
		ns, got, ok := store.ParseHeadRest(store.JobHeadKey("default", id)[len(store.FamilyKey(store.FamilyJobHead, "")):])
		if !ok || ns != "default" || got != id {
			t.Errorf("head key of %q parsed as %q %q %v", id, ns, got, ok)
		}
		ns, got, v, ok := store.ParseVersionRest(store.JobVersionKey("default", id, 7)[len(store.FamilyKey(store.FamilyJobs, "")):])
		if !ok || ns != "default" || got != id || v != 7 {
			t.Errorf("version key of %q parsed as %q %q %d %v", id, ns, got, v, ok)
		}
	}
	// A stored ID with a '%' that is no escape reads back as it was.
	if got := store.UnescapeJobID("50%off"); got != "50%off" {
		t.Errorf("store.UnescapeJobID(50%%off) = %q", got)
	}
	for _, rest := range []string{"", "default", "default/", "/x", "default/a/b"} {
		if _, _, ok := store.ParseHeadRest(rest); ok {
			t.Errorf("store.ParseHeadRest(%q) accepted", rest)
		}
	}
}
